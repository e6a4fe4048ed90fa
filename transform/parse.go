package transform

import (
	"sort"
	"strings"
)

// maxChainLength bounds the work Parse does on hostile input.
const maxChainLength = 2048

// ParseOptions carries the endpoint configuration Parse needs.
type ParseOptions struct {
	// Named maps a name to its chain text, for n-<name>. Check it at
	// configuration time with ValidateNamed.
	Named map[string]string
	// RestrictUnnamed allows only n-<name> steps; everything else is Invalid.
	RestrictUnnamed bool
}

// Chain is a parsed, validated transformation: steps applied in order and
// the chain-wide output options.
type Chain struct {
	steps []step
	out   output
}

// Parse reads the path chain (the text after "tr:") and the query chain (the
// ?tr= value); path steps come first. Both empty means no transformation
// and returns (nil, nil). Every error is an *Error of kind Invalid naming
// the offending parameter.
func Parse(pathChain, queryChain string, opts ParseOptions) (*Chain, error) {
	if pathChain == "" && queryChain == "" {
		return nil, nil
	}
	c := &Chain{}
	for _, text := range []string{pathChain, queryChain} {
		if text == "" {
			continue
		}
		if err := c.parseText(text, opts, true); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// ValidateNamed checks every named transformation, so a bad definition
// fails at configuration time rather than on the first request. Named
// chains may not refer to other named chains.
func ValidateNamed(named map[string]string) error {
	names := make([]string, 0, len(named))
	for n := range named {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, ",:/") {
			return invalidf("n", "name %q is not allowed; use a non-empty name without ',', ':' or '/'", n)
		}
		if named[n] == "" {
			return invalidf("n", "named transformation %q is empty", n)
		}
		c := &Chain{}
		if err := c.parseText(named[n], ParseOptions{}, false); err != nil {
			return &Error{Kind: Invalid, Param: "n", Msg: "named transformation " + n + ": " + err.Error()}
		}
	}
	return nil
}

func (c *Chain) parseText(text string, opts ParseOptions, allowNamed bool) error {
	if len(text) > maxChainLength {
		return invalidf("tr", "transformation is longer than %d bytes", maxChainLength)
	}
	for _, stepText := range strings.Split(text, ":") {
		if stepText == "" {
			return invalidf("tr", "empty transformation step; steps are separated by ':' and need at least one parameter")
		}
		if name, ok := strings.CutPrefix(stepText, "n-"); ok && allowNamed {
			if err := c.expandNamed(name, opts); err != nil {
				return err
			}
			continue
		}
		if opts.RestrictUnnamed {
			return invalidf(firstKey(stepText), "only named transformations (n-<name>) are allowed on this endpoint")
		}
		if err := c.parseStep(stepText); err != nil {
			return err
		}
	}
	return nil
}

func (c *Chain) expandNamed(name string, opts ParseOptions) error {
	if strings.Contains(name, ",") {
		return invalidf("n", "a named transformation must be alone in its step; separate other parameters with ':'")
	}
	def, ok := opts.Named[name]
	if !ok || def == "" {
		return invalidf("n", "unknown named transformation %q", name)
	}
	// Named definitions were validated at configuration time without
	// nesting, so they cannot recurse.
	return c.parseText(def, ParseOptions{}, false)
}

func (c *Chain) parseStep(text string) error {
	var s step
	for _, token := range strings.Split(text, ",") {
		if token == "" {
			return invalidf("tr", "empty parameter; parameters are separated by ','")
		}
		spec, value, hasValue := lookupParam(token)
		if spec == nil {
			return invalidf(firstKey(token), "unknown parameter %q; known parameters are %s and n", token, knownKeys)
		}
		switch {
		case spec.flag && hasValue:
			return invalidf(spec.key, "takes no value")
		case !spec.flag && !spec.optional && !hasValue:
			return invalidf(spec.key, "needs a value, e.g. %s-<value>", spec.key)
		case len(value) > maxParamValue:
			return invalidf(spec.key, "value is longer than %d bytes", maxParamValue)
		}
		if err := spec.set(&s, &c.out, value); err != nil {
			return err
		}
	}
	if s.arW > 0 && s.width == 0 && s.height == 0 {
		return invalidf("ar", "needs w or h in the same step")
	}
	c.steps = append(c.steps, s)
	return nil
}

// firstKey guesses the key of an unknown token for the error message,
// without echoing unbounded input.
func firstKey(token string) string {
	k, _, _ := strings.Cut(token, ",")
	if len(k) > 32 {
		k = k[:32]
	}
	return k
}

// Original reports orig-true: deliver the untouched source.
func (c *Chain) Original() bool { return c != nil && c.out.original }
