package transform

import (
	"errors"
	"strings"
	"testing"

	"github.com/image-cdn/image_cdn/transform/grammar"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		path, query string
		want        string
	}{
		{"w-300", "", "w-300"},
		{"w-300,h-200", "", "w-300,h-200"},
		{"h-200,w-300", "", "w-300,h-200"},
		{"w-0.5", "", "w-0.5"},
		{"w-0.50,h-0.25", "", "w-0.5,h-0.25"},
		{"w-300.0", "", "w-300"},
		{"w-400,ar-4-3", "", "w-400,ar-4-3"},
		{"w-400,ar-8-6", "", "w-400,ar-4-3"},
		{"w-400,ar-1.5-1", "", "w-400,ar-1.5-1"},
		{"w-400,h-300,ar-4-3", "", "w-400,h-300"}, // ar is ignored with both sides
		{"w-300,dpr-2", "", "w-300,dpr-2"},
		{"w-300,dpr-1", "", "w-300"},
		{"dpr-2", "", ""}, // nothing to multiply
		{"w-300,h-300,c-maintain_ratio", "", "w-300,h-300"},
		{"w-300,h-300,c-force", "", "w-300,h-300,c-force"},
		{"w-300,h-300,c-at_max", "", "w-300,h-300,c-at_max"},
		{"w-300,h-300,c-at_max_enlarge", "", "w-300,h-300,c-at_max_enlarge"},
		{"w-300,h-300,c-at_least", "", "w-300,h-300,c-at_least"},
		{"w-300,h-300,cm-pad_resize,bg-FFFFFF", "", "w-300,h-300,cm-pad_resize,bg-FFFFFF"},
		{"w-300,h-300,cm-pad_resize,bg-white", "", "w-300,h-300,cm-pad_resize,bg-FFFFFF"},
		{"w-300,h-300,cm-pad_resize,bg-ff000080", "", "w-300,h-300,cm-pad_resize,bg-FF000080"},
		{"w-300,h-300,cm-pad_resize,bg-blurred", "", "w-300,h-300,cm-pad_resize,bg-blurred"},
		{"w-100,h-100,cm-extract,x-10,y-20", "", "w-100,h-100,cm-extract,x-10,y-20"},
		{"w-100,h-100,cm-extract,xc-N10,yc-20", "", "w-100,h-100,cm-extract,xc-N10,yc-20"},
		{"w-100,h-100,cm-pad_extract", "", "w-100,h-100,cm-pad_extract"},
		{"w-100,h-100,cm-extract,x-1,xc-50", "", "w-100,h-100,cm-extract,x-1"}, // x/y win over xc/yc
		{"w-100,x-10,y-10", "", "w-100"},                                       // no extract: no position
		{"w-100,h-100,fo-center", "", "w-100,h-100"},
		{"w-100,h-100,fo-top_left", "", "w-100,h-100,fo-top_left"},
		{"w-100,h-100,fo-auto", "", "w-100,h-100,fo-auto"},
		{"f-auto", "", ""},
		{"f-jpeg", "", "f-jpg"},
		{"f-jpg,q-80", "", "f-jpg"},
		{"f-webp,q-60", "", "f-webp,q-60"},
		{"f-orig", "", "f-orig"},
		{"pr-true,lo-true,md-true,cp-true", "", "pr-true,lo-true,md-true,cp-true"},
		{"pr-false", "", ""},
		{"orig-true", "", "orig-true"},
		{"rt-90", "", "rt-90"},
		{"rt-N90", "", "rt-270"},
		{"rt-360", "", ""},
		{"rt-auto", "", ""},
		{"rt-450", "", "rt-90"},
		{"fl-h", "", "fl-h"},
		{"fl-v_h", "", "fl-h_v"},
		{"bl-10", "", "bl-10"},
		{"e-grayscale", "", "e-grayscale"},
		{"e-contrast", "", "e-contrast"},
		{"e-sharpen", "", "e-sharpen"},
		{"e-sharpen-50", "", "e-sharpen"},
		{"e-sharpen-5", "", "e-sharpen-5"},
		{"e-usm-2-0.8-1-0.05", "", "e-usm-2-0.8-1-0.05"},
		{"e-usm-2.0-0.80-1-0.050", "", "e-usm-2-0.8-1-0.05"},
		{"r-20", "", "r-20"},
		{"r-max", "", "r-max"},
		{"b-5_FF0000", "", "b-5_FF0000"},
		{"b-5_red", "", "b-5_FF0000"},
		{"t-true", "", "t-10"},
		{"t-5", "", "t-5"},
		{"o-50", "", "o-50"},
		{"o-100", "", ""},
		// Steps keep their order; output options gather at the end.
		{"w-300:rt-90", "", "w-300:rt-90"},
		{"rt-90:w-300", "", "rt-90:w-300"},
		{"w-300,f-webp:rt-90", "", "w-300:rt-90:f-webp"},
		{"f-png:f-webp", "", "f-webp"},
		// Path steps come before query steps.
		{"w-300", "rt-90", "w-300:rt-90"},
		{"", "h-200,w-300", "w-300,h-200"},
	}
	for _, tt := range tests {
		c, err := Parse(tt.path, tt.query, ParseOptions{})
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", tt.path, tt.query, err)
			continue
		}
		if got := c.Canonical(); got != tt.want {
			t.Errorf("Parse(%q, %q).Canonical() = %q, want %q", tt.path, tt.query, got, tt.want)
		}
		// The canonical form parses back to itself.
		if tt.want != "" {
			c2, err := Parse(tt.want, "", ParseOptions{})
			if err != nil || c2.Canonical() != tt.want {
				t.Errorf("canonical %q does not round-trip: %v", tt.want, err)
			}
		}
	}
}

