package weborigin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/image-cdn/image_cdn/origin"
)

// client is the HTTP side both web origins share: one transport per
// origin (its own policy), never a proxy from the environment, every URL
// and every redirect hop checked before it is requested.
type client struct {
	opts      Options
	dialer    *dialer
	transport *http.Transport
	http      *http.Client
	header    http.Header
	// checkURL vets a URL before it is requested: the first one and every
	// redirect target.
	checkURL func(*url.URL) error
}

func newClient(opts Options, checkURL func(*url.URL) error) (*client, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	pol, err := newPolicy(opts.AllowPrivate)
	if err != nil {
		return nil, err
	}
	c := &client{
		opts:   opts,
		dialer: &dialer{policy: pol, resolver: opts.Resolver, timeout: opts.ConnectTimeout},
	}
	c.checkURL = func(u *url.URL) error {
		if err := checkScheme(u, pol); err != nil {
			return err
		}
		return checkURL(u)
	}
	c.transport = &http.Transport{
		Proxy:                  nil, // HTTP_PROXY and friends must not reroute origin fetches
		DialContext:            c.dialer.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    opts.ConnectTimeout,
		ResponseHeaderTimeout:  opts.HeaderTimeout,
		MaxResponseHeaderBytes: 64 << 10,
		// Sources are mostly compressed already, and gzip would make
		// Content-Length and ranges meaningless.
		DisableCompression:  true,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
	}
	c.http = &http.Client{Transport: c.transport, CheckRedirect: c.checkRedirect}

	id := opts.Name
	if id == "" {
		id = "1"
	}
	c.header = http.Header{
		"User-Agent":      {userAgent},
		IdentityHeader:    {id},
		"Accept":          {"*/*"},
		"Accept-Encoding": {"identity"},
	}
	for k, vs := range opts.Header {
		c.header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	return c, nil
}

// checkScheme is the part of the URL check both origins share: http or
// https, no credentials in the URL, a host that is not a refused literal.
func checkScheme(u *url.URL, pol *policy) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return refused("scheme %q is not http or https", u.Scheme)
	}
	if u.User != nil {
		return refused("credentials in the URL")
	}
	if u.Opaque != "" {
		return refused("opaque URL")
	}
	return pol.checkHost(u.Hostname())
}

func (c *client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.opts.MaxRedirects {
		return &origin.Error{Kind: origin.Unavailable, Code: "ETOOMANYREDIRECTS",
			Err: fmt.Errorf("%s: more than %d redirects", redact(via[0].URL), c.opts.MaxRedirects)}
	}
	if err := c.checkURL(req.URL); err != nil {
		return err
	}
	if !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
		// An operator's secret header is for the configured origin only.
		for k := range c.opts.Header {
			req.Header.Del(k)
		}
	}
	return nil
}

// Close drops idle connections.
func (c *client) Close() error {
	c.transport.CloseIdleConnections()
	return nil
}

// exchange sends one request (following checked redirects) and returns the
// final response with its headers in. The returned context lives until
// cancel is called; cancel is nil when err is not.
func (c *client) exchange(ctx context.Context, method string, u *url.URL, host string, rng *origin.ByteRange) (*http.Response, context.Context, context.CancelCauseFunc, error) {
	if err := c.checkURL(u); err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		cancel(nil)
		return nil, nil, nil, refused("invalid URL %s", redact(u))
	}
	req.Header = c.header.Clone()
	if host != "" {
		req.Host = host
	}
	if rng != nil {
		req.Header.Set("Range", rangeHeader(rng))
	}
	timer := time.AfterFunc(c.opts.HeaderTimeout, func() { cancel(errHeaderTimeout) })
	resp, err := c.http.Do(req)
	if !timer.Stop() && err == nil {
		// The timer fired as the headers arrived: the body is already dead.
		resp.Body.Close()
		err = errHeaderTimeout
	}
	if err != nil {
		cancel(nil)
		return nil, nil, nil, classifyTransport(ctx, redact(u), err)
	}
	return resp, ctx, cancel, nil
}

// stat answers with a HEAD. An origin that does not do HEAD (405, 501) or
// does not say how long the object is gets a one-byte ranged GET instead.
func (c *client) stat(ctx context.Context, u *url.URL, host string) (origin.Info, error) {
	resp, _, cancel, err := c.exchange(ctx, http.MethodHead, u, host, nil)
	if err != nil {
		return origin.Info{}, err
	}
	resp.Body.Close()
	cancel(nil)
	switch {
	case resp.StatusCode == http.StatusOK && resp.ContentLength >= 0:
		info := infoFrom(resp)
		info.Size = resp.ContentLength
		return info, nil
	case resp.StatusCode == http.StatusOK, resp.StatusCode == http.StatusMethodNotAllowed, resp.StatusCode == http.StatusNotImplemented:
		obj, err := c.get(ctx, u, host, &origin.ByteRange{Start: 0, End: 0})
		if err != nil {
			return origin.Info{}, err
		}
		obj.Body.Close()
		return obj.Info, nil
	}
	return origin.Info{}, classifyStatus(redact(u), resp.StatusCode)
}

