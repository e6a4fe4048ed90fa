package face

import (
	"bytes"
	"image"
	_ "image/jpeg"
	"testing"

	"github.com/image-cdn/image_cdn/internal/testenv"
)

// pigoSample is the portrait photo in pigo's own module (testdata), read
// from the module cache rather than copied into this repository.
func pigoSample(t *testing.T) image.Image {
	t.Helper()
	b := testenv.ModuleFile(t, "github.com/esimov/pigo", "testdata/sample.jpg")
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func gray(img image.Image) ([]byte, int, int) {
	b := img.Bounds()
	px := make([]byte, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			px = append(px, byte((299*r+587*g+114*bl)/1000>>8))
		}
	}
	return px, b.Dy(), b.Dx()
}

func TestDetectFindsFaces(t *testing.T) {
	px, rows, cols := gray(pigoSample(t))
	faces, err := Detect(px, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) == 0 {
		t.Fatal("no face found in pigo's sample portrait")
	}
	for _, f := range faces {
		if f.X < 0 || f.X >= cols || f.Y < 0 || f.Y >= rows || f.Size <= 0 {
			t.Errorf("face %+v outside the %dx%d image", f, cols, rows)
		}
	}
}

func TestDetectNoFace(t *testing.T) {
	const rows, cols = 200, 300
	px := make([]byte, rows*cols)
	for i := range px {
		px[i] = byte(i % cols) // a smooth ramp
	}
	faces, err := Detect(px, rows, cols)
	if err != nil || len(faces) != 0 {
		t.Errorf("Detect(ramp) = %v, %v; want no face", faces, err)
	}
	if _, err := Detect(px[:10], rows, cols); err == nil {
		t.Error("Detect accepted a short buffer")
	}
}