func TestParseEquivalent(t *testing.T) {
	pairs := [][2]string{
		{"w-300,h-200", "h-200,w-300"},
		{"w-300,h-200,c-maintain_ratio,fo-center", "w-300,h-200"},
		{"f-jpeg,q-80", "f-jpg"},
		{"rt-N90", "rt-270"},
		{"bg-white,w-10,h-10,cm-pad_resize", "w-10,h-10,cm-pad_resize,bg-FFFFFF99"},
	}
	for _, p := range pairs {
		a, errA := Parse(p[0], "", ParseOptions{})
		b, errB := Parse(p[1], "", ParseOptions{})
		if errA != nil || errB != nil {
			t.Fatalf("%q / %q: %v %v", p[0], p[1], errA, errB)
		}
		if a.Canonical() != b.Canonical() {
			t.Errorf("%q -> %q but %q -> %q", p[0], a.Canonical(), p[1], b.Canonical())
		}
	}
	// Same chain in the path or in the query: same variant.
	a, _ := Parse("w-300,h-200", "", ParseOptions{})
	b, _ := Parse("", "h-200,w-300", ParseOptions{})
	if a.Canonical() != b.Canonical() {
		t.Errorf("path and query forms differ: %q vs %q", a.Canonical(), b.Canonical())
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		chain     string
		param     string
		mentioned string // part of the message naming what is allowed
	}{
		{"w-0", "w", "positive integer"},
		{"w-abc", "w", "positive integer"},
		{"w-300.5", "w", "positive integer"},
		{"w-N300", "w", "positive integer"},
		{"w-1e3", "w", "positive integer"},
		{"w", "w", "needs a value"},
		{"h-", "h", "positive integer"},
		{"ar-4", "ar", "ar-<width>-<height>"},
		{"ar-4-0", "ar", "ar-<width>-<height>"},
		{"ar-4-3", "ar", "needs w or h"},
		{"dpr-0", "dpr", "0.1 to 5"},
		{"dpr-6", "dpr", "0.1 to 5"},
		{"dpr-auto", "dpr", "0.1 to 5"},
		{"c-fill", "c", "maintain_ratio"},
		{"cm-pad", "cm", "pad_resize"},
		{"fo-person", "fo", "object-aware focus"},
		{"fo-x1", "fo", "top_left"},
		{"x-a", "x", "integer"},
		{"yc-1.5", "yc", "integer"},
		{"f-bmp", "f", "webp"},
		{"q-0", "q", "1 to 100"},
		{"q-101", "q", "1 to 100"},
		{"pr-yes", "pr", "true or false"},
		{"lo-1", "lo", "true or false"},
		{"md-x", "md", "true or false"},
		{"cp-x", "cp", "true or false"},
		{"orig-x", "orig", "true or false"},
		{"rt-x", "rt", "angle in degrees"},
		{"fl-x", "fl", "h_v"},
		{"bl-0", "bl", "1 to 100"},
		{"bl-101", "bl", "1 to 100"},
		{"e-grayscale-5", "e-grayscale", "no value"},
		{"e-contrast-1", "e-contrast", "no value"},
		{"e-sharpen-0", "e-sharpen", "1 to 100"},
		{"e-sharpen-x", "e-sharpen", "1 to 100"},
		{"e-usm-1-2-3", "e-usm", "radius"},
		{"e-usm-1-2-3-4", "e-usm", "threshold 0 to 1"},
		{"e-usm", "e-usm", "needs a value"},
		{"r-0", "r", "1 to 10000"},
		{"r-round", "r", "1 to 10000"},
		{"bg-FFF", "bg", "RRGGBB"},
		{"bg-FF0000FF", "bg", "opacity from 00 to 99"},
		{"bg-GGGGGG", "bg", "RRGGBB"},
		{"b-5", "b", "<width>_<colour>"},
		{"b-0_FFFFFF", "b", "<width>_<colour>"},
		{"b-5_nocolour", "b", "<width>_<colour>"},
		{"t-0", "t", "1 to 99"},
		{"t-100", "t", "1 to 99"},
		{"o-101", "o", "0 to 100"},
		{"zz-1", "zz-1", "unknown"},
		{"e-foo", "e-foo", "unknown"},
		{"width-300", "width-300", "unknown"},
		{"w-300,", "tr", "empty parameter"},
		{",w-300", "tr", "empty parameter"},
		{"w-300:", "tr", "empty transformation step"},
		{":", "tr", "empty transformation step"},
		{"n-unknown", "n", "unknown named"},
		{"n-thumb,w-10", "n", "alone in its step"},
		{"bg-" + strings.Repeat("F", 100), "bg", "longer than"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.chain, "", ParseOptions{Named: map[string]string{"thumb": "w-100"}})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) error = %v, want *Error", tt.chain, err)
			continue
		}
		if e.Kind != Invalid || e.Param != tt.param || !strings.Contains(e.Msg, tt.mentioned) {
			t.Errorf("Parse(%q) = {%v %q %q}, want Invalid %q mentioning %q", tt.chain, e.Kind, e.Param, e.Msg, tt.param, tt.mentioned)
		}
	}
}

