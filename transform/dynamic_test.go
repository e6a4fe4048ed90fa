package transform

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/image-cdn/image_cdn/transform/grammar"
)

// compiled parses and compiles text as Parse does, without refusing what
// the executor does not run yet.
func compiled(t *testing.T, text string) (*Chain, error) {
	t.Helper()
	tree, err := parseTree(text, true)
	if err != nil {
		return nil, err
	}
	c := &Chain{}
	return c, c.compileChain(tree, ParseOptions{}, grammar.Env{})
}

// checkCanonical compiles each chain and compares its canonical form; the
// canonical text must read back into the same variant.
func checkCanonical(t *testing.T, tests []struct{ chain, want string }) {
	t.Helper()
	for _, tt := range tests {
		c, err := compiled(t, tt.chain)
		if err != nil {
			t.Errorf("%q: %v", tt.chain, err)
			continue
		}
		if got := c.Canonical(); got != tt.want {
			t.Errorf("%q: canonical %q, want %q", tt.chain, got, tt.want)
		}
		if tt.want == "" {
			continue
		}
		if c2, err := compiled(t, c.Canonical()); err != nil || c2.Canonical() != tt.want {
			t.Errorf("%q: canonical %q does not read back: %v", tt.chain, c.Canonical(), err)
		}
	}
}

// TestDynamicCanonical: per-request values keep their un-evaluated text in
// the variant key, so one URL is one variant, and spelling variants of
// the same expression share it.
func TestDynamicCanonical(t *testing.T) {
	tests := []struct{ chain, want string }{
		{"w-iw_div_2", "w-iw_div_2"},
		{"w-iw_div_2.0,h-100", "w-iw_div_2,h-100"},
		{"h-100,w-iw_div_2", "w-iw_div_2,h-100"},
		{"w-iw_div_2,f-webp", "w-iw_div_2:f-webp"},
		{"b-ch_mod_5_yellow", "b-ch_mod_5_yellow"},
		{"w-300:h-ch_mul_0.50", "w-300:h-ch_mul_0.5"},
		{"if-ar_gt_1,w-200,if-else,w-300,if-end", "if-ar_gt_1,w-200,if-else,w-300,if-end"},
		{"if-w_gte_100_and_h_lt_400,w-iw_div_2:rt-90,if-end:q-60", "if-w_gte_100_and_h_lt_400,w-iw_div_2:rt-90,if-end:q-60"},
		{"w-100_mul_2", "w-200"}, // constants still fold
	}
	checkCanonical(t, tests)
}

// TestResolve evaluates per-request steps as ImageKit documents: iw/ih the
// source, cw/ch the current image, bw/bh the parent in a layer; mul and
// div before add and sub.
func TestResolve(t *testing.T) {
	env := imageEnv(1000, 500, 400, 200, 800, 600)
	tests := []struct {
		chain         string
		width, height float64
		x             optInt
	}{
		{"w-iw_div_2", 500, 0, optInt{}},
		{"w-cw_mul_0.5,h-ih_sub_100", 200, 400, optInt{}},
		{"w-iw_div_4_add_10", 260, 0, optInt{}},
		{"w-100,h-100,cm-extract,x-cw_sub_100", 100, 100, optInt{300, true}},
		{"h-ch_mul_car", 0, 400, optInt{}}, // 200 × 2
	}
	for _, tt := range tests {
		c, err := compiled(t, tt.chain)
		if err != nil {
			t.Fatalf("%q: %v", tt.chain, err)
		}
		s := &c.steps[0]
		if s.tree == nil {
			t.Fatalf("%q: not dynamic", tt.chain)
		}
		r, err := s.resolve(env)
		if err != nil {
			t.Errorf("%q: %v", tt.chain, err)
			continue
		}
		if r.width != tt.width || r.height != tt.height || r.x != tt.x {
			t.Errorf("%q: w=%v h=%v x=%v, want %v %v %v", tt.chain, r.width, r.height, r.x, tt.width, tt.height, tt.x)
		}
	}
	errs := []struct{ chain, param, mentioned string }{
		{"w-iw_div_0", "w", "division by zero"},
		{"w-cw_mod_0", "w", "division by zero"},
		{"w-iw_sub_2000", "w", "positive integer"}, // the value rules apply to the result
		{"w-iw_pow_10", "w", "out of range"},
		{"h-ih_mul_10000", "h", "positive integer"}, // 5e6 is beyond the size rule
	}
	for _, tt := range errs {
		c, err := compiled(t, tt.chain)
		if err != nil {
			t.Fatalf("%q: %v", tt.chain, err)
		}
		_, err = c.steps[0].resolve(env)
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || e.Param != tt.param || !strings.Contains(e.Msg, tt.mentioned) {
			t.Errorf("%q: %v, want Invalid %q mentioning %q", tt.chain, err, tt.param, tt.mentioned)
		}
	}
}

