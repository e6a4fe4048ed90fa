package transform

// The compiler: turns the grammar tree (transform/grammar) into the steps
// the executor runs. It owns every parameter's value rules (ranges, enums,
// colours); the grammar owns the syntax.
//
// Values are compiled against a grammar.Env. At parse time only
// constants are known, so an expression of constants (w-100_mul_2) is
// folded into its value here, and one that needs the image (w-iw_div_2) is
// refused until the executor evaluates steps per request: it will keep the
// tree in the Chain and call compileStep with iw/ih from the source header
// and cw/ch at each step, without reparsing.

import (
	"strings"

	"github.com/image-cdn/image_cdn/transform/grammar"
)

// maxCompiledSteps bounds the steps of a whole request after named
// transformations are expanded.
const maxCompiledSteps = 2 * grammar.MaxSteps

// rule checks one parameter's value and stores it; v is "" for a bare key.
type rule func(s *step, o *output, v string) *Error

// compileChain appends the steps of tree to c, expanding named
// transformations from opts.
func (c *Chain) compileChain(tree *grammar.Chain, opts ParseOptions, env grammar.Env) error {
	steps, err := compileSteps(tree, &c.out, opts, env, scope{}, len(c.steps))
	c.steps = append(c.steps, steps...)
	return err
}

// compileSteps compiles the steps of tree in scope sc, expanding named
// transformations from opts; before is the count of steps compiled so far
// in the whole request.
func compileSteps(tree *grammar.Chain, o *output, opts ParseOptions, env grammar.Env, sc scope, before int) ([]step, error) {
	var steps []step
	for i := range tree.Steps {
		gs := &tree.Steps[i]
		if gs.Named != "" {
			named, err := expandNamed(gs.Named, o, opts, before+len(steps))
			steps = append(steps, named...)
			if err != nil {
				return steps, err
			}
			continue
		}
		if opts.RestrictUnnamed {
			return steps, invalidf(stepKey(gs), "only named transformations (n-<name>) are allowed on this endpoint")
		}
		s, err := compileStep(gs, o, env, sc)
		if err != nil {
			return steps, err
		}
		if before+len(steps) >= maxCompiledSteps {
			return steps, limitf("max_steps", "more than %d transformation steps once named transformations are expanded", maxCompiledSteps)
		}
		steps = append(steps, s)
	}
	return steps, nil
}

func expandNamed(name string, o *output, opts ParseOptions, before int) ([]step, error) {
	def, ok := opts.Named[name]
	if !ok || def == "" {
		return nil, invalidf("n", "unknown named transformation %q", name)
	}
	// Named definitions were validated at configuration time without
	// nesting, so they cannot recurse.
	tree, err := parseTree(def, false)
	if err != nil {
		return nil, err
	}
	return compileSteps(tree, o, ParseOptions{}, grammar.Env{}, scope{}, before)
}

// compileStep compiles one step in scope sc. A value that needs the image
// (w-iw_div_2) leaves the step dynamic: its literal values are checked
// now, and the executor compiles it again per image (dynamic.go).
func compileStep(gs *grammar.Step, o *output, env grammar.Env, sc scope) (step, error) {
	if gs.If != nil {
		return compileIf(gs, o, sc)
	}
	s, dynamic, err := compileParams(gs, o, env, sc)
	if err != nil {
		return s, err
	}
	for i := range gs.Layers {
		l, err := compileLayer(&gs.Layers[i], sc)
		if err != nil {
			return s, err
		}
		s.layers = append(s.layers, l)
	}
	if dynamic {
		s.tree = gs
	}
	if dynamic || len(s.layers) > 0 {
		s.text = stepText(gs)
	}
	return s, nil
}