// TestParseSizeLimits: a chain over the grammar's size limits is refused
// as a Limit (400 ELIMIT), like the request budget, not as a syntax error.
func TestParseSizeLimits(t *testing.T) {
	tests := []struct{ chain, param, mentioned string }{
		{strings.Repeat("w-1,", 600), "tr", "longer than"},
		{strings.Repeat("q-1:", 501) + "q-1", "max_steps", "steps"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.chain, "", ParseOptions{})
		var e *Error
		if !errors.As(err, &e) || e.Kind != Limit || e.Param != tt.param || !strings.Contains(e.Msg, tt.mentioned) {
			t.Errorf("Parse(%.30q…) = %v, want a Limit on %q mentioning %q", tt.chain, err, tt.param, tt.mentioned)
		}
	}
}

func TestParseEmpty(t *testing.T) {
	c, err := Parse("", "", ParseOptions{})
	if c != nil || err != nil {
		t.Fatalf("Parse empty = %v, %v; want nil, nil", c, err)
	}
	if c.Original() || c.Canonical() != "" {
		t.Fatal("nil chain must be usable")
	}
}

func TestParseNamed(t *testing.T) {
	named := map[string]string{"thumb": "w-200,h-200,c-at_max", "gray": "e-grayscale:f-png"}
	if err := ValidateNamed(named); err != nil {
		t.Fatal(err)
	}
	opts := ParseOptions{Named: named}
	c, err := Parse("n-thumb", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Canonical(); got != "w-200,h-200,c-at_max" {
		t.Errorf("n-thumb = %q", got)
	}
	c, err = Parse("n-thumb:n-gray", "rt-90", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Canonical(); got != "w-200,h-200,c-at_max:e-grayscale:rt-90:f-png" {
		t.Errorf("n-thumb:n-gray + rt-90 = %q", got)
	}

	restricted := ParseOptions{Named: named, RestrictUnnamed: true}
	if _, err := Parse("n-thumb", "", restricted); err != nil {
		t.Errorf("named chain refused under restrict_unnamed: %v", err)
	}
	for _, chain := range []string{"w-100", "n-thumb:w-100"} {
		_, err := Parse(chain, "", restricted)
		if !IsKind(err, Invalid) || !strings.Contains(err.Error(), "only named") {
			t.Errorf("Parse(%q) under restrict_unnamed = %v, want Invalid", chain, err)
		}
	}
	if _, err := Parse("", "w-100", restricted); !IsKind(err, Invalid) {
		t.Errorf("query chain under restrict_unnamed = %v, want Invalid", err)
	}

	for name, bad := range map[string]map[string]string{
		"bad value":  {"x": "w-abc"},
		"nested":     {"x": "n-y", "y": "w-1"},
		"empty":      {"x": ""},
		"bad name":   {"a/b": "w-1"},
		"empty name": {"": "w-1"},
	} {
		if err := ValidateNamed(bad); !IsKind(err, Invalid) {
			t.Errorf("ValidateNamed(%s) = %v, want Invalid", name, err)
		}
	}
}

func TestOriginal(t *testing.T) {
	c, _ := Parse("orig-true", "", ParseOptions{})
	if !c.Original() {
		t.Error("orig-true not Original")
	}
	c, _ = Parse("w-10", "", ParseOptions{})
	if c.Original() {
		t.Error("w-10 is Original")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"w-300,h-200", "e-usm-2-0.8-1-0.05", "rt-N90:fl-h_v", "n-thumb", "w-0.5,ar-4-3,dpr-2",
		"bg-FF000080,cm-pad_resize,w-1,h-1", "b-5_red,t-true,o-50,r-max", "::", ",", "w-N", "q-",
		"l-text,i-Hello wörld/x,ff-Open Sans,fs-bh_div_10,l-end", "l-image,ie-YS9iLnBuZw==,lx-N10,l-image,i-ik_canvas,w-10,h-10,bg-red,l-end,l-end",
		"if-ar_gt_4-3_or_iw_lt_100,w-iw_div_2:rt-45,if-else,e-shadow-bl-2,if-end", "r-1_2_max_0,bg-blurred_5_N20,e-gradient-ld-top_left_sp-0.5,cr-red_10_blue",
	} {
		f.Add(s, "")
	}
	opts := ParseOptions{Named: map[string]string{"thumb": "w-100"}}
	f.Fuzz(func(t *testing.T, path, query string) {
		c, err := Parse(path, query, opts)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Kind != Invalid && e.Kind != Limit) || e.Msg == "" {
				t.Fatalf("Parse(%q, %q) returned an error neither Invalid nor Limit: %v", path, query, err)
			}
			return
		}
		if c == nil {
			return
		}
		canon := c.Canonical()
		if strings.ContainsAny(canon, "/ \"") {
			t.Fatalf("canonical %q has unsafe characters", canon)
		}
		for _, r := range canon {
			if r > 0x7e || r < 0x20 {
				t.Fatalf("canonical %q is not printable ASCII", canon)
			}
		}
		if canon == "" {
			return
		}
		c2, err := Parse(canon, "", ParseOptions{})
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", canon, path, err)
		}
		if got := c2.Canonical(); got != canon {
			t.Fatalf("canonical not stable: %q -> %q", canon, got)
		}
		for _, f := range []string{"image/jpeg", "image/png", "image/gif"} {
			_, _, _ = c.OutputFormat(f, "image/avif,image/webp", true)
		}
	})
}

