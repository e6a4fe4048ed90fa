package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/transform"
	"github.com/image-cdn/image_cdn/weborigin"
)

// clientError is a failure whose code and message are safe to show to the
// client (in the Ik-Error header and to handle_errors); cause is for logs.
type clientError struct {
	status int
	code   string
	msg    string
	cause  error
	// header holds extra response headers: Content-Range on 416,
	// Retry-After on 503, Allow on 405.
	header http.Header
}

func (e *clientError) Error() string { return e.code + " - " + e.msg }
func (e *clientError) Unwrap() error { return e.cause }

func badRequest(code string, err error) *clientError {
	return &clientError{status: http.StatusBadRequest, code: code, msg: err.Error(), cause: err}
}

// fromOrigin maps an origin failure to its HTTP answer: the one place
// where an origin.Kind becomes a status.
func fromOrigin(name string, err error) *clientError {
	var oe *origin.Error
	if !errors.As(err, &oe) {
		return &clientError{status: http.StatusBadGateway, code: "EORIGIN", msg: "origin failed", cause: err}
	}
	switch {
	case errors.Is(err, weborigin.ErrRefused):
		// Nothing was fetched: the address policy stopped it.
		return &clientError{status: http.StatusForbidden, code: "EREFUSED", msg: "the source address is not allowed", cause: err}
	case errors.Is(err, weborigin.ErrTooLarge):
		return &clientError{status: http.StatusBadRequest, code: "ELIMIT", msg: "the source is over the web origin's size limit", cause: err}
	}
	who := "origin"
	if name != "" {
		who = "origin " + strconv.Quote(name)
	}
	switch oe.Kind {
	case origin.NotFound:
		return &clientError{status: http.StatusNotFound, code: "ENOENT", msg: "object not found in any origin", cause: err}
	case origin.Timeout:
		return &clientError{status: http.StatusGatewayTimeout, code: "ETIMEOUT", msg: who + " did not answer in time", cause: err}
	case origin.RangeNotSatisfiable:
		return &clientError{status: http.StatusRequestedRangeNotSatisfiable, code: "ERANGE", msg: "range not satisfiable", cause: err}
	case origin.Denied:
		return &clientError{status: http.StatusBadGateway, code: oe.Code, msg: who + " refused the request", cause: err}
	default:
		return &clientError{status: http.StatusBadGateway, code: oe.Code, msg: who + " is unavailable", cause: err}
	}
}

// respondError is the one place where a failure becomes a response. It
// sets the error headers (Ik-Error, Cache-Control, and any the error
// carries) and returns the error to Caddy unwritten, so that the site's
// handle_errors (if any) writes the body. A client that went away is
// logged as 499 in the access log, as reverse_proxy does, and not as an
// error. nil stays nil.
func (h *Handler) respondError(w http.ResponseWriter, r *http.Request, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		// The client went away (or the work it waited on was abandoned):
		// nothing to answer and nothing to log as our failure.
		w.WriteHeader(statusClientClosed)
		return nil
	}
	ce := asClientError(err)
	hdr := w.Header()
	for k, v := range ce.header {
		hdr[k] = v
	}
	hdr.Set("Ik-Error", headerSafe(ce.Error()))
	hdr.Set("Cache-Control", h.errorCacheControl(ce.status))
	level, msg := zap.DebugLevel, "request refused"
	if ce.status >= 500 {
		level, msg = zap.WarnLevel, "request failed"
	}
	if c := h.logger.Check(level, msg); c != nil {
		c.Write(zap.Int("status", ce.status), zap.String("code", ce.code), zap.String("request_id", requestID(r)),
			zap.String("uri", r.RequestURI), zap.String("detail", detail(ce.cause)))
	}
	// The error handed to Caddy carries only the safe text: Caddy logs it
	// and handle_errors may show it as {err.message}.
	return caddyhttp.Error(ce.status, errors.New(ce.Error()))
}

// requestID is Caddy's id of the request ({http.request.uuid}), so a log
// line can be matched with the access log and the client's report.
func requestID(r *http.Request) string {
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		return repl.ReplaceAll("{http.request.uuid}", "")
	}
	return ""
}

// detail is the whole story of a failure for the log: the message of
// every error in its chain, including causes the client never sees (an
// origin's message, libvips' text).
func detail(err error) string {
	var parts []string
	for err != nil {
		parts = append(parts, err.Error())
		if len(parts) == 8 {
			break
		}
		err = errors.Unwrap(err)
	}
	// An outer message usually includes its cause's text; a cause is
	// added only when it says something more.
	out := ""
	for _, p := range parts {
		if !strings.Contains(out, p) {
			if out != "" {
				out += " | "
			}
			out += p
		}
	}
	return out
}

// statusClientClosed is nginx's and Caddy's reverse_proxy's status for a
// request whose client closed the connection before the answer.
const statusClientClosed = 499

// asClientError is err's answer; anything unclassified is a 500 whose
// cause stays in the log.
func asClientError(err error) *clientError {
	var ce *clientError
	if errors.As(err, &ce) {
		return ce
	}
	return &clientError{status: http.StatusInternalServerError, code: "EINTERNAL", msg: "internal error", cause: err}
}

// errorCacheControl: a 404 may be cached briefly (the object may appear
// later); no other error may be cached at all, least of all a 5xx.
func (h *Handler) errorCacheControl(status int) string {
	if status == http.StatusNotFound && h.notFoundMaxAge() > 0 {
		return fmt.Sprintf("public, max-age=%d", int(h.notFoundMaxAge().Seconds()))
	}
	return "no-store"
}

// headerSafe keeps a header value to printable ASCII.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// fromTransform maps a transform failure to its answer: the one place
// where a transform.Kind becomes a status.
func fromTransform(err error) error {
	// A layer source's origin failed: keep the origin's own answer.
	var ce *clientError
	if errors.As(err, &ce) {
		return ce
	}
	var te *transform.Error
	if !errors.As(err, &te) {
		// A cancelled client is handled by respondError; a deadline is
		// transform_timeout.
		if errors.Is(err, context.DeadlineExceeded) {
			return &clientError{status: http.StatusServiceUnavailable, code: "ETIMEOUT", msg: "the transformation took too long",
				cause: err, header: http.Header{"Retry-After": {"1"}}}
		}
		return &clientError{status: http.StatusInternalServerError, code: "EINTERNAL", msg: "transformation failed", cause: err}
	}
	switch te.Kind {
	case transform.Limit:
		return &clientError{status: http.StatusBadRequest, code: "ELIMIT", msg: te.Error(), cause: err}
	case transform.Unsupported:
		return &clientError{status: http.StatusBadRequest, code: "EUNSUPPORTED", msg: te.Error(), cause: err}
	case transform.Corrupt:
		// The source itself is broken (truncated, header only, damaged):
		// never cached, here or downstream (every error is no-store), and
		// never stored, since render only stores successes.
		return &clientError{status: http.StatusUnprocessableEntity, code: "ECORRUPT", msg: te.Error(), cause: err}
	case transform.Overloaded:
		return &clientError{status: http.StatusServiceUnavailable, code: "EOVERLOADED", msg: te.Error(), cause: err,
			header: http.Header{"Retry-After": {"1"}}}
	}
	return &clientError{status: http.StatusBadRequest, code: "ETRANSFORM", msg: te.Error(), cause: err}
}

func limitError(err error) *clientError {
	return &clientError{status: http.StatusBadRequest, code: "ELIMIT", msg: err.Error(), cause: err}
}
