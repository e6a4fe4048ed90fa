package weborigin

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/image-cdn/image_cdn/origin"
)

// loopback opens 127.0.0.0/8, which every positive test needs: the remote
// site is a local server.
var loopback = []string{"127.0.0.0/8"}

// site is a local HTTP server standing in for a remote web site. It
// records what it receives.
type site struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	hits atomic.Int32
}

func newSite(t *testing.T, h http.HandlerFunc) *site {
	t.Helper()
	s := &site{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.reqs...)
}

// hostPort is the site's "127.0.0.1:port".
func (s *site) hostPort() string { return strings.TrimPrefix(s.URL, "http://") }

func (s *site) port() string {
	_, p, _ := net.SplitHostPort(s.hostPort())
	return p
}

// fakeResolver maps names to addresses without sending a DNS query.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[strings.ToLower(host)]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// dials counts the connects a client attempted, per address.
type dials struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dials) watch(c *client) {
	c.dialer.attempted = func(a string) {
		d.mu.Lock()
		d.addrs = append(d.addrs, a)
		d.mu.Unlock()
	}
}

func (d *dials) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

func wantKind(t *testing.T, err error, kind origin.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want origin %s", kind)
	}
	if got := origin.KindOf(err); got != kind {
		t.Fatalf("error %v is of kind %q, want %q", err, got, kind)
	}
}

func wantRefused(t *testing.T, err error) {
	t.Helper()
	wantKind(t, err, origin.Denied)
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("error %v is not ErrRefused", err)
	}
}

func newTestFolder(t *testing.T, cfg FolderConfig) *Folder {
	t.Helper()
	f, err := NewFolder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func newTestProxy(t *testing.T, cfg ProxyConfig) *Proxy {
	t.Helper()
	p, err := NewProxy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func readAll(t *testing.T, obj *origin.Object) string {
	t.Helper()
	defer obj.Body.Close()
	b, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func errorsIsRefused(err error) bool { return errors.Is(err, ErrRefused) }

func asOriginError(err error, target **origin.Error) bool { return errors.As(err, target) }

func defaultResolver() Resolver { return net.DefaultResolver }
