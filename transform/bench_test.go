package transform

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
)

// photo makes a width×height image with photo-like detail: random noise
// upscaled, so the encoders and decoders do realistic work.
func photo(b *testing.B, width, height int, alpha bool) *vips.ImageRef {
	b.Helper()
	Startup()
	const cell = 10
	small := image.NewNRGBA(image.Rect(0, 0, width/cell, height/cell))
	r := rand.New(rand.NewSource(1))
	for i := range small.Pix {
		small.Pix[i] = uint8(r.Intn(256))
	}
	for y := 0; y < small.Rect.Dy(); y++ {
		for x := 0; x < small.Rect.Dx(); x++ {
			a := uint8(255)
			if alpha {
				a = uint8(x * 255 / small.Rect.Dx())
			}
			c := small.NRGBAAt(x, y)
			small.SetNRGBA(x, y, color.NRGBA{R: c.R, G: c.G, B: c.B, A: a})
		}
	}
	var buf bytes.Buffer
	must(b, png.Encode(&buf, small))
	img := fromBytes(b, buf.Bytes())
	if !alpha {
		must(b, img.Flatten(&vips.Color{}))
	}
	must(b, img.ResizeWithVScale(cell, cell, vips.KernelLanczos3))
	must(b, img.Cast(vips.BandFormatUchar))
	return img
}

// BenchmarkPipeline compares Process with the plain govips thumbnail and
// save it is built on, so the pipeline's overhead shows as a ratio:
// vips-ms/op is libvips alone, pipeline-ms/op the full Process, overhead-x
// their ratio.
func BenchmarkPipeline(b *testing.B) {
	jpeg12, _, err := photo(b, 4000, 3000, false).ExportJpeg(&vips.JpegExportParams{Quality: 90})
	must(b, err)
	alphaPNG, _, err := photo(b, 2000, 2000, true).ExportPng(&vips.PngExportParams{Compression: 6})
	must(b, err)

	save := map[Format]func(*vips.ImageRef) ([]byte, error){
		JPEG: func(img *vips.ImageRef) ([]byte, error) {
			out, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 80, StripMetadata: true, OptimizeCoding: true})
			return out, err
		},
		WebP: func(img *vips.ImageRef) ([]byte, error) {
			out, _, err := img.ExportWebp(&vips.WebpExportParams{Quality: 80, StripMetadata: true, ReductionEffort: 4})
			return out, err
		},
	}
	cases := []struct {
		name  string
		src   []byte
		chain string
		f     Format
	}{
		{"jpeg12MP-w300h300-jpeg", jpeg12, "w-300,h-300", JPEG},
		{"jpeg12MP-w300h300-webp", jpeg12, "w-300,h-300", WebP},
		{"png4MPalpha-w300h300-webp", alphaPNG, "w-300,h-300", WebP},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			c, err := Parse(tc.chain, "", ParseOptions{})
			must(b, err)
			p := NewProcessor(Config{Workers: 1})
			var plain, full time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				img, err := vips.NewThumbnailFromBuffer(tc.src, 300, 300, vips.InterestingCentre)
				must(b, err)
				_, err = save[tc.f](img)
				must(b, err)
				img.Close()
				plain += time.Since(start)

				start = time.Now()
				_, err = p.Process(context.Background(), tc.src, c, tc.f)
				must(b, err)
				full += time.Since(start)
			}
			n := float64(b.N)
			b.ReportMetric(plain.Seconds()*1000/n, "vips-ms/op")
			b.ReportMetric(full.Seconds()*1000/n, "pipeline-ms/op")
			b.ReportMetric(float64(full)/float64(plain), "overhead-x")
		})
	}
}

// BenchmarkLayers measures a text layer and an image layer on the
// standard photo (samples/photos/sunset.jpg) against a plain resize in the
// same run: ratio-x is the layer chain's time over the resize's.
func BenchmarkLayers(b *testing.B) {
	src := realPhoto(b)
	logo, err := os.ReadFile("../samples/logo.png")
	must(b, err)
	srcs := &memSources{files: map[string][]byte{"logo.png": logo}}
	plain, err := Parse("w-800", "", ParseOptions{})
	must(b, err)
	for _, tc := range []struct{ name, chain string }{
		{"text-layer", "w-800,l-text,i-Summer sale,fs-48,co-FFFFFF,bg-00000050,pa-10,lfo-bottom,l-end"},
		{"image-layer", "w-800,l-image,i-logo.png,w-200,lx-N20,ly-N20,l-end"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, err := Parse(tc.chain, "", ParseOptions{})
			must(b, err)
			p := NewProcessor(Config{Workers: 1})
			var base, layer time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				_, err := p.Process(context.Background(), src, plain, JPEG)
				must(b, err)
				base += time.Since(start)
				start = time.Now()
				_, err = p.ProcessWith(context.Background(), src, c, JPEG, Options{Sources: srcs})
				must(b, err)
				layer += time.Since(start)
			}
			n := float64(b.N)
			b.ReportMetric(base.Seconds()*1000/n, "resize-ms/op")
			b.ReportMetric(layer.Seconds()*1000/n, "layer-ms/op")
			b.ReportMetric(float64(layer)/float64(base), "ratio-x")
		})
	}
}
