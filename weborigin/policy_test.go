package weborigin

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/image-cdn/image_cdn/origin"
)

func TestPolicyAddresses(t *testing.T) {
	for _, tc := range []struct {
		addr  string
		allow []string
		ok    bool
	}{
		{"93.184.216.34", nil, true},
		{"2606:2800:220:1:248:1893:25c8:1946", nil, true},
		{"127.0.0.1", nil, false},
		{"127.255.255.254", nil, false},
		{"10.0.0.1", nil, false},
		{"172.16.0.1", nil, false},
		{"172.31.255.255", nil, false},
		{"172.32.0.1", nil, true},
		{"192.168.1.1", nil, false},
		{"169.254.169.254", nil, false},
		{"100.64.0.1", nil, false},
		{"100.127.255.255", nil, false},
		{"100.128.0.1", nil, true},
		{"0.0.0.0", nil, false},
		{"255.255.255.255", nil, false},
		{"224.0.0.1", nil, false},
		{"198.18.0.1", nil, false},
		{"::", nil, false},
		{"::1", nil, false},
		{"::127.0.0.1", nil, false},
		{"::ffff:127.0.0.1", nil, false},
		{"::ffff:169.254.169.254", nil, false},
		{"::ffff:93.184.216.34", nil, true},
		{"64:ff9b::7f00:1", nil, false},     // NAT64 of 127.0.0.1
		{"64:ff9b::a00:1", nil, false},      // NAT64 of 10.0.0.1
		{"64:ff9b::5db8:d822", nil, true},   // NAT64 of a public address
		{"2002:7f00:1::1", nil, false},      // 6to4 of 127.0.0.1
		{"2002:a9fe:a9fe::", nil, false},    // 6to4 of 169.254.169.254
		{"2002:5db8:d822::1", nil, true},    // 6to4 of a public address
		{"2001:0:4136:e378::1", nil, false}, // Teredo
		{"fd00::1", nil, false},             // ULA
		{"fe80::1", nil, false},             // link-local
		{"fe80::1%eth0", nil, false},        // link-local with zone
		{"ff02::1", nil, false},             // multicast
		{"2001:db8::1", nil, false},         // documentation
		{"fd00:ec2::254", nil, false},       // AWS IPv6 metadata
		{"127.0.0.1", []string{"127.0.0.0/8"}, true},
		{"::ffff:127.0.0.1", []string{"127.0.0.0/8"}, true},
		{"127.0.0.2", []string{"127.0.0.1"}, false},
		{"127.0.0.1", []string{"127.0.0.1"}, true},
		{"10.1.2.3", []string{"10.1.0.0/16"}, true},
		{"10.2.0.1", []string{"10.1.0.0/16"}, false},
		{"169.254.169.254", []string{"10.0.0.0/8"}, false},
		{"fd12::1", []string{"fd00::/8"}, true},
		{"127.0.0.1", []string{"::ffff:127.0.0.0/104"}, true},
		{"64:ff9b::a00:1", []string{"10.0.0.0/8"}, true},
	} {
		p, err := newPolicy(tc.allow)
		if err != nil {
			t.Fatal(err)
		}
		err = p.check(netip.MustParseAddr(tc.addr))
		if (err == nil) != tc.ok {
			t.Errorf("check(%s) allow %v = %v, want allowed %v", tc.addr, tc.allow, err, tc.ok)
		}
		if err != nil && !errorsIsRefused(err) {
			t.Errorf("check(%s): %v is not ErrRefused", tc.addr, err)
		}
	}
}

func TestPolicyBadAllowPrivate(t *testing.T) {
	for _, s := range []string{"", "10.0.0.0/33", "localhost", "fe80::1%eth0", "10.0.0"} {
		if _, err := newPolicy([]string{s}); err == nil {
			t.Errorf("allow_private %q accepted", s)
		}
	}
}