// BenchmarkParse measures the per-request parsing and canonicalisation of
// typical chains.
func BenchmarkParse(b *testing.B) {
	for _, chain := range []string{
		"w-300,h-300",
		"w-400,h-300,c-at_max,f-webp,q-75",
		"w-600,h-200,cm-pad_resize,bg-F3F3F3:rt-N90:e-sharpen-5,e-usm-2-0.8-1-0.05",
	} {
		b.Run(chain, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c, err := Parse(chain, "", ParseOptions{})
				if err != nil {
					b.Fatal(err)
				}
				_ = c.Canonical()
			}
		})
	}
}

// TestParseGrammarConstructs covers what the grammar reads but the
// executor cannot run yet, the deprecated overlay syntax, and expressions
// of constants, which compile to their value.
func TestParseGrammarConstructs(t *testing.T) {
	refused := []struct {
		chain, param, mentioned string
	}{
		{"oi-logo.png", "oi", "deprecated"},
		{"w-300,ot-hello", "ot", "deprecated"},
		{"ox-N35", "ox", "deprecated"},
		{"w-bw_div_2", "w", "only known inside a layer"},
		{"w-1_div_0", "w", "division by zero"},
		{"w-10_pow_10", "w", "out of range"},
		{"w-1_sub_2", "w", "positive integer"}, // the value rules apply to the result
		{"lx-10", "lx", "only allowed inside a layer"},
		{"l-image,i-a@@..@@b.png,l-end", "i", "not a valid path"},
		{"l-image,ie-***,l-end", "ie", "base64"},
		{"l-text,ie-AA,l-end", "ie", "visible text"},
		{"l-image,i-a.png,f-png,l-end", "f", "inside a layer"},
		{"l-text,i-hi,ff-comic,l-end", "ff", "built-in font"},
		{"l-image,i-ik_canvas,bg-red,l-end", "l-image", "needs w and h"},
	}
	for _, tt := range refused {
		_, err := Parse(tt.chain, "", ParseOptions{})
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || e.Param != tt.param || !strings.Contains(e.Msg, tt.mentioned) {
			t.Errorf("Parse(%q) = %v, want Invalid %q mentioning %q", tt.chain, err, tt.param, tt.mentioned)
		}
	}
	folded := []struct{ chain, want string }{
		{"w-100_mul_2", "w-200"},
		{"w-100_mul_2,h-50_add_50", "w-200,h-100"},
		{"w-1_div_4", "w-0.25"},
		{"b-2_add_3_red", "b-5_FF0000"},
		{"w-10,h-10,cm-extract,x-2_mul_3", "w-10,h-10,cm-extract,x-6"},
	}
	for _, tt := range folded {
		c, err := Parse(tt.chain, "", ParseOptions{})
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.chain, err)
			continue
		}
		if got := c.Canonical(); got != tt.want {
			t.Errorf("Parse(%q).Canonical() = %q, want %q", tt.chain, got, tt.want)
		}
	}
	// Named definitions go through the same grammar.
	if err := ValidateNamed(map[string]string{"x": "l-image,i-a,lx-N,l-end"}); !IsKind(err, Invalid) || !strings.Contains(err.Error(), "lx") {
		t.Errorf("ValidateNamed(bad layer) = %v", err)
	}
}

// TestRulesMatchGrammar checks that every compile rule has its key in the
// grammar table, and that the grammar's normal form lists today's keys in
// canonical order.
func TestRulesMatchGrammar(t *testing.T) {
	for name := range rules {
		if k, _, _ := grammar.Lookup(name); k == nil || k.Name != name {
			t.Errorf("rule %q has no grammar key", name)
		}
	}
	all := "o-50,t-5,b-5_FF0000,bg-FFFFFF,r-20,e-usm-2-0.8-1-0.05,e-sharpen-5,e-contrast,e-grayscale,bl-10,fl-h,rt-90,yc-2,xc-1,fo-top,cm-extract,c-force,dpr-2,h-10,w-10"
	tree, err := grammar.Parse(all, grammar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(all, "", ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tree.String(), c.Canonical(); got != want {
		t.Errorf("normal form %q, canonical %q", got, want)
	}
}
