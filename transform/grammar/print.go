package grammar

import (
	"sort"
	"strings"
)

// String prints the chain in its normal form: parameters within a step in
// key-table order (their order is irrelevant there; repeated keys keep
// theirs, since the last one wins), numbers and expressions normalised,
// layers after the step's parameters in their written order, blocks with
// ',' inside. Parse(c.String()) yields a chain that prints the same.
//
// This is the syntactic normal form. Dropping defaults and no-ops, folding
// aliases and gathering output parameters need the parameters' meaning
// and are done by the compiler (transform.Chain.Canonical).
func (c *Chain) String() string {
	var b strings.Builder
	c.print(&b)
	return b.String()
}

func (c *Chain) print(b *strings.Builder) {
	for i := range c.Steps {
		if i > 0 {
			b.WriteByte(':')
		}
		c.Steps[i].print(b)
	}
}

// String prints one step in normal form.
func (s *Step) String() string {
	var b strings.Builder
	s.print(&b)
	return b.String()
}

func (s *Step) print(b *strings.Builder) {
	switch {
	case s.Named != "":
		b.WriteString(prefixNamed + s.Named)
		return
	case s.If != nil:
		b.WriteString(prefixIf + s.If.Cond.String() + ",")
		s.If.Then.print(b)
		if len(s.If.Else.Steps) > 0 {
			b.WriteString("," + tokIfElse + ",")
			s.If.Else.print(b)
		}
		b.WriteString("," + tokIfEnd)
		return
	}
	params := make([]*Param, len(s.Params))
	for i := range s.Params {
		params[i] = &s.Params[i]
	}
	sort.SliceStable(params, func(i, j int) bool { return rank[params[i].Key] < rank[params[j].Key] })
	for i, p := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.String())
	}
	for i := range s.Layers {
		if i > 0 || len(params) > 0 {
			b.WriteByte(',')
		}
		l := &s.Layers[i]
		b.WriteString("l-" + l.Kind + ",")
		l.Chain.print(b)
		b.WriteString("," + tokLayerEnd)
	}
}

// String prints key-value in normal form.
func (p *Param) String() string {
	if !p.HasValue {
		return p.Key.Name
	}
	return p.Key.Name + "-" + p.NormalValue()
}

// NormalValue is the value in normal form: an expression printed
// canonically, numbers normalised, anything else as written.
func (p *Param) NormalValue() string {
	v := p.Value
	switch {
	case p.Expr != nil:
		return p.Expr.String() + p.AfterExpr()
	case !p.Key.Num:
		return v
	case p.Key.NumSep == "":
		return normNum(v)
	}
	parts := strings.Split(v, p.Key.NumSep)
	for i := range parts {
		parts[i] = normNum(parts[i])
	}
	return strings.Join(parts, p.Key.NumSep)
}

// AfterExpr is the part of the value after its expression: b's "_colour",
// or "" for every other key.
func (p *Param) AfterExpr() string {
	return p.Value[len(exprPart(p.Key, p.Value)):]
}
