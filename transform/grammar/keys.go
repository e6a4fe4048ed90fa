package grammar

import (
	"sort"
	"strings"
)

// ValueRule says whether a key takes a value.
type ValueRule uint8

const (
	// NeedsValue: key-value (w-300).
	NeedsValue ValueRule = iota
	// NoValue: the bare key is a flag (e-grayscale).
	NoValue
	// OptionalValue: bare key or key-value (e-sharpen, e-sharpen-5).
	OptionalValue
)

// Scope says where a key may appear.
type Scope uint8

const (
	// Anywhere: in a step or inside a layer.
	Anywhere Scope = iota
	// LayerOnly: only between l-<type> and l-end (i-, lx-, fs-...).
	LayerOnly
)

// Key describes one parameter key. The table order is the canonical order
// of parameters within a step.
type Key struct {
	Name  string
	Value ValueRule
	Scope Scope
	// Expr: the value may be an arithmetic expression (w-iw_div_2). For b
	// the expression is the part before the last '_' (b-ch_mod_5_yellow).
	Expr bool
	// Num: the value is a number, or numbers joined by NumSep; printing
	// normalises each (0.50 -> 0.5, 300.0 -> 300).
	Num    bool
	NumSep string
	// MaxLen bounds the value in bytes; 0 means DefaultMaxValue.
	MaxLen int
}

// DefaultMaxValue bounds a value unless its key says otherwise; longer
// values are never meaningful.
const DefaultMaxValue = 64

// maxTextValue bounds i-/ie- values (paths and text).
const maxTextValue = 1024

// Keys is the key table. A new parameter is one entry here (where in the
// list decides its place in canonical strings), one compile rule in
// transform/compile.go and one executor operation.
//
// The first entries follow the order of transform's canonical strings
// (storage keys in users' buckets), so the normal form and the canonical
// form list parameters alike.
var Keys = []Key{
	{Name: "w", Expr: true, Num: true},
	{Name: "h", Expr: true, Num: true},
	{Name: "ar", Expr: true, Num: true, NumSep: "-"},
	{Name: "dpr", Expr: true, Num: true},
	{Name: "c"},
	{Name: "cm"},
	{Name: "fo"},
	{Name: "x", Expr: true, Num: true},
	{Name: "y", Expr: true, Num: true},
	{Name: "xc", Expr: true, Num: true},
	{Name: "yc", Expr: true, Num: true},
	{Name: "rt"},
	{Name: "fl"},
	{Name: "bl", Num: true},
	{Name: "e-grayscale", Value: NoValue},
	{Name: "e-contrast", Value: NoValue},
	{Name: "e-sharpen", Value: OptionalValue, Num: true},
	{Name: "e-usm", Num: true, NumSep: "-"},
	{Name: "r"},
	{Name: "bg"},
	{Name: "b", Expr: true},
	{Name: "t"},
	{Name: "o", Num: true},
	// Output parameters: chain-wide, the compiler gathers them at the end
	// of canonical strings.
	{Name: "f"},
	{Name: "q", Num: true},
	{Name: "pr"},
	{Name: "lo"},
	{Name: "md"},
	{Name: "cp"},
	{Name: "orig"},
	{Name: "pg", Num: true},
	// Parsed and printed, not executed yet (issue 12).
	{Name: "z", Num: true},
	{Name: "cr"},
	{Name: "e-shadow", Value: OptionalValue},
	{Name: "e-gradient", Value: OptionalValue},
	{Name: "e-distort"},
	// Layer parameters: source, placement, text.
	{Name: "i", Scope: LayerOnly, MaxLen: maxTextValue},
	{Name: "ie", Scope: LayerOnly, MaxLen: maxTextValue},
	{Name: "lx", Scope: LayerOnly, Expr: true, Num: true},
	{Name: "ly", Scope: LayerOnly, Expr: true, Num: true},
	{Name: "lxc", Scope: LayerOnly, Expr: true, Num: true},
	{Name: "lyc", Scope: LayerOnly, Expr: true, Num: true},
	{Name: "lap", Scope: LayerOnly},
	{Name: "lfo", Scope: LayerOnly},
	{Name: "lm", Scope: LayerOnly},
	{Name: "fs", Scope: LayerOnly, Expr: true, Num: true},
	{Name: "ff", Scope: LayerOnly, MaxLen: maxTextValue},
	{Name: "co", Scope: LayerOnly},
	{Name: "ia", Scope: LayerOnly},
	{Name: "pa", Scope: LayerOnly, Expr: true, Num: true, NumSep: "_"},
	{Name: "tg", Scope: LayerOnly},
	{Name: "lh", Scope: LayerOnly, Num: true},
	{Name: "al", Scope: LayerOnly, Num: true},
}

// deprecated are ImageKit's pre-layer overlay keys. ImageKit answers 400
// for them; so do we, pointing at layers.
var deprecated = []string{
	"oi", "oh", "ow", "ox", "oy", "ofo", "obg", "oa", "oit", "oiar", "oib", "oibg", "oic",
	"oifo", "oidpr", "oiq", "oix", "oiy", "oixc", "oiyc", "or",
	"ot", "ote", "otw", "otbg", "otp", "otia", "otc", "otf", "ots", "ott", "oth",
}

// Structural tokens.
const (
	tokLayerImage = "l-image"
	tokLayerText  = "l-text"
	tokLayerEnd   = "l-end"
	tokIfElse     = "if-else"
	tokIfEnd      = "if-end"
	prefixIf      = "if-"
	prefixNamed   = "n-"
)

// keysByLength is Keys sorted longest name first, so "e-sharpen-5" and
// "bg-FFF" find their own key before a shorter one could claim them.
var keysByLength = func() []*Key {
	out := make([]*Key, len(Keys))
	for i := range Keys {
		out[i] = &Keys[i]
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Name) > len(out[j].Name) })
	return out
}()

// rank is each key's position in Keys: its canonical order.
var rank = func() map[*Key]int {
	m := make(map[*Key]int, len(Keys))
	for i := range Keys {
		m[&Keys[i]] = i
	}
	return m
}()

// knownKeys lists the keys for error messages, in table order.
var knownKeys = func() string {
	names := make([]string, len(Keys))
	for i, k := range Keys {
		names[i] = k.Name
	}
	return strings.Join(names, ", ")
}()

// Lookup splits a token into its key and value. Keys may contain '-'
// (e-sharpen), so the token is never split at its first '-'.
func Lookup(token string) (key *Key, value string, hasValue bool) {
	for _, k := range keysByLength {
		if token == k.Name {
			return k, "", false
		}
		if strings.HasPrefix(token, k.Name+"-") {
			return k, token[len(k.Name)+1:], true
		}
	}
	return nil, "", false
}

func deprecatedKey(token string) (string, bool) {
	for _, d := range deprecated {
		if token == d || strings.HasPrefix(token, d+"-") {
			return d, true
		}
	}
	return "", false
}

func (k *Key) maxLen() int {
	if k.MaxLen > 0 {
		return k.MaxLen
	}
	return DefaultMaxValue
}