func TestCheckHost(t *testing.T) {
	p, _ := newPolicy(nil)
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"example.com", true},
		{"img.example.com.", true},
		{"localhost", true}, // a name: refused at dial time, on what it resolves to
		{"my_host.internal", true},
		{"93.184.216.34", true},
		{"127.0.0.1", false},
		{"2130706433", false},
		{"0x7f000001", false},
		{"0x7F.1", false},
		{"0177.0.0.1", false},
		{"127.1", false},
		{"127.0.1", false},
		{"017700000001", false},
		{"1.2.3.4.5", false},
		{"93.184.216.034", false}, // a leading zero is octal to inet_aton
		{"example.0x10", false},
		{"::1", false},
		{"[::1]", false},
		{"[::ffff:127.0.0.1]", false},
		{"::ffff:7f00:1", false},
		{"", false},
		{"ex ample.com", false},
		{"exa%mple.com", false},
		{"bücher.example", true},
		{"ｌｏｃａｌｈｏｓｔ", true}, // becomes "localhost" before dialling, refused there
	} {
		err := p.checkHost(tc.host)
		if (err == nil) != tc.ok {
			t.Errorf("checkHost(%q) = %v, want allowed %v", tc.host, err, tc.ok)
		}
	}
}

// Every refusal under the default policy: an error that is ErrRefused,
// and not one connection attempted, not one request received.
func TestRefusedByDefault(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") })
	port := s.port()
	resolver := fakeResolver{
		"rebind.test":   addrs("127.0.0.1"),
		"metadata.test": addrs("169.254.169.254"),
		"mixed.test":    addrs("10.0.0.1", "fd00::1"),
	}
	for _, key := range []string{
		"http://127.0.0.1:" + port + "/a.jpg",
		"http://2130706433:" + port + "/a.jpg",
		"http://0x7f000001:" + port + "/a.jpg",
		"http://0177.0.0.1:" + port + "/a.jpg",
		"http://127.1:" + port + "/a.jpg",
		"http://[::ffff:127.0.0.1]:" + port + "/a.jpg",
		"http://[::ffff:7f00:1]:" + port + "/a.jpg",
		"http://[::1]:" + port + "/a.jpg",
		"http://[64:ff9b::7f00:1]:" + port + "/a.jpg",
		"http://[2002:7f00:1::1]:" + port + "/a.jpg",
		"http://localhost:" + port + "/a.jpg", // through the real resolver (/etc/hosts)
		"http://ｌｏｃａｌｈｏｓｔ:" + port + "/a.jpg",
		"http://１２７.０.０.１:" + port + "/a.jpg",
		"http://rebind.test:" + port + "/a.jpg",
		"http://metadata.test/latest/meta-data/",
		"http://mixed.test/a.jpg",
		"http://%31%32%37.0.0.1:" + port + "/a.jpg",
		"http:/127.0.0.1:" + port + "/a.jpg",
		"http%3A%2F%2F127.0.0.1%3A" + port + "%2Fa.jpg",
		"http://10.0.0.1/a.jpg",
		"http://169.254.169.254/latest/meta-data/",
		"http://[fd00:ec2::254]/latest/meta-data/",
		"http://100.64.0.1/a.jpg",
		"http://0.0.0.0:" + port + "/a.jpg",
		"http://[fe80::1%25lo]:" + port + "/a.jpg",
		"file:///etc/passwd",
		"ftp://example.com/a.jpg",
		"gopher://127.0.0.1:" + port + "/",
		"https://user:pass@example.com/a.jpg",
	} {
		t.Run(key, func(t *testing.T) {
			p := newTestProxy(t, ProxyConfig{Options: Options{Resolver: resolver}})
			var d dials
			d.watch(p.c)
			if strings.Contains(key, "localhost") || strings.Contains(key, "ｌｏｃａｌｈｏｓｔ") {
				p.c.dialer.resolver = defaultResolver()
			}
			_, err := p.Get(context.Background(), key, origin.GetOptions{})
			wantRefused(t, err)
			_, err = p.Stat(context.Background(), key)
			wantRefused(t, err)
			if got := d.list(); len(got) != 0 {
				t.Errorf("connections attempted to %v", got)
			}
			if n := s.hits.Load(); n != 0 {
				t.Errorf("the site received %d requests", n)
			}
		})
	}

	// A web folder whose base URL is a refused literal fails to build, so
	// the mistake shows at provision time.
	if _, err := NewFolder(FolderConfig{BaseURL: s.URL}); err == nil || !errorsIsRefused(err) {
		t.Errorf("NewFolder(%s) without allow_private = %v, want a refusal", s.URL, err)
	}
	// A base URL by name is only checked when dialled.
	f := newTestFolder(t, FolderConfig{BaseURL: "http://rebind.test:" + port + "/", Options: Options{Resolver: resolver}})
	_, err := f.Get(context.Background(), "a.jpg", origin.GetOptions{})
	wantRefused(t, err)
	if n := s.hits.Load(); n != 0 {
		t.Errorf("the site received %d requests", n)
	}
}

