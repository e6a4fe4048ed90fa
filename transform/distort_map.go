package transform

// The coordinate maps of e-distort, computed in Go: for every output
// pixel, the source position libvips' mapim reads.

import "math"

// indexMap is a w×h map of source positions, x and y per pixel.
type indexMap struct {
	w, h int
	xy   []float32
}

func newIndexMap(w, h int) indexMap { return indexMap{w: w, h: h, xy: make([]float32, 2*w*h)} }

func (m indexMap) set(u, v int, x, y float64) {
	i := 2 * (v*m.w + u)
	m.xy[i], m.xy[i+1] = float32(x), float32(y)
}

// perspectiveMap maps the output onto a w×h source whose corners (top
// left, top right, bottom right, bottom left) land on pts. The output is
// the box from 0,0 to the furthest point.
func perspectiveMap(w, h int, pts [8]int) (indexMap, error) {
	src := [8]float64{0, 0, float64(w), 0, float64(w), float64(h), 0, float64(h)}
	var dst [8]float64
	ow, oh := 1, 1
	for i := 0; i < 4; i++ {
		dst[2*i], dst[2*i+1] = float64(pts[2*i]), float64(pts[2*i+1])
		ow, oh = max(ow, pts[2*i]), max(oh, pts[2*i+1])
	}
	// The homography taking output points back to the source.
	hm, ok := homography(dst, src)
	if !ok {
		return indexMap{}, invalidf("e-distort", "the four points must form a quadrilateral (no three on a line)")
	}
	if ow*oh > maxDistortPixels {
		return indexMap{w: ow, h: oh}, nil // refused by the caller before any work
	}
	m := newIndexMap(ow, oh)
	for v := 0; v < oh; v++ {
		for u := 0; u < ow; u++ {
			x, y := float64(u)+0.5, float64(v)+0.5
			d := hm[6]*x + hm[7]*y + 1
			sx, sy := -1.0, -1.0
			if d != 0 {
				sx, sy = (hm[0]*x+hm[1]*y+hm[2])/d-0.5, (hm[3]*x+hm[4]*y+hm[5])/d-0.5
			}
			m.set(u, v, sx, sy)
		}
	}
	return m, nil
}

// homography solves for the 8 parameters taking the four points from to
// the four points to (x' = (a x + b y + c)/(g x + h y + 1), likewise y').
func homography(from, to [8]float64) ([8]float64, bool) {
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		x, y, X, Y := from[2*i], from[2*i+1], to[2*i], to[2*i+1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -x * X, -y * X, X}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -x * Y, -y * Y, Y}
	}
	for c := 0; c < 8; c++ { // Gaussian elimination with partial pivoting
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-9 {
			return [8]float64{}, false
		}
		a[c], a[p] = a[p], a[c]
		for r := 0; r < 8; r++ {
			if r != c {
				f := a[r][c] / a[c][c]
				for k := c; k < 9; k++ {
					a[r][k] -= f * a[c][k]
				}
			}
		}
	}
	var h [8]float64
	for i := range h {
		h[i] = a[i][8] / a[i][i]
	}
	return h, true
}

// arcMap bends a w×h source into an arc: its top edge becomes an arc of
// the given angle (degrees) of a circle whose length is w, its bottom edge
// the concentric arc h closer to the centre. Positive angles bend upwards
// (the centre below), negative ones downwards.
func arcMap(w, h int, degrees float64) (indexMap, error) {
	a := math.Abs(degrees) * math.Pi / 180
	rOut := float64(w) / a
	rIn := math.Max(rOut-float64(h), 0)
	// The sector's bounding box, centre at the origin, y up.
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	grow := func(r, phi float64) {
		x, y := r*math.Sin(phi), r*math.Cos(phi)
		minX, maxX, minY, maxY = math.Min(minX, x), math.Max(maxX, x), math.Min(minY, y), math.Max(maxY, y)
	}
	for _, phi := range []float64{-a / 2, a / 2, 0, math.Pi / 2, -math.Pi / 2, math.Pi, -math.Pi} {
		if math.Abs(phi) <= a/2 {
			grow(rOut, phi)
			grow(rIn, phi)
		}
	}
	ow, oh := int(math.Ceil(maxX-minX)), int(math.Ceil(maxY-minY))
	ow, oh = max(ow, 1), max(oh, 1)
	if ow*oh > maxDistortPixels {
		return indexMap{w: ow, h: oh}, nil
	}
	m := newIndexMap(ow, oh)
	for v := 0; v < oh; v++ {
		for u := 0; u < ow; u++ {
			row := v
			if degrees < 0 { // the upward arc of the image upside down, turned back
				row = oh - 1 - v
			}
			x, y := float64(u)+0.5+minX, maxY-(float64(row)+0.5)
			r, phi := math.Hypot(x, y), math.Atan2(x, y)
			sx, sy := (phi/a+0.5)*float64(w)-0.5, rOut-r-0.5
			if degrees < 0 {
				sy = float64(h) - 1 - sy
			}
			m.set(u, v, sx, sy)
		}
	}
	return m, nil
}
