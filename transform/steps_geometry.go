package transform

import (
	"github.com/davidbyttow/govips/v2/vips"
)

// trim cuts away a border of the colour found in the top-left pixel.
func trim(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	// find_trim median-filters with a 3×3 window first.
	if s.trim == 0 || img.Width() < 3 || img.Height() < 3 {
		return img, nil
	}
	px, err := img.GetPoint(0, 0)
	if err != nil || len(px) < 3 {
		return img, err
	}
	bg := &vips.Color{R: uint8(px[0]), G: uint8(px[1]), B: uint8(px[2])}
	left, top, w, h, err := img.FindTrim(float64(s.trim), bg)
	if err != nil || w == 0 || h == 0 { // a uniform image has nothing to keep: leave it
		return img, err
	}
	return img, img.ExtractArea(left, top, w, h)
}

// applyGeometry does the step's size work: extract, resize, crop, pad.
func applyGeometry(j *job, img *vips.ImageRef, s *step, first bool) (*vips.ImageRef, error) {
	if s.focus == focusFace {
		fs, err := withFace(img, s)
		if err != nil {
			return img, err
		}
		s = fs
		// Faces are found in the image as loaded: plan on it, the
		// loader's resize included.
		first = false
	}
	// The first step is planned on the source size, since the loader may
	// have shrunk the image already (fractions like w-0.5 are of the source).
	w, h := img.Width(), img.Height()
	if first && s.trim == 0 {
		w, h = j.width, j.height
	}
	g, err := planGeometry(w, h, s, j.limits)
	if err != nil {
		return img, err
	}
	if first && j.shrunk {
		g.resizeW, g.resizeH = 0, 0
		if j.shrunkCrop {
			g.crop, g.smart = rect{}, false
		}
	}
	// Each part changes the height, so the page fields are reset after it
	// (see applySteps).
	for _, part := range []func(*vips.ImageRef, geometry) error{extract, resize, cropResized} {
		if err := part(img, g); err != nil {
			return img, err
		}
		if err := singlePage(img); err != nil {
			return img, err
		}
	}
	if g.padW > 0 {
		return pad(img, s, g)
	}
	return img, nil
}

func extract(img *vips.ImageRef, g geometry) error {
	switch {
	case g.extract.empty():
		return nil
	case g.smart:
		return img.SmartCrop(g.extract.w, g.extract.h, vips.InterestingAttention)
	case g.extract.w == img.Width() && g.extract.h == img.Height():
		return nil
	}
	return img.ExtractArea(g.extract.x, g.extract.y, g.extract.w, g.extract.h)
}

// resize uses thumbnail_image rather than resize: it premultiplies alpha,
// so transparent edges do not darken.
func resize(img *vips.ImageRef, g geometry) error {
	if g.resizeW == 0 {
		return nil
	}
	return img.ThumbnailWithSize(g.resizeW, g.resizeH, vips.InterestingNone, vips.SizeForce)
}

func cropResized(img *vips.ImageRef, g geometry) error {
	switch {
	case g.crop.empty():
		return nil
	case g.smart:
		return img.SmartCrop(g.crop.w, g.crop.h, vips.InterestingAttention)
	}
	return img.ExtractArea(g.crop.x, g.crop.y, g.crop.w, g.crop.h)
}

