package caddymodule

import (
	"net/http"
	"strings"
	"time"
)

// precondition is the outcome of evaluating a request's conditional headers
// against the current representation (RFC 9110, section 13.2.2).
type precondition int

const (
	proceed precondition = iota
	notModified
	preconditionFailed
)

// hasConditions reports whether answering needs the object's metadata
// before its body: then a HEAD to the origin comes first, so that a 304 or
// 412 never downloads the body.
func hasConditions(r *http.Request) bool {
	h := r.Header
	return h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" ||
		h.Get("If-Match") != "" || h.Get("If-Unmodified-Since") != "" || h.Get("If-Range") != ""
}

// evaluate applies the RFC 9110 order: If-Match, If-Unmodified-Since,
// If-None-Match, If-Modified-Since.
func evaluate(r *http.Request, etag string, modified time.Time) precondition {
	h := r.Header
	if im := h.Get("If-Match"); im != "" {
		if !etagListMatch(im, etag, true) {
			return preconditionFailed
		}
	} else if ius := h.Get("If-Unmodified-Since"); ius != "" && !modified.IsZero() {
		if t, err := http.ParseTime(ius); err == nil && modified.Truncate(time.Second).After(t) {
			return preconditionFailed
		}
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if inm := h.Get("If-None-Match"); inm != "" {
		if etagListMatch(inm, etag, false) {
			if get {
				return notModified
			}
			return preconditionFailed
		}
		return proceed
	}
	if ims := h.Get("If-Modified-Since"); ims != "" && get && !modified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !modified.Truncate(time.Second).After(t) {
			return notModified
		}
	}
	return proceed
}

// rangeApplies reports whether a Range header may be honoured given
// If-Range: only if the validator still matches (strong ETag, or the exact
// Last-Modified date).
func rangeApplies(r *http.Request, etag string, modified time.Time) bool {
	ir := r.Header.Get("If-Range")
	if ir == "" {
		return true
	}
	if strings.HasPrefix(ir, `"`) || strings.HasPrefix(ir, "W/") {
		return !strings.HasPrefix(ir, "W/") && !strings.HasPrefix(etag, "W/") && ir == etag
	}
	t, err := http.ParseTime(ir)
	return err == nil && !modified.IsZero() && modified.Truncate(time.Second).Equal(t)
}

// etagListMatch compares etag with a header's list ("*", or quoted tags,
// each possibly W/-prefixed). Strong comparison for If-Match, weak for
// If-None-Match.
func etagListMatch(list, etag string, strong bool) bool {
	if etag == "" {
		return false
	}
	if strings.TrimSpace(list) == "*" {
		return true
	}
	if strong && strings.HasPrefix(etag, "W/") {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, tag := range strings.Split(list, ",") {
		tag = strings.TrimSpace(tag)
		if strings.HasPrefix(tag, "W/") {
			if strong {
				continue
			}
			tag = tag[2:]
		}
		if tag == want {
			return true
		}
	}
	return false
}
