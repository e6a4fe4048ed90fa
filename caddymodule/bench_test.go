package caddymodule

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkPassThrough streams a 64 MiB object from the S3 server through
// Caddy and the module, beside the same GET straight from the S3 server
// (presigned), so the module's cost per byte shows as a ratio.
func BenchmarkPassThrough(b *testing.B) {
	const size = 64 << 20
	s3srv.MakeBucket(b, "bench-pass")
	s3srv.Put(b, "bench-pass", "big.bin", make([]byte, size), "application/octet-stream")
	base := startCaddy(b, site(s3Block("o", s3srv.Endpoint(), "bucket bench-pass", "path_style")))
	direct, err := s3srv.Client().PresignedGetObject(b.Context(), "bench-pass", "big.bin", 3600e9, nil)
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(b *testing.B, url string) {
		resp, err := hc.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n != size {
			b.Fatalf("GET = %d, %d bytes", resp.StatusCode, n)
		}
	}
	for _, bb := range []struct{ name, url string }{
		{"module", base + "/big.bin"},
		{"s3-direct", direct.String()},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				get(b, bb.url)
			}
		})
	}
}
