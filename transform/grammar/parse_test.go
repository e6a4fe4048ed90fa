package grammar

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePrint(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"w-300", "w-300"},
		{"h-200,w-300", "w-300,h-200"},
		{"w-300.0,h-0.50", "w-300,h-0.5"},
		{"w-300:rt-90", "w-300:rt-90"},
		{"rt-90:w-300", "rt-90:w-300"}, // steps keep their order
		{"e-sharpen-5,e-usm-2.0-0.80-1-0.050", "e-sharpen-5,e-usm-2-0.8-1-0.05"},
		{"e-sharpen", "e-sharpen"},
		{"e-grayscale,w-1", "w-1,e-grayscale"},
		{"ar-8.0-6,w-400", "w-400,ar-8-6"},
		{"x-N010", "x-N10"},
		{"w-200,w-100", "w-200,w-100"}, // repeated keys keep their order: the last wins
		{"q-80,f-webp,w-1", "w-1,f-webp,q-80"},
		{"bg-white", "bg-white"}, // aliases are the compiler's job
		// Expressions: spelling normalised, structure kept.
		{"w-iw_div_2", "w-iw_div_2"},
		{"w-iw_div_2.0", "w-iw_div_2"},
		{"h-ch_mul_0.80_add_bh_mul_0.6", "h-ch_mul_0.8_add_bh_mul_0.6"},
		{"b-ch_mod_5_yellow", "b-ch_mod_5_yellow"},
		{"b-5_FF0000", "b-5_FF0000"},
		{"ar-car_mul_0.5,w-10", "w-10,ar-car_mul_0.5"},
		{"w-iw", "w-iw"},
		// Conditionals.
		{"if-ar_gt_1,w-200,if-else,w-300,if-end", "if-ar_gt_1,w-200,if-else,w-300,if-end"},
		{"if-ar_gt_1.0,h-2,w-200,if-end", "if-ar_gt_1,w-200,h-2,if-end"},
		{"h-200:if-h_eq_200,w-100,if-end:rt-90", "h-200:if-h_eq_200,w-100,if-end:rt-90"},
		{"if-h_gte_100_and_h_lte_400_or_ar_lt_4-3,w-1:rt-90,if-end", "if-h_gte_100_and_h_lte_400_or_ar_lt_4-3,w-1:rt-90,if-end"},
		{"if-iar_ne_04-03,w-1,if-end", "if-iar_ne_4-3,w-1,if-end"},
		// Layers: parameters first, layers after in written order.
		{"l-image,i-logo.png,l-end", "l-image,i-logo.png,l-end"},
		{"l-image,i-logo.png,l-end,w-300", "w-300,l-image,i-logo.png,l-end"},
		{"w-300,h-300,l-image,i-logo.png,w-10,rt-90,l-end", "w-300,h-300,l-image,w-10,rt-90,i-logo.png,l-end"},
		{"l-image,i-a.png,w-10:rt-90,l-end", "l-image,w-10,i-a.png:rt-90,l-end"},
		{"l-image,i-outer.png,l-image,i-inner.png,lfo-top_left,l-end,l-end", "l-image,i-outer.png,l-image,i-inner.png,lfo-top_left,l-end,l-end"},
		{"l-text,i-Hello,fs-bh_div_20,co-FFFFFF,l-end", "l-text,i-Hello,fs-bh_div_20,co-FFFFFF,l-end"},
		{"l-image,ie-bG9nby5wbmc=,lx-bw_mul_0.9,ly-N10,l-end", "l-image,ie-bG9nby5wbmc=,lx-bw_mul_0.9,ly-N10,l-end"},
		{"l-image,i-ik_canvas,bg-FF0000,w-10,h-10,l-end:l-text,i-x,l-end", "l-image,w-10,h-10,bg-FF0000,i-ik_canvas,l-end:l-text,i-x,l-end"},
		{"if-w_gt_10,l-image,i-a,l-end,if-end", "if-w_gt_10,l-image,i-a,l-end,if-end"},
		// Named references stay as written; the caller expands them.
		{"n-thumb:w-1", "n-thumb:w-1"},
	}
	for _, tt := range tests {
		c, err := Parse(tt.in, Options{AllowNamed: true})
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		got := c.String()
		if got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		c2, err := Parse(got, Options{AllowNamed: true})
		if err != nil || c2.String() != got {
			t.Errorf("normal form %q does not round-trip: %v", got, err)
		}
	}
}

