package grammar

import (
	"errors"
	"testing"
)

// FuzzParse checks, on any input, that Parse never panics, that every
// error names a parameter, and that the normal form parses back to itself
// and evaluates without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"w-300,h-200", "e-usm-2-0.8-1-0.05", "rt-N90:fl-h_v", "n-thumb", "w-0.5,ar-4-3,dpr-2",
		"bg-FF000080,cm-pad_resize,w-1,h-1", "b-5_red,t-true,o-50,r-max", "::", ",", "w-N", "q-",
		"w-iw_div_2,h-ih_mul_0.8_add_iw_mul_0.4", "b-ch_mod_5_yellow", "ar-car_mul_0.5,w-1",
		"if-ar_gt_1,w-200,if-else,w-300,if-end", "h-200:if-h_eq_200,w-100:rt-90,if-end:rt-90",
		"if-h_gte_100_and_h_lte_400_or_ar_lt_4-3,w-1,if-end",
		"l-image,i-logo.png,w-bw_div_2,lx-bw_mul_0.9,ly-bh_mul_0.1,l-end",
		"l-image,i-outer.png,l-image,i-inner.png,lfo-top_left,l-end,l-end",
		"l-text,ie-aGVsbG8=,fs-bh_div_20,co-FF0000,l-end", "oi-logo.png,ox-10", "l-end", "if-end",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text, Options{AllowNamed: true})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Param == "" || e.Msg == "" || len(e.Param) > 32 {
				t.Fatalf("Parse(%q) error %#v does not name a parameter", text, err)
			}
			return
		}
		norm := c.String()
		c2, err := Parse(norm, Options{AllowNamed: true})
		if err != nil {
			t.Fatalf("normal form %q of %q does not parse: %v", norm, text, err)
		}
		if again := c2.String(); again != norm {
			t.Fatalf("normal form not stable: %q -> %q", norm, again)
		}
		env := Env{IW: 7, IH: 0, CW: 3, CH: 5, BW: 0, BH: 2, Known: VarIW | VarIH | VarIAR | VarCW | VarCH | VarCAR | VarBW | VarBH | VarBAR}
		walk(c, func(s *Step) {
			for i := range s.Params {
				if e := s.Params[i].Expr; e != nil {
					_, _ = e.Eval(env)
				}
			}
			if s.If != nil {
				_, _ = s.If.Cond.Eval(env)
			}
		})
	})
}

// walk calls fn on every step of c, inside layers and branches too.
func walk(c *Chain, fn func(*Step)) {
	for i := range c.Steps {
		s := &c.Steps[i]
		fn(s)
		for j := range s.Layers {
			walk(&s.Layers[j].Chain, fn)
		}
		if s.If != nil {
			walk(&s.If.Then, fn)
			walk(&s.If.Else, fn)
		}
	}
}
