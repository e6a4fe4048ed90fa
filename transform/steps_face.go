package transform

import (
	"github.com/davidbyttow/govips/v2/vips"

	"github.com/image-cdn/image_cdn/transform/face"
)

// faceDetectSide is the longest side of the copy faces are looked for in:
// pigo finds faces down to about 20 px there, i.e. faces over about 4% of
// the image, in a few tens of milliseconds.
const faceDetectSide = 480

// withFace returns the step to plan for fo-face: a copy centred on the
// faces found in img, or, when none is found, a copy with fo-auto (libvips'
// attention-based smart crop), the documented fallback.
func withFace(img *vips.ImageRef, s *step) (*step, error) {
	f, err := findFaces(img)
	if err != nil {
		return s, err
	}
	cp := *s
	if f == nil {
		cp.focus = focusAuto
		return &cp, nil
	}
	cp.face = f
	return &cp, nil
}

// findFaces looks for faces in a small grey copy of img and returns the
// box around them all, as fractions of the image; nil when there is none.
func findFaces(img *vips.ImageRef) (*faceFocus, error) {
	cp, err := img.Copy()
	if err != nil {
		return nil, err
	}
	defer cp.Close()
	if longest := max(cp.Width(), cp.Height()); longest > faceDetectSide {
		if err := cp.Resize(float64(faceDetectSide)/float64(longest), vips.KernelLinear); err != nil {
			return nil, err
		}
	}
	if err := cp.ToColorSpace(vips.InterpretationBW); err != nil {
		return nil, err
	}
	if cp.Bands() > 1 {
		if err := cp.ExtractBand(0, 1); err != nil {
			return nil, err
		}
	}
	if err := toUchar(cp); err != nil {
		return nil, err
	}
	px, err := cp.ToBytes()
	if err != nil {
		return nil, err
	}
	rows, cols := cp.Height(), cp.Width()
	faces, err := face.Detect(px, rows, cols)
	if err != nil || len(faces) == 0 {
		return nil, err
	}
	x0, y0, x1, y1 := cols, rows, 0, 0
	for _, f := range faces {
		x0, y0 = min(x0, f.X-f.Size/2), min(y0, f.Y-f.Size/2)
		x1, y1 = max(x1, f.X+f.Size/2), max(y1, f.Y+f.Size/2)
	}
	short := float64(min(rows, cols))
	return &faceFocus{
		cx:   float64(x0+x1) / 2 / float64(cols),
		cy:   float64(y0+y1) / 2 / float64(rows),
		size: float64(max(x1-x0, y1-y0)) / short,
	}, nil
}