func TestParseTree(t *testing.T) {
	c, err := Parse("w-300,l-image,i-a.png,l-text,i-b,l-end,l-end:if-ar_gt_1,w-10,if-else,h-10:rt-90,if-end", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Steps) != 2 {
		t.Fatalf("%d steps, want 2", len(c.Steps))
	}
	s := c.Steps[0]
	if len(s.Params) != 1 || s.Params[0].Key.Name != "w" || s.Params[0].Value != "300" || len(s.Layers) != 1 {
		t.Fatalf("step 0 = %+v", s)
	}
	outer := s.Layers[0]
	if outer.Kind != "image" || len(outer.Chain.Steps) != 1 || len(outer.Chain.Steps[0].Layers) != 1 || outer.Chain.Steps[0].Layers[0].Kind != "text" {
		t.Fatalf("layers = %+v", outer)
	}
	b := c.Steps[1].If
	if b == nil || len(b.Then.Steps) != 1 || len(b.Else.Steps) != 2 || b.Else.Steps[1].Params[0].Key.Name != "rt" {
		t.Fatalf("if block = %+v", b)
	}
	if c.Steps[1].Vars() != 0 || b.Cond.Vars() != VarCAR {
		t.Errorf("vars: step %v, cond %v", c.Steps[1].Vars(), b.Cond.Vars())
	}
	w, _ := Parse("w-iw_div_2,h-ch_add_bh", Options{})
	if got := w.Steps[0].Vars(); got != VarIW|VarCH|VarBH {
		t.Errorf("Vars = %v, want iw, ch, bh", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, param, mentioned string
	}{
		{"", "tr", "empty transformation step"},
		{":", "tr", "empty transformation step"},
		{"w-1:", "tr", "empty transformation step"},
		{"w-1,", "tr", "empty parameter"},
		{",w-1", "tr", "empty parameter"},
		{"w-1,,h-1", "tr", "empty parameter"},
		{strings.Repeat("w-1,", 600), "tr", "longer than"},
		{strings.Repeat("w-1:", MaxSteps+1), "max_steps", "steps"},
		{"zz-1", "zz-1", "unknown parameter"},
		{"width-300", "width-300", "unknown parameter"},
		{strings.Repeat("z", 40), strings.Repeat("z", 32), "unknown parameter"},
		{"w", "w", "needs a value"},
		{"e-usm", "e-usm", "needs a value"},
		{"e-grayscale-5", "e-grayscale", "no value"},
		{"bg-" + strings.Repeat("F", 65), "bg", "longer than 64"},
		{"n-a,w-1", "n", "alone in its step"},
		{"w-1,n-a", "n", "alone in its step"},
		{"n-", "n", "needs a name"},
		{"l-image,i-a,n-b,l-end", "n", "inside layers"},
		// Deprecated overlays answer 400, naming the key.
		{"oi-logo.png", "oi", "deprecated"},
		{"w-100,ot-hello,ots-20", "ot", "deprecated"},
		{"ox-N35", "ox", "deprecated"},
		{"obg-00FFFF55", "obg", "deprecated"},
		// Layer-only keys.
		{"lx-10", "lx", "only allowed inside a layer"},
		{"i-logo.png", "i", "only allowed inside a layer"},
		// Layers.
		{"l-image", "l-image", "followed by ','"},
		{"l-image,i-a", "l-image", "no l-end"},
		{"l-image:i-a,l-end", "l-image", "followed by ','"},
		{"l-image,w-10,l-end", "l-image", "needs i-"},
		{"l-image,l-end", "l-image", "needs i-"},
		{"l-end", "l-end", "no matching"},
		{"w-1,l-end", "l-end", "no matching"},
		{"l-image,i-a:l-end", "l-end", "after ','"},
		{"l-image,i-a,l-image,i-b,l-image,i-c,l-image,i-d,l-end,l-end,l-end,l-end", "l-image", "at most 3 levels"},
		{strings.Repeat("l-image,i-a,l-end:", MaxLayers) + "l-text,i-b,l-end", "l-text", "more than 16 layers"},
		// Conditionals.
		{"if-ar_gt_1,w-200", "if", "no if-end"},
		{"if-ar_gt_1,if-end", "if", "at least one"},
		{"if-ar_gt_1,w-1,if-else,if-end", "if-else", "at least one"},
		{"if-ar_gt_1", "if", "followed by ','"},
		{"if-ar_gt_1:w-1,if-end", "if", "followed by ','"},
		{"h-100,if-h_eq_200,w-100,if-end", "if", "cannot have other parameters"},
		{"h-400:if-h_eq_200,w-100,if-end,bl-10:rt-90", "if", "cannot have other parameters"},
		{"if-h_eq_200,if-w_eq_1,w-1,if-end,if-end", "if", "nested"},
		{"l-image,i-a,if-w_gt_1,w-1,if-end,l-end", "if", "inside layers"},
		{"if-w_gt_1,w-1,if-else,h-1,if-else,h-2,if-end", "if-else", "no matching"},
		{"if-end", "if-end", "no matching"},
		{"if-else", "if-else", "no matching"},
		{"if-x_gt_1,w-1,if-end", "if", "not a condition property"},
		{"if-w_gtt_1,w-1,if-end", "if", "not a comparison"},
		{"if-w_gt_a,w-1,if-end", "if", "not a number"},
		{"if-w_gt_4-3,w-1,if-end", "if", "not a number"},
		{"if-ar_gt_4-0,w-1,if-end", "if", "not a ratio"},
		{"if-w_gt,w-1,if-end", "if", "{property}_{operator}_{value}"},
		{"if-w_gt_1_xor_h_lt_2,w-1,if-end", "if", "and or or"},
		{"if-w_gt_1_and,w-1,if-end", "if", "{property}_{operator}_{value}"},
		{"if-" + strings.Repeat("w_gt_1_and_", 16) + "w_gt_1,w-1,if-end", "if", "at most 16"},
		// Expressions.
		{"w-iw_div", "w", "alternates operands and operators"},
		{"w-iw_plus_2", "w", "not an operator"},
		{"w-iw_div_zz", "w", "not an operand"},
		{"w-iw_div_N2", "w", "not an operand"},
		{"w-" + strings.Repeat("iw_add_", 10) + "1", "w", "longer than 64"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, Options{AllowNamed: true})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%.40q) = %v, want *Error", tt.in, err)
			continue
		}
		if e.Param != tt.param || !strings.Contains(e.Msg, tt.mentioned) {
			t.Errorf("Parse(%.40q) = {%q %q}, want %q mentioning %q", tt.in, e.Param, e.Msg, tt.param, tt.mentioned)
		}
	}
	if _, err := Parse("n-a", Options{}); err == nil || !strings.Contains(err.Error(), "cannot refer to another") {
		t.Errorf("n- without AllowNamed = %v", err)
	}
}

