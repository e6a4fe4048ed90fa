package grammar

import (
	"strconv"
	"strings"
)

// Bounds on the work one chain text may cause; hostile input meets them
// long before it costs anything.
const (
	// MaxLength bounds one chain text (the path chain, the query chain, a
	// named definition) in bytes.
	MaxLength = 2048
	// MaxSteps bounds the steps of one text, counting steps inside layers
	// and conditional branches. It is a parsing safeguard only, above any
	// sensible request budget: the configurable max_steps and max_cost
	// (transform.CheckBudget) decide what a request may cost, and the
	// executor runs even the longest chain this admits in bounded memory.
	MaxSteps = 500
	// MaxLayers bounds the layers of one text; MaxLayerDepth their nesting
	// (ImageKit allows three levels).
	MaxLayers     = 16
	MaxLayerDepth = 3
)

// Options change what Parse accepts.
type Options struct {
	// AllowNamed accepts n-<name> steps (top level only). Named
	// definitions themselves are parsed without it, so they cannot refer
	// to one another.
	AllowNamed bool
}

type token struct {
	text string
	sep  byte // the separator before the token: 0 at the start, ',' or ':'
}

func tokenize(s string) []token {
	var toks []token
	var sep byte
	for {
		i := strings.IndexAny(s, ",:")
		if i < 0 {
			return append(toks, token{s, sep})
		}
		toks = append(toks, token{s[:i], sep})
		sep, s = s[i], s[i+1:]
	}
}

// where is the construct a chain is parsed in; it decides which closing
// token ends it.
type where uint8

const (
	atTop where = iota
	inLayer
	inThen
	inElse
)

func (w where) closes(tok string) bool {
	switch w {
	case inLayer:
		return tok == tokLayerEnd
	case inThen:
		return tok == tokIfElse || tok == tokIfEnd
	case inElse:
		return tok == tokIfEnd
	}
	return false
}

func isCloser(tok string) bool {
	return tok == tokLayerEnd || tok == tokIfElse || tok == tokIfEnd
}

type parser struct {
	toks          []token
	pos           int
	opts          Options
	depth         int // layer nesting at the current token
	steps, layers int
}

// Parse reads one chain text into a tree. Every error is an *Error naming
// the offending parameter.
func Parse(text string, opts Options) (*Chain, error) {
	if len(text) > MaxLength {
		return nil, limitf("tr", "transformation is longer than "+strconv.Itoa(MaxLength)+" bytes")
	}
	p := &parser{toks: tokenize(text), opts: opts}
	c, err := p.chain(atTop)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) { // a closer nothing opened
		return nil, p.stray(p.toks[p.pos].text)
	}
	return &c, nil
}

func (p *parser) stray(tok string) *Error {
	if tok == tokLayerEnd {
		return errorf(tok, "has no matching l-image or l-text")
	}
	return errorf(tok, "has no matching if-<condition>")
}

// chain reads steps until the end of the text or a closer of w, which it
// leaves for the caller.
func (p *parser) chain(w where) (Chain, error) {
	var c Chain
	for ; p.pos < len(p.toks); p.pos++ {
		t := p.toks[p.pos]
		if isCloser(t.text) {
			if !w.closes(t.text) {
				return c, p.stray(t.text)
			}
			if t.sep != ',' {
				return c, errorf(t.text, "must follow a parameter after ','")
			}
			return c, nil
		}
		if t.text == "" {
			return c, p.empty()
		}
		if len(c.Steps) == 0 || t.sep == ':' {
			if p.steps++; p.steps > MaxSteps {
				return c, limitf("max_steps", "more than "+strconv.Itoa(MaxSteps)+" transformation steps in one chain")
			}
			c.Steps = append(c.Steps, Step{})
		}
		cur := &c.Steps[len(c.Steps)-1]
		if cur.Named != "" {
			return c, errorf("n", "a named transformation must be alone in its step; separate other parameters with ':'")
		}
		if cur.If != nil {
			return c, errorf("if", "a step with a conditional block cannot have other parameters; separate them with ':'")
		}
		if err := p.item(w, cur); err != nil {
			return c, err
		}
	}
	return c, nil
}

// empty explains an empty token: a whole empty step, or an empty parameter.
func (p *parser) empty() *Error {
	t := p.toks[p.pos]
	nextComma := p.pos+1 < len(p.toks) && p.toks[p.pos+1].sep == ','
	if t.sep == ',' || nextComma {
		return errorf("tr", "empty parameter; parameters are separated by ','")
	}
	return errorf("tr", "empty transformation step; steps are separated by ':' and need at least one parameter")
}

// item reads the token at p.pos (and, for a block, everything up to its
// closer) into cur.
func (p *parser) item(w where, cur *Step) error {
	t := p.toks[p.pos]
	switch {
	case t.text == tokLayerImage || t.text == tokLayerText:
		l, err := p.layer(t.text)
		if err != nil {
			return err
		}
		cur.Layers = append(cur.Layers, l)
	case strings.HasPrefix(t.text, prefixIf):
		if w != atTop {
			return errorf("if", "conditional blocks cannot be nested or used inside layers")
		}
		if len(cur.Params) > 0 || len(cur.Layers) > 0 {
			return errorf("if", "a step with a conditional block cannot have other parameters; separate them with ':'")
		}
		b, err := p.ifBlock()
		if err != nil {
			return err
		}
		cur.If = b
	case strings.HasPrefix(t.text, prefixNamed):
		switch {
		case w != atTop:
			return errorf("n", "named transformations cannot be used inside layers or conditional blocks")
		case !p.opts.AllowNamed:
			return errorf("n", "a named transformation cannot refer to another named transformation")
		case len(cur.Params) > 0 || len(cur.Layers) > 0:
			return errorf("n", "a named transformation must be alone in its step; separate other parameters with ':'")
		case t.text == prefixNamed:
			return errorf("n", "needs a name, e.g. n-thumbnail")
		}
		cur.Named = t.text[len(prefixNamed):]
	default:
		prm, err := p.param(t.text)
		if err != nil {
			return err
		}
		cur.Params = append(cur.Params, prm)
	}
	return nil
}

