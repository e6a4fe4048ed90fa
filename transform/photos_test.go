package transform

import (
	"math"
	"os"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// The committed sample photos (samples/LICENSE.md) exercise what generated
// fixtures cannot: real content, real JPEG encoders, real colour.
func realPhoto(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../samples/photos/sunset.jpg")
	must(t, err)
	return b
}

// thumbGrid renders an image at 64 px wide and samples a 4×4 grid, for
// comparing two versions of one photo within a tolerance.
func thumbGrid(t testing.TB, src []byte, chain string) [][]float64 {
	t.Helper()
	d := decode(t, process(t, src, chain, PNG).Body)
	var grid [][]float64
	for gy := 0; gy < 4; gy++ {
		for gx := 0; gx < 4; gx++ {
			p, err := d.img.GetPoint(d.img.Width()*(2*gx+1)/8, d.img.PageHeight()*(2*gy+1)/8)
			must(t, err)
			grid = append(grid, p[:3])
		}
	}
	return grid
}

func gridsNear(t testing.TB, name string, got, want [][]float64, tol float64) {
	t.Helper()
	for i := range want {
		for c := 0; c < 3; c++ {
			if math.Abs(got[i][c]-want[i][c]) > tol {
				t.Errorf("%s: cell %d = %v, want %v ±%v", name, i, got[i], want[i], tol)
				return
			}
		}
	}
}

func TestRealPhotoVariants(t *testing.T) {
	src := realPhoto(t)
	want := thumbGrid(t, src, "w-64")

	t.Run("EXIF orientation", func(t *testing.T) {
		// Store the pixels turned a quarter anticlockwise and tag them
		// orientation 6 (display turned clockwise): a viewer shows the
		// original, and so must every output.
		img := fromBytes(t, src)
		must(t, img.Rotate(vips.Angle270))
		must(t, img.SetOrientation(6))
		tagged, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 90})
		must(t, err)
		gridsNear(t, "orientation 6", thumbGrid(t, tagged, "w-64"), want, 25)
	})

	t.Run("CMYK", func(t *testing.T) {
		img := fromBytes(t, src)
		must(t, img.ToColorSpace(vips.InterpretationCMYK))
		cmyk, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 90})
		must(t, err)
		if fromBytes(t, cmyk).Interpretation() != vips.InterpretationCMYK {
			t.Fatal("fixture is not CMYK")
		}
		gridsNear(t, "cmyk", thumbGrid(t, cmyk, "w-64"), want, 35)
	})

	t.Run("alpha", func(t *testing.T) {
		img := fromBytes(t, src)
		must(t, img.AddAlpha())
		img = fromBytes(t, encodeWith(t, img, PNG))
		w, h := img.Width(), img.Height()
		must(t, img.DrawRect(vips.ColorRGBA{}, w/2, 0, w-w/2, h, true)) // right half transparent
		withAlpha := encodeWith(t, img, PNG)
		for _, f := range []Format{WebP, PNG, AVIF} {
			d := decode(t, process(t, withAlpha, "w-200", f).Body)
			if !d.img.HasAlpha() {
				t.Errorf("%s lost the alpha channel", f)
				continue
			}
			if p, _ := d.img.GetPoint(190, 10); p[len(p)-1] > 10 {
				t.Errorf("%s: transparent half has alpha %v", f, p[len(p)-1])
			}
			if p, _ := d.img.GetPoint(10, 10); p[len(p)-1] < 245 {
				t.Errorf("%s: opaque half has alpha %v", f, p[len(p)-1])
			}
		}
	})

	t.Run("animation", func(t *testing.T) {
		// Three frames cut from the photo, as an animated GIF.
		frames := 3
		strip := fromBytes(t, src)
		must(t, strip.ExtractArea(0, 0, 320, 240*frames))
		must(t, strip.SetPages(frames))
		must(t, strip.SetPageHeight(240))
		must(t, strip.SetPageDelay([]int{80, 80, 80}))
		gif := encodeWith(t, strip, GIF)
		for _, f := range []Format{GIF, WebP} {
			res := process(t, gif, "w-160", f)
			d := decode(t, res.Body)
			if d.pages != frames || res.Width != 160 || d.img.PageHeight() != 120 {
				t.Errorf("%s: %d frames of %dx%d, want %d of 160x120", f, d.pages, res.Width, d.img.PageHeight(), frames)
			}
		}
	})
}
