package transform

// The parameter table: every key ImageKit defines that we implement, the
// value it accepts, and where the value lands. Keys may contain '-'
// (e-sharpen, e-usm), so a token is matched against these keys, longest
// first, never split at its first '-'.

import (
	"sort"
	"strconv"
	"strings"
)

// Crop strategies (c-).
const (
	cropMaintainRatio = "maintain_ratio" // default: fill the box, cut at fo
	cropForce         = "force"
	cropAtMax         = "at_max"
	cropAtMaxEnlarge  = "at_max_enlarge"
	cropAtLeast       = "at_least"
)

// Crop modes (cm-).
const (
	modePadResize  = "pad_resize"
	modeExtract    = "extract"
	modePadExtract = "pad_extract"
)

const (
	focusCenter = "center"
	focusAuto   = "auto"

	defaultQuality = 80
	defaultSharpen = 50
	defaultTrim    = 10
	maxParamValue  = 64 // bytes; longer values are never meaningful
)

var (
	crops  = []string{cropMaintainRatio, cropForce, cropAtMax, cropAtMaxEnlarge, cropAtLeast}
	modes  = []string{modePadResize, modeExtract, modePadExtract}
	focals = []string{focusCenter, "top", "left", "bottom", "right", "top_left", "top_right", "bottom_left", "bottom_right", focusAuto}
	// f- values; "jpeg" is an alias of "jpg", "auto" means negotiate.
	formatValues = []string{"auto", "jpg", "jpeg", "png", "webp", "avif", "gif", "jxl", "orig"}
)

// optInt is an integer parameter that may be absent.
type optInt struct {
	v   int
	set bool
}

// color is 8-bit RGBA.
type rgba struct{ r, g, b, a uint8 }

// step is one ':'-separated group of parameters. Within a step the order
// the user wrote is irrelevant: execution follows a fixed order
// (see pipeline.go), which is what makes sorting safe in Canonical.
type step struct {
	width, height    float64 // 0 = unset; 0<v<1 = fraction of the current size; else pixels
	arW, arH         float64 // ar-W-H; 0 = unset
	dpr              float64 // 0 = unset (1)
	crop             string  // "" = maintain_ratio
	mode             string  // "" = plain resize
	focus            string  // "" = center
	x, y, xc, yc     optInt
	rotate           int // degrees, 0..359
	flip             string
	blur             int
	grayscale        bool
	contrast         bool
	sharpen          int // 0 = off
	usm              [4]float64
	hasUSM           bool
	radius           int // 0 = off, -1 = max
	bg               rgba
	hasBG, bgBlurred bool
	borderWidth      int
	borderColor      rgba
	trim             int // 0 = off
	opacity          optInt
}

// output holds the parameters that describe the encoded result; they are
// chain-wide (the last occurrence wins) because there is only one output.
type output struct {
	format      string // "" = negotiate; else a formatValues entry, "jpeg" folded into "jpg"
	quality     int    // 0 = default
	progressive bool
	lossless    bool
	metadata    bool
	iccOnly     bool
	original    bool
}

// paramSpec describes one key. set stores a value; value is "" and
// hasValue false when the token is the bare key.
type paramSpec struct {
	key      string
	optional bool // bare key allowed (e-sharpen); flags have no value at all
	flag     bool
	set      func(s *step, o *output, v string) *Error
}

var paramSpecs = []paramSpec{
	{key: "w", set: func(s *step, _ *output, v string) *Error { return parseSize("w", v, &s.width) }},
	{key: "h", set: func(s *step, _ *output, v string) *Error { return parseSize("h", v, &s.height) }},
	{key: "ar", set: parseAspect},
	{key: "dpr", set: func(s *step, _ *output, v string) *Error {
		f, ok := parseNumber(v)
		if !ok || f < 0.1 || f > 5 {
			return invalidf("dpr", "%q is not allowed; use a number from 0.1 to 5", v)
		}
		s.dpr = f
		return nil
	}},
	{key: "c", set: func(s *step, _ *output, v string) *Error {
		return oneOf("c", v, crops, &s.crop)
	}},
	{key: "cm", set: func(s *step, _ *output, v string) *Error {
		return oneOf("cm", v, modes, &s.mode)
	}},
	{key: "fo", set: func(s *step, _ *output, v string) *Error {
		return oneOf("fo", v, focals, &s.focus)
	}},
	{key: "x", set: func(s *step, _ *output, v string) *Error { return parseCoord("x", v, &s.x) }},
	{key: "y", set: func(s *step, _ *output, v string) *Error { return parseCoord("y", v, &s.y) }},
	{key: "xc", set: func(s *step, _ *output, v string) *Error { return parseCoord("xc", v, &s.xc) }},
	{key: "yc", set: func(s *step, _ *output, v string) *Error { return parseCoord("yc", v, &s.yc) }},
	{key: "f", set: func(_ *step, o *output, v string) *Error {
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
	}},
	{key: "q", set: func(_ *step, o *output, v string) *Error {
		n, ok := parseInt(v)
		if !ok || n < 1 || n > 100 {
			return invalidf("q", "%q is not allowed; use an integer from 1 to 100", v)
		}
		o.quality = n
		return nil
	}},
	{key: "pr", set: func(_ *step, o *output, v string) *Error { return parseBool("pr", v, &o.progressive) }},
	{key: "lo", set: func(_ *step, o *output, v string) *Error { return parseBool("lo", v, &o.lossless) }},
	{key: "md", set: func(_ *step, o *output, v string) *Error { return parseBool("md", v, &o.metadata) }},
	{key: "cp", set: func(_ *step, o *output, v string) *Error { return parseBool("cp", v, &o.iccOnly) }},
	{key: "orig", set: func(_ *step, o *output, v string) *Error { return parseBool("orig", v, &o.original) }},
	{key: "rt", set: func(s *step, _ *output, v string) *Error {
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
	}},
	{key: "fl", set: func(s *step, _ *output, v string) *Error {
		if v == "v_h" {
			v = "h_v"
		}
		return oneOf("fl", v, []string{"h", "v", "h_v"}, &s.flip)
	}},
	{key: "bl", set: func(s *step, _ *output, v string) *Error {
		return intRange("bl", v, 1, 100, &s.blur)
	}},
	{key: "e-grayscale", flag: true, set: func(s *step, _ *output, _ string) *Error { s.grayscale = true; return nil }},
	{key: "e-contrast", flag: true, set: func(s *step, _ *output, _ string) *Error { s.contrast = true; return nil }},
	{key: "e-sharpen", optional: true, set: func(s *step, _ *output, v string) *Error {
		if v == "" {
			s.sharpen = defaultSharpen
			return nil
		}
		return intRange("e-sharpen", v, 1, 100, &s.sharpen)
	}},
	{key: "e-usm", set: parseUSM},
	{key: "r", set: func(s *step, _ *output, v string) *Error {
		if v == "max" {
			s.radius = -1
			return nil
		}
		return intRange("r", v, 1, 10000, &s.radius)
	}},
	{key: "bg", set: func(s *step, _ *output, v string) *Error {
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
	}},
	{key: "b", set: func(s *step, _ *output, v string) *Error {
		w, col, found := strings.Cut(v, "_")
		n, ok := parseInt(w)
		c, okc := parseColor(col)
		if !found || !ok || n < 1 || n > 1000 || !okc {
			return invalidf("b", "%q is not allowed; use <width>_<colour>, width 1 to 1000, colour RRGGBB, RRGGBBAA or a name (e.g. b-5_FFFFFF)", v)
		}
		s.borderWidth, s.borderColor = n, c
		return nil
	}},
	{key: "t", set: func(s *step, _ *output, v string) *Error {
		if v == "true" {
			s.trim = defaultTrim
			return nil
		}
		return intRange("t", v, 1, 99, &s.trim)
	}},
	{key: "o", set: func(s *step, _ *output, v string) *Error {
		var n int
		if err := intRange("o", v, 0, 100, &n); err != nil {
			return err
		}
		s.opacity = optInt{n, true}
		return nil
	}},
}