func (p *parser) param(tok string) (Param, error) {
	key, value, hasValue := Lookup(tok)
	if key == nil {
		if d, ok := deprecatedKey(tok); ok {
			return Param{}, errorf(d, "the overlay parameters (oi, ot, ox, …) are deprecated and not supported, as on ImageKit; use layers, e.g. l-image,i-logo.png,lx-10,l-end")
		}
		return Param{}, errorf(firstKey(tok), "unknown parameter "+quote(tok)+"; known parameters are "+knownKeys+", and n, l-image, l-text, if")
	}
	switch {
	case key.Value == NoValue && hasValue:
		return Param{}, errorf(key.Name, "takes no value")
	case key.Value == NeedsValue && !hasValue:
		return Param{}, errorf(key.Name, "needs a value, e.g. "+key.Name+"-<value>")
	case len(value) > key.maxLen():
		return Param{}, errorf(key.Name, "value is longer than "+strconv.Itoa(key.maxLen())+" bytes")
	case key.Scope == LayerOnly && p.depth == 0:
		return Param{}, errorf(key.Name, "is only allowed inside a layer (l-image or l-text, …, l-end)")
	}
	prm := Param{Key: key, Value: value, HasValue: hasValue}
	if key.Expr && hasValue {
		ev := exprPart(key, value)
		if looksLikeExpr(ev) {
			e, err := ParseExpr(ev)
			if err != nil {
				return Param{}, errorf(key.Name, quote(value)+" is not a valid expression: "+err.(*Error).Msg)
			}
			prm.Expr = e
		}
	}
	return prm, nil
}

// exprPart is the part of a value that may be an expression: all of it,
// except for b, whose colour follows the last '_'.
func exprPart(key *Key, value string) string {
	if key.Name == "b" {
		if i := strings.LastIndexByte(value, '_'); i >= 0 {
			return value[:i]
		}
	}
	return value
}

// layer reads l-<kind>,...,l-end; p.pos is at l-<kind>.
func (p *parser) layer(open string) (Layer, error) {
	if p.layers++; p.layers > MaxLayers {
		return Layer{}, limitf(open, "more than "+strconv.Itoa(MaxLayers)+" layers")
	}
	if p.depth >= MaxLayerDepth {
		return Layer{}, errorf(open, "layers nest at most "+strconv.Itoa(MaxLayerDepth)+" levels deep")
	}
	p.pos++
	if p.pos >= len(p.toks) || p.toks[p.pos].sep != ',' {
		return Layer{}, errorf(open, "must be followed by ',' and its parameters, then l-end")
	}
	p.depth++
	inner, err := p.chain(inLayer)
	p.depth--
	if err != nil {
		return Layer{}, err
	}
	if p.pos >= len(p.toks) {
		return Layer{}, errorf(open, "has no l-end")
	}
	if len(inner.Steps) == 0 || !hasSource(inner.Steps[0]) {
		return Layer{}, errorf(open, "needs i-<input> or ie-<base64 input> in its first step")
	}
	return Layer{Kind: open[len("l-"):], Chain: inner}, nil
}

func hasSource(s Step) bool {
	for _, prm := range s.Params {
		if prm.Key.Name == "i" || prm.Key.Name == "ie" {
			return true
		}
	}
	return false
}

// ifBlock reads if-<cond>,...[,if-else,...],if-end; p.pos is at if-<cond>.
func (p *parser) ifBlock() (*IfBlock, error) {
	t := p.toks[p.pos]
	cond, err := ParseCond(t.text[len(prefixIf):])
	if err != nil {
		return nil, errorf("if", quote(t.text)+": "+err.(*Error).Msg)
	}
	b := &IfBlock{Cond: cond}
	if b.Then, err = p.branch("if"); err != nil {
		return nil, err
	}
	if p.toks[p.pos].text == tokIfElse {
		if b.Else, err = p.branch(tokIfElse); err != nil {
			return nil, err
		}
	}
	// p.pos is at if-end; the block must end its step.
	if next := p.pos + 1; next < len(p.toks) && p.toks[next].sep != ':' {
		return nil, errorf("if", "a step with a conditional block cannot have other parameters; separate them with ':'")
	}
	return b, nil
}

// branch reads the chain after the token at p.pos (if-<cond> or if-else)
// up to if-else or if-end, and leaves p.pos on that closer.
func (p *parser) branch(open string) (Chain, error) {
	w := inThen
	if open == tokIfElse {
		w = inElse
	}
	p.pos++
	if p.pos >= len(p.toks) || p.toks[p.pos].sep != ',' {
		return Chain{}, errorf(open, "must be followed by ',' and transformations, then if-end")
	}
	c, err := p.chain(w)
	if err != nil {
		return Chain{}, err
	}
	if p.pos >= len(p.toks) {
		return Chain{}, errorf("if", "has no if-end")
	}
	if len(c.Steps) == 0 {
		return Chain{}, errorf(open, "needs at least one transformation")
	}
	return c, nil
}

// firstKey names an unknown token in an error without echoing unbounded
// input.
func firstKey(token string) string {
	if len(token) > 32 {
		return token[:32]
	}
	return token
}