// The Control hook checks the address being connected, whatever chose
// it: dialling a refused address directly fails before connect.
func TestDialControlRefuses(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {})
	p := newTestProxy(t, ProxyConfig{})
	_, err := p.c.dialer.netDialer().DialContext(context.Background(), "tcp", s.hostPort())
	if !errorsIsRefused(err) {
		t.Fatalf("direct dial of %s: %v, want ErrRefused", s.hostPort(), err)
	}
}

// A name resolving to both a refused and an allowed address is dialled on
// the allowed one only.
func TestDialSkipsRefusedAddresses(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	resolver := fakeResolver{"two.test": addrs("10.0.0.1", "169.254.169.254", "127.0.0.1")}
	p := newTestProxy(t, ProxyConfig{Options: Options{Resolver: resolver, AllowPrivate: []string{"127.0.0.1/32"}}})
	var d dials
	d.watch(p.c)
	obj, err := p.Get(context.Background(), "http://two.test:"+s.port()+"/a.jpg", origin.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, obj); got != "ok" {
		t.Errorf("body %q", got)
	}
	if got := d.list(); len(got) != 1 || got[0] != s.hostPort() {
		t.Errorf("dialled %v, want only %s", got, s.hostPort())
	}
}

func TestRedirects(t *testing.T) {
	var other *site
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/to-refused":
			// 127.0.0.2 is loopback too, but outside allow_private.
			http.Redirect(w, r, "http://127.0.0.2:"+strings.Split(r.Host, ":")[1]+"/a.jpg", http.StatusFound)
		case r.URL.Path == "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusMovedPermanently)
		case r.URL.Path == "/to-decimal":
			http.Redirect(w, r, "http://2130706433/", http.StatusFound)
		case r.URL.Path == "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case r.URL.Path == "/to-other":
			http.Redirect(w, r, other.URL+"/a.jpg", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/hop"):
			n := len(strings.TrimPrefix(r.URL.Path, "/hop"))
			if n == 0 {
				io.WriteString(w, "arrived")
				return
			}
			http.Redirect(w, r, "/hop"+strings.Repeat("x", n-1), http.StatusFound)
		default:
			io.WriteString(w, "ok")
		}
	})
	other = newSite(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") })
	allow := []string{"127.0.0.1/32"}

	for _, key := range []string{"to-refused", "to-metadata", "to-decimal", "to-file"} {
		t.Run(key, func(t *testing.T) {
			f := newTestFolder(t, FolderConfig{BaseURL: s.URL, Options: Options{AllowPrivate: allow}})
			var d dials
			d.watch(f.c)
			_, err := f.Get(context.Background(), key, origin.GetOptions{})
			wantRefused(t, err)
			for _, a := range d.list() {
				if a != s.hostPort() {
					t.Errorf("connection attempted to %s", a)
				}
			}
		})
	}

	t.Run("redirect limit", func(t *testing.T) {
		for _, tc := range []struct {
			max, hops int
			ok        bool
		}{
			{0, 3, true}, // the default is 3
			{0, 4, false},
			{1, 1, true},
			{1, 2, false},
			{-1, 1, false}, // none followed
			{-1, 0, true},
		} {
			f := newTestFolder(t, FolderConfig{BaseURL: s.URL, Options: Options{AllowPrivate: allow, MaxRedirects: tc.max}})
			before := s.hits.Load()
			obj, err := f.Get(context.Background(), "hop"+strings.Repeat("x", tc.hops), origin.GetOptions{})
			if tc.ok {
				if err != nil {
					t.Fatalf("max %d, %d hops: %v", tc.max, tc.hops, err)
				}
				if got := readAll(t, obj); got != "arrived" {
					t.Errorf("body %q", got)
				}
				continue
			}
			wantKind(t, err, origin.Unavailable)
			if oe := (*origin.Error)(nil); !asOriginError(err, &oe) || oe.Code != "ETOOMANYREDIRECTS" {
				t.Errorf("max %d, %d hops: %v, want ETOOMANYREDIRECTS", tc.max, tc.hops, err)
			}
			limit := tc.max
			if limit == 0 {
				limit = DefaultMaxRedirects
			} else if limit < 0 {
				limit = 0
			}
			if n := s.hits.Load() - before; int(n) != limit+1 {
				t.Errorf("max %d: %d requests made, want %d", tc.max, n, limit+1)
			}
		}
	})

	t.Run("operator headers stay with the configured host", func(t *testing.T) {
		f := newTestFolder(t, FolderConfig{BaseURL: s.URL, Options: Options{AllowPrivate: allow,
			Header: http.Header{"X-Origin-Secret": {"s3cr3t"}}}})
		obj, err := f.Get(context.Background(), "to-other", origin.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, obj); got != "other" {
			t.Errorf("body %q", got)
		}
		first := s.requests()[len(s.requests())-1]
		if first.Header.Get("X-Origin-Secret") != "s3cr3t" {
			t.Error("the configured origin did not get the header")
		}
		if got := other.requests()[0].Header.Get("X-Origin-Secret"); got != "" {
			t.Errorf("redirect target received the operator's secret header %q", got)
		}
	})
}

