package caddymodule

import (
	"testing"
	"time"
)

// BenchmarkSourceStorage serves a transformed 173 KB photo whose original
// lives on a web origin 50 ms away: every request a miss (no result
// storage), the original either fetched from the web origin each time or
// read from S3 source storage (versitygw on loopback). The ratio of the
// two is reported as web/storage.
func BenchmarkSourceStorage(b *testing.B) {
	s3srv.MakeEmptyBucket(b, "bench-src")
	remote := newRemoteSite(b, map[string][]byte{"/a.jpg": sample(b, "photos/sunset.jpg")})
	remote.delay = 50 * time.Millisecond
	web := `origin web ` + remote.URL + ` {
			allow_private 127.0.0.1
		}`
	store := `source_storage s3 {
			bucket bench-src
			endpoint ` + s3srv.Endpoint() + `
			path_style
			access_key_id ` + s3srv.AccessKey + `
			secret_access_key ` + s3srv.SecretKey + `
		}`
	// Fill source storage once; the reload below waits for its write.
	prime := startCaddy(b, site(web, store))
	if resp, _ := do(b, "GET", prime, "/a.jpg"); resp.StatusCode != 200 {
		b.Fatalf("priming = %d", resp.StatusCode)
	}

	perOp := map[string]float64{}
	for _, bb := range []struct{ name, site string }{
		{"web-origin-50ms", site(web)},
		{"source-storage-hit", site(web, store)},
	} {
		base := startCaddy(b, bb.site)
		b.Run(bb.name, func(b *testing.B) {
			n := 0
			start := time.Now()
			for b.Loop() {
				if resp, _ := do(b, "GET", base, "/tr:w-300/a.jpg"); resp.StatusCode != 200 {
					b.Fatalf("GET = %d", resp.StatusCode)
				}
				n++
			}
			perOp[bb.name] = float64(time.Since(start).Nanoseconds()) / float64(n)
			if web := perOp["web-origin-50ms"]; bb.name == "source-storage-hit" && web > 0 {
				b.ReportMetric(web/perOp[bb.name], "web/storage")
			}
			b.Logf("%d requests reached the web origin", len(remote.requests()))
			remote.reset()
		})
	}
}
