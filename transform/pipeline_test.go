package transform

import (
	"context"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

func process(t testing.TB, src []byte, chain string, f Format) *Result {
	t.Helper()
	c, err := Parse(chain, "", ParseOptions{})
	must(t, err)
	res, err := NewProcessor(Config{Workers: 1}).Process(context.Background(), src, c, f)
	must(t, err)
	return res
}

func TestProcessGeometry(t *testing.T) {
	src := encodeWith(t, quadrants(t, 400, 200), PNG)
	tests := []struct {
		chain  string
		w, h   int
		pixels map[[2]int][]float64 // x,y -> colour
	}{
		{"w-100", 100, 50, map[[2]int][]float64{{10, 10}: red, {90, 40}: white}},
		{"w-0.5", 200, 100, nil},
		{"h-50", 100, 50, nil},
		{"w-100,h-100", 100, 100, map[[2]int][]float64{{5, 5}: red, {95, 5}: green}},                // center crop of 200x100
		{"w-100,h-100,fo-left", 100, 100, map[[2]int][]float64{{5, 5}: red, {95, 5}: red}},          // left half only
		{"w-100,h-100,fo-right", 100, 100, map[[2]int][]float64{{5, 5}: green, {95, 95}: white}},    // right half only
		{"w-100,h-100,c-force", 100, 100, map[[2]int][]float64{{5, 5}: red, {95, 95}: white}},       // squashed
		{"w-100,h-100,c-at_max", 100, 50, nil},                                                      // fits inside
		{"w-1000,h-1000,c-at_max", 400, 200, nil},                                                   // never enlarges
		{"w-800,h-800,c-at_max_enlarge", 800, 400, nil},                                             // may enlarge
		{"w-100,h-100,c-at_least", 200, 100, nil},                                                   // covers
		{"w-100,h-100,cm-pad_resize", 100, 100, map[[2]int][]float64{{50, 5}: white, {5, 30}: red}}, // white bars top and bottom
		{"w-100,h-100,cm-pad_resize,bg-000000,fo-top", 100, 100, map[[2]int][]float64{{5, 5}: red, {50, 90}: {0, 0, 0}}},
		{"w-100,h-100,cm-extract,fo-top_left", 100, 100, map[[2]int][]float64{{5, 5}: red, {95, 95}: red}},
		{"w-100,h-100,cm-extract,x-300,y-100", 100, 100, map[[2]int][]float64{{50, 50}: white}},
		{"w-100,h-100,cm-extract,xc-300,yc-50", 100, 100, map[[2]int][]float64{{50, 50}: green}},
		{"w-600,h-300,cm-pad_extract,bg-0000FF", 600, 300, map[[2]int][]float64{{5, 5}: blue, {110, 60}: red}},
		{"w-100,ar-2-1", 100, 50, nil},
		{"w-100,dpr-2", 200, 100, nil},
		{"w-200:w-100", 100, 50, nil},
		{"rt-90", 200, 400, map[[2]int][]float64{{190, 10}: red, {10, 10}: blue}},
		{"rt-N90", 200, 400, map[[2]int][]float64{{10, 390}: red}},
		{"rt-180", 400, 200, map[[2]int][]float64{{390, 190}: red}},
		{"fl-h", 400, 200, map[[2]int][]float64{{390, 10}: red, {10, 10}: green}},
		{"fl-v", 400, 200, map[[2]int][]float64{{10, 190}: red}},
		{"fl-h_v", 400, 200, map[[2]int][]float64{{390, 190}: red}},
		{"b-10_000000", 420, 220, map[[2]int][]float64{{2, 2}: {0, 0, 0}, {15, 15}: red}},
		{"e-grayscale", 400, 200, map[[2]int][]float64{{300, 150}: white, {10, 10}: {124, 124, 124}}},
		{"w-100,h-100,fo-auto", 100, 100, nil},
		// Operations that read out of order after a shrink-on-load resize.
		{"w-200,rt-90", 100, 200, map[[2]int][]float64{{95, 5}: red}},
		{"w-200,fl-v", 200, 100, map[[2]int][]float64{{5, 95}: red}},
		{"w-200:w-100,h-100,fo-auto", 100, 100, nil},
		{"w-200,h-200,cm-pad_resize,bg-blurred", 200, 200, map[[2]int][]float64{{50, 60}: red}},
		{"w-200:t-true", 200, 100, nil},
		{"w-200,h-100,cm-extract,fo-auto", 200, 100, nil},
		{"bl-10", 400, 200, map[[2]int][]float64{{10, 10}: red}},
		{"e-sharpen", 400, 200, map[[2]int][]float64{{10, 10}: red}},
		{"e-sharpen-100", 400, 200, nil},
		{"e-usm-2-0.8-1-0.05", 400, 200, map[[2]int][]float64{{10, 10}: red}},
		{"e-contrast", 400, 200, map[[2]int][]float64{{300, 150}: white}},
	}
	for _, tt := range tests {
		t.Run(tt.chain, func(t *testing.T) {
			res := process(t, src, tt.chain, PNG)
			d := decode(t, res.Body)
			if d.format != vips.ImageTypePNG || res.Format != PNG {
				t.Errorf("format %v / %s, want png", d.format, res.Format)
			}
			if d.img.Width() != tt.w || d.img.Height() != tt.h || res.Width != tt.w || res.Height != tt.h {
				t.Fatalf("size %dx%d (result says %dx%d), want %dx%d", d.img.Width(), d.img.Height(), res.Width, res.Height, tt.w, tt.h)
			}
			for xy, c := range tt.pixels {
				pixelNear(t, d.img, xy[0], xy[1], c, 40)
			}
		})
	}
}

func TestProcessFormats(t *testing.T) {
	src := encodeWith(t, quadrants(t, 300, 200), JPEG)
	for _, f := range []Format{JPEG, PNG, WebP, AVIF, GIF, JXL} {
		t.Run(string(f), func(t *testing.T) {
			res := process(t, src, "w-60", f)
			d := decode(t, res.Body)
			want := map[Format]vips.ImageType{JPEG: vips.ImageTypeJPEG, PNG: vips.ImageTypePNG, WebP: vips.ImageTypeWEBP,
				AVIF: vips.ImageTypeAVIF, GIF: vips.ImageTypeGIF, JXL: vips.ImageTypeJXL}[f]
			if d.format != want {
				t.Errorf("decoded as %v, want %v", d.format, want)
			}
			if d.img.Width() != 60 || d.img.Height() != 40 {
				t.Errorf("size %dx%d", d.img.Width(), d.img.Height())
			}
			pixelNear(t, d.img, 5, 5, red, 60)
		})
	}
}

// TestSourceFormats decodes every format we can write, plus TIFF, as a
// source (the sources are made by Process itself).
func TestSourceFormats(t *testing.T) {
	png := encodeWith(t, quadrants(t, 120, 80), PNG)
	tiff, _, err := fromBytes(t, png).ExportTiff(&vips.TiffExportParams{Compression: vips.TiffCompressionLzw})
	must(t, err)
	sources := map[string][]byte{"tiff": tiff}
	for _, f := range []Format{JPEG, PNG, WebP, AVIF, GIF, JXL} {
		sources[string(f)] = process(t, png, "f-"+string(f), f).Body
	}
	for name, src := range sources {
		for _, chain := range []string{"w-60", "w-60,rt-90"} {
			res := process(t, src, chain, PNG)
			d := decode(t, res.Body)
			w, h := 60, 40
			if chain == "w-60,rt-90" {
				w, h = 40, 60
			}
			if d.img.Width() != w || d.img.Height() != h {
				t.Errorf("%s %s: %dx%d, want %dx%d", name, chain, d.img.Width(), d.img.Height(), w, h)
				continue
			}
			x := 5
			if chain == "w-60,rt-90" {
				x = w - 5
			}
			pixelNear(t, d.img, x, 5, red, 60)
		}
	}
}

// TestSourcesReleased: libvips reads sources from pinned Go memory or from
// a SourceBuffer, and every path through the pipeline (shrink-on-load,
// random access, a damaged source, a refused one) must give every source
// back, or the memory stays pinned, or allocated, for ever.
func TestSourcesReleased(t *testing.T) {
	jpeg := encodeWith(t, quadrants(t, 400, 300), JPEG)
	for _, tt := range []struct {
		name, chain string
		src         []byte
	}{
		{"sequential shrink-on-load", "w-50", jpeg},
		{"random access", "w-50,rt-90", jpeg},
		{"no resize", "f-png", encodeWith(t, quadrants(t, 40, 30), PNG)},
		{"damaged", "w-50", jpeg[:len(jpeg)/2]},
		{"over the pixel limit", "w-50", encodeWith(t, quadrants(t, 3000, 3000), PNG)},
	} {
		c, err := Parse(tt.chain, "", ParseOptions{})
		must(t, err)
		p := NewProcessor(Config{Workers: 1, Limits: Limits{MaxSourcePixels: 4_000_000}})
		_, goErr := p.Process(context.Background(), tt.src, c, JPEG)
		if n := pinnedSources(); n != 0 {
			t.Errorf("%s: libvips still holds %d source(s)", tt.name, n)
		}

		buf, err := NewSourceBuffer(int64(len(tt.src)))
		must(t, err)
		copy(buf.Bytes(), tt.src)
		_, cErr := p.Process(context.Background(), buf.Bytes(), c, JPEG)
		if (goErr == nil) != (cErr == nil) {
			t.Errorf("%s: from Go memory %v, from a SourceBuffer %v", tt.name, goErr, cErr)
		}
		buf.Release()
		if n, m := pinnedSources(), offHeap.count(); n != 0 || m != 0 {
			t.Errorf("%s: from a SourceBuffer, libvips still holds %d source(s), %d buffer(s) allocated", tt.name, n, m)
		}
	}
}