// TestLookup checks that keys containing '-' are never split at the first
// '-' and that the longest key wins.
func TestLookup(t *testing.T) {
	tests := []struct {
		token, key, value string
		hasValue          bool
	}{
		{"e-sharpen-5", "e-sharpen", "5", true},
		{"e-sharpen", "e-sharpen", "", false},
		{"e-usm-2-2-0.8-0.024", "e-usm", "2-2-0.8-0.024", true},
		{"ar-4-3", "ar", "4-3", true},
		{"bg-FFF", "bg", "FFF", true},
		{"b-5_red", "b", "5_red", true},
		{"orig-true", "orig", "true", true},
		{"o-50", "o", "50", true},
		{"ie-abc", "ie", "abc", true},
		{"i-e-abc", "i", "e-abc", true},
		{"lxc-10", "lxc", "10", true},
		{"h-", "h", "", true},
	}
	for _, tt := range tests {
		k, v, has := Lookup(tt.token)
		if k == nil || k.Name != tt.key || v != tt.value || has != tt.hasValue {
			t.Errorf("Lookup(%q) = %v %q %v, want %q %q %v", tt.token, k, v, has, tt.key, tt.value, tt.hasValue)
		}
	}
	for _, tok := range []string{"e", "e-", "sharpen-5", "zz", "l-image", "oi-x"} {
		if k, _, _ := Lookup(tok); k != nil {
			t.Errorf("Lookup(%q) = %q, want no key", tok, k.Name)
		}
	}
}
