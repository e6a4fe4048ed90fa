package grammar

import (
	"strings"
)

// CmpOp is a comparison in a condition.
type CmpOp uint8

const (
	CmpEq CmpOp = iota + 1
	CmpNe
	CmpGt
	CmpGte
	CmpLt
	CmpLte
)

var cmpNames = []struct {
	name string
	op   CmpOp
}{{"eq", CmpEq}, {"ne", CmpNe}, {"gt", CmpGt}, {"gte", CmpGte}, {"lt", CmpLt}, {"lte", CmpLte}}

// condProps maps a condition property to the variable it reads: w, h and
// ar are the image at the current step, iw, ih and iar the source.
var condProps = []struct {
	name  string
	v     Var
	ratio bool // accepts a W-H fraction as its value
}{
	{"w", VarCW, false}, {"h", VarCH, false}, {"ar", VarCAR, true},
	{"iw", VarIW, false}, {"ih", VarIH, false}, {"iar", VarIAR, true},
}

// Cmp is one {property}_{operator}_{value} comparison.
type Cmp struct {
	Prop  string // as ImageKit names it: w h ar iw ih iar
	Var   Var
	Op    CmpOp
	Value float64
	// Frac holds W and H when the value was written as W-H (ar_lt_4-3);
	// Value is then W/H.
	Frac *[2]float64
}

// Cond is a disjunction of conjunctions: and binds tighter than or, as
// ImageKit documents.
type Cond struct {
	Or [][]Cmp
}

// maxCondTerms bounds the comparisons in one condition.
const maxCondTerms = 16

// ParseCond reads the text after "if-".
func ParseCond(s string) (*Cond, error) {
	toks := strings.Split(s, "_")
	c := &Cond{Or: [][]Cmp{nil}}
	terms := 0
	for i := 0; ; {
		if len(toks)-i < 3 {
			return nil, &Error{Msg: "a condition is {property}_{operator}_{value}, e.g. if-ar_gt_1 or if-w_gte_100_and_h_lt_400"}
		}
		cmp, err := parseCmp(toks[i], toks[i+1], toks[i+2])
		if err != nil {
			return nil, err
		}
		if terms++; terms > maxCondTerms {
			return nil, &Error{Msg: "a condition may combine at most 16 comparisons"}
		}
		last := len(c.Or) - 1
		c.Or[last] = append(c.Or[last], cmp)
		i += 3
		if i == len(toks) {
			return c, nil
		}
		switch toks[i] {
		case "and":
		case "or":
			c.Or = append(c.Or, nil)
		default:
			return nil, &Error{Msg: quote(toks[i]) + " cannot follow a comparison; use and or or"}
		}
		i++
	}
}

func parseCmp(prop, op, val string) (Cmp, error) {
	var c Cmp
	found := false
	ratio := false
	for _, p := range condProps {
		if p.name == prop {
			c.Prop, c.Var, ratio, found = p.name, p.v, p.ratio, true
		}
	}
	if !found {
		return c, &Error{Msg: quote(prop) + " is not a condition property; use w, h, ar, iw, ih or iar"}
	}
	for _, n := range cmpNames {
		if n.name == op {
			c.Op = n.op
		}
	}
	if c.Op == 0 {
		return c, &Error{Msg: quote(op) + " is not a comparison; use eq, ne, gt, gte, lt or lte"}
	}
	if w, h, isFrac := strings.Cut(val, "-"); isFrac && ratio {
		fw, okw := parseNum(w, false)
		fh, okh := parseNum(h, false)
		if !okw || !okh || fh == 0 || fw >= maxLiteral || fh >= maxLiteral {
			return c, &Error{Msg: quote(val) + " is not a ratio; use W-H with positive numbers, e.g. 4-3"}
		}
		c.Value, c.Frac = fw/fh, &[2]float64{fw, fh}
		return c, nil
	}
	f, ok := parseNum(val, false)
	if !ok || f >= maxLiteral {
		msg := quote(val) + " is not a number"
		if ratio {
			msg += " or a W-H ratio"
		}
		return c, &Error{Msg: msg}
	}
	c.Value = f
	return c, nil
}

// Vars reports the variables the condition reads.
func (c *Cond) Vars() Vars {
	var v Vars
	for _, and := range c.Or {
		for _, cmp := range and {
			v |= cmp.Var
		}
	}
	return v
}

// Eval decides the condition with the variables of env.
func (c *Cond) Eval(env Env) (bool, error) {
	for _, and := range c.Or {
		all := true
		for _, cmp := range and {
			v, err := env.value(cmp.Var)
			if err != nil {
				return false, err
			}
			if !cmp.holds(v) {
				all = false
				break
			}
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

func (c Cmp) holds(v float64) bool {
	switch c.Op {
	case CmpEq:
		return v == c.Value
	case CmpNe:
		return v != c.Value
	case CmpGt:
		return v > c.Value
	case CmpGte:
		return v >= c.Value
	case CmpLt:
		return v < c.Value
	case CmpLte:
		return v <= c.Value
	}
	return false
}

// String prints the condition canonically, numbers normalised.
func (c *Cond) String() string {
	ors := make([]string, len(c.Or))
	for i, and := range c.Or {
		ands := make([]string, len(and))
		for j, cmp := range and {
			val := FormatNum(cmp.Value)
			if cmp.Frac != nil {
				val = FormatNum(cmp.Frac[0]) + "-" + FormatNum(cmp.Frac[1])
			}
			ands[j] = cmp.Prop + "_" + cmpNames[cmp.Op-1].name + "_" + val
		}
		ors[i] = strings.Join(ands, "_and_")
	}
	return strings.Join(ors, "_or_")
}
