package transform

// Layers (l-image, l-text … l-end) as the compiler sees them: the input,
// the layer's own steps, and the layer-only parameters (placement, text
// style), which may use expressions of the layer's and its parent's sizes
// and are therefore compiled per request (layerSpec).

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/image-cdn/image_cdn/transform/grammar"
)

const (
	layerImage = "image"
	layerText  = "text"
	// canvasInput is ImageKit's solid colour layer: i-ik_canvas with bg,
	// w and h.
	canvasInput = "ik_canvas"
	// maxLayerText bounds a text layer's text in characters, after
	// decoding (the raw value is already at most 1024 bytes).
	maxLayerText = 1000
)

// layer is one compiled l-image or l-text.
type layer struct {
	kind   string
	input  string // the origin path (image; @@ already turned into /) or the text
	canvas bool   // i-ik_canvas
	place  []*grammar.Param
	steps  []step // the layer's own transformations, run on its input
}

// compileLayer compiles a layer in the scope of its parent.
func compileLayer(gl *grammar.Layer, parent scope) (layer, error) {
	l := layer{kind: gl.Kind}
	open := "l-" + gl.Kind
	sc := scope{layer: true}
	_ = parent // layers are compiled alike at every depth; the grammar bounds the nesting
	hasTrim := false
	for i := range gl.Chain.Steps {
		gs := &gl.Chain.Steps[i]
		for j := range gs.Params {
			p := &gs.Params[j]
			switch {
			case p.Key.Name == "i" || p.Key.Name == "ie":
				in, err := layerInput(gl.Kind, p)
				if err != nil {
					return l, err
				}
				l.input = in
			case p.Key.Scope == grammar.LayerOnly:
				if p.Expr != nil {
					if err := sc.checkVars(p); err != nil {
						return l, err
					}
				}
				l.place = append(l.place, p)
			case outputKeys[p.Key.Name] && p.Key.Name != "q":
				return l, invalidf(p.Key.Name, "is an output parameter and cannot be used inside a layer")
			case p.Key.Name == "t":
				hasTrim = true
			}
		}
	}
	l.canvas = gl.Kind == layerImage && l.input == canvasInput
	// Check the placement values that are literals now (expressions are
	// checked when evaluated).
	if _, err := compileLayerSpec(l.place, grammar.Env{}); err != nil {
		return l, err
	}
	var discard output // q inside a layer only concerns the layer's own input
	steps, err := compileSteps(&gl.Chain, &discard, ParseOptions{}, grammar.Env{}, sc, 0)
	if err != nil {
		return l, err
	}
	l.steps = steps
	if len(l.steps) == 0 {
		l.steps = []step{{}}
	}
	// ImageKit trims image layers unless t-false says otherwise.
	if gl.Kind == layerImage && !l.canvas && !hasTrim && l.steps[0].cond == nil {
		l.steps[0].trim = defaultTrim
	}
	if l.canvas {
		if s := &l.steps[0]; s.tree == nil && (s.width == 0 || s.height == 0) {
			return l, invalidf(open, "i-ik_canvas needs w and h (pixels, or fractions of the parent) and a colour with bg")
		}
	}
	return l, nil
}

// layerInput decodes i- (path with @@ for /, or text) or ie- (base64).
func layerInput(kind string, p *grammar.Param) (string, error) {
	v := p.Value
	if p.Key.Name == "ie" {
		b, err := decodeBase64(v)
		if err != nil {
			return "", invalidf("ie", "is not valid base64")
		}
		v = string(b)
	} else if kind == layerImage {
		v = strings.ReplaceAll(v, "@@", "/")
	}
	if !utf8.ValidString(v) || v == "" {
		return "", invalidf(p.Key.Name, "must be non-empty UTF-8 text")
	}
	if kind == layerText {
		if strings.TrimFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) == "" {
			return "", invalidf(p.Key.Name, "a text layer needs visible text")
		}
		if utf8.RuneCountInString(v) > maxLayerText {
			return "", invalidf(p.Key.Name, "text layers hold at most %d characters", maxLayerText)
		}
		return v, nil
	}
	v = strings.TrimPrefix(v, "/")
	for _, seg := range strings.Split(v, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "\x00\\") {
			return "", invalidf(p.Key.Name, "is not a valid path (use @@ for /; no empty, . or .. segments)")
		}
	}
	return v, nil
}

// decodeBase64 accepts standard and URL-safe alphabets, padded or not.
func decodeBase64(v string) ([]byte, error) {
	v = strings.TrimRight(v, "=")
	if strings.ContainsAny(v, "-_") {
		return base64.RawURLEncoding.DecodeString(v)
	}
	return base64.RawStdEncoding.DecodeString(v)
}

