package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/weborigin"
)

func init() {
	caddy.RegisterModule(WebOrigin{})
	caddy.RegisterModule(WebProxyOrigin{})
}

// WebOptions are the settings both web origins share (see
// docs/web-origins.md). The zero value is the safe default.
type WebOptions struct {
	// AllowPrivate opens address ranges refused by default (private,
	// loopback, link-local, CGNAT, metadata): CIDR prefixes or single
	// addresses.
	AllowPrivate []string `json:"allow_private,omitempty"`

	// MaxRedirects is how many redirects one fetch follows, each
	// re-checked. Absent: 3; 0 follows none.
	MaxRedirects *int `json:"max_redirects,omitempty"`

	// MaxSize is the most bytes one fetch reads. Default: 64 MiB.
	MaxSize int64 `json:"max_size,omitempty"`

	// ConnectTimeout bounds each connect and TLS handshake. Default: 5s.
	ConnectTimeout caddy.Duration `json:"connect_timeout,omitempty"`

	// HeaderTimeout bounds the wait for the final response headers,
	// redirects included. Default: 10s.
	HeaderTimeout caddy.Duration `json:"header_timeout,omitempty"`

	// BodyTimeout bounds reading a whole body. Default: 60s.
	BodyTimeout caddy.Duration `json:"body_timeout,omitempty"`

	// Header holds extra request headers for the origin (a shared secret
	// for its firewall). Values accept placeholders, resolved at
	// provision time.
	Header map[string][]string `json:"header,omitempty"`
}

// options resolves placeholders into weborigin's settings.
func (o WebOptions) options(name string) weborigin.Options {
	repl := caddy.NewReplacer()
	opts := weborigin.Options{
		Name:           name,
		AllowPrivate:   o.AllowPrivate,
		MaxSize:        o.MaxSize,
		ConnectTimeout: time.Duration(o.ConnectTimeout),
		HeaderTimeout:  time.Duration(o.HeaderTimeout),
		BodyTimeout:    time.Duration(o.BodyTimeout),
	}
	if o.MaxRedirects != nil {
		opts.MaxRedirects = *o.MaxRedirects
		if opts.MaxRedirects == 0 {
			opts.MaxRedirects = -1 // weborigin's "none"
		}
	}
	if len(o.Header) > 0 {
		opts.Header = http.Header{}
		for k, vs := range o.Header {
			for _, v := range vs {
				opts.Header.Add(k, repl.ReplaceKnown(v, ""))
			}
		}
	}
	return opts
}

// unmarshalOption reads one shared option; it reports whether opt was one.
func (o *WebOptions) unmarshalOption(d *caddyfile.Dispenser, opt string) (bool, error) {
	switch opt {
	case "allow_private":
		args := d.RemainingArgs()
		if len(args) == 0 {
			return true, d.Err("allow_private: want one or more CIDR prefixes or addresses")
		}
		o.AllowPrivate = append(o.AllowPrivate, args...)
	case "max_redirects":
		n, err := intArg(d, 0)
		if err != nil {
			return true, err
		}
		o.MaxRedirects = &n
	case "max_size":
		n, err := sizeArg(d)
		if err != nil {
			return true, err
		}
		o.MaxSize = n
	case "connect_timeout", "header_timeout", "body_timeout":
		dur, err := durationArg(d)
		if err != nil {
			return true, err
		}
		dst := map[string]*caddy.Duration{"connect_timeout": &o.ConnectTimeout, "header_timeout": &o.HeaderTimeout, "body_timeout": &o.BodyTimeout}[opt]
		*dst = caddy.Duration(dur)
	case "header":
		args := d.RemainingArgs()
		if len(args) != 2 {
			return true, d.Err("header: want <name> <value>")
		}
		if o.Header == nil {
			o.Header = map[string][]string{}
		}
		o.Header[args[0]] = append(o.Header[args[0]], args[1])
	default:
		return false, nil
	}
	return true, nil
}

