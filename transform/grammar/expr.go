package grammar

import (
	"math"
	"strconv"
	"strings"
)

// Var is one expression variable, as a bit so a set of them is a Vars.
type Var uint16

// Vars is a set of variables.
type Vars = Var

// The variables ImageKit defines: initial (i), current (c) and, inside a
// layer, base (b) width, height and aspect ratio.
const (
	VarIW Var = 1 << iota
	VarIH
	VarIAR
	VarCW
	VarCH
	VarCAR
	VarBW
	VarBH
	VarBAR
)

var varNames = []struct {
	name string
	v    Var
}{
	{"iw", VarIW}, {"ih", VarIH}, {"iar", VarIAR},
	{"cw", VarCW}, {"ch", VarCH}, {"car", VarCAR},
	{"bw", VarBW}, {"bh", VarBH}, {"bar", VarBAR},
}

func lookupVar(s string) (Var, bool) {
	for _, n := range varNames {
		if n.name == s {
			return n.v, true
		}
	}
	return 0, false
}

func (v Var) String() string {
	var names []string
	for _, n := range varNames {
		if v&n.v != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

// Env holds the values of the variables known at evaluation time: iw/ih
// once the source header is read, cw/ch at each step, bw/bh inside a
// layer. Aspect ratios are derived.
type Env struct {
	IW, IH, CW, CH, BW, BH float64
	Known                  Vars // which of the variables above are set
}

func (e Env) value(v Var) (float64, error) {
	if e.Known&v == 0 {
		return 0, &Error{Msg: v.String() + " is not known here"}
	}
	ratio := func(w, h float64) (float64, error) {
		if h == 0 {
			return 0, &Error{Msg: v.String() + " is undefined for a zero height"}
		}
		return w / h, nil
	}
	switch v {
	case VarIW:
		return e.IW, nil
	case VarIH:
		return e.IH, nil
	case VarIAR:
		return ratio(e.IW, e.IH)
	case VarCW:
		return e.CW, nil
	case VarCH:
		return e.CH, nil
	case VarCAR:
		return ratio(e.CW, e.CH)
	case VarBW:
		return e.BW, nil
	case VarBH:
		return e.BH, nil
	case VarBAR:
		return ratio(e.BW, e.BH)
	}
	return 0, &Error{Msg: "unknown variable"}
}

// Op is an arithmetic operator.
type Op uint8

const (
	opNone Op = iota
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpMod
	OpPow
)

var opNames = map[string]Op{"add": OpAdd, "sub": OpSub, "mul": OpMul, "div": OpDiv, "mod": OpMod, "pow": OpPow}

var opSpelling = [...]string{OpAdd: "add", OpSub: "sub", OpMul: "mul", OpDiv: "div", OpMod: "mod", OpPow: "pow"}

func (o Op) String() string {
	if int(o) < len(opSpelling) && opSpelling[o] != "" {
		return opSpelling[o]
	}
	return "?"
}

// level is the binding strength of an operator. ImageKit documents the
// calculation sequence as: mul and div first, then add and sub, then mod,
// then pow, each left to right.
func (o Op) level() int {
	switch o {
	case OpMul, OpDiv:
		return 3
	case OpAdd, OpSub:
		return 2
	case OpMod:
		return 1
	}
	return 0 // pow binds loosest
}

// Expr is an arithmetic expression: a number, a variable, or an operator
// applied to two expressions.
type Expr struct {
	Op          Op // opNone for a leaf
	Left, Right *Expr
	Num         float64
	Var         Var // 0 for a number leaf
}

// Bounds on expressions: ImageKit's values are short, and an out-of-range
// result is an error rather than a huge image.
const (
	maxExprOperands = 16
	// MaxExprResult bounds |result| of an evaluation.
	MaxExprResult = 1e9
	maxLiteral    = 1e15 // larger literals are not normalised or accepted in expressions
)

// looksLikeExpr reports whether s uses a variable or an operator: a plain
// literal ("300", "4-3", "10_20") is left to the key's own value rules.
func looksLikeExpr(s string) bool {
	for _, t := range strings.Split(s, "_") {
		if _, ok := lookupVar(t); ok {
			return true
		}
		if _, ok := opNames[t]; ok {
			return true
		}
	}
	return false
}

// ParseExpr reads an ImageKit expression: operands (variables or positive
// numbers) and operators joined by '_' (ih_mul_0.8_add_iw_mul_0.4).
func ParseExpr(s string) (*Expr, error) {
	toks := strings.Split(s, "_")
	if len(toks)%2 == 0 || len(toks) > 2*maxExprOperands-1 {
		return nil, &Error{Msg: "an expression alternates operands and operators (e.g. iw_div_2), with at most " + strconv.Itoa(maxExprOperands) + " operands"}
	}
	operands := make([]*Expr, 0, len(toks)/2+1)
	ops := make([]Op, 0, len(toks)/2)
	for i, t := range toks {
		if i%2 == 1 {
			op, ok := opNames[t]
			if !ok {
				return nil, &Error{Msg: quote(t) + " is not an operator; use add, sub, mul, div, mod or pow"}
			}
			ops = append(ops, op)
			continue
		}
		if v, ok := lookupVar(t); ok {
			operands = append(operands, &Expr{Var: v})
			continue
		}
		f, ok := parseNum(t, false)
		if !ok || f >= maxLiteral {
			return nil, &Error{Msg: quote(t) + " is not an operand; use iw, ih, iar, cw, ch, car, bw, bh, bar or a positive number"}
		}
		operands = append(operands, &Expr{Num: f})
	}
	e, _, _ := climb(operands, ops, 0)
	return e, nil
}

// climb builds the tree by precedence climbing over the flat sequence;
// every operator is left-associative.
func climb(operands []*Expr, ops []Op, minLevel int) (*Expr, []*Expr, []Op) {
	left := operands[0]
	operands = operands[1:]
	for len(ops) > 0 && ops[0].level() >= minLevel {
		op := ops[0]
		ops = ops[1:]
		var right *Expr
		right, operands, ops = climb(operands, ops, op.level()+1)
		left = &Expr{Op: op, Left: left, Right: right}
	}
	return left, operands, ops
}

// Vars reports the variables e uses; none means e is a constant.
func (e *Expr) Vars() Vars {
	if e == nil {
		return 0
	}
	if e.Op == opNone {
		return e.Var
	}
	return e.Left.Vars() | e.Right.Vars()
}

// Eval computes e with the variables of env. Division or modulo by zero,
// an unknown variable and a result outside ±MaxExprResult are errors.
func (e *Expr) Eval(env Env) (float64, error) {
	if e.Op == opNone {
		if e.Var != 0 {
			return env.value(e.Var)
		}
		return e.Num, nil
	}
	a, err := e.Left.Eval(env)
	if err != nil {
		return 0, err
	}
	b, err := e.Right.Eval(env)
	if err != nil {
		return 0, err
	}
	var r float64
	switch e.Op {
	case OpAdd:
		r = a + b
	case OpSub:
		r = a - b
	case OpMul:
		r = a * b
	case OpDiv, OpMod:
		if b == 0 {
			return 0, &Error{Msg: "division by zero"}
		}
		if e.Op == OpDiv {
			r = a / b
		} else {
			r = math.Mod(a, b)
		}
	case OpPow:
		r = math.Pow(a, b)
	}
	if math.IsNaN(r) || math.Abs(r) > MaxExprResult {
		return 0, &Error{Msg: "the result is out of range"}
	}
	return r, nil
}

// String prints e canonically: the operands and operators as written,
// numbers normalised. The tree came from a flat sequence with fixed
// precedence and no parentheses, so an in-order walk reproduces it.
func (e *Expr) String() string {
	var b strings.Builder
	e.print(&b)
	return b.String()
}

func (e *Expr) print(b *strings.Builder) {
	if e.Op == opNone {
		if e.Var != 0 {
			b.WriteString(e.Var.String())
		} else {
			b.WriteString(FormatNum(e.Num))
		}
		return
	}
	e.Left.print(b)
	b.WriteString("_" + e.Op.String() + "_")
	e.Right.print(b)
}

// parseNum accepts ImageKit's number syntax: digits with at most one '.',
// and (when neg) a leading N for negative. No signs, exponents, hex, Inf or
// NaN, which strconv alone would let through.
func parseNum(v string, neg bool) (float64, bool) {
	isNeg := neg && strings.HasPrefix(v, "N")
	if isNeg {
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
	if isNeg {
		f = -f
	}
	return f, true
}

// ParseNumber is parseNum with the N prefix for negative numbers.
func ParseNumber(v string) (float64, bool) { return parseNum(v, true) }

// FormatNum prints a number in the syntax ParseNumber accepts: shortest
// decimal form, N for negative.
func FormatNum(f float64) string {
	if f < 0 {
		return "N" + strconv.FormatFloat(-f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// normNum normalises a numeric literal when that is safe to print and
// read back; anything else is kept as written.
func normNum(s string) string {
	f, ok := ParseNumber(s)
	if !ok || math.Abs(f) >= maxLiteral {
		return s
	}
	n := FormatNum(f)
	if len(n) > 20 {
		return s
	}
	return n
}

func quote(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return strconv.Quote(s)
}
