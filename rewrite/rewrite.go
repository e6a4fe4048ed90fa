// Package rewrite maps the URLs of other image CDNs (Cloudinary, imgix)
// onto ImageKit's: an object path and a `tr` chain, which the handler then
// serves exactly as the equivalent `/tr:<chain>/<path>` URL (same
// pipeline, same canonical variant, same ETag). Only the parameters users
// commonly write are mapped; any other is refused, naming it, rather than
// silently ignored. Pure logic: no I/O, no Caddy.
package rewrite

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Result is a rewritten request: the object path (still percent-encoded,
// without a leading slash) and the ImageKit chain ("" for none). Query is
// what is left of the query for the handler (ik-s, ik-t, ik-attachment).
type Result struct {
	Path  string
	Chain string
	Query string
}

// Error is a URL the rewriter cannot map; Params names the offending
// parameters.
type Error struct {
	Params []string
	Reason string
}

func (e *Error) Error() string {
	if len(e.Params) == 0 {
		return e.Reason
	}
	return e.Reason + ": " + strings.Join(e.Params, ", ")
}

func unknown(params ...string) *Error {
	sort.Strings(params)
	return &Error{Params: params, Reason: "unsupported parameters"}
}

// handlerParams are left in the query for the handler: signatures and
// ImageKit's own query parameters.
var handlerParams = map[string]bool{"ik-s": true, "ik-t": true, "ik-attachment": true}

var (
	number    = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	integer   = regexp.MustCompile(`^[0-9]+$`)
	hexColour = regexp.MustCompile(`^([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$`)
	ratio     = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?)[:x]([0-9]+(\.[0-9]+)?)$`)
)

// hex6 expands a 3-digit colour and upper-cases it, as bg- expects.
func hex6(c string) string {
	c = strings.ToUpper(c)
	if len(c) == 3 {
		return string([]byte{c[0], c[0], c[1], c[1], c[2], c[2]})
	}
	return c
}

// params collects ImageKit parameters in a fixed order, so that the same
// request always yields the same chain text.
type params []string

func (p *params) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p params) chain() string { return strings.Join(p, ",") }

// rotation maps degrees to rt-: multiples of 90 only.
func rotation(v string) (string, bool) {
	n, err := strconv.Atoi(v)
	if err != nil || n%90 != 0 {
		return "", false
	}
	n %= 360
	switch {
	case n == 0:
		return "", true
	case n < 0:
		return "rt-N" + strconv.Itoa(-n), true
	}
	return "rt-" + strconv.Itoa(n), true
}

// splitQuery splits a raw query into its pieces, keeping order; keys and
// values are decoded.
func splitQuery(raw string) ([][2]string, error) {
	var out [][2]string
	if raw == "" {
		return nil, nil
	}
	for _, piece := range strings.Split(raw, "&") {
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, &Error{Reason: "malformed percent-encoding in the query"}
		}
		out = append(out, [2]string{dk, dv})
	}
	return out, nil
}