// compileParams compiles the step's own parameters (not its layers', not
// layer-only keys). dynamic reports values left for the executor because
// they use variables env does not know.
func compileParams(gs *grammar.Step, o *output, env grammar.Env, sc scope) (s step, dynamic bool, err error) {
	for i := range gs.Params {
		p := &gs.Params[i]
		if p.Key.Scope == grammar.LayerOnly {
			continue // the layer's placement and text (compileLayer)
		}
		if sc.branch && outputKeys[p.Key.Name] {
			return s, false, invalidf(p.Key.Name, "output parameters cannot be conditional; put them in a step outside the if block")
		}
		r, ok := rules[p.Key.Name]
		if !ok {
			return s, false, invalidf(p.Key.Name, "is not supported yet")
		}
		if p.Expr != nil {
			if err := sc.checkVars(p); err != nil {
				return s, false, err
			}
			if p.Expr.Vars()&^env.Known != 0 {
				dynamic = true
				continue
			}
		}
		v, verr := value(p, env)
		if verr != nil {
			return s, false, verr
		}
		if rerr := r(&s, o, v); rerr != nil {
			return s, false, rerr
		}
	}
	if !dynamic && s.arW > 0 && s.width == 0 && s.height == 0 {
		return s, false, invalidf("ar", "needs w or h in the same step")
	}
	return s, dynamic, nil
}

// value is the text a rule checks: the value as written, or an
// expression's result in number syntax (for b, followed by its colour).
func value(p *grammar.Param, env grammar.Env) (string, *Error) {
	if p.Expr == nil {
		return p.Value, nil
	}
	if missing := p.Expr.Vars() &^ env.Known; missing != 0 {
		return "", invalidf(p.Key.Name, "%s is not known here", missing)
	}
	f, err := p.Expr.Eval(env)
	if err != nil {
		return "", invalidf(p.Key.Name, "%q: %v", p.Value, err)
	}
	return grammar.FormatNum(f) + p.AfterExpr(), nil
}

// stepKey names a step in an error: its first parameter's key.
func stepKey(gs *grammar.Step) string {
	switch {
	case gs.If != nil:
		return "if"
	case len(gs.Params) > 0:
		return gs.Params[0].Key.Name
	case len(gs.Layers) > 0:
		return "l-" + gs.Layers[0].Kind
	}
	return "tr"
}