// WebOrigin is ImageKit's "web folder": objects are fetched over HTTP from
// a base URL with the request path appended. SSRF-safe by default.
type WebOrigin struct {
	// OriginName labels the origin in messages, metrics and the
	// X-Image-CDN header sent to the origin.
	OriginName string `json:"name,omitempty"`

	// BaseURL is an absolute http(s) URL; the object key is appended.
	// Placeholders are resolved at provision time.
	BaseURL string `json:"base_url,omitempty"`

	// ForwardHost sends the incoming request's Host to the origin instead
	// of the base URL's host.
	ForwardHost bool `json:"forward_host,omitempty"`

	WebOptions

	folder *weborigin.Folder
}

// CaddyModule returns the Caddy module information.
func (WebOrigin) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn.origins.web",
		New: func() caddy.Module { return new(WebOrigin) },
	}
}

// Provision checks the settings and prepares the client; no network.
func (w *WebOrigin) Provision(caddy.Context) error {
	base := caddy.NewReplacer().ReplaceKnown(w.BaseURL, "")
	if base == "" {
		return errors.New("origin web: a base URL is required")
	}
	f, err := weborigin.NewFolder(weborigin.FolderConfig{BaseURL: base, ForwardHost: w.ForwardHost, Options: w.options(w.OriginName)})
	if err != nil {
		return fmt.Errorf("origin web %q: %w", w.OriginName, err)
	}
	w.folder = f
	return nil
}

// Cleanup releases idle connections.
func (w *WebOrigin) Cleanup() error {
	if w.folder != nil {
		return w.folder.Close()
	}
	return nil
}

// Name labels the origin.
func (w *WebOrigin) Name() string { return w.OriginName }

// Remote marks the origin as slow: source storage keeps what it serves.
func (w *WebOrigin) Remote() bool { return true }

// Stat implements Origin.
func (w *WebOrigin) Stat(ctx context.Context, key string) (origin.Info, error) {
	return w.folder.Stat(w.withHost(ctx), key)
}

// Get implements Origin.
func (w *WebOrigin) Get(ctx context.Context, key string, opts origin.GetOptions) (*origin.Object, error) {
	return w.folder.Get(w.withHost(ctx), key, opts)
}

// withHost passes the incoming Host (from the request's replacer, which
// Caddy puts in every request's context) when forward_host is on.
func (w *WebOrigin) withHost(ctx context.Context) context.Context {
	if !w.ForwardHost {
		return ctx
	}
	if repl, ok := ctx.Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		if host, ok := repl.GetString("http.request.hostport"); ok && host != "" {
			return weborigin.WithHost(ctx, host)
		}
	}
	return ctx
}

// UnmarshalCaddyfile parses
//
//	origin web [<name>] <base-url> {
//		forward_host
//		allow_private <cidr>…
//		max_redirects <n>
//		max_size <size>
//		connect_timeout | header_timeout | body_timeout <duration>
//		header <name> <value>
//	}
func (w *WebOrigin) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // "web"
	args := d.RemainingArgs()
	switch len(args) {
	case 1:
		w.BaseURL = args[0]
	case 2:
		w.OriginName, w.BaseURL = args[0], args[1]
	default:
		return d.Err("origin web: want [<name>] <base-url>")
	}
	for d.NextBlock(0) {
		opt := d.Val()
		if opt == "forward_host" {
			if d.NextArg() {
				return d.Err("forward_host: takes no value")
			}
			w.ForwardHost = true
			continue
		}
		ok, err := w.WebOptions.unmarshalOption(d, opt)
		if err != nil {
			return err
		}
		if !ok {
			return d.Errf("origin web: unknown option %q", opt)
		}
	}
	return nil
}

// WebProxyOrigin is ImageKit's "web proxy": the request path is itself an
// absolute URL (`/tr:w-300/https://example.com/a.jpg`). SSRF-safe by
// default; restrict it further with AllowHosts or sign_key.
type WebProxyOrigin struct {
	// OriginName labels the origin in messages, metrics and the
	// X-Image-CDN header.
	OriginName string `json:"name,omitempty"`

	// AllowHosts, when set, is the only hosts fetched ("example.com",
	// "*.example.com", "example.com:8443").
	AllowHosts []string `json:"allow_hosts,omitempty"`

	WebOptions

	proxy *weborigin.Proxy
}

