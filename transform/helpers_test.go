package transform

import (
	"math"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

var (
	red   = []float64{255, 0, 0}
	green = []float64{0, 255, 0}
	blue  = []float64{0, 0, 255}
	white = []float64{255, 255, 255}
)

// quadrants makes a w×h sRGB image: red top-left, green top-right, blue
// bottom-left, white bottom-right. Crops, flips and rotations all show in
// which colour ends up where.
func quadrants(t testing.TB, w, h int) *vips.ImageRef {
	t.Helper()
	Startup() // not in TestMain: fuzz workers, which never need libvips, must not start it
	img, err := vips.Black(w, h)
	must(t, err)
	must(t, img.ToColorSpace(vips.InterpretationSRGB))
	must(t, img.Cast(vips.BandFormatUchar))
	// Draw operations need a private memory image.
	img = fromBytes(t, encodeWith(t, img, PNG))
	fill := func(c []float64, x, y, rw, rh int) {
		must(t, img.DrawRect(vips.ColorRGBA{R: uint8(c[0]), G: uint8(c[1]), B: uint8(c[2]), A: 255}, x, y, rw, rh, true))
	}
	fill(red, 0, 0, w/2, h/2)
	fill(green, w/2, 0, w-w/2, h/2)
	fill(blue, 0, h/2, w/2, h-h/2)
	fill(white, w/2, h/2, w-w/2, h-h/2)
	return img
}

func fromBytes(t testing.TB, b []byte) *vips.ImageRef {
	t.Helper()
	img, err := vips.NewImageFromBuffer(b)
	must(t, err)
	return img
}

func encodeWith(t testing.TB, img *vips.ImageRef, f Format) []byte {
	t.Helper()
	var b []byte
	var err error
	switch f {
	case JPEG:
		b, _, err = img.ExportJpeg(&vips.JpegExportParams{Quality: 95})
	case PNG:
		b, _, err = img.ExportPng(&vips.PngExportParams{Compression: 1})
	case WebP:
		b, _, err = img.ExportWebp(&vips.WebpExportParams{Quality: 95, Lossless: true})
	case GIF:
		b, _, err = img.ExportGIF(&vips.GifExportParams{Quality: 100, Effort: 1, Bitdepth: 8})
	default:
		t.Fatalf("encodeWith: %s", f)
	}
	must(t, err)
	return b
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// decoded is what a test needs to know about an output image.
type decoded struct {
	img    *vips.ImageRef
	format vips.ImageType
	pages  int
}

func decode(t testing.TB, b []byte) decoded {
	t.Helper()
	p := vips.NewImportParams()
	p.NumPages.Set(-1)
	img, err := vips.LoadImageFromBuffer(b, p)
	must(t, err)
	t.Cleanup(img.Close)
	return decoded{img: img, format: img.Format(), pages: img.Pages()}
}

// pixelNear checks the colour at x,y within a tolerance (encoders drift).
func pixelNear(t testing.TB, img *vips.ImageRef, x, y int, want []float64, tol float64) {
	t.Helper()
	got, err := img.GetPoint(x, y)
	must(t, err)
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("pixel %d,%d = %v, want %v ±%v", x, y, got, want, tol)
			return
		}
	}
}

// meanAbsDiff is the mean absolute difference of two 8-bit images' pixels,
// 0–255.
func meanAbsDiff(t *testing.T, a, b *vips.ImageRef) float64 {
	t.Helper()
	pa, err := a.ToBytes()
	must(t, err)
	pb, err := b.ToBytes()
	must(t, err)
	if len(pa) != len(pb) || len(pa) == 0 {
		t.Fatalf("images of %d and %d bytes", len(pa), len(pb))
	}
	sum := 0
	for i := range pa {
		sum += max(int(pa[i])-int(pb[i]), int(pb[i])-int(pa[i]))
	}
	return float64(sum) / float64(len(pa))
}

// A photo-like source: smooth gradients with detail, so that the encoder
// has something to decide.
func photoLike(t *testing.T, w, h int, alpha bool) *vips.ImageRef {
	t.Helper()
	img := quadrants(t, w, h)
	must(t, img.GaussianBlur(6))
	must(t, img.Linear([]float64{0.8, 0.9, 0.7}, []float64{20, 10, 30}))
	must(t, img.Cast(vips.BandFormatUchar))
	if !alpha {
		return fromBytes(t, encodeWith(t, img, PNG))
	}
	must(t, img.AddAlpha())
	img = fromBytes(t, encodeWith(t, img, PNG)) // drawing needs a private memory image
	for i, a := range []uint8{0, 90, 200} {     // bands of transparency
		must(t, img.DrawRect(vips.ColorRGBA{R: 40, G: uint8(60 * i), B: 200, A: a}, 0, h*i/4, w, h/8, true))
	}
	return fromBytes(t, encodeWith(t, img, PNG))
}