// HTTP_PROXY must not reroute origin fetches: a proxy would both bypass
// the address policy and see every URL.
func TestNoProxyFromEnvironment(t *testing.T) {
	proxy := newSite(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "from the proxy") })
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "direct") })
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	// A name, not 127.0.0.1: Go never proxies loopback literals anyway.
	resolver := fakeResolver{"origin.test": addrs("127.0.0.1")}
	p := newTestProxy(t, ProxyConfig{Options: Options{Resolver: resolver, AllowPrivate: loopback}})
	obj, err := p.Get(context.Background(), "http://origin.test:"+s.port()+"/a.jpg", origin.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, obj); got != "direct" {
		t.Errorf("body %q, want the direct answer", got)
	}
	if n := proxy.hits.Load(); n != 0 {
		t.Errorf("the environment's proxy received %d requests", n)
	}
}

// stallingResolver never answers: it waits for the fetch to give up.
type stallingResolver struct{}

func (stallingResolver) LookupNetIP(ctx context.Context, _, _ string) ([]netip.Addr, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A DNS look-up that hangs is bounded by header_timeout like the rest of
// the way to the response headers.
func TestStalledResolutionTimesOut(t *testing.T) {
	p := newTestProxy(t, ProxyConfig{Options: Options{Resolver: stallingResolver{}, HeaderTimeout: 100 * time.Millisecond}})
	var d dials
	d.watch(p.c)
	_, err := p.Get(context.Background(), "https://slow-dns.test/a.jpg", origin.GetOptions{})
	wantKind(t, err, origin.Timeout)
	if got := d.list(); len(got) != 0 {
		t.Errorf("connections attempted: %v", got)
	}
}
