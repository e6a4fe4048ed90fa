package transform

// Per-request evaluation. A step whose values use the image's sizes
// (w-iw_div_2, lx-bw_sub_cw) and an if block cannot be compiled at parse
// time; they keep their grammar tree, are checked for everything that
// does not depend on the image, and are compiled again by the executor
// with the sizes it sees (resolve, choose). Their canonical form is their
// un-evaluated normal form, so one URL is one variant.

import (
	"encoding/base64"
	"strings"

	"github.com/image-cdn/image_cdn/transform/grammar"
)

// scope is where a step is compiled.
type scope struct {
	layer  bool // inside a layer: bw, bh and bar are known at run time
	branch bool // inside an if branch: output parameters are refused
}

// layerVars are known only inside a layer.
const layerVars = grammar.VarBW | grammar.VarBH | grammar.VarBAR

func (sc scope) checkVars(p *grammar.Param) *Error {
	if v := p.Expr.Vars() & layerVars; v != 0 && !sc.layer {
		return invalidf(p.Key.Name, "%q: %s is only known inside a layer (the size of the image the layer is placed on)", p.Value, v)
	}
	return nil
}

// condBlock is a compiled if block: the condition and both branches.
type condBlock struct {
	cond      *grammar.Cond
	then, els []step
}

func compileIf(gs *grammar.Step, o *output, sc scope) (step, error) {
	var s step
	b := &condBlock{cond: gs.If.Cond}
	inner := scope{layer: sc.layer, branch: true}
	var err error
	if b.then, err = compileSteps(&gs.If.Then, o, ParseOptions{}, grammar.Env{}, inner, 0); err != nil {
		return s, err
	}
	if b.els, err = compileSteps(&gs.If.Else, o, ParseOptions{}, grammar.Env{}, inner, 0); err != nil {
		return s, err
	}
	s.cond, s.text = b, safeStep(gs).String()
	return s, nil
}

// stepText is the normal form of a step without its output parameters,
// which Canonical gathers at the end of the chain.
func stepText(gs *grammar.Step) string {
	cp := *safeStep(gs)
	cp.Params = nil
	for _, p := range gs.Params {
		if !outputKeys[p.Key.Name] {
			cp.Params = append(cp.Params, p)
		}
	}
	return cp.String()
}

// allVars marks every variable as known: the executor fills them all.
const allVars = grammar.VarIW | grammar.VarIH | grammar.VarIAR | grammar.VarCW | grammar.VarCH | grammar.VarCAR | layerVars

// imageEnv is the environment at one step: the source (iw, ih), the image
// so far (cw, ch) and, inside a layer, the image it is placed on (bw, bh).
func imageEnv(iw, ih, cw, ch, bw, bh int) grammar.Env {
	return grammar.Env{
		IW: float64(iw), IH: float64(ih), CW: float64(cw), CH: float64(ch), BW: float64(bw), BH: float64(bh),
		Known: allVars,
	}
}

// resolve returns the step to run for env: s itself when it has no
// per-request values, else s compiled again with env. Evaluation errors
// (division by zero, a result out of range or outside the parameter's
// rules) are Invalid, naming the parameter.
func (s *step) resolve(env grammar.Env) (*step, error) {
	if s.tree == nil {
		return s, nil
	}
	var discard output // output parameters were taken at parse time
	r, _, err := compileParams(s.tree, &discard, env, scope{layer: true})
	if err != nil {
		return nil, err
	}
	r.layers = s.layers
	return &r, nil
}

// choose decides an if block for env (w, h and ar are the image so far,
// iw, ih and iar the source) and returns the branch to run.
func (b *condBlock) choose(env grammar.Env) ([]step, error) {
	ok, err := b.cond.Eval(env)
	if err != nil {
		return nil, invalidf("if", "%s", err)
	}
	if ok {
		return b.then, nil
	}
	return b.els, nil
}

// randomAccess reports the operations added for ImageKit's grammar that
// read their input more than once or out of order (face detection,
// per-request steps, which may hold any of them, layers, distortions,
// shadows, statistics), so the source must be opened for random access.
func (s *step) randomAccess() bool {
	return s.focus == focusFace || s.tree != nil || s.cond != nil || len(s.layers) > 0 ||
		s.distort != nil || s.shadow != nil || s.contrast || s.replace != nil || s.rotate%90 != 0 ||
		s.bgDominant || s.bgGradient || s.gradient != nil
}

// perRequest reports a step whose size work is only known per request, so
// the loader must not shrink for it. (Layers go on after the step's own
// size work, which the loader may still do.)
func (s *step) perRequest() bool {
	return s.tree != nil || s.cond != nil
}

// safeStep is gs with the values that could carry characters unfit for a
// variant key (spaces, non-ASCII, '/', '%' in layer text and paths, base64
// with '/') rewritten to equivalent safe spellings: such i- values become
// ie- in URL-safe base64, ie- values are re-encoded so, and built-in font
// names are lower-cased with '_' for spaces. Layers and branches are
// rewritten too.
func safeStep(gs *grammar.Step) *grammar.Step {
	cp := *gs
	cp.Params = make([]grammar.Param, len(gs.Params))
	for i, p := range gs.Params {
		cp.Params[i] = safeParam(p, "")
	}
	cp.Layers = make([]grammar.Layer, len(gs.Layers))
	for i, l := range gs.Layers {
		cp.Layers[i] = grammar.Layer{Kind: l.Kind, Chain: safeChain(l.Chain, l.Kind)}
	}
	if gs.If != nil {
		b := *gs.If
		b.Then, b.Else = safeChain(b.Then, ""), safeChain(b.Else, "")
		cp.If = &b
	}
	return &cp
}

func safeChain(c grammar.Chain, kind string) grammar.Chain {
	out := grammar.Chain{Steps: make([]grammar.Step, len(c.Steps))}
	for i := range c.Steps {
		s := safeStep(&c.Steps[i])
		for k, p := range s.Params {
			s.Params[k] = safeParam(p, kind)
		}
		out.Steps[i] = *s
	}
	return out
}

var ieKey, _, _ = grammar.Lookup("ie-x")

func safeParam(p grammar.Param, kind string) grammar.Param {
	switch {
	case (p.Key.Name == "i" || p.Key.Name == "ie") && kind != "":
		in, err := layerInput(kind, &p)
		if err != nil || (p.Key.Name == "i" && keySafe(p.Value)) {
			return p
		}
		return grammar.Param{Key: ieKey, Value: base64.RawURLEncoding.EncodeToString([]byte(in)), HasValue: true}
	case p.Key.Name == "ff":
		if _, ok := builtinFonts[strings.ToLower(p.Value)]; ok {
			p.Value = strings.ReplaceAll(strings.ToLower(p.Value), " ", "_")
		}
	}
	return p
}

// keySafe reports a value made only of characters variant keys keep as
// they are.
func keySafe(v string) bool {
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~@", r)) {
			return false
		}
	}
	return true
}
