package weborigin

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/image-cdn/image_cdn/origin"
)

// ProxyConfig configures a web proxy origin.
type ProxyConfig struct {
	// AllowHosts, when not empty, is the only hosts fetched: "example.com"
	// exactly, "*.example.com" for any subdomain (not example.com itself).
	// Without a port an entry matches the scheme's default port only;
	// "example.com:8443" names another. Checked on every redirect hop too.
	// It does not open private addresses: that is AllowPrivate's job.
	AllowHosts []string
	Options
}

// Proxy is an origin whose keys are absolute URLs.
type Proxy struct {
	allow []hostPattern
	c     *client
}

type hostPattern struct {
	host     string // lower case, without the "*." of a wildcard
	wildcard bool
	port     string // "" for the scheme's default port
}

// NewProxy validates the configuration and prepares the client. It does
// not touch the network.
func NewProxy(cfg ProxyConfig) (*Proxy, error) {
	p := &Proxy{}
	for _, h := range cfg.AllowHosts {
		hp, err := parseHostPattern(h)
		if err != nil {
			return nil, fmt.Errorf("web proxy origin: %w", err)
		}
		p.allow = append(p.allow, hp)
	}
	c, err := newClient(cfg.Options, p.checkAllowed)
	if err != nil {
		return nil, fmt.Errorf("web proxy origin: %w", err)
	}
	p.c = c
	return p, nil
}

func parseHostPattern(s string) (hostPattern, error) {
	hp := hostPattern{}
	h := strings.ToLower(strings.TrimSpace(s))
	if strings.HasSuffix(h, "]") || strings.Count(h, ":") > 1 && !strings.Contains(h, "]") {
		// A bare IPv6 address.
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	} else if host, port, err := net.SplitHostPort(h); err == nil {
		h, hp.port = host, port
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return hp, fmt.Errorf("allow_hosts: bad port in %q", s)
		}
	}
	h, hp.wildcard = strings.CutPrefix(h, "*.")
	h = strings.TrimSuffix(h, ".")
	if h == "" || strings.ContainsAny(h, "*/?#@ ") {
		return hp, fmt.Errorf("allow_hosts: %q is not a host name or *.domain", s)
	}
	hp.host = h
	return hp, nil
}

func (hp hostPattern) matches(u *url.URL) bool {
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	want := hp.port
	if want == "" {
		want = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port != want {
		return false
	}
	if hp.wildcard {
		return strings.HasSuffix(host, "."+hp.host)
	}
	return host == hp.host
}

func (p *Proxy) checkAllowed(u *url.URL) error {
	if len(p.allow) == 0 {
		return nil
	}
	for _, hp := range p.allow {
		if hp.matches(u) {
			return nil
		}
	}
	return refused("host %q is not in allow_hosts", u.Host)
}

// Close releases idle connections.
func (p *Proxy) Close() error { return p.c.Close() }

// Stat returns the metadata of the object at the URL the key spells.
func (p *Proxy) Stat(ctx context.Context, key string) (origin.Info, error) {
	u, err := ParseProxyKey(key)
	if err != nil {
		return origin.Info{}, err
	}
	return p.c.stat(ctx, u, "")
}

// Get opens the object at the URL the key spells, or a range of it.
func (p *Proxy) Get(ctx context.Context, key string, opts origin.GetOptions) (*origin.Object, error) {
	u, err := ParseProxyKey(key)
	if err != nil {
		return nil, err
	}
	return p.c.get(ctx, u, "", opts.Range)
}

// ParseProxyKey reads the absolute URL a web proxy key spells. It accepts
// "https://example.com/a.jpg", the same with a single slash after the
// scheme ("https:/example.com/a.jpg", as path cleaning leaves it), and the
// whole URL percent-encoded once ("https%3A%2F%2Fexample.com%2Fa.jpg", the
// form used in signed URLs). A key that is not URL-shaped is not found, so
// that the next origin in the preference list is asked; a URL with any
// scheme but http or https is refused (ErrRefused). The policy checks on
// the host and address happen when the URL is fetched.
func ParseProxyKey(key string) (*url.URL, error) {
	if len(key) > 8192 {
		return nil, notFound("key too long")
	}
	lower := strings.ToLower(key)
	if strings.HasPrefix(lower, "http%3a") || strings.HasPrefix(lower, "https%3a") {
		dec, err := url.PathUnescape(key)
		if err != nil {
			return nil, notFound("key is not a valid percent-encoded URL")
		}
		key = dec
	}
	scheme, rest, ok := strings.Cut(key, ":")
	if !ok || !isScheme(scheme) || !strings.HasPrefix(rest, "/") {
		return nil, notFound("key is not an absolute URL")
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return nil, refused("scheme %q is not http or https", scheme)
	}
	rest = strings.TrimPrefix(rest, "/")
	rest = strings.TrimPrefix(rest, "/")
	if rest == "" || rest[0] == '/' || hasControl(rest) || strings.ContainsRune(rest, '\\') {
		return nil, refused("malformed URL")
	}
	u, err := url.Parse(scheme + "://" + rest)
	if err != nil {
		return nil, refused("malformed URL")
	}
	if u.User != nil {
		return nil, refused("credentials in the URL")
	}
	if u.Host == "" {
		return nil, refused("no host in the URL")
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// isScheme reports whether s is a URL scheme (RFC 3986: a letter, then
// letters, digits, "+", "-", ".").
func isScheme(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}