// specsByLength is paramSpecs sorted longest key first, so "e-sharpen-5"
// and "bg-FFF" find their own key before a shorter one could claim them.
var specsByLength = func() []*paramSpec {
	out := make([]*paramSpec, len(paramSpecs))
	for i := range paramSpecs {
		out[i] = &paramSpecs[i]
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].key) > len(out[j].key) })
	return out
}()

// knownKeys lists the keys for error messages, in table order.
var knownKeys = func() string {
	keys := make([]string, len(paramSpecs))
	for i, s := range paramSpecs {
		keys[i] = s.key
	}
	return strings.Join(keys, ", ")
}()

// lookupParam splits a token into its spec and value.
func lookupParam(token string) (spec *paramSpec, value string, hasValue bool) {
	for _, s := range specsByLength {
		if token == s.key {
			return s, "", false
		}
		if strings.HasPrefix(token, s.key+"-") {
			return s, token[len(s.key)+1:], true
		}
	}
	return nil, "", false
}

func parseSize(key, v string, dst *float64) *Error {
	f, ok := parseNumber(v)
	if !ok || f <= 0 || (f >= 1 && f != float64(int64(f))) || f > 1e6 {
		return invalidf(key, "%q is not allowed; use a positive integer (pixels) or a fraction between 0 and 1", v)
	}
	*dst = f
	return nil
}

func parseAspect(s *step, _ *output, v string) *Error {
	a, b, found := strings.Cut(v, "-")
	w, okw := parseNumber(a)
	h, okh := parseNumber(b)
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
		f, ok := parseNumber(p)
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

// parseNumber accepts ImageKit's number syntax: digits with at most one
// '.', and an optional leading N for negative. No signs, exponents, hex,
// Inf or NaN, which strconv alone would let through.
func parseNumber(v string) (float64, bool) {
	neg := strings.HasPrefix(v, "N")
	if neg {
		v = v[1:]
	}
	if v == "" || len(v) > 20 || v == "." {
		return 0, false
	}
	dots := 0
	for _, r := range v {
		switch {
		case r == '.':
			dots++
		case r < '0' || r > '9':
			return 0, false
		}
	}
	if dots > 1 {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
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

// colorNames are the names bg- and b- accept besides hex.
var colorNames = map[string]rgba{
	"white":       {255, 255, 255, 255},
	"black":       {0, 0, 0, 255},
	"red":         {255, 0, 0, 255},
	"green":       {0, 128, 0, 255},
	"blue":        {0, 0, 255, 255},
	"yellow":      {255, 255, 0, 255},
	"gray":        {128, 128, 128, 255},
	"grey":        {128, 128, 128, 255},
	"orange":      {255, 165, 0, 255},
	"purple":      {128, 0, 128, 255},
	"transparent": {0, 0, 0, 0},
}

func colorNameList() []string {
	names := make([]string, 0, len(colorNames))
	for n := range colorNames {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func parseColor(v string) (rgba, bool) {
	if c, ok := colorNames[strings.ToLower(v)]; ok {
		return c, true
	}
	if len(v) != 6 && len(v) != 8 {
		return rgba{}, false
	}
	n, err := strconv.ParseUint(v, 16, 32)
	if err != nil {
		return rgba{}, false
	}
	if len(v) == 6 {
		n = n<<8 | 0xFF
	}
	return rgba{uint8(n >> 24), uint8(n >> 16), uint8(n >> 8), uint8(n)}, true
}
