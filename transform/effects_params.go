package transform

// Value rules and canonical forms of the parameters whose values have
// their own small syntax: e-shadow, e-gradient, cr, e-distort, r with
// corners, bg with its blurred, dominant and gradient forms.

import (
	"strconv"
	"strings"

	"github.com/image-cdn/image_cdn/transform/grammar"
)

// shadowSpec is e-shadow[-bl-<n>_st-<n>_x-<n>_y-<n>], ImageKit's
// documented ranges and defaults: blur 0..15 (10), saturation 0..100 (30),
// offsets -100..100 percent of the image size (2).
type shadowSpec struct{ blur, sat, x, y int }

var defaultShadow = shadowSpec{blur: 10, sat: 30, x: 2, y: 2}

// maxShadowPixels is ImageKit's limit on e-shadow: images up to 2 MP.
const maxShadowPixels = 2_000_000

func parseShadow(s *step, _ *output, v string) *Error {
	sh := defaultShadow
	bad := invalidf("e-shadow", "%q is not allowed; use e-shadow or e-shadow-bl-<0..15>_st-<0..100>_x-<N100..100>_y-<N100..100> (any of them, joined by _)", v)
	if v != "" {
		for _, part := range strings.Split(v, "_") {
			k, val, ok := strings.Cut(part, "-")
			n, okn := parseInt(val)
			if !ok || !okn {
				return bad
			}
			switch {
			case k == "bl" && n >= 0 && n <= 15:
				sh.blur = n
			case k == "st" && n >= 0 && n <= 100:
				sh.sat = n
			case k == "x" && n >= -100 && n <= 100:
				sh.x = n
			case k == "y" && n >= -100 && n <= 100:
				sh.y = n
			default:
				return bad
			}
		}
	}
	s.shadow = &sh
	return nil
}

func (sh *shadowSpec) canonical() string {
	var p []string
	for _, f := range []struct {
		k    string
		v, d int
	}{{"bl", sh.blur, defaultShadow.blur}, {"st", sh.sat, defaultShadow.sat}, {"x", sh.x, defaultShadow.x}, {"y", sh.y, defaultShadow.y}} {
		if f.v != f.d {
			p = append(p, f.k+"-"+num(float64(f.v)))
		}
	}
	return strings.Join(p, "_")
}

// gradientSpec is e-gradient[-ld-<angle|direction>_from-<colour>_to-<colour>_sp-<stop>].
// The angle follows CSS: 0 points up, 90 right, 180 (the default) down.
// The stop point is a fraction of the gradient line (0..1) or pixels (>1).
type gradientSpec struct {
	angle    int
	from, to rgba
	stop     float64
}

// defaultGradient darkens towards the bottom: transparent white to black
// at 60% opacity, over the whole height.
var defaultGradient = gradientSpec{angle: 180, from: rgba{255, 255, 255, 0}, to: rgba{0, 0, 0, opacityAlpha(60)}, stop: 1}

var gradientDirections = map[string]int{
	"top": 0, "top_right": 45, "right": 90, "bottom_right": 135,
	"bottom": 180, "bottom_left": 225, "left": 270, "top_left": 315,
}

func parseGradient(s *step, _ *output, v string) *Error {
	g := defaultGradient
	bad := invalidf("e-gradient", "%q is not allowed; use e-gradient or e-gradient-ld-<angle or direction>_from-<colour>_to-<colour>_sp-<stop> (any of them, joined by _); %s", v, colourHelp)
	if v != "" {
		toks := strings.Split(v, "_")
		for i := 0; i < len(toks); i++ {
			k, val, ok := strings.Cut(toks[i], "-")
			if !ok {
				return bad
			}
			switch k {
			case "ld":
				// Directions may contain '_' (top_left).
				if i+1 < len(toks) && (toks[i+1] == "left" || toks[i+1] == "right") {
					val += "_" + toks[i+1]
					i++
				}
				if a, ok := gradientDirections[val]; ok {
					g.angle = a
					continue
				}
				n, ok := parseInt(val)
				if !ok || n < -359 || n > 359 {
					return bad
				}
				g.angle = (n%360 + 360) % 360
			case "from", "to":
				c, ok := parseColor(val)
				if !ok {
					return bad
				}
				if k == "from" {
					g.from = c
				} else {
					g.to = c
				}
			case "sp":
				f, ok := grammar.ParseNumber(val)
				if !ok || f <= 0 || (f > 1 && f != float64(int64(f))) || f > 1e5 {
					return bad
				}
				g.stop = f
			default:
				return bad
			}
		}
	}
	s.gradient = &g
	return nil
}

