package weborigin

import (
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// Defaults of Options.
const (
	DefaultMaxRedirects   = 3
	DefaultConnectTimeout = 5 * time.Second
	DefaultHeaderTimeout  = 10 * time.Second
	DefaultBodyTimeout    = 60 * time.Second
	DefaultMaxSize        = 64 << 20
)

// IdentityHeader is sent with every request, so that the origin's firewall
// can recognise image_cdn (along with the User-Agent "image_cdn/<version>").
// Its value is the origin's name, or "1" when it has none.
const IdentityHeader = "X-Image-CDN"

// Options are the settings both web origins share. The zero value is the
// safe default: public addresses only, 3 redirects, 64 MiB.
type Options struct {
	// Name is the operator's label for the origin (sent in IdentityHeader).
	Name string
	// AllowPrivate opens address ranges refused by default: CIDR prefixes
	// or single addresses ("10.0.0.0/8", "127.0.0.1", "fd00::/8").
	AllowPrivate []string
	// MaxRedirects is how many redirects one fetch follows, each re-checked;
	// 0 means DefaultMaxRedirects, a negative value follows none.
	MaxRedirects int
	// ConnectTimeout bounds each TCP connect and TLS handshake.
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the time from the start of a fetch to the final
	// response headers, redirects and DNS included.
	HeaderTimeout time.Duration
	// BodyTimeout bounds reading the whole body once the headers are in.
	BodyTimeout time.Duration
	// MaxSize is the most bytes one fetch reads: a larger Content-Length is
	// refused before reading, a body that grows past it fails. For a range
	// request it bounds the slice.
	MaxSize int64
	// Header holds extra headers for every request, e.g. a shared secret the
	// origin's firewall checks. They are dropped when a redirect leaves the
	// configured host. Host, Cookie, Authorization hop-by-hop, range and
	// conditional headers may not be set here.
	Header http.Header
	// Resolver looks up host names; nil means net.DefaultResolver.
	Resolver Resolver
}

// forbiddenHeaders may not be set through Options.Header: they are the
// request's own (Host, Range, conditionals, framing) or credentials of a
// client, which image_cdn never forwards.
var forbiddenHeaders = map[string]bool{
	"Host": true, "Cookie": true, "Authorization": true, "Proxy-Authorization": true,
	"Range": true, "If-Range": true, "If-None-Match": true, "If-Modified-Since": true,
	"If-Match": true, "If-Unmodified-Since": true, "Content-Length": true, "Transfer-Encoding": true,
	"Connection": true, "Keep-Alive": true, "Te": true, "Trailer": true, "Upgrade": true,
	"Proxy-Connection": true, "Accept-Encoding": true,
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	} else if o.MaxRedirects < 0 {
		o.MaxRedirects = 0
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if strings.ContainsFunc(o.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return o, fmt.Errorf("invalid origin name %q", o.Name)
	}
	for k, vs := range o.Header {
		ck := http.CanonicalHeaderKey(k)
		if forbiddenHeaders[ck] {
			return o, fmt.Errorf("header %s cannot be set on a web origin", ck)
		}
		if !validToken(ck) {
			return o, fmt.Errorf("invalid header name %q", k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				return o, fmt.Errorf("header %s: invalid value", ck)
			}
		}
	}
	return o, nil
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}

// userAgent is "image_cdn/<module version>", the version read from the
// binary's build information ("dev" in a source checkout).
var userAgent = func() string {
	const module = "github.com/image-cdn/image_cdn"
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == module && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == module && d.Version != "" && d.Version != "(devel)" {
				v = d.Version
			}
		}
	}
	return "image_cdn/" + v
}()