// TestChoose decides if blocks per request: w, h, ar are the current
// image, iw, ih, iar the source; and binds tighter than or.
func TestChoose(t *testing.T) {
	env := imageEnv(1000, 500, 400, 300, 0, 0) // car 4/3, iar 2
	tests := []struct {
		chain string
		then  bool
	}{
		{"if-ar_gt_1,w-1,if-else,w-2,if-end", true},
		{"if-ar_eq_4-3,w-1,if-else,w-2,if-end", true},
		{"if-iar_lt_4-3,w-1,if-else,w-2,if-end", false},
		{"if-w_gte_400_and_h_lt_300,w-1,if-else,w-2,if-end", false},
		{"if-w_gte_400_and_h_lt_300_or_ih_eq_500,w-1,if-else,w-2,if-end", true},
		{"if-iw_ne_1000,w-1,if-end", false},
	}
	for _, tt := range tests {
		c, err := compiled(t, tt.chain)
		if err != nil {
			t.Fatalf("%q: %v", tt.chain, err)
		}
		b := c.steps[0].cond
		branch, err := b.choose(env)
		if err != nil {
			t.Fatalf("%q: %v", tt.chain, err)
		}
		gotThen := len(branch) > 0 && branch[0].width == 1
		if gotThen != tt.then {
			t.Errorf("%q: then=%v, want %v", tt.chain, gotThen, tt.then)
		}
	}
	for _, chain := range []string{"if-w_gt_1,f-png,if-end", "if-w_gt_1,w-10,q-50,if-end"} {
		_, err := compiled(t, chain)
		if !IsKind(err, Invalid) || !strings.Contains(err.Error(), "cannot be conditional") {
			t.Errorf("%q: %v, want output parameters refused", chain, err)
		}
	}
}

// TestNewParameterRules checks the value rules of the parameters ImageKit
// documents with their own syntax, and their canonical forms.
func TestNewParameterRules(t *testing.T) {
	ok := []struct{ chain, want string }{
		{"rt-45", "rt-45"},
		{"rt-N45", "rt-315"},
		{"r-10_0_10_0", "r-10_0_10_0"},
		{"r-5_5_5_5", "r-5"},
		{"r-max_0_max_0", "r-max_0_max_0"},
		{"w-10,h-10,cm-pad_resize,bg-FF000050", "w-10,h-10,cm-pad_resize,bg-FF000050"},
		{"w-10,h-10,cm-pad_resize,bg-FF000099", "w-10,h-10,cm-pad_resize,bg-FF0000"},
		{"w-10,h-10,cm-pad_resize,bg-SteelBlue", "w-10,h-10,cm-pad_resize,bg-4682B4"},
		{"w-10,h-10,cm-pad_resize,bg-transparent", "w-10,h-10,cm-pad_resize,bg-00000000"},
		{"w-10,h-10,cm-pad_resize,bg-blurred_20_N50", "w-10,h-10,cm-pad_resize,bg-blurred_20_N50"},
		{"w-10,h-10,cm-pad_resize,bg-blurred_auto", "w-10,h-10,cm-pad_resize,bg-blurred"},
		{"w-10,h-10,cm-pad_resize,bg-dominant", "w-10,h-10,cm-pad_resize,bg-dominant"},
		{"w-10,h-10,cm-pad_resize,bg-gradient_dominant", "w-10,h-10,cm-pad_resize,bg-gradient_dominant"},
		{"e-shadow", "e-shadow"},
		{"e-shadow-bl-10_st-30", "e-shadow"},
		{"e-shadow-y-N5_bl-2", "e-shadow-bl-2_y-N5"},
		{"e-gradient", "e-gradient"},
		{"e-gradient-ld-top_left_from-red_sp-0.5", "e-gradient-ld-315_from-FF0000_sp-0.5"},
		{"e-gradient-ld-N90_to-00000050", "e-gradient-ld-270_to-00000050"},
		{"cr-red", "cr-FF0000"},
		{"cr-red_35", "cr-FF0000"},
		{"cr-red_20_blue", "cr-FF0000_20_0000FF"},
		{"e-distort-a-N120", "e-distort-a-N120"},
		{"e-distort-p-10_0_90_10_100_100_0_90", "e-distort-p-10_0_90_10_100_100_0_90"},
		{"w-100,h-100,fo-face,z-0.8", "w-100,h-100,fo-face,z-0.8"},
		{"w-100,h-100,z-0.8", "w-100,h-100"}, // z only acts with fo-face
		{"t-false", ""},
	}
	checkCanonical(t, ok)
	bad := []struct{ chain, param, mentioned string }{
		{"r-1_2_3", "r", "four"},
		{"r-1_2_3_x", "r", "each corner"},
		{"bg-blurred_0", "bg", "blurred_<1..100"},
		{"bg-blurred_10_300", "bg", "brightness"},
		{"bg-FF0000AB", "bg", "opacity from 00 to 99"},
		{"e-shadow-bl-16", "e-shadow", "bl-<0..15>"},
		{"e-shadow-q-1", "e-shadow", "bl-<0..15>"},
		{"e-gradient-ld-up", "e-gradient", "ld-<angle or direction>"},
		{"e-gradient-from-nocolour", "e-gradient", "from-<colour>"},
		{"e-gradient-sp-0", "e-gradient", "sp-<stop>"},
		{"cr-red_101", "cr", "tolerance 0..100"},
		{"e-distort-a-0", "e-distort", "e-distort-a-<degrees>"},
		{"e-distort-p-1_2_3", "e-distort", "e-distort-p-"},
		{"e-distort-x-1", "e-distort", "e-distort-p-"},
		{"z-0", "z", "zoom factor"},
		{"fo-car", "fo", "object-aware focus"},
	}
	for _, tt := range bad {
		_, err := compiled(t, tt.chain)
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || e.Param != tt.param || !strings.Contains(e.Msg, tt.mentioned) {
			t.Errorf("%q: %v, want Invalid %q mentioning %q", tt.chain, err, tt.param, tt.mentioned)
		}
	}
}

