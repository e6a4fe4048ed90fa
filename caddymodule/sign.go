package caddymodule

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/image-cdn/image_cdn/signedurl"
)

// now is replaceable in tests (signature expiry).
var now = time.Now

// checkSignature verifies ik-s/ik-t when sign keys are configured. The
// signed text is the path after the URL endpoint (what handle_path left)
// and the raw query, exactly as the client sent them.
func (h *Handler) checkSignature(r *http.Request) error {
	if len(h.signKeys) == 0 {
		return nil
	}
	target := signedTarget(r)
	if err := signedurl.Verify(target, h.signKeys, now()); err != nil {
		msg := "missing or invalid signature"
		if errors.Is(err, signedurl.ErrExpired) {
			msg = "the signed URL has expired"
		}
		return &clientError{status: http.StatusUnauthorized, code: "ESIGNATURE", msg: msg, cause: err}
	}
	return nil
}

// signedTarget is the request target after the endpoint prefix. Caddy's
// handle_path rewrites r.URL but keeps the original request, whose raw
// path tells how much was stripped; the rest is taken from the raw request
// target, never re-encoded.
func signedTarget(r *http.Request) string {
	path := r.URL.EscapedPath()
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok {
		full := orig.URL.EscapedPath()
		if strings.HasSuffix(full, path) {
			raw := full
			if p, _, _ := strings.Cut(orig.RequestURI, "?"); strings.HasPrefix(p, "/") {
				raw = p
			}
			if len(raw) >= len(full) {
				path = raw[len(full)-len(path):]
			}
		}
	}
	if r.URL.RawQuery != "" || r.URL.ForceQuery {
		return path + "?" + r.URL.RawQuery
	}
	return path
}