// rules holds one compile rule per executable key of grammar.Keys; a key
// without a rule parses but is refused as not supported yet.
var rules = map[string]rule{
	"w":  func(s *step, _ *output, v string) *Error { return parseSize("w", v, &s.width) },
	"h":  func(s *step, _ *output, v string) *Error { return parseSize("h", v, &s.height) },
	"ar": parseAspect,
	"dpr": func(s *step, _ *output, v string) *Error {
		f, ok := grammar.ParseNumber(v)
		if !ok || f < 0.1 || f > 5 {
			return invalidf("dpr", "%q is not allowed; use a number from 0.1 to 5", v)
		}
		s.dpr = f
		return nil
	},
	"c": func(s *step, _ *output, v string) *Error {
		return oneOf("c", v, crops, &s.crop)
	},
	"cm": func(s *step, _ *output, v string) *Error {
		return oneOf("cm", v, modes, &s.mode)
	},
	"fo": parseFocus,
	"z": func(s *step, _ *output, v string) *Error {
		f, ok := grammar.ParseNumber(v)
		if !ok || f <= 0 || f > 100 {
			return invalidf("z", "%q is not allowed; use a zoom factor above 0 and up to 100 (with fo-face: above 1 zooms in on the face, below 1 shows more around it)", v)
		}
		s.zoom = f
		return nil
	},
	"x":  func(s *step, _ *output, v string) *Error { return parseCoord("x", v, &s.x) },
	"y":  func(s *step, _ *output, v string) *Error { return parseCoord("y", v, &s.y) },
	"xc": func(s *step, _ *output, v string) *Error { return parseCoord("xc", v, &s.xc) },
	"yc": func(s *step, _ *output, v string) *Error { return parseCoord("yc", v, &s.yc) },
	"f": func(_ *step, o *output, v string) *Error {
		if err := oneOf("f", v, formatValues, &o.format); err != nil {
			return err
		}
		switch o.format {
		case "jpeg":
			o.format = "jpg"
		case "auto":
			o.format = ""
		}
		return nil
	},
	"q": func(_ *step, o *output, v string) *Error {
		n, ok := parseInt(v)
		if !ok || n < 1 || n > 100 {
			return invalidf("q", "%q is not allowed; use an integer from 1 to 100", v)
		}
		o.quality = n
		return nil
	},
	"pr":   func(_ *step, o *output, v string) *Error { return parseBool("pr", v, &o.progressive) },
	"lo":   func(_ *step, o *output, v string) *Error { return parseBool("lo", v, &o.lossless) },
	"md":   func(_ *step, o *output, v string) *Error { return parseBool("md", v, &o.metadata) },
	"cp":   func(_ *step, o *output, v string) *Error { return parseBool("cp", v, &o.iccOnly) },
	"orig": func(_ *step, o *output, v string) *Error { return parseBool("orig", v, &o.original) },
	"pg": func(_ *step, o *output, v string) *Error {
		n, ok := parseInt(v)
		if !ok || n < 1 || n > maxPage {
			return invalidf("pg", "%q is not allowed; use a page or frame number from 1 to %d", v, maxPage)
		}
		o.page = n
		return nil
	},
	"rt": func(s *step, _ *output, v string) *Error {
		if v == "auto" { // EXIF orientation is always applied first
			s.rotate = 0
			return nil
		}
		n, ok := parseInt(v)
		if !ok {
			return invalidf("rt", "%q is not allowed; use auto or an angle in degrees (N prefix for negative, e.g. N45)", v)
		}
		s.rotate = ((n % 360) + 360) % 360
		return nil
	},
	"fl": func(s *step, _ *output, v string) *Error {
		if v == "v_h" {
			v = "h_v"
		}
		return oneOf("fl", v, []string{"h", "v", "h_v"}, &s.flip)
	},
	"bl": func(s *step, _ *output, v string) *Error {
		return intRange("bl", v, 1, 100, &s.blur)
	},
	"e-grayscale": func(s *step, _ *output, _ string) *Error { s.grayscale = true; return nil },
	"e-contrast":  func(s *step, _ *output, _ string) *Error { s.contrast = true; return nil },
	"e-sharpen": func(s *step, _ *output, v string) *Error {
		if v == "" {
			s.sharpen = defaultSharpen
			return nil
		}
		return intRange("e-sharpen", v, 1, 100, &s.sharpen)
	},
	"e-usm":      parseUSM,
	"r":          parseRadius,
	"bg":         parseBackground,
	"e-shadow":   parseShadow,
	"e-gradient": parseGradient,
	"cr":         parseReplace,
	"e-distort":  parseDistort,
	"b": func(s *step, _ *output, v string) *Error {
		w, col, found := strings.Cut(v, "_")
		n, ok := parseInt(w)
		c, okc := parseColor(col)
		if !found || !ok || n < 1 || n > 1000 || !okc {
			return invalidf("b", "%q is not allowed; use <width>_<colour> with a width from 1 to 1000 (e.g. b-5_FFFFFF); %s", v, colourHelp)
		}
		s.borderWidth, s.borderColor = n, c
		return nil
	},
	"t": func(s *step, _ *output, v string) *Error {
		switch v {
		case "true":
			s.trim = defaultTrim
			return nil
		case "false": // turns off the trim layers do by default
			s.trim, s.noTrim = 0, true
			return nil
		}
		return intRange("t", v, 1, 99, &s.trim)
	},
	"o": func(s *step, _ *output, v string) *Error {
		var n int
		if err := intRange("o", v, 0, 100, &n); err != nil {
			return err
		}
		s.opacity = optInt{n, true}
		return nil
	},
}

// outputKeys are the chain-wide output parameters.
var outputKeys = map[string]bool{"f": true, "q": true, "pr": true, "lo": true, "md": true, "cp": true, "orig": true, "pg": true}

