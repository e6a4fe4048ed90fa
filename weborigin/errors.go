package weborigin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/image-cdn/image_cdn/origin"
)

// ErrRefused marks a request the SSRF policy refused: a scheme other than
// http/https, an address in a refused range (loopback, private, link-local
// and cloud metadata, CGNAT, multicast, their IPv6 and IPv4-embedded
// forms), a host outside allow_hosts, a numeric host in a non-canonical
// notation. Nothing was sent to the refused address. The error is an
// *origin.Error of Kind Denied and Code "EREFUSED", so it stops the origin
// preference list; the handler answers it with 403:
//
//	if errors.Is(err, weborigin.ErrRefused) { status = http.StatusForbidden }
var ErrRefused = errors.New("refused by the web origin's address policy")

// ErrTooLarge marks a source over max_size: refused before reading when
// Content-Length announces it, or failed while streaming when the body
// grows past it. It is an *origin.Error of Kind Denied and Code "ELIMIT"
// (the handler's "over limits" answer, 400 ELIMIT, fits it).
var ErrTooLarge = errors.New("web origin source over the size limit")

// errHeaderTimeout and errBodyTimeout are the cancellation causes of a
// fetch that took too long.
var (
	errHeaderTimeout = errors.New("timed out waiting for the web origin's response headers")
	errBodyTimeout   = errors.New("timed out reading the web origin's response body")
)

func refused(format string, args ...any) error {
	return &origin.Error{Kind: origin.Denied, Code: "EREFUSED",
		Err: fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)}
}

func tooLarge(format string, args ...any) error {
	return &origin.Error{Kind: origin.Denied, Code: "ELIMIT",
		Err: fmt.Errorf("%w: "+format, append([]any{ErrTooLarge}, args...)...)}
}

func notFound(format string, args ...any) error {
	return &origin.Error{Kind: origin.NotFound, Code: "ENOENT", Err: fmt.Errorf(format, args...)}
}

// classifyStatus maps an origin's HTTP status to an origin.Error.
func classifyStatus(target string, status int) error {
	err := fmt.Errorf("%s answered %d", target, status)
	code := strconv.Itoa(status)
	switch status {
	case http.StatusNotFound, http.StatusGone:
		return &origin.Error{Kind: origin.NotFound, Code: code, Err: err}
	case http.StatusUnauthorized, http.StatusForbidden:
		return &origin.Error{Kind: origin.Denied, Code: code, Err: err}
	case http.StatusRequestedRangeNotSatisfiable:
		return &origin.Error{Kind: origin.RangeNotSatisfiable, Code: "InvalidRange", Err: err}
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return &origin.Error{Kind: origin.Timeout, Code: code, Err: err}
	}
	return &origin.Error{Kind: origin.Unavailable, Code: code, Err: err}
}

// classifyTransport maps a failure to get an answer at all: a policy
// refusal (from the dialer or a redirect check) stays what it is, a late
// answer is a timeout, anything else is unreachable. The caller's own
// cancellation stays in the chain (errors.Is(err, context.Canceled)).
func classifyTransport(ctx context.Context, target string, err error) error {
	var oe *origin.Error
	if errors.As(err, &oe) {
		return &origin.Error{Kind: oe.Kind, Code: oe.Code, Err: fmt.Errorf("%s: %w", target, oe.Err)}
	}
	if errors.Is(context.Cause(ctx), errHeaderTimeout) || errors.Is(err, errHeaderTimeout) {
		return &origin.Error{Kind: origin.Timeout, Code: "Timeout", Err: fmt.Errorf("%s: %w", target, errHeaderTimeout)}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return &origin.Error{Kind: origin.Timeout, Code: "Timeout", Err: fmt.Errorf("%s: %w", target, err)}
	}
	return &origin.Error{Kind: origin.Unavailable, Code: "Unreachable", Err: fmt.Errorf("%s: %w", target, err)}
}
