package transform

import (
	"fmt"

	"github.com/davidbyttow/govips/v2/vips"
)

// grayscale goes through B_W and back, so later steps still see sRGB.
func grayscale(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if !s.grayscale {
		return img, nil
	}
	if err := img.ToColorSpace(vips.InterpretationBW); err != nil {
		return img, err
	}
	return img, img.ToColorSpace(vips.InterpretationSRGB)
}

// sharpen maps e-sharpen-1..100 onto libvips' sharpen: larger values widen
// the gaussian and steepen the slope for edges.
func sharpen(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if s.sharpen == 0 {
		return img, nil
	}
	v := float64(s.sharpen)
	if err := img.Sharpen(0.5+v/50, 2, 1+v/25); err != nil {
		return img, err
	}
	return img, toUchar(img)
}

// blur maps bl-1..100 to a gaussian sigma of half the value.
func blur(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if s.blur == 0 {
		return img, nil
	}
	return img, img.GaussianBlur(float64(s.blur) / 2)
}

// roundCorners makes the corners outside a rounded rectangle transparent,
// by keeping the image only where an SVG-rendered mask is opaque.
func roundCorners(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if s.radius == 0 {
		return img, nil
	}
	w, h := img.Width(), img.Height()
	var svg string
	if s.hasCorners {
		svg = cornersSVG(w, h, s.corners)
	} else {
		rx, ry := s.radius, s.radius
		if s.radius < 0 {
			rx, ry = w/2, h/2
		}
		svg = fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d"><rect width="%d" height="%d" rx="%d" ry="%d" fill="#fff"/></svg>`,
			w, h, w, h, min(rx, w/2), min(ry, h/2))
	}
	mask, err := vips.NewImageFromBuffer([]byte(svg))
	if err != nil {
		return img, fmt.Errorf("corner mask: %w", err)
	}
	defer mask.Close()
	if !img.HasAlpha() {
		if err := img.AddAlpha(); err != nil {
			return img, err
		}
	}
	if err := img.Composite(mask, vips.BlendModeDestIn, 0, 0); err != nil {
		return img, err
	}
	return img, toUchar(img)
}

// cornersSVG is a w×h mask with each corner rounded by its own radius
// (top left, top right, bottom right, bottom left; max or more than half
// the shorter side is half the shorter side).
func cornersSVG(w, h int, c [4]int) string {
	r := make([]int, 4)
	for i, v := range c {
		if v < 0 || v > min(w, h)/2 {
			v = min(w, h) / 2
		}
		r[i] = v
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%[1]d" height="%[2]d"><path fill="#fff" d="M%[3]d,0 H%[7]d A%[4]d,%[4]d 0 0 1 %[1]d,%[4]d V%[8]d A%[5]d,%[5]d 0 0 1 %[9]d,%[2]d H%[6]d A%[6]d,%[6]d 0 0 1 0,%[10]d V%[3]d A%[3]d,%[3]d 0 0 1 %[3]d,0 Z"/></svg>`,
		w, h, r[0], r[1], r[2], r[3], w-r[1], h-r[2], w-r[2], h-r[3])
}

// border adds a frame of the given width and colour around the image.
func border(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if s.borderWidth == 0 {
		return img, nil
	}
	c := s.borderColor
	if c.a < 255 && !img.HasAlpha() {
		if err := img.AddAlpha(); err != nil {
			return img, err
		}
	}
	b := s.borderWidth
	return img, img.EmbedBackgroundRGBA(b, b, img.Width()+2*b, img.Height()+2*b,
		&vips.ColorRGBA{R: c.r, G: c.g, B: c.b, A: c.a})
}

// opacity scales the alpha band by o/100.
func opacity(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if !s.opacity.set || s.opacity.v == 100 {
		return img, nil
	}
	if !img.HasAlpha() {
		if err := img.AddAlpha(); err != nil {
			return img, err
		}
	}
	return img, linearColour(img, 1, 0, float64(s.opacity.v)/100, 0)
}

// linearColour applies out = a*in + b to the colour bands and
// out = alphaA*in + alphaB to the alpha band, back in 8 bits.
func linearColour(img *vips.ImageRef, a, b, alphaA, alphaB float64) error {
	n := img.Bands()
	as, bs := make([]float64, n), make([]float64, n)
	for i := range as {
		as[i], bs[i] = a, b
	}
	if img.HasAlpha() {
		as[n-1], bs[n-1] = alphaA, alphaB
	}
	if err := img.Linear(as, bs); err != nil {
		return err
	}
	return toUchar(img)
}

// toUchar casts back to 8 bits (clipping) after operations that widen the
// band format.
func toUchar(img *vips.ImageRef) error {
	if img.BandFormat() == vips.BandFormatUchar {
		return nil
	}
	return img.Cast(vips.BandFormatUchar)
}
