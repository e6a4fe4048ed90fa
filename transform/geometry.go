package transform

import "math"

// geometry is what one step does to the image size, worked out in pure Go
// from the current size, so it can be planned before decoding (for
// shrink-on-load) and tested without libvips. Operations run in field
// order: extract, resize, crop, pad.
type geometry struct {
	extract rect // cut from the image before resizing (cm-extract, cm-pad_extract)

	resizeW, resizeH int // 0 = no resize

	crop  rect // cut after resizing (c-maintain_ratio with both w and h)
	smart bool // crop by libvips attention instead of crop.x/y

	padW, padH int // 0 = no padding; the image is placed at padX, padY
	padX, padY int
}

type rect struct{ x, y, w, h int }

func (r rect) empty() bool { return r.w == 0 || r.h == 0 }

// startsWithResize reports whether the step's first size operation is a
// resize, which the loader can then do while decoding.
func (g geometry) startsWithResize() bool { return g.extract.empty() && g.resizeW > 0 }

// planGeometry works out what step s does to a width×height image.
func planGeometry(width, height int, s *step, l Limits) (geometry, error) {
	if s.face != nil && s.zoom > 0 && s.mode == "" {
		return planFaceZoom(width, height, s, l)
	}
	var g geometry
	w, h := targetSize(width, height, s)
	if err := l.checkDimension(sizeParam(s), w, h); err != nil {
		return g, err
	}
	switch s.mode {
	case modeExtract, modePadExtract:
		if w == 0 {
			w = width
		}
		if h == 0 {
			h = height
		}
		ew, eh := min(w, width), min(h, height)
		g.extract = rect{w: ew, h: eh}
		g.extract.x, g.extract.y = s.position(width, height, ew, eh)
		if s.focus == focusAuto && !s.x.set && !s.y.set && !s.xc.set && !s.yc.set {
			g.smart = true
		}
		if s.mode == modePadExtract && (ew < w || eh < h) {
			g.padW, g.padH = w, h
			g.padX, g.padY = place(s.focus, w, h, ew, eh)
		}
		return g, nil
	}
	if w == 0 && h == 0 {
		return g, nil
	}

	sx, sy := float64(w)/float64(width), float64(h)/float64(height)
	switch {
	case w == 0:
		sx = sy
	case h == 0:
		sy = sx
	}
	bothGiven := w > 0 && h > 0
	switch {
	case s.mode == modePadResize && bothGiven:
		sc := math.Min(sx, sy)
		g.resizeW, g.resizeH = scaled(width, sc, w), scaled(height, sc, h)
		g.padW, g.padH = w, h
		g.padX, g.padY = place(s.focus, w, h, g.resizeW, g.resizeH)
	case !bothGiven && s.crop != cropAtMax:
		g.resizeW, g.resizeH = scaled(width, sx, 0), scaled(height, sy, 0)
	case !bothGiven: // at_max with one side: never enlarge
		sc := math.Min(sx, 1)
		g.resizeW, g.resizeH = scaled(width, sc, 0), scaled(height, sc, 0)
	case s.crop == cropForce:
		g.resizeW, g.resizeH = w, h
	case s.crop == cropAtMax:
		sc := math.Min(math.Min(sx, sy), 1)
		g.resizeW, g.resizeH = scaled(width, sc, w), scaled(height, sc, h)
	case s.crop == cropAtMaxEnlarge:
		sc := math.Min(sx, sy)
		g.resizeW, g.resizeH = scaled(width, sc, w), scaled(height, sc, h)
	case s.crop == cropAtLeast:
		sc := math.Max(sx, sy)
		g.resizeW, g.resizeH = scaled(width, sc, 0), scaled(height, sc, 0)
	default: // maintain_ratio: cover the box, then cut it out at fo
		sc := math.Max(sx, sy)
		g.resizeW, g.resizeH = max(scaled(width, sc, 0), w), max(scaled(height, sc, 0), h)
		if g.resizeW != w || g.resizeH != h {
			g.crop = rect{w: w, h: h}
			g.crop.x, g.crop.y = s.cropAt(g.resizeW, g.resizeH, w, h)
			g.smart = s.focus == focusAuto
		}
	}
	if g.resizeW == width && g.resizeH == height {
		g.resizeW, g.resizeH = 0, 0
	}
	if err := l.checkDimension(sizeParam(s), max(g.resizeW, g.padW), max(g.resizeH, g.padH)); err != nil {
		return g, err
	}
	return g, nil
}