// parseFocus reads fo-: a position, auto, face, or (refused) an object.
func parseFocus(s *step, _ *output, v string) *Error {
	for _, f := range focals {
		if v == f {
			s.focus = v
			return nil
		}
	}
	if isWord(v) {
		return invalidf("fo", "%q: object-aware focus (fo-<object>) is not available; use fo-face, fo-auto or a position (%s)", v, strings.Join(focals, ", "))
	}
	return invalidf("fo", "%q is not allowed; use one of %s", v, strings.Join(focals, ", "))
}

func isWord(v string) bool {
	for _, r := range v {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return v != ""
}

func parseSize(key, v string, dst *float64) *Error {
	f, ok := grammar.ParseNumber(v)
	if !ok || f <= 0 || (f >= 1 && f != float64(int64(f))) || f > 1e6 {
		return invalidf(key, "%q is not allowed; use a positive integer (pixels) or a fraction between 0 and 1", v)
	}
	*dst = f
	return nil
}

func parseAspect(s *step, _ *output, v string) *Error {
	a, b, found := strings.Cut(v, "-")
	w, okw := grammar.ParseNumber(a)
	h, okh := grammar.ParseNumber(b)
	if !found || !okw || !okh || w <= 0 || h <= 0 || w > 1e4 || h > 1e4 {
		return invalidf("ar", "%q is not allowed; use ar-<width>-<height> with positive numbers, e.g. ar-4-3", v)
	}
	// Reduce integer ratios so ar-8-6 and ar-4-3 share a canonical form.
	if w == float64(int64(w)) && h == float64(int64(h)) {
		g := gcd(int64(w), int64(h))
		w, h = w/float64(g), h/float64(g)
	}
	s.arW, s.arH = w, h
	return nil
}

func parseUSM(s *step, _ *output, v string) *Error {
	parts := strings.Split(v, "-")
	bad := invalidf("e-usm", "%q is not allowed; use e-usm-<radius>-<sigma>-<amount>-<threshold>, radius 0 to 100, sigma 0.01 to 100, amount 0 to 100, threshold 0 to 1", v)
	if len(parts) != 4 {
		return bad
	}
	var vals [4]float64
	for i, p := range parts {
		f, ok := grammar.ParseNumber(p)
		if !ok {
			return bad
		}
		vals[i] = f
	}
	if vals[0] < 0 || vals[0] > 100 || vals[1] < 0.01 || vals[1] > 100 || vals[2] < 0 || vals[2] > 100 || vals[3] < 0 || vals[3] > 1 {
		return bad
	}
	s.usm, s.hasUSM = vals, true
	return nil
}

func parseCoord(key, v string, dst *optInt) *Error {
	n, ok := parseInt(v)
	if !ok || n < -100000 || n > 100000 {
		return invalidf(key, "%q is not allowed; use an integer number of pixels (N prefix for negative)", v)
	}
	*dst = optInt{n, true}
	return nil
}

func parseBool(key, v string, dst *bool) *Error {
	switch v {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return invalidf(key, "%q is not allowed; use true or false", v)
	}
	return nil
}

func oneOf(key, v string, allowed []string, dst *string) *Error {
	for _, a := range allowed {
		if v == a {
			*dst = v
			return nil
		}
	}
	return invalidf(key, "%q is not allowed; use one of %s", v, strings.Join(allowed, ", "))
}

func intRange(key, v string, lo, hi int, dst *int) *Error {
	n, ok := parseInt(v)
	if !ok || n < lo || n > hi {
		return invalidf(key, "%q is not allowed; use an integer from %d to %d", v, lo, hi)
	}
	*dst = n
	return nil
}

func parseInt(v string) (int, bool) {
	neg := strings.HasPrefix(v, "N")
	if neg {
		v = v[1:]
	}
	if v == "" || len(v) > 9 {
		return 0, false
	}
	n := 0
	for _, r := range v {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return 1
	}
	return a
}
