package transform

import (
	"errors"
	"fmt"
)

// Kind says what went wrong in terms the HTTP boundary can map to a status
// without parsing messages.
type Kind int

const (
	// Invalid: the transformation text is wrong (400).
	Invalid Kind = iota + 1
	// Limit: the source or the requested output is over a configured limit
	// (400 with Ik-Error: ELIMIT).
	Limit
	// Unsupported: the source is not an image we can decode (400).
	Unsupported
	// Overloaded: every worker is busy and the queue is full (503).
	Overloaded
	// Corrupt: the source claims to be a supported image but is truncated
	// or damaged (422, never cached).
	Corrupt
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case Limit:
		return "limit"
	case Unsupported:
		return "unsupported"
	case Overloaded:
		return "overloaded"
	case Corrupt:
		return "corrupt"
	}
	return "unknown"
}

// Error is the only error type this package returns for caller mistakes and
// refusals. Anything else returned by Process is an internal failure (500)
// whose text callers must not show.
//
// Param and Msg are safe to show to a client: they come from a short fixed
// vocabulary (the step, the limit, the parameter) and never carry library
// text, which may hold stack traces, paths, versions or, since libvips'
// error buffer is process-wide, another request's words. The library's own
// report, when there is one, is in Cause for the log.
type Error struct {
	Kind  Kind
	Param string // offending parameter key ("w", "e-sharpen"), or "" when not about one
	Msg   string // human-readable; names what is allowed
	Cause error  // detail for logs only; nil when Msg says everything
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%s: %s", e.Param, e.Msg)
	}
	return e.Msg
}

// Unwrap gives the cause to errors.Is/As and to logs.
func (e *Error) Unwrap() error { return e.Cause }

// ErrOverloaded is returned by Process when the queue is full.
var ErrOverloaded = &Error{Kind: Overloaded, Msg: "too many transformations in progress, retry later"}

// IsKind reports whether err is (or wraps) an *Error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

func invalidf(param, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Param: param, Msg: fmt.Sprintf(format, args...)}
}

func limitf(param, format string, args ...any) *Error {
	return &Error{Kind: Limit, Param: param, Msg: fmt.Sprintf(format, args...)}
}

func unsupportedf(format string, args ...any) *Error {
	return &Error{Kind: Unsupported, Msg: fmt.Sprintf(format, args...)}
}

// corrupt reports a damaged source; cause is the decoder's text, kept for
// the log only.
func corrupt(msg string, cause error) *Error {
	return &Error{Kind: Corrupt, Msg: msg, Cause: cause}
}