// targetSize resolves w, h, ar and dpr to pixels; 0 means not given.
func targetSize(width, height int, s *step) (int, int) {
	w, h := s.width, s.height
	if w > 0 && w < 1 {
		w *= float64(width)
	}
	if h > 0 && h < 1 {
		h *= float64(height)
	}
	if s.arW > 0 {
		switch {
		case w > 0 && h == 0:
			h = w * s.arH / s.arW
		case h > 0 && w == 0:
			w = h * s.arW / s.arH
		}
	}
	if s.dpr > 0 {
		w, h = w*s.dpr, h*s.dpr
	}
	return roundSize(w), roundSize(h)
}

func roundSize(v float64) int {
	if v <= 0 {
		return 0
	}
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	return max(int(math.Round(v)), 1)
}

// scaled is n×sc rounded, at least 1 and, when limit > 0, at most limit
// (rounding must not overflow the box by a pixel).
func scaled(n int, sc float64, limit int) int {
	v := roundSize(float64(n) * sc)
	if limit > 0 && v > limit {
		v = limit
	}
	return max(v, 1)
}

func sizeParam(s *step) string {
	if s.width > 0 {
		return "w"
	}
	return "h"
}

// position is where an extract of ew×eh starts in a width×height image:
// x,y give the top-left corner, xc,yc the centre, otherwise fo decides.
// The result always lies inside the image.
func (s *step) position(width, height, ew, eh int) (int, int) {
	x, y := s.cropAt(width, height, ew, eh)
	switch {
	case s.x.set || s.y.set:
		if s.x.set {
			x = s.x.v
		}
		if s.y.set {
			y = s.y.v
		}
	case s.xc.set || s.yc.set:
		if s.xc.set {
			x = s.xc.v - ew/2
		}
		if s.yc.set {
			y = s.yc.v - eh/2
		}
	}
	return clamp(x, 0, width-ew), clamp(y, 0, height-eh)
}

// place puts an inner×innerH box inside an outer one according to a focus
// name; used both to choose what to keep when cropping and where to put
// the image when padding.
func place(focus string, outerW, outerH, innerW, innerH int) (int, int) {
	x, y := (outerW-innerW)/2, (outerH-innerH)/2
	switch focus {
	case "top", "top_left", "top_right":
		y = 0
	case "bottom", "bottom_left", "bottom_right":
		y = outerH - innerH
	}
	switch focus {
	case "left", "top_left", "bottom_left":
		x = 0
	case "right", "top_right", "bottom_right":
		x = outerW - innerW
	}
	return x, y
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return min(max(v, lo), hi)
}

// faceFocus is where fo-face found faces, as fractions of the image: the
// centre and the side of the box holding them all.
type faceFocus struct{ cx, cy, size float64 }

// cropAt places an inner box in an outer one: centred on the faces when
// fo-face found some, else by the focus name.
func (s *step) cropAt(outerW, outerH, innerW, innerH int) (int, int) {
	if s.face == nil {
		return place(s.focus, outerW, outerH, innerW, innerH)
	}
	x := int(math.Round(s.face.cx*float64(outerW))) - innerW/2
	y := int(math.Round(s.face.cy*float64(outerH))) - innerH/2
	return clamp(x, 0, outerW-innerW), clamp(y, 0, outerH-innerH)
}

// planFaceZoom plans fo-face with z: cut a region around the faces whose
// height is the faces' box divided by z (z-1 is tight, z-0.5 shows the
// faces at half the region's height), with the aspect ratio of the
// requested size (square when neither w nor h is given), then resize it
// to the requested size.
func planFaceZoom(width, height int, s *step, l Limits) (geometry, error) {
	var g geometry
	w, h := targetSize(width, height, s)
	if err := l.checkDimension(sizeParam(s), w, h); err != nil {
		return g, err
	}
	aspect := 1.0
	if w > 0 && h > 0 {
		aspect = float64(w) / float64(h)
	}
	side := s.face.size * math.Min(float64(width), float64(height)) / s.zoom
	eh := min(max(roundSize(side), 1), height)
	ew := min(max(roundSize(side*aspect), 1), width)
	if float64(ew)/float64(eh) > aspect+0.01 { // the width hit the image: keep the aspect
		ew = min(roundSize(float64(eh)*aspect), width)
	} else if float64(ew)/float64(eh) < aspect-0.01 {
		eh = min(roundSize(float64(ew)/aspect), height)
	}
	g.extract = rect{w: ew, h: eh}
	g.extract.x, g.extract.y = s.cropAt(width, height, ew, eh)
	switch {
	case w > 0 && h > 0:
		g.resizeW, g.resizeH = w, h
	case w > 0:
		g.resizeW, g.resizeH = w, scaled(eh, float64(w)/float64(ew), 0)
	case h > 0:
		g.resizeW, g.resizeH = scaled(ew, float64(h)/float64(eh), 0), h
	}
	if g.resizeW == ew && g.resizeH == eh {
		g.resizeW, g.resizeH = 0, 0
	}
	return g, nil
}