// TestColourOpacity: ImageKit's RRGGBBAA takes AA as a decimal opacity,
// 00 transparent to 99 opaque.
func TestColourOpacity(t *testing.T) {
	for _, tt := range []struct {
		v string
		a uint8
	}{{"FF000000", 0}, {"FF000099", 255}, {"FF000050", 129}, {"FF000010", 26}} {
		c, ok := parseColor(tt.v)
		if !ok || c.a != tt.a || c.r != 255 {
			t.Errorf("parseColor(%q) = %+v %v, want alpha %d", tt.v, c, ok, tt.a)
		}
		if got, _ := parseColor(c.hex()); got != c {
			t.Errorf("parseColor(%q).hex() = %q does not read back", tt.v, c.hex())
		}
	}
	for pct := 0; pct <= 99; pct++ {
		if alphaOpacity(opacityAlpha(pct)) != pct {
			t.Errorf("opacity %d does not round-trip", pct)
		}
	}
}

// TestProcessPerRequest runs expressions and if blocks end to end on a
// 400×200 source: the sizes follow ImageKit's definitions of iw, ih, cw,
// ch and of its conditions.
func TestProcessPerRequest(t *testing.T) {
	src := encodeWith(t, quadrants(t, 400, 200), PNG)
	tests := []struct {
		chain string
		w, h  int
	}{
		{"w-iw_div_2", 200, 100},
		{"w-100:w-cw_mul_3", 300, 150},
		{"w-iw_div_4,h-ih_div_4,c-force", 100, 50},
		{"h-ch_sub_100", 200, 100},
		{"w-300:w-iw_div_2", 200, 100}, // iw stays the source's
		{"if-ar_gt_1,w-100,if-else,h-100,if-end", 100, 50},
		{"rt-90:if-ar_gt_1,w-100,if-else,h-100,if-end", 50, 100}, // ar is the current image's
		{"rt-90:if-iar_gt_1,w-100,if-else,h-100,if-end", 100, 200},
		{"if-w_lt_100,w-50,if-end", 400, 200},
		{"if-w_eq_400_and_h_eq_200,w-40:w-cw_div_2,if-end", 20, 10},
		{"w-100,h-100,cm-pad_resize,b-ch_div_10_red", 140, 140}, // cw, ch: the image entering the step (200 high)
	}
	for _, tt := range tests {
		res := process(t, src, tt.chain, PNG)
		if res.Width != tt.w || res.Height != tt.h {
			t.Errorf("%s: %dx%d, want %dx%d", tt.chain, res.Width, res.Height, tt.w, tt.h)
		}
	}
	for _, tt := range []struct{ chain, param string }{
		{"w-iw_sub_400", "w"},
		{"w-cw_div_0", "w"},
		{"w-100:h-ch_mod_0", "h"},
	} {
		c, err := Parse(tt.chain, "", ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tt.chain, err)
		}
		_, err = NewProcessor(Config{Workers: 1}).Process(context.Background(), src, c, PNG)
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || e.Param != tt.param {
			t.Errorf("%s: %v, want Invalid naming %s", tt.chain, err, tt.param)
		}
	}
}

// TestCanonicalSafeText: layer text and paths that hold spaces, '/', '%' or
// non-ASCII enter the variant key as URL-safe base64, and font names as
// lower-case with '_'.
func TestCanonicalSafeText(t *testing.T) {
	checkCanonical(t, []struct{ chain, want string }{
		{"l-text,i-Hello world,l-end", "l-text,ie-SGVsbG8gd29ybGQ,l-end"},
		{"l-text,i-Hello,ff-Open Sans,l-end", "l-text,i-Hello,ff-open_sans,l-end"},
		{"l-image,i-a@@b.png,l-end", "l-image,i-a@@b.png,l-end"},
		{"l-image,ie-YS9iLnBuZw==,l-end", "l-image,ie-YS9iLnBuZw,l-end"},
		{"if-w_gt_1,l-text,i-50%,l-end,if-end", "if-w_gt_1,l-text,ie-NTAl,l-end,if-end"},
	})
}
