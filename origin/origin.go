// Package origin holds the vocabulary that every origin (S3, local folder)
// speaks to the handler: what an object is, how to ask for part of it, and
// how a failure is classified. It has no behaviour of its own, so that the
// origin packages and the Caddy glue can share it without importing each
// other.
package origin

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Info is what an origin knows about an object without reading its body.
type Info struct {
	// Size is the length of the whole object in bytes.
	Size int64
	// ContentType as the origin recorded it; may be empty.
	ContentType string
	// ETag as the origin sent it, including the surrounding quotes.
	ETag string
	// LastModified is the origin's modification time, zero when unknown.
	LastModified time.Time
	// ContentEncoding and ContentDisposition as stored (a pre-compressed
	// script, a download name); passed on with the object as is.
	ContentEncoding    string
	ContentDisposition string
	// Metadata is the user metadata stored with the object (x-amz-meta-*
	// on S3), keys in lower case; nil when there is none.
	Metadata map[string]string
}

// Span is an inclusive byte range [Start, End] of an object whose full size
// is Total, as in a Content-Range header.
type Span struct {
	Start, End, Total int64
}

// Length is the number of bytes in the span.
func (s Span) Length() int64 { return s.End - s.Start + 1 }

// ContentRange formats the span for the Content-Range header.
func (s Span) ContentRange() string {
	return fmt.Sprintf("bytes %d-%d/%d", s.Start, s.End, s.Total)
}

// Object is an open object body with its metadata. The caller must Close Body.
type Object struct {
	Info
	Body io.ReadCloser
	// Partial is set when Body holds only the requested range.
	Partial *Span
}

// GetOptions narrows what Get returns.
type GetOptions struct {
	// Range asks for part of the object; nil means the whole object.
	Range *ByteRange
}

// Kind classifies an origin failure; the handler maps each kind to one HTTP
// status in a single place.
type Kind int

// The kinds of failure an origin reports.
const (
	// NotFound: the object (or its bucket) does not exist. The next origin
	// in the preference list is tried.
	NotFound Kind = iota + 1
	// Denied: the origin refused the request (credentials, permissions).
	Denied
	// Unavailable: unreachable, or answered with a server error.
	Unavailable
	// Timeout: the origin did not answer in time.
	Timeout
	// RangeNotSatisfiable: the requested range lies outside the object.
	RangeNotSatisfiable
)

func (k Kind) String() string {
	switch k {
	case NotFound:
		return "not found"
	case Denied:
		return "denied"
	case Unavailable:
		return "unavailable"
	case Timeout:
		return "timeout"
	case RangeNotSatisfiable:
		return "range not satisfiable"
	}
	return "unknown"
}

// Error is a classified origin failure.
type Error struct {
	Kind Kind
	// Code is the origin's own short error code (for S3, e.g. "AccessDenied"
	// or "NoSuchKey"); safe to show to clients: it never carries a secret.
	Code string
	// Err is the underlying cause, for logs.
	Err error
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("origin %s (%s): %v", e.Kind, e.Code, e.Err)
	}
	return fmt.Sprintf("origin %s: %v", e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of an origin error, or 0 when err is not one.
func KindOf(err error) Kind {
	var oe *Error
	if errors.As(err, &oe) {
		return oe.Kind
	}
	return 0
}

// IsNotFound reports whether err means the object does not exist.
func IsNotFound(err error) bool { return KindOf(err) == NotFound }

// FirstFound tries candidates in order, as both the origin preference list
// and a router's fallback buckets work: the first success wins, a
// not-found moves on, and any other failure stops the search (a refusal or
// a timeout must not fall through to another source). It returns the index
// of the candidate that answered or failed; when every candidate misses, it
// returns the last not-found error.
func FirstFound[C, T any](candidates []C, try func(C) (T, error)) (T, int, error) {
	var zero T
	last := error(&Error{Kind: NotFound, Err: errors.New("no candidate to ask")})
	for i, c := range candidates {
		v, err := try(c)
		if err == nil || !IsNotFound(err) {
			return v, i, err
		}
		last = err
	}
	return zero, len(candidates), last
}
