package grammar

import (
	"math"
	"strings"
	"testing"
)

func TestExprEval(t *testing.T) {
	env := Env{IW: 800, IH: 600, CW: 400, CH: 300, BW: 1000, BH: 500, Known: VarIW | VarIH | VarIAR | VarCW | VarCH | VarCAR | VarBW | VarBH | VarBAR}
	tests := []struct {
		expr string
		want float64
	}{
		{"iw", 800},
		{"iw_div_2", 400},
		{"ih_mul_0.8_add_iw_mul_0.4", 600*0.8 + 800*0.4},
		{"iar", 800.0 / 600},
		{"car_mul_0.5", 400.0 / 300 * 0.5},
		{"bar", 2},
		{"bw_mul_0.9", 900},
		{"iw_sub_cw", 400},
		{"ch_mod_7", 300 % 7},
		// ImageKit's calculation sequence: mul/div, then add/sub, then mod,
		// then pow, each left to right.
		{"2_add_3_mul_4", 14},
		{"2_mul_3_add_4", 10},
		{"10_sub_4_sub_3", 3},            // left to right
		{"100_div_10_div_2", 5},          // left to right
		{"10_add_5_mod_4", 3},            // (10+5) mod 4: mod after add
		{"10_mod_4_add_5", 1},            // 10 mod (4+5)
		{"2_pow_3_add_1", 16},            // 2^(3+1): pow last
		{"2_add_1_pow_2", 9},             // (2+1)^2
		{"2_pow_3_pow_2", 64},            // (2^3)^2: left to right
		{"9_mod_5_pow_2", 16},            // (9 mod 5)^2
		{"1_add_2_mul_3_mod_4_pow_2", 9}, // ((1+(2*3)) mod 4)^2
		{"0.5_mul_4", 2},
	}
	for _, tt := range tests {
		e, err := ParseExpr(tt.expr)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", tt.expr, err)
			continue
		}
		got, err := e.Eval(env)
		if err != nil || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%q = %v, %v; want %v", tt.expr, got, err, tt.want)
		}
		if e.String() != tt.expr {
			t.Errorf("%q prints as %q", tt.expr, e.String())
		}
	}
}

func TestExprEvalErrors(t *testing.T) {
	tests := []struct {
		expr      string
		env       Env
		mentioned string
	}{
		{"iw_div_0", Env{IW: 10, Known: VarIW}, "division by zero"},
		{"iw_mod_0", Env{IW: 10, Known: VarIW}, "division by zero"},
		{"iw_div_ch", Env{IW: 10, Known: VarIW | VarCH}, "division by zero"},
		{"iar", Env{IW: 10, Known: VarIW | VarIH | VarIAR}, "zero height"},
		{"iw", Env{}, "iw is not known"},
		{"bw_div_2", Env{IW: 1, Known: VarIW}, "bw is not known"},
		{"10_pow_10", Env{}, "out of range"},
		{"999999_mul_999999", Env{}, "out of range"},
		{"0_sub_999999_mul_9999", Env{}, "out of range"},
		{"0_pow_0.5_sub_1_pow_0.5", Env{}, "out of range"}, // (0-1)^0.5 is NaN
	}
	for _, tt := range tests {
		e, err := ParseExpr(tt.expr)
		if err != nil {
			t.Fatalf("ParseExpr(%q): %v", tt.expr, err)
		}
		if _, err := e.Eval(tt.env); err == nil || !strings.Contains(err.Error(), tt.mentioned) {
			t.Errorf("%q Eval = %v, want error mentioning %q", tt.expr, err, tt.mentioned)
		}
	}
	if _, err := ParseExpr(strings.TrimSuffix(strings.Repeat("1_add_", maxExprOperands+1), "_add_")); err == nil {
		t.Error("an expression over the operand bound parsed")
	}
	if _, err := ParseExpr("1_add_9999999999999999"); err == nil {
		t.Error("a literal over the bound parsed")
	}
}

func TestCondEval(t *testing.T) {
	env := Env{IW: 800, IH: 600, CW: 200, CH: 400, Known: VarIW | VarIH | VarIAR | VarCW | VarCH | VarCAR}
	tests := []struct {
		cond string
		want bool
	}{
		{"w_eq_200", true},
		{"w_ne_200", false},
		{"h_gt_399", true},
		{"h_gt_400", false},
		{"h_gte_400", true},
		{"h_lt_400", false},
		{"h_lte_400", true},
		{"ar_lt_1", true},
		{"ar_eq_0.5", true},
		{"iar_eq_4-3", true},
		{"iar_gt_4-3", false},
		{"iw_eq_800_and_ih_eq_600", true},
		{"iw_eq_800_and_ih_eq_1", false},
		// and binds tighter than or.
		{"w_eq_1_and_h_eq_1_or_iw_eq_800", true},
		{"iw_eq_800_or_w_eq_1_and_h_eq_1", true},
		{"w_eq_1_or_h_eq_400_and_iw_eq_1", false},
		{"h_gte_100_and_h_lte_400_or_ar_lt_4-3", true},
	}
	for _, tt := range tests {
		c, err := ParseCond(tt.cond)
		if err != nil {
			t.Errorf("ParseCond(%q): %v", tt.cond, err)
			continue
		}
		got, err := c.Eval(env)
		if err != nil || got != tt.want {
			t.Errorf("%q = %v, %v; want %v", tt.cond, got, err, tt.want)
		}
		if c.String() != tt.cond {
			t.Errorf("%q prints as %q", tt.cond, c.String())
		}
	}
	c, _ := ParseCond("iw_gt_1")
	if _, err := c.Eval(Env{}); err == nil {
		t.Error("a condition on an unknown variable evaluated")
	}
}
