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
	for i := range tree.Steps {
		gs := &tree.Steps[i]
		if gs.Named != "" {
			if err := c.expandNamed(gs.Named, opts); err != nil {
				return err
			}
			continue
		}
		if opts.RestrictUnnamed {
			return invalidf(stepKey(gs), "only named transformations (n-<name>) are allowed on this endpoint")
		}
		s, err := compileStep(gs, &c.out, env)
		if err != nil {
			return err
		}
		if len(c.steps) >= maxCompiledSteps {
			return limitf("max_steps", "more than %d transformation steps once named transformations are expanded", maxCompiledSteps)
		}
		c.steps = append(c.steps, s)
	}
	return nil
}

func (c *Chain) expandNamed(name string, opts ParseOptions) error {
	def, ok := opts.Named[name]
	if !ok || def == "" {
		return invalidf("n", "unknown named transformation %q", name)
	}
	// Named definitions were validated at configuration time without
	// nesting, so they cannot recurse.
	tree, err := parseTree(def, false)
	if err != nil {
		return err
	}
	return c.compileChain(tree, ParseOptions{}, grammar.Env{})
}

// compileStep compiles one parameter step. Constructs the executor cannot
// run yet are refused here, naming the parameter.
func compileStep(gs *grammar.Step, o *output, env grammar.Env) (step, error) {
	var s step
	if gs.If != nil {
		return s, invalidf("if", "conditional transformations are not supported yet")
	}
	for i := range gs.Params {
		p := &gs.Params[i]
		r, ok := rules[p.Key.Name]
		if !ok {
			return s, invalidf(p.Key.Name, "is not supported yet")
		}
		v, err := value(p, env)
		if err != nil {
			return s, err
		}
		if err := r(&s, o, v); err != nil {
			return s, err
		}
	}
	if len(gs.Layers) > 0 {
		return s, invalidf("l-"+gs.Layers[0].Kind, "layers are not supported yet")
	}
	if s.arW > 0 && s.width == 0 && s.height == 0 {
		return s, invalidf("ar", "needs w or h in the same step")
	}
	return s, nil
}

// value is the text a rule checks: the value as written, or an
// expression's result in number syntax (for b, followed by its colour).
func value(p *grammar.Param, env grammar.Env) (string, *Error) {
	if p.Expr == nil {
		return p.Value, nil
	}
	if missing := p.Expr.Vars() &^ env.Known; missing != 0 {
		return "", invalidf(p.Key.Name, "expressions using %s are not supported yet", missing)
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
	"fo": func(s *step, _ *output, v string) *Error {
		return oneOf("fo", v, focals, &s.focus)
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
	"rt": func(s *step, _ *output, v string) *Error {
		if v == "auto" { // EXIF orientation is always applied first
			s.rotate = 0
			return nil
		}
		n, ok := parseInt(v)
		if !ok || n%90 != 0 {
			return invalidf("rt", "%q is not allowed; use auto or a multiple of 90 degrees (N prefix for negative, e.g. N90)", v)
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
	"e-usm": parseUSM,
	"r": func(s *step, _ *output, v string) *Error {
		if v == "max" {
			s.radius = -1
			return nil
		}
		return intRange("r", v, 1, 10000, &s.radius)
	},
	"bg": func(s *step, _ *output, v string) *Error {
		if v == "blurred" {
			s.bgBlurred, s.hasBG = true, false
			return nil
		}
		c, ok := parseColor(v)
		if !ok {
			return invalidf("bg", "%q is not allowed; use RRGGBB, RRGGBBAA, a colour name (%s) or blurred", v, strings.Join(colorNameList(), ", "))
		}
		s.bg, s.hasBG, s.bgBlurred = c, true, false
		return nil
	},
	"b": func(s *step, _ *output, v string) *Error {
		w, col, found := strings.Cut(v, "_")
		n, ok := parseInt(w)
		c, okc := parseColor(col)
		if !found || !ok || n < 1 || n > 1000 || !okc {
			return invalidf("b", "%q is not allowed; use <width>_<colour>, width 1 to 1000, colour RRGGBB, RRGGBBAA or a name (e.g. b-5_FFFFFF)", v)
		}
		s.borderWidth, s.borderColor = n, c
		return nil
	},
	"t": func(s *step, _ *output, v string) *Error {
		if v == "true" {
			s.trim = defaultTrim
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
