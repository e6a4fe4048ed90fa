package grammar

// Chain is a parsed tr chain: steps run in order.
type Chain struct {
	Steps []Step
}

// Step is one ':'-separated step. It is exactly one of: a reference to a
// named transformation (Named), a conditional block (If), or parameters
// with the layers overlaid after them.
type Step struct {
	Named  string
	If     *IfBlock
	Params []Param
	Layers []Layer
}

// Param is one key with its value.
type Param struct {
	Key      *Key
	Value    string // as written; "" for a bare key
	HasValue bool
	// Expr is set when the key allows expressions and the value uses a
	// variable or an operator (for b: the width before the colour).
	// Plain literals ("300", "4-3") leave it nil and are checked by the
	// key's compile rule.
	Expr *Expr
}

// Layer is l-<Kind>,...,l-end: an image or text overlaid on its parent,
// with its own chain (source, placement, transformations, nested layers).
type Layer struct {
	Kind  string // "image" or "text"
	Chain Chain
}

// IfBlock is if-<cond>,<then>[,if-else,<else>],if-end.
type IfBlock struct {
	Cond *Cond
	Then Chain
	Else Chain // no steps when there is no if-else
}

// Vars reports the variables the step's values use (not its layers').
func (s *Step) Vars() Vars {
	var v Vars
	for i := range s.Params {
		v |= s.Params[i].Expr.Vars()
	}
	return v
}
