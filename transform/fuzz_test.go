package transform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
)

// FuzzDecode feeds arbitrary bytes through the decode path: inspection,
// load and a small resize, under small limits. Every input must end in a
// result or a typed error; a panic (which Process turns into an
// "internal failure") or a crash of the process is a finding. The seeds in
// testdata/fuzz/FuzzDecode (every accepted format, whole, truncated, cut
// after the header, bit-flipped) run with every `go test`; run it long
// with
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 10m ./transform/
func FuzzDecode(f *testing.F) {
	// Small limits keep each input well under the fuzzer's 10 s hang
	// detector on a loaded machine: a 3 MP garbage GIF took 3 s to decode.
	l := Limits{MaxSourcePixels: 1 << 18, MaxSourceBytes: 1 << 20, MaxOutputDimension: 2048, MaxFrames: 16}
	chains := make([]*Chain, 0, 3)
	for _, s := range []string{"w-16", "rt-90,w-8", "f-png"} {
		c, err := Parse(s, "", ParseOptions{})
		if err != nil {
			f.Fatal(err)
		}
		chains = append(chains, c)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		Startup()
		p := NewProcessor(Config{Workers: 1, Limits: l})
		for i, c := range chains {
			format := PNG
			if i == 2 {
				format = GIF // keeps animations
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := p.Process(ctx, src, c, format)
			cancel()
			var e *Error
			switch {
			case err == nil, errors.Is(err, context.DeadlineExceeded):
			case errors.As(err, &e):
				if e.Kind == Invalid || e.Kind == Overloaded {
					t.Fatalf("unexpected kind: %v", err)
				}
			case strings.Contains(err.Error(), "internal failure"):
				t.Fatalf("panic: %v", err)
			}
		}
	})
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzDecode when
// WRITE_FUZZ_SEEDS=1; otherwise it does nothing. The seeds are committed.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set WRITE_FUZZ_SEEDS=1 to regenerate the seeds")
	}
	img := quadrants(t, 8, 6)
	export := func(f func() ([]byte, *vips.ImageMetadata, error)) []byte {
		b, _, err := f()
		must(t, err)
		return b
	}
	valid := map[string][]byte{
		"jpeg": encodeWith(t, img, JPEG),
		"png":  encodeWith(t, img, PNG),
		"gif":  animation(t, GIF, 3, 8, 6),
		"webp": animation(t, WebP, 2, 8, 6),
		"tiff": export(func() ([]byte, *vips.ImageMetadata, error) {
			return img.ExportTiff(&vips.TiffExportParams{Compression: vips.TiffCompressionLzw})
		}),
		"avif": export(func() ([]byte, *vips.ImageMetadata, error) {
			return img.ExportAvif(&vips.AvifExportParams{Quality: 50, Effort: 0, Bitdepth: 8})
		}),
		"jxl": export(func() ([]byte, *vips.ImageMetadata, error) {
			return img.ExportJxl(&vips.JxlExportParams{Quality: 50, Effort: 1, Distance: 1})
		}),
		"svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="6"><rect width="4" height="3" fill="red"/></svg>`),
		"pdf": minimalPDF(),
		"bmp": bmpFile(2, 2, 24, []byte{0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 0, 255, 255, 255, 0, 0}, false),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	must(t, os.MkdirAll(dir, 0o755))
	write := func(name string, b []byte) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	for name, b := range valid {
		write(name, b)
		write(name+"-truncated", b[:len(b)/2])
		write(name+"-header", b[:min(len(b), 40)])
		flipped := append([]byte(nil), b...)
		for i := len(flipped) / 3; i < len(flipped); i += len(flipped)/7 + 1 {
			flipped[i] ^= 0x5a
		}
		write(name+"-flipped", flipped)
	}
	write("bmp-lying", bmpFile(1<<30, -1<<31, 24, make([]byte, 64), false))
	write("png-lying", pngHeader(1<<30, 1<<30))
	write("gif-lying", gifHeader(65535, 65535))
}
