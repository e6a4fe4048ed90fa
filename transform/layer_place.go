package transform

// Where a layer goes on its parent, worked out in pure Go.
//
//   - lx, ly: the layer's anchor point (lap, top_left by default) at this
//     position from the parent's top-left corner. A negative value (N) is
//     measured from the right or bottom edge instead: without lap, lx-N10
//     puts the layer's right edge 10 px in from the parent's right edge;
//     with lap, the anchor point goes 10 px in from that edge.
//   - lxc, lyc: the layer's centre at this position.
//   - otherwise lfo places it (center by default, or an edge or corner).
//
// Each axis is decided on its own, in that order of precedence.
func (ls *layerSpec) position(baseW, baseH, w, h int) (int, int) {
	fx, fy := place(ls.lfo, baseW, baseH, w, h)
	ax, ay := anchorOffset(ls.lap, w, h)
	axis := func(l, lc optInt, focus, base, size, anchor int) int {
		switch {
		case l.set && l.v < 0 && ls.lap == "":
			return base + l.v - size
		case l.set && l.v < 0:
			return base + l.v - anchor
		case l.set:
			return l.v - anchor
		case lc.set:
			return lc.v - size/2
		}
		return focus
	}
	return axis(ls.lx, ls.lxc, fx, baseW, w, ax), axis(ls.ly, ls.lyc, fy, baseH, h, ay)
}

// anchorOffset is the point of a w×h layer that lap names, from its
// top-left corner.
func anchorOffset(lap string, w, h int) (int, int) {
	if lap == "" {
		return 0, 0
	}
	// place puts an inner box in an outer one; the anchor is the opposite:
	// the point of the layer itself.
	x, y := place(lap, 2*w, 2*h, w, h)
	return x, y
}
