package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/transform"
)

func TestFromOrigin(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{&origin.Error{Kind: origin.NotFound, Code: "NoSuchKey"}, 404, "ENOENT", "object not found in any origin"},
		{&origin.Error{Kind: origin.Timeout, Code: "Timeout"}, 504, "ETIMEOUT", `origin "o" did not answer in time`},
		{&origin.Error{Kind: origin.RangeNotSatisfiable}, 416, "ERANGE", "range not satisfiable"},
		{&origin.Error{Kind: origin.Denied, Code: "AccessDenied"}, 502, "AccessDenied", `origin "o" refused the request`},
		{&origin.Error{Kind: origin.Unavailable, Code: "Unreachable"}, 502, "Unreachable", `origin "o" is unavailable`},
		{fmt.Errorf("wrapped: %w", &origin.Error{Kind: origin.NotFound}), 404, "ENOENT", "object not found in any origin"},
		{errors.New("not classified"), 502, "EORIGIN", "origin failed"},
	} {
		ce := fromOrigin("o", tt.err)
		if ce.status != tt.status || ce.code != tt.code || ce.msg != tt.msg || !errors.Is(ce, tt.err) {
			t.Errorf("fromOrigin(%v) = %d %s %q", tt.err, ce.status, ce.code, ce.msg)
		}
	}
	if ce := fromOrigin("", &origin.Error{Kind: origin.Timeout}); ce.msg != "origin did not answer in time" {
		t.Errorf("unnamed origin: %q", ce.msg)
	}
}

func TestFromTransform(t *testing.T) {
	for _, tt := range []struct {
		err        error
		status     int
		code       string
		retryAfter bool
	}{
		{&transform.Error{Kind: transform.Invalid, Param: "w", Msg: "bad"}, 400, "ETRANSFORM", false},
		{&transform.Error{Kind: transform.Limit, Msg: "too big"}, 400, "ELIMIT", false},
		{&transform.Error{Kind: transform.Unsupported, Msg: "no"}, 400, "EUNSUPPORTED", false},
		{&transform.Error{Kind: transform.Corrupt, Msg: "the source image is damaged or truncated"}, 422, "ECORRUPT", false},
		{&transform.Error{Kind: transform.Limit, Param: "max_steps", Msg: "more than 20 steps"}, 400, "ELIMIT", false},
		{transform.ErrOverloaded, 503, "EOVERLOADED", true},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), 503, "ETIMEOUT", true},
		{errors.New("libvips said something"), 500, "EINTERNAL", false},
	} {
		var ce *clientError
		if !errors.As(fromTransform(tt.err), &ce) || ce.status != tt.status || ce.code != tt.code ||
			(ce.header.Get("Retry-After") != "") != tt.retryAfter {
			t.Errorf("fromTransform(%v) = %+v", tt.err, ce)
		}
	}
}

