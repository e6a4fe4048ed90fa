package caddymodule

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/image-cdn/image_cdn/signedurl"
)

// stripped is a request for target as it reaches the handler after
// handle_path stripped prefix: r.URL lost the prefix, the original
// request (in the context) kept it.
func stripped(target, prefix string) *http.Request {
	orig := httptest.NewRequest("GET", target, nil)
	r := orig.Clone(context.WithValue(orig.Context(), caddyhttp.OriginalRequestCtxKey, *orig))
	r.URL.Path = orig.URL.Path[len(prefix):]
	if orig.URL.RawPath != "" {
		r.URL.RawPath = orig.URL.RawPath[len(prefix):]
	}
	return r
}

func TestSignedTarget(t *testing.T) {
	for _, tt := range []struct {
		target, prefix, want string
	}{
		{"/a/b.jpg", "", "/a/b.jpg"},
		{"/ik/tr:w-300/a.jpg?tr=h-2&ik-s=x", "/ik", "/tr:w-300/a.jpg?tr=h-2&ik-s=x"},
		// Escapes are signed as sent, never re-encoded.
		{"/ik/red%20dress%2B1.jpg", "/ik", "/red%20dress%2B1.jpg"},
		{"/ik/a%2Fb.jpg?", "/ik", "/a%2Fb.jpg?"},
	} {
		if got := signedTarget(stripped(tt.target, tt.prefix)); got != tt.want {
			t.Errorf("signedTarget(%s after %s) = %q, want %q", tt.target, tt.prefix, got, tt.want)
		}
	}
}

func TestCheckSignature(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	t0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	now = func() time.Time { return t0 }
	key, old := []byte("current"), []byte("previous")
	h := &Handler{signKeys: [][]byte{key, old}}
	sign := func(rel string, k []byte, exp time.Time) *http.Request {
		return stripped("/ik/"+signedurl.Sign(rel, k, exp), "/ik")
	}
	for _, tt := range []struct {
		name string
		r    *http.Request
		msg  string // "" when accepted
	}{
		{"signed, no expiry", sign("tr:w-300/a.jpg", key, time.Time{}), ""},
		{"signed with the previous key", sign("tr:w-300/a.jpg", old, time.Time{}), ""},
		{"signed, not expired", sign("a.jpg?tr=w-1", key, t0.Add(time.Minute)), ""},
		{"expired", sign("a.jpg", key, t0.Add(-time.Minute)), "the signed URL has expired"},
		{"unsigned", stripped("/ik/a.jpg", "/ik"), "missing or invalid signature"},
		{"unknown key", sign("a.jpg", []byte("other"), time.Time{}), "missing or invalid signature"},
		{"path changed after signing", stripped("/ik/b.jpg?"+signedQuery(t, signedurl.Sign("a.jpg", key, time.Time{})), "/ik"), "missing or invalid signature"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := h.checkSignature(tt.r)
			if tt.msg == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			var ce *clientError
			if !errors.As(err, &ce) || ce.status != http.StatusUnauthorized || ce.code != "ESIGNATURE" || ce.msg != tt.msg {
				t.Errorf("err = %v, want 401 ESIGNATURE %q", err, tt.msg)
			}
		})
	}
	if err := (&Handler{}).checkSignature(stripped("/a.jpg", "")); err != nil {
		t.Errorf("without sign keys every URL passes: %v", err)
	}
}

// signedQuery is the query of a signed relative URL.
func signedQuery(t *testing.T, signed string) string {
	t.Helper()
	for i := range signed {
		if signed[i] == '?' {
			return signed[i+1:]
		}
	}
	t.Fatalf("no query in %q", signed)
	return ""
}