func (g *gradientSpec) canonical() string {
	var p []string
	if g.angle != defaultGradient.angle {
		p = append(p, "ld-"+strconv.Itoa(g.angle))
	}
	if g.from != defaultGradient.from {
		p = append(p, "from-"+g.from.hex())
	}
	if g.to != defaultGradient.to {
		p = append(p, "to-"+g.to.hex())
	}
	if g.stop != defaultGradient.stop {
		p = append(p, "sp-"+num(g.stop))
	}
	return strings.Join(p, "_")
}

// replaceSpec is cr-<to>[_<tolerance>][_<from>]: pixels within tolerance
// (0..100, default 35) of the from colour (default: the image's dominant
// colour) become the to colour.
type replaceSpec struct {
	to, from  rgba
	hasFrom   bool
	tolerance int
}

const defaultReplaceTolerance = 35

func parseReplace(s *step, _ *output, v string) *Error {
	bad := invalidf("cr", "%q is not allowed; use cr-<to colour>[_<tolerance 0..100>][_<from colour>]; %s", v, colourHelp)
	parts := strings.Split(v, "_")
	if len(parts) > 3 {
		return bad
	}
	r := replaceSpec{tolerance: defaultReplaceTolerance}
	var ok bool
	if r.to, ok = parseColor(parts[0]); !ok {
		return bad
	}
	if len(parts) > 1 {
		n, ok := parseInt(parts[1])
		if !ok || n < 0 || n > 100 {
			return bad
		}
		r.tolerance = n
	}
	if len(parts) > 2 {
		if r.from, ok = parseColor(parts[2]); !ok {
			return bad
		}
		r.hasFrom = true
	}
	s.replace = &r
	return nil
}

func (r *replaceSpec) canonical() string {
	v := r.to.hex()
	if r.tolerance != defaultReplaceTolerance || r.hasFrom {
		v += "_" + strconv.Itoa(r.tolerance)
	}
	if r.hasFrom {
		v += "_" + r.from.hex()
	}
	return v
}

// distortSpec is e-distort-p-<x1>_<y1>_..._<y4> (the corners top-left,
// top-right, bottom-right, bottom-left moved to these pixel positions) or
// e-distort-a-<degrees> (bend into an arc; negative bends downwards).
type distortSpec struct {
	perspective bool
	points      [8]int
	arc         int
}

func parseDistort(s *step, _ *output, v string) *Error {
	bad := invalidf("e-distort", "%q is not allowed; use e-distort-p-<x1>_<y1>_<x2>_<y2>_<x3>_<y3>_<x4>_<y4> (corners clockwise from the top left, in pixels, N for negative) or e-distort-a-<degrees> (N5 to N359 or 5 to 359)", v)
	kind, rest, ok := strings.Cut(v, "-")
	if !ok {
		return bad
	}
	d := distortSpec{}
	switch kind {
	case "p":
		parts := strings.Split(rest, "_")
		if len(parts) != 8 {
			return bad
		}
		for i, p := range parts {
			n, ok := parseInt(p)
			if !ok || n < -100000 || n > 100000 {
				return bad
			}
			d.points[i] = n
		}
		d.perspective = true
	case "a":
		n, ok := parseInt(rest)
		if !ok || n == 0 || n < -359 || n > 359 {
			return bad
		}
		d.arc = n
	default:
		return bad
	}
	s.distort = &d
	return nil
}

func (d *distortSpec) canonical() string {
	if !d.perspective {
		return "a-" + num(float64(d.arc))
	}
	p := make([]string, 8)
	for i, n := range d.points {
		p[i] = num(float64(n))
	}
	return "p-" + strings.Join(p, "_")
}

