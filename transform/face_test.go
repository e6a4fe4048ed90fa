package transform

import (
	"bytes"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/image-cdn/image_cdn/internal/testenv"
)

// pigoPortrait is the portrait in pigo's module (testdata/sample.jpg),
// read from the module cache rather than copied here.
func pigoPortrait(t *testing.T) []byte {
	t.Helper()
	return testenv.ModuleFile(t, "github.com/esimov/pigo", "testdata/sample.jpg")
}

// TestFaceFocus: fo-face keeps the face in the crop (ImageKit: the crop is
// focused on the face), z-0.5 keeps the face at about half the output's
// height, and an image without faces falls back to fo-auto.
func TestFaceFocus(t *testing.T) {
	Startup()
	// The 320×400 portrait on the right of a 1600×1200 grey canvas: the
	// centre of the canvas holds no face.
	portrait := fromBytes(t, pigoPortrait(t))
	must(t, portrait.EmbedBackgroundRGBA(1200, 400, 1600, 1200, &vips.ColorRGBA{R: 128, G: 128, B: 128, A: 255}))
	src := encodeWith(t, portrait, PNG)
	portrait.Close()
	tests := []struct {
		chain    string
		faceSize float64 // the face box over the output's shorter side; 0: not checked
	}{
		{"w-400,h-400,fo-face", 0},
		{"w-300,h-600,fo-face", 0},
		{"w-400,h-400,fo-face,z-0.5", 0.5},
		{"w-400,h-400,fo-face,z-0.8", 0.8},
	}
	for _, tt := range tests {
		res := process(t, src, tt.chain, PNG)
		d := decode(t, res.Body)
		f, err := findFaces(d.img)
		if err != nil || f == nil {
			t.Errorf("%s: no face in the output (%dx%d): %v", tt.chain, res.Width, res.Height, err)
			continue
		}
		// Centred on the face unless the image edge is nearer (the cut
		// stays inside the image): the face is whole in the output.
		if f.cx-f.size/2 < -0.05 || f.cx+f.size/2 > 1.05 || f.cy < 0.3 || f.cy > 0.7 {
			t.Errorf("%s: the face box is at %.2f,%.2f (side %.2f) of the output, not whole in it", tt.chain, f.cx, f.cy, f.size)
		}
		if tt.faceSize > 0 && (f.size < tt.faceSize-0.15 || f.size > tt.faceSize+0.15) {
			t.Errorf("%s: the face box is %.2f of the output's side, want about %.2f", tt.chain, f.size, tt.faceSize)
		}
	}
	if d := decode(t, process(t, src, "w-400,h-400", PNG).Body); func() bool { f, _ := findFaces(d.img); return f != nil }() {
		t.Error("the centre crop holds a face: the fixture proves nothing")
	}
	plain := encodeWith(t, quadrants(t, 400, 200), PNG)
	face := process(t, plain, "w-100,h-100,fo-face", PNG)
	auto := process(t, plain, "w-100,h-100,fo-auto", PNG)
	if !bytes.Equal(face.Body, auto.Body) {
		t.Error("fo-face without a face differs from fo-auto")
	}
}