// get opens the object, or the requested range of it.
func (c *client) get(ctx context.Context, u *url.URL, host string, rng *origin.ByteRange) (*origin.Object, error) {
	resp, bctx, cancel, err := c.exchange(ctx, http.MethodGet, u, host, rng)
	if err != nil {
		return nil, err
	}
	target := redact(u)
	fail := func(err error) (*origin.Object, error) {
		resp.Body.Close()
		cancel(nil)
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		return fail(classifyStatus(target, resp.StatusCode))
	}
	obj := &origin.Object{Info: infoFrom(resp)}
	length := resp.ContentLength
	obj.Size = length
	if resp.StatusCode == http.StatusPartialContent {
		span, ok := origin.ParseContentRange(resp.Header.Get("Content-Range"))
		if !ok || rng == nil || length >= 0 && length != span.Length() {
			return fail(&origin.Error{Kind: origin.Unavailable, Code: "EBADRANGE",
				Err: fmt.Errorf("%s: 206 with an unusable Content-Range", target)})
		}
		obj.Partial, obj.Size, length = &span, span.Total, span.Length()
	}
	if length > c.opts.MaxSize {
		return fail(tooLarge("%s announces %d bytes, over max_size %d", target, length, c.opts.MaxSize))
	}
	b := &body{rc: resp.Body, ctx: bctx, cancel: cancel, limit: c.opts.MaxSize, expect: length, target: target}
	b.timer = time.AfterFunc(c.opts.BodyTimeout, func() { cancel(errBodyTimeout) })
	obj.Body = b
	if resp.StatusCode == http.StatusOK && rng != nil && length >= 0 {
		// The origin ignored Range (RFC 9110 allows it): cut the slice here,
		// so every origin answers a range the same way.
		span, ok := rng.Resolve(length)
		if !ok {
			b.Close()
			return nil, &origin.Error{Kind: origin.RangeNotSatisfiable, Code: "InvalidRange",
				Err: fmt.Errorf("%s: range outside %d bytes", target, length)}
		}
		if _, err := io.CopyN(io.Discard, b, span.Start); err != nil {
			b.Close()
			return nil, err
		}
		obj.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(b, span.Length()), b}
		obj.Partial = &span
	}
	return obj, nil
}

// body streams a response within max_size, the announced length and the
// body timeout; Close releases the request.
type body struct {
	rc     io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	limit  int64 // max_size
	expect int64 // announced length, -1 when unknown
	n      int64
	err    error
	target string
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	// Read at most one byte past the limit: enough to know it is exceeded.
	if room := b.limit - b.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	switch {
	case b.n > b.limit:
		n -= int(b.n - b.limit)
		b.err = tooLarge("%s: body over max_size %d", b.target, b.limit)
	case b.expect >= 0 && b.n > b.expect:
		n -= int(b.n - b.expect)
		b.err = &origin.Error{Kind: origin.Unavailable, Code: "EBODY",
			Err: fmt.Errorf("%s: body longer than the announced %d bytes", b.target, b.expect)}
	case err == io.EOF && b.expect >= 0 && b.n < b.expect:
		b.err = &origin.Error{Kind: origin.Unavailable, Code: "EBODY",
			Err: fmt.Errorf("%s: body ended after %d of %d bytes: %w", b.target, b.n, b.expect, io.ErrUnexpectedEOF)}
	case err != nil && err != io.EOF:
		if errors.Is(context.Cause(b.ctx), errBodyTimeout) {
			b.err = &origin.Error{Kind: origin.Timeout, Code: "Timeout", Err: fmt.Errorf("%s: %w", b.target, errBodyTimeout)}
		} else {
			b.err = &origin.Error{Kind: origin.Unavailable, Code: "ReadError", Err: fmt.Errorf("%s: %w", b.target, err)}
		}
	default:
		return n, err
	}
	return n, b.err
}

func (b *body) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

// infoFrom reads the object's metadata from response headers.
func infoFrom(resp *http.Response) origin.Info {
	info := origin.Info{
		Size:               -1,
		ContentType:        resp.Header.Get("Content-Type"),
		ETag:               resp.Header.Get("ETag"),
		ContentEncoding:    resp.Header.Get("Content-Encoding"),
		ContentDisposition: resp.Header.Get("Content-Disposition"),
	}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		info.LastModified = t.UTC()
	}
	return info
}

func rangeHeader(r *origin.ByteRange) string {
	switch {
	case r.Suffix > 0:
		return "bytes=-" + strconv.FormatInt(r.Suffix, 10)
	case r.End < 0:
		return "bytes=" + strconv.FormatInt(r.Start, 10) + "-"
	}
	return "bytes=" + strconv.FormatInt(r.Start, 10) + "-" + strconv.FormatInt(r.End, 10)
}

// redact names a URL in errors and logs without its query (which may
// carry a token) or credentials.
func redact(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}