// TestRespondError checks the one place where an error becomes a
// response: headers set, nothing written, the status handed to Caddy.
func TestRespondError(t *testing.T) {
	h := &Handler{logger: zap.NewNop()}
	for _, tt := range []struct {
		name         string
		notFoundAge  time.Duration
		err          error
		status       int
		ikError      string
		cacheControl string
		extra        [2]string
	}{
		{"404 cached briefly", 0, fromOrigin("", &origin.Error{Kind: origin.NotFound}), 404, "ENOENT - object not found in any origin", "public, max-age=60", [2]string{}},
		{"404 with not_found_max_age", 10 * time.Second, fromOrigin("", &origin.Error{Kind: origin.NotFound}), 404, "ENOENT - object not found in any origin", "public, max-age=10", [2]string{}},
		{"404 never cached", -1, fromOrigin("", &origin.Error{Kind: origin.NotFound}), 404, "ENOENT - object not found in any origin", "no-store", [2]string{}},
		{"400 not cached", 0, badRequest("ETRANSFORM", errors.New("w: bad")), 400, "ETRANSFORM - w: bad", "no-store", [2]string{}},
		{"503 with Retry-After", 0, fromTransform(transform.ErrOverloaded), 503, "EOVERLOADED - " + transform.ErrOverloaded.Error(), "no-store", [2]string{"Retry-After", "1"}},
		{"405 with Allow", 0, allowMethod(httptest.NewRequest("PUT", "/", nil)), 405, "EMETHOD - only GET and HEAD are allowed", "no-store", [2]string{"Allow", "GET, HEAD"}},
		{"unclassified is a 500 that says nothing", 0, errors.New("/home/x/secret.go:12 panic"), 500, "EINTERNAL - internal error", "no-store", [2]string{}},
		{"non-ASCII kept out of headers", 0, badRequest("ETRANSFORM", errors.New("w-é\n")), 400, "ETRANSFORM - w-??", "no-store", [2]string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h.NotFoundMaxAge = caddy.Duration(tt.notFoundAge)
			w := httptest.NewRecorder()
			err := h.respondError(w, httptest.NewRequest("GET", "/x.jpg", nil), tt.err)
			var he caddyhttp.HandlerError
			if !errors.As(err, &he) || he.StatusCode != tt.status {
				t.Fatalf("returned %v, want a caddyhttp error with status %d", err, tt.status)
			}
			if strings.Contains(err.Error(), "secret.go") {
				t.Errorf("the error handed to Caddy leaks its cause: %v", err)
			}
			if w.Code != http.StatusOK || w.Body.Len() != 0 {
				t.Errorf("respondError wrote %d %q; it must leave writing to Caddy", w.Code, w.Body)
			}
			hdr := w.Header()
			if hdr.Get("Ik-Error") != tt.ikError || hdr.Get("Cache-Control") != tt.cacheControl {
				t.Errorf("Ik-Error %q, Cache-Control %q", hdr.Get("Ik-Error"), hdr.Get("Cache-Control"))
			}
			if tt.extra[0] != "" && hdr.Get(tt.extra[0]) != tt.extra[1] {
				t.Errorf("%s = %q, want %q", tt.extra[0], hdr.Get(tt.extra[0]), tt.extra[1])
			}
		})
	}
	t.Run("client gone is 499, not an error", func(t *testing.T) {
		w := httptest.NewRecorder()
		if err := h.respondError(w, httptest.NewRequest("GET", "/x.jpg", nil), fmt.Errorf("waiting: %w", context.Canceled)); err != nil {
			t.Errorf("returned %v", err)
		}
		if w.Code != statusClientClosed || w.Header().Get("Ik-Error") != "" {
			t.Errorf("wrote %d, Ik-Error %q", w.Code, w.Header().Get("Ik-Error"))
		}
	})
	t.Run("nil stays nil", func(t *testing.T) {
		w := httptest.NewRecorder()
		if err := h.respondError(w, httptest.NewRequest("GET", "/x.jpg", nil), nil); err != nil || len(w.Header()) != 0 {
			t.Errorf("= %v, headers %v", err, w.Header())
		}
	})
}

// TestFetchFailure: a download cut by the request's deadline after it
// waited most of that time for a turn is the server's 503, not the
// origin's 504.
func TestFetchFailure(t *testing.T) {
	originTimeout := &clientError{status: http.StatusGatewayTimeout, code: "ETIMEOUT", msg: "origin did not answer in time"}
	notFound := &clientError{status: http.StatusNotFound, code: "ENOENT"}
	for _, tt := range []struct {
		name          string
		fetchErr      error
		ctxErr        error
		waited, total time.Duration
		want          int
	}{
		{"waited 4.9 of 5 s, then the deadline", originTimeout, context.DeadlineExceeded, 4900 * time.Millisecond, 5 * time.Second, http.StatusServiceUnavailable},
		{"the origin used the whole deadline", originTimeout, context.DeadlineExceeded, 10 * time.Millisecond, 5 * time.Second, http.StatusGatewayTimeout},
		{"the origin's own timeout, deadline not reached", originTimeout, nil, 4 * time.Second, 4500 * time.Millisecond, http.StatusGatewayTimeout},
		{"not found after a long wait", notFound, nil, 4 * time.Second, 4100 * time.Millisecond, http.StatusNotFound},
		{"client gone while fetching", originTimeout, context.Canceled, 4 * time.Second, 4100 * time.Millisecond, http.StatusGatewayTimeout},
	} {
		var ce *clientError
		if err := fetchFailure(tt.fetchErr, tt.ctxErr, tt.waited, tt.total); !errors.As(err, &ce) || ce.status != tt.want {
			t.Errorf("%s: %v, want status %d", tt.name, err, tt.want)
		} else if tt.want == http.StatusServiceUnavailable && ce.header.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", tt.name)
		}
	}
}