// pad places img on a padW×padH canvas of the step's background: a colour
// (white by default) or, for bg-blurred, a blurred stretch of the image.
func pad(img *vips.ImageRef, s *step, g geometry) (*vips.ImageRef, error) {
	switch {
	case s.bgDominant:
		c, err := dominantColour(img)
		if err != nil {
			return img, err
		}
		cp := *s
		cp.bg, cp.hasBG, cp.bgDominant = c, true, false
		return pad(img, &cp, g)
	case s.bgGradient:
		return padGradient(img, g)
	}
	if !s.bgBlurred {
		bg := s.background()
		if bg.A < 255 && !img.HasAlpha() {
			if err := img.AddAlpha(); err != nil {
				return img, err
			}
		}
		return img, img.EmbedBackgroundRGBA(g.padX, g.padY, g.padW, g.padH, bg)
	}
	canvas, err := img.Copy()
	if err != nil {
		return img, err
	}
	err = canvas.ThumbnailWithSize(g.padW, g.padH, vips.InterestingNone, vips.SizeForce)
	sigma := 20.0
	if s.bgBlur > 0 {
		sigma = float64(s.bgBlur) / 2
	}
	if err == nil {
		err = canvas.GaussianBlur(sigma)
	}
	if err == nil && s.bgBrightness != 0 {
		err = linearColour(canvas, 1, float64(s.bgBrightness), 1, 0)
	}
	if err == nil {
		err = canvas.Composite(img, vips.BlendModeOver, g.padX, g.padY)
	}
	if err == nil && canvas.BandFormat() != vips.BandFormatUchar {
		err = canvas.Cast(vips.BandFormatUchar)
	}
	if err != nil {
		canvas.Close()
		return img, err
	}
	img.Close()
	return canvas, nil
}

// padGradient is bg-gradient_dominant: the padding is a gradient between
// the dominant colours of the image's two edges that face the padding
// (top and bottom, or left and right).
func padGradient(img *vips.ImageRef, g geometry) (*vips.ImageRef, error) {
	w, h := img.Width(), img.Height()
	vertical := g.padH-h >= g.padW-w
	edge := func(x, y, ew, eh int) (rgba, error) {
		e, err := img.Copy()
		if err != nil {
			return rgba{}, err
		}
		defer e.Close()
		if err := e.ExtractArea(x, y, ew, eh); err != nil {
			return rgba{}, err
		}
		return dominantColour(e)
	}
	band := max(1, min(w, h)/10)
	var from, to rgba
	var err error
	spec := gradientSpec{angle: 180, stop: 1}
	if vertical {
		from, err = edge(0, 0, w, band)
		if err == nil {
			to, err = edge(0, h-band, w, band)
		}
	} else {
		spec.angle = 90
		from, err = edge(0, 0, band, h)
		if err == nil {
			to, err = edge(w-band, 0, band, h)
		}
	}
	if err != nil {
		return img, err
	}
	spec.from, spec.to = from, to
	canvas, err := gradientImage(g.padW, g.padH, &spec)
	if err != nil {
		return img, err
	}
	return over(canvas, img, g.padX, g.padY)
}

// over puts img on canvas at x, y and returns canvas, closing img; on
// failure it closes canvas and returns img.
func over(canvas, img *vips.ImageRef, x, y int) (*vips.ImageRef, error) {
	err := canvas.Composite(img, vips.BlendModeOver, x, y)
	if err == nil {
		err = toUchar(canvas)
	}
	if err != nil {
		canvas.Close()
		return img, err
	}
	img.Close()
	return canvas, nil
}

// background is the step's bg colour, white when none is given.
func (s *step) background() *vips.ColorRGBA {
	if !s.hasBG {
		return &vips.ColorRGBA{R: 255, G: 255, B: 255, A: 255}
	}
	return &vips.ColorRGBA{R: s.bg.r, G: s.bg.g, B: s.bg.b, A: s.bg.a}
}

func rotate(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	angles := map[int]vips.Angle{90: vips.Angle90, 180: vips.Angle180, 270: vips.Angle270}
	a, ok := angles[s.rotate]
	if !ok {
		return img, nil
	}
	return img, img.Rotate(a)
}

func flip(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if s.flip == "h" || s.flip == "h_v" {
		if err := img.Flip(vips.DirectionHorizontal); err != nil {
			return img, err
		}
	}
	if s.flip == "v" || s.flip == "h_v" {
		return img, img.Flip(vips.DirectionVertical)
	}
	return img, nil
}
