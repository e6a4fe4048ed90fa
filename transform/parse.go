package transform

import (
	"errors"
	"sort"
	"strings"

	"github.com/image-cdn/image_cdn/transform/grammar"
)

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
		tree, err := parseTree(text, true)
		if err != nil {
			return nil, err
		}
		if err := c.compileChain(tree, opts, grammar.Env{}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// parseTree runs the grammar and maps its errors to Invalid, or to Limit
// for the chain's size limits.
func parseTree(text string, allowNamed bool) (*grammar.Chain, error) {
	tree, err := grammar.Parse(text, grammar.Options{AllowNamed: allowNamed})
	if err != nil {
		var ge *grammar.Error
		if errors.As(err, &ge) {
			kind := Invalid
			if ge.Limit {
				kind = Limit
			}
			return nil, &Error{Kind: kind, Param: ge.Param, Msg: ge.Msg}
		}
		return nil, err
	}
	return tree, nil
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
		tree, err := parseTree(named[n], false)
		if err == nil {
			err = c.compileChain(tree, ParseOptions{}, grammar.Env{})
		}
		if err != nil {
			return &Error{Kind: Invalid, Param: "n", Msg: "named transformation " + n + ": " + err.Error()}
		}
	}
	return nil
}

// Original reports orig-true: deliver the untouched source.
func (c *Chain) Original() bool { return c != nil && c.out.original }