// parseRadius reads r-<n>, r-max, or r-<tl>_<tr>_<br>_<bl> (each a number
// of pixels or max).
func parseRadius(s *step, _ *output, v string) *Error {
	one := func(p string) (int, bool) {
		if p == "max" {
			return -1, true
		}
		n, ok := parseInt(p)
		return n, ok && n >= 0 && n <= 10000
	}
	parts := strings.Split(v, "_")
	if len(parts) == 1 {
		n, ok := one(v)
		if !ok || n == 0 {
			return invalidf("r", "%q is not allowed; use an integer from 1 to 10000, max, or one value per corner: r-<top left>_<top right>_<bottom right>_<bottom left>", v)
		}
		s.radius, s.hasCorners = n, false
		return nil
	}
	if len(parts) != 4 {
		return invalidf("r", "%q is not allowed; give one radius or four (top left, top right, bottom right, bottom left), e.g. r-10_0_10_0", v)
	}
	var c [4]int
	for i, p := range parts {
		n, ok := one(p)
		if !ok {
			return invalidf("r", "%q is not allowed; each corner is an integer from 0 to 10000 or max", v)
		}
		c[i] = n
	}
	if c[0] == c[1] && c[1] == c[2] && c[2] == c[3] { // one radius, written four times
		s.radius, s.hasCorners = c[0], false
		return nil
	}
	s.corners, s.hasCorners, s.radius = c, true, 1
	return nil
}

func (s *step) radiusCanonical() string {
	one := func(n int) string {
		if n < 0 {
			return "max"
		}
		return strconv.Itoa(n)
	}
	if !s.hasCorners {
		return one(s.radius)
	}
	p := make([]string, 4)
	for i, n := range s.corners {
		p[i] = one(n)
	}
	return strings.Join(p, "_")
}

// parseBackground reads bg-<colour>, bg-blurred[_<n>|_auto][_<brightness>],
// bg-dominant and bg-gradient_dominant.
func parseBackground(s *step, _ *output, v string) *Error {
	s.hasBG, s.bgBlurred, s.bgDominant, s.bgGradient, s.bgBlur, s.bgBrightness = false, false, false, false, 0, 0
	switch {
	case v == "dominant":
		s.bgDominant = true
		return nil
	case v == "gradient_dominant":
		s.bgGradient = true
		return nil
	case v == "blurred" || strings.HasPrefix(v, "blurred_"):
		parts := strings.Split(v, "_")
		bad := invalidf("bg", "%q is not allowed; use bg-blurred, bg-blurred_<1..100 or auto> or bg-blurred_<1..100 or auto>_<brightness N255..255>", v)
		if len(parts) > 3 {
			return bad
		}
		if len(parts) > 1 && parts[1] != "auto" {
			n, ok := parseInt(parts[1])
			if !ok || n < 1 || n > 100 {
				return bad
			}
			s.bgBlur = n
		}
		if len(parts) > 2 {
			n, ok := parseInt(parts[2])
			if !ok || n < -255 || n > 255 {
				return bad
			}
			s.bgBrightness = n
		}
		s.bgBlurred = true
		return nil
	}
	c, ok := parseColor(v)
	if !ok {
		return invalidf("bg", "%q is not allowed; use a colour, blurred, dominant or gradient_dominant; %s", v, colourHelp)
	}
	s.bg, s.hasBG = c, true
	return nil
}

func (s *step) bgCanonical() string {
	switch {
	case s.bgDominant:
		return "dominant"
	case s.bgGradient:
		return "gradient_dominant"
	case s.bgBlurred:
		v := "blurred"
		if s.bgBlur > 0 || s.bgBrightness != 0 {
			b := "auto"
			if s.bgBlur > 0 {
				b = strconv.Itoa(s.bgBlur)
			}
			v += "_" + b
		}
		if s.bgBrightness != 0 {
			v += "_" + num(float64(s.bgBrightness))
		}
		return v
	case s.hasBG:
		return s.bg.hex()
	}
	return ""
}
