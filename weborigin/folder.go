// Package weborigin fetches objects over HTTP from web servers: a web
// folder (a base URL the request key is appended to) and a web proxy (the
// key is itself an absolute URL). Both are SSRF-safe by default: only http
// and https, only public addresses (checked on the address actually
// dialled, after DNS), a bounded number of re-checked redirects, timeouts
// and a size limit, and nothing of the client's request (cookies,
// authorization) is ever sent. It knows nothing of images or Caddy.
package weborigin

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/image-cdn/image_cdn/origin"
)

// FolderConfig configures a web folder origin.
type FolderConfig struct {
	// BaseURL is where keys are appended: "https://img.example.com/assets/"
	// serves key "a/b.jpg" from "https://img.example.com/assets/a/b.jpg".
	// It may carry a query (sent with every request, never logged).
	BaseURL string
	// ForwardHost sends the incoming request's Host (given with WithHost)
	// instead of the base URL's host; TLS still verifies the base URL's.
	ForwardHost bool
	Options
}

// Folder is a web server directory used as an origin.
type Folder struct {
	base        *url.URL
	forwardHost bool
	c           *client
}

// NewFolder validates the configuration and prepares the client. It does
// not touch the network; a base URL whose host is a refused address
// literal is an error here rather than a 403 on every request.
func NewFolder(cfg FolderConfig) (*Folder, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("web origin: base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	base.Scheme = strings.ToLower(base.Scheme)
	base.Fragment, base.RawFragment = "", ""
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		if base.RawPath != "" {
			base.RawPath += "/"
		}
	}
	c, err := newClient(cfg.Options, func(*url.URL) error { return nil })
	if err != nil {
		return nil, fmt.Errorf("web origin %s: %w", redact(base), err)
	}
	if err := c.checkURL(base); err != nil {
		return nil, fmt.Errorf("web origin base URL %s: %w (open it with allow_private)", redact(base), err)
	}
	return &Folder{base: base, forwardHost: cfg.ForwardHost, c: c}, nil
}

// Close releases idle connections.
func (f *Folder) Close() error { return f.c.Close() }

// Stat returns an object's metadata (a HEAD to the origin).
func (f *Folder) Stat(ctx context.Context, key string) (origin.Info, error) {
	u, err := f.urlFor(key)
	if err != nil {
		return origin.Info{}, err
	}
	return f.c.stat(ctx, u, f.host(ctx))
}

// Get opens an object, or the requested range of it. The caller must close
// the body.
func (f *Folder) Get(ctx context.Context, key string, opts origin.GetOptions) (*origin.Object, error) {
	u, err := f.urlFor(key)
	if err != nil {
		return nil, err
	}
	return f.c.get(ctx, u, f.host(ctx), opts.Range)
}

func (f *Folder) host(ctx context.Context) string {
	if !f.forwardHost {
		return ""
	}
	return hostFrom(ctx)
}

// urlFor appends the key to the base URL, one escaped segment at a time:
// "?" and "#" stay in the path, ".." cannot climb above the base path, and
// what the key spells is what the origin receives. Keys that are not plain
// relative paths are not found, as on the file origin.
func (f *Folder) urlFor(key string) (*url.URL, error) {
	if key == "" || len(key) > 4096 {
		return nil, notFound("invalid key")
	}
	segs := strings.Split(key, "/")
	esc := make([]string, len(segs))
	for i, s := range segs {
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "\\") || hasControl(s) {
			return nil, notFound("invalid key %q", key)
		}
		esc[i] = url.PathEscape(s)
	}
	u := *f.base
	u.Path = f.base.Path + key
	u.RawPath = f.base.EscapedPath() + strings.Join(esc, "/")
	return &u, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

type hostKey struct{}

// WithHost returns a context carrying the incoming request's Host, which a
// Folder with ForwardHost sends to the origin. A value that is not a valid
// host[:port] is ignored (the base URL's host is sent).
func WithHost(ctx context.Context, host string) context.Context {
	return context.WithValue(ctx, hostKey{}, host)
}

func hostFrom(ctx context.Context) string {
	h, _ := ctx.Value(hostKey{}).(string)
	if h == "" || len(h) > 255 {
		return ""
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._:[]", c)) {
			return ""
		}
	}
	return h
}