// layerSpec is a layer's placement and text style for one request.
type layerSpec struct {
	lx, ly, lxc, lyc optInt
	lap, lfo, lm     string

	fontSize   float64 // fs; 0 = default
	font       string  // ff
	colour     rgba    // co
	hasColour  bool
	align      string // ia
	pad        [4]int // pa: top, right, bottom, left
	bold       bool
	italic     bool
	lineHeight float64 // lh; 0 = default
	alpha      int     // al: 1..9; 0 = opaque
}

var (
	anchors     = []string{"center", "top", "left", "bottom", "right", "top_left", "top_right", "bottom_left", "bottom_right"}
	layerModes  = []string{"multiply", "cutout", "cutter", "displace"}
	alignments  = []string{"left", "center", "right"}
	defaultFont = 14.0
)

// compileLayerSpec evaluates the layer-only parameters with env;
// expressions that need a variable env does not know are skipped (checked
// again at run time).
func compileLayerSpec(params []*grammar.Param, env grammar.Env) (layerSpec, error) {
	var ls layerSpec
	for _, p := range params {
		if p.Expr != nil && p.Expr.Vars()&^env.Known != 0 {
			continue
		}
		v, verr := value(p, env)
		if verr != nil {
			return ls, verr
		}
		if err := layerRule(&ls, p.Key.Name, v); err != nil {
			return ls, err
		}
	}
	return ls, nil
}

func layerRule(ls *layerSpec, key, v string) *Error {
	switch key {
	case "lx":
		return parseCoord(key, v, &ls.lx)
	case "ly":
		return parseCoord(key, v, &ls.ly)
	case "lxc":
		return parseCoord(key, v, &ls.lxc)
	case "lyc":
		return parseCoord(key, v, &ls.lyc)
	case "lap":
		return oneOf(key, v, anchors, &ls.lap)
	case "lfo":
		return oneOf(key, v, anchors, &ls.lfo)
	case "lm":
		return oneOf(key, v, layerModes, &ls.lm)
	case "fs":
		return pixelsRange(key, "a font size", v, &ls.fontSize)
	case "ff":
		if !validFontName(v) {
			return invalidf(key, "%q is not allowed; use a built-in font (%s) or the path of a .ttf or .otf file with @@ for /", v, strings.Join(builtinFontNames(), ", "))
		}
		ls.font = v
	case "co":
		c, ok := parseColor(v)
		if !ok {
			return invalidf(key, "%q is not allowed; %s", v, colourHelp)
		}
		ls.colour, ls.hasColour = c, true
	case "ia":
		return oneOf(key, v, alignments, &ls.align)
	case "pa":
		return parsePadding(ls, v)
	case "tg":
		switch v {
		case "b":
			ls.bold = true
		case "i":
			ls.italic = true
		case "b_i", "i_b":
			ls.bold, ls.italic = true, true
		default:
			return invalidf(key, "%q is not allowed; use b (bold), i (italic) or b_i", v)
		}
	case "lh":
		return pixelsRange(key, "a line height", v, &ls.lineHeight)
	case "al":
		return intRange(key, v, 1, 9, &ls.alpha)
	}
	return nil
}

// pixelsRange reads a size of 1 to 1000 pixels.
func pixelsRange(key, what, v string, dst *float64) *Error {
	f, ok := grammar.ParseNumber(v)
	if !ok || f < 1 || f > 1000 {
		return invalidf(key, "%q is not allowed; use %s in pixels from 1 to 1000", v, what)
	}
	*dst = f
	return nil
}

// parsePadding reads pa- as CSS does: one value for all sides, two for
// vertical and horizontal, three for top, horizontal and bottom, four for
// top, right, bottom and left.
func parsePadding(ls *layerSpec, v string) *Error {
	parts := strings.Split(v, "_")
	bad := invalidf("pa", "%q is not allowed; use 1 to 4 paddings in pixels from 0 to 1000 joined by _ (top, right, bottom, left as in CSS)", v)
	if len(parts) > 4 {
		return bad
	}
	n := make([]int, len(parts))
	for i, p := range parts {
		f, ok := grammar.ParseNumber(p)
		if !ok || f < 0 || f > 1000 {
			return bad
		}
		n[i] = int(f + 0.5)
	}
	switch len(n) {
	case 1:
		ls.pad = [4]int{n[0], n[0], n[0], n[0]}
	case 2:
		ls.pad = [4]int{n[0], n[1], n[0], n[1]}
	case 3:
		ls.pad = [4]int{n[0], n[1], n[2], n[1]}
	case 4:
		ls.pad = [4]int{n[0], n[1], n[2], n[3]}
	}
	return nil
}