// CaddyModule returns the Caddy module information.
func (WebProxyOrigin) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn.origins.web_proxy",
		New: func() caddy.Module { return new(WebProxyOrigin) },
	}
}

// Provision checks the settings and prepares the client; no network.
func (p *WebProxyOrigin) Provision(caddy.Context) error {
	proxy, err := weborigin.NewProxy(weborigin.ProxyConfig{AllowHosts: p.AllowHosts, Options: p.options(p.OriginName)})
	if err != nil {
		return fmt.Errorf("origin web_proxy %q: %w", p.OriginName, err)
	}
	p.proxy = proxy
	return nil
}

// Cleanup releases idle connections.
func (p *WebProxyOrigin) Cleanup() error {
	if p.proxy != nil {
		return p.proxy.Close()
	}
	return nil
}

// Name labels the origin.
func (p *WebProxyOrigin) Name() string { return p.OriginName }

// Remote marks the origin as slow: source storage keeps what it serves.
func (p *WebProxyOrigin) Remote() bool { return true }

// Sandboxed says that what this origin serves comes from anywhere on the
// web: delivered as is, it gets nosniff and a sandboxing CSP whatever its
// type, so that it can never run script on this site's origin.
func (p *WebProxyOrigin) Sandboxed() bool { return true }

// Stat implements Origin.
func (p *WebProxyOrigin) Stat(ctx context.Context, key string) (origin.Info, error) {
	return p.proxy.Stat(ctx, key)
}

// Get implements Origin.
func (p *WebProxyOrigin) Get(ctx context.Context, key string, opts origin.GetOptions) (*origin.Object, error) {
	return p.proxy.Get(ctx, key, opts)
}

// UnmarshalCaddyfile parses
//
//	origin web_proxy [<name>] {
//		allow_hosts <host>…
//		allow_private <cidr>…
//		max_redirects, max_size, connect_timeout, header_timeout, body_timeout, header
//	}
func (p *WebProxyOrigin) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // "web_proxy"
	args := d.RemainingArgs()
	switch len(args) {
	case 0:
	case 1:
		p.OriginName = args[0]
	default:
		return d.Err("origin web_proxy: want [<name>] and a block")
	}
	for d.NextBlock(0) {
		opt := d.Val()
		if opt == "allow_hosts" {
			hosts := d.RemainingArgs()
			if len(hosts) == 0 {
				return d.Err("allow_hosts: want one or more hosts")
			}
			p.AllowHosts = append(p.AllowHosts, hosts...)
			continue
		}
		ok, err := p.WebOptions.unmarshalOption(d, opt)
		if err != nil {
			return err
		}
		if !ok {
			return d.Errf("origin web_proxy: unknown option %q", opt)
		}
	}
	return nil
}

// remoter is implemented by origins that are slow or far away (the web
// origins): source storage keeps a copy of what they serve.
type remoter interface{ Remote() bool }

// sandboxer is implemented by origins whose content is untrusted (the web
// proxy): delivered as is, it is sandboxed whatever its type.
type sandboxer interface{ Sandboxed() bool }

func isRemote(o Origin) bool {
	r, ok := o.(remoter)
	return ok && r.Remote()
}

func isSandboxed(o Origin) bool {
	s, ok := o.(sandboxer)
	return ok && s.Sandboxed()
}

// sandboxCSP forbids everything an opened document could do.
const sandboxCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"

// contentLength is the header value for a body of n bytes, "" when the
// origin did not say (n < 0): the body is then streamed chunked.
func contentLength(n int64) string {
	if n < 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// Interface guards.
var (
	_ caddy.Provisioner     = (*WebOrigin)(nil)
	_ caddy.CleanerUpper    = (*WebOrigin)(nil)
	_ caddyfile.Unmarshaler = (*WebOrigin)(nil)
	_ Origin                = (*WebOrigin)(nil)
	_ caddy.Provisioner     = (*WebProxyOrigin)(nil)
	_ caddy.CleanerUpper    = (*WebProxyOrigin)(nil)
	_ caddyfile.Unmarshaler = (*WebProxyOrigin)(nil)
	_ Origin                = (*WebProxyOrigin)(nil)
)
