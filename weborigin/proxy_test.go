package weborigin

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/image-cdn/image_cdn/origin"
)

func TestParseProxyKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want string // "" with kind set: an error
		kind origin.Kind
	}{
		{"https://example.com/a.jpg", "https://example.com/a.jpg", 0},
		{"https:/example.com/a.jpg", "https://example.com/a.jpg", 0},
		{"HTTPS://Example.com/a.jpg", "https://Example.com/a.jpg", 0},
		{"http://example.com:8080/p/a%20b.jpg", "http://example.com:8080/p/a%20b.jpg", 0},
		{"https://example.com/a b.jpg", "https://example.com/a%20b.jpg", 0},
		{"https://example.com/a.jpg?w=1&h=2", "https://example.com/a.jpg?w=1&h=2", 0},
		{"https://example.com/a.jpg#fragment", "https://example.com/a.jpg", 0},
		{"https%3A%2F%2Fexample.com%2Fa.jpg", "https://example.com/a.jpg", 0},
		{"https%3a%2f%2fexample.com%2Fdir%2Fa.jpg%3Fv%3D2", "https://example.com/dir/a.jpg?v=2", 0},
		{"http://[2606:2800:220:1::1]/a.jpg", "http://[2606:2800:220:1::1]/a.jpg", 0},
		{"a/b.jpg", "", origin.NotFound},
		{"example.com/a.jpg", "", origin.NotFound},
		{"javascript:alert(1)", "", origin.NotFound},
		{"https%3A%2F%2Fexample.com%2Fa%ZZ.jpg", "", origin.NotFound},
		{"ftp://example.com/a.jpg", "", origin.Denied},
		{"file:///etc/passwd", "", origin.Denied},
		{"gopher://example.com/", "", origin.Denied},
		{"FILE%3A%2F%2F%2Fetc%2Fpasswd", "", origin.NotFound}, // only http(s) is decoded
		{"https:///example.com/a.jpg", "", origin.Denied},
		{"https://", "", origin.Denied},
		{"https://user:pw@example.com/a.jpg", "", origin.Denied},
		{"https://example.com@evil.com/a.jpg", "", origin.Denied},
		{"https://example.com\\@evil.com/a.jpg", "", origin.Denied},
		{"https://example.com/a\r\nX: y", "", origin.Denied},
		{"https://exa mple.com/a.jpg", "", origin.Denied},
	} {
		u, err := ParseProxyKey(tc.key)
		if tc.kind != 0 {
			if err == nil {
				t.Errorf("ParseProxyKey(%q) = %s, want %s", tc.key, u, tc.kind)
			} else if k := origin.KindOf(err); k != tc.kind {
				t.Errorf("ParseProxyKey(%q): %v, want %s", tc.key, err, tc.kind)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseProxyKey(%q): %v", tc.key, err)
			continue
		}
		if u.String() != tc.want {
			t.Errorf("ParseProxyKey(%q) = %s, want %s", tc.key, u, tc.want)
		}
	}
}

func TestAllowHosts(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		url     string
		ok      bool
	}{
		{"example.com", "https://example.com/a.jpg", true},
		{"example.com", "https://EXAMPLE.com./a.jpg", true},
		{"example.com", "http://example.com/a.jpg", true},
		{"example.com", "https://img.example.com/a.jpg", false},
		{"example.com", "https://example.com.evil.net/a.jpg", false},
		{"example.com", "https://example.com:8443/a.jpg", false},
		{"example.com", "http://example.com:443/a.jpg", false},
		{"example.com:8443", "https://example.com:8443/a.jpg", true},
		{"example.com:8443", "https://example.com/a.jpg", false},
		{"*.example.com", "https://img.example.com/a.jpg", true},
		{"*.example.com", "https://a.b.example.com/a.jpg", true},
		{"*.example.com", "https://example.com/a.jpg", false},
		{"*.example.com", "https://evilexample.com/a.jpg", false},
		{"*.Example.COM", "https://img.example.com/a.jpg", true},
		{"93.184.216.34", "http://93.184.216.34/a.jpg", true},
		{"[2606:2800::1]:8080", "http://[2606:2800::1]:8080/a.jpg", true},
		{"2606:2800::1", "http://[2606:2800::1]/a.jpg", true},
	} {
		hp, err := parseHostPattern(tc.pattern)
		if err != nil {
			t.Errorf("parseHostPattern(%q): %v", tc.pattern, err)
			continue
		}
		if got := hp.matches(mustURL(tc.url)); got != tc.ok {
			t.Errorf("%q matches %s = %v, want %v", tc.pattern, tc.url, got, tc.ok)
		}
	}
	for _, bad := range []string{"", "*", "*.", "a*.example.com", "example.com/path", "user@example.com", "example.com:http"} {
		if _, err := parseHostPattern(bad); err == nil {
			t.Errorf("allow_hosts %q accepted", bad)
		}
	}
}

// allow_hosts against a live site: the listed host is fetched, others are
// refused without a connection, also when a redirect leads there.
func TestProxyAllowHostsLive(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, "http://other.test:"+strings.Split(r.Host, ":")[1]+"/a.jpg", http.StatusFound)
			return
		}
		io.WriteString(w, "img")
	})
	resolver := fakeResolver{
		"img.example.test": addrs("127.0.0.1"),
		"example.test":     addrs("127.0.0.1"),
		"other.test":       addrs("127.0.0.1"),
	}
	port := s.port()
	p := newTestProxy(t, ProxyConfig{
		AllowHosts: []string{"*.example.test:" + port},
		Options:    Options{Resolver: resolver, AllowPrivate: loopback},
	})
	var d dials
	d.watch(p.c)

	obj, err := p.Get(context.Background(), "http://img.example.test:"+port+"/a.jpg", origin.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, obj); got != "img" {
		t.Errorf("body %q", got)
	}
	if r := s.requests()[0]; r.Host != "img.example.test:"+port {
		t.Errorf("Host = %q", r.Host)
	}
	info, err := p.Stat(context.Background(), "http%3A%2F%2Fimg.example.test%3A"+port+"%2Fa.jpg")
	if err != nil || info.Size != 3 {
		t.Errorf("Stat of the percent-encoded form = %+v, %v", info, err)
	}
	dialled := len(d.list())

	for _, key := range []string{
		"http://example.test:" + port + "/a.jpg",
		"http://other.test:" + port + "/a.jpg",
		"http://127.0.0.1:" + port + "/a.jpg",
	} {
		_, err := p.Get(context.Background(), key, origin.GetOptions{})
		wantRefused(t, err)
	}
	_, err = p.Get(context.Background(), "http://img.example.test:"+port+"/away", origin.GetOptions{})
	wantRefused(t, err)
	if n := s.hits.Load(); n != 3 {
		t.Errorf("the site received %d requests, want 3 (GET, HEAD and the redirect)", n)
	}
	if got := d.list(); len(got) > dialled+1 {
		t.Errorf("connections attempted for refused hosts: %v", got[dialled:])
	}
}

// FuzzProxyKey: whatever the key, parsing never panics, and a URL that
// passes the default checks never names a refused address literal nor a
// numeric host in another notation.
func FuzzProxyKey(f *testing.F) {
	for _, seed := range []string{
		"https://example.com/a.jpg", "https:/example.com/a.jpg", "https%3A%2F%2Fexample.com%2Fa.jpg",
		"http://127.0.0.1/", "http://2130706433/", "http://0x7f000001/", "http://0177.0.0.1/", "http://127.1/",
		"http://[::ffff:127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/", "http://[fe80::1%25eth0]/",
		"http://%31%32%37.0.0.1/", "http://169.254.169.254/", "http://0/", "http://[::]/", "file:///etc/passwd",
		"http://example.com@127.0.0.1/", "http://127.0.0.1.nip.io/", "http://1.1.1.1./",
	} {
		f.Add(seed)
	}
	pol, _ := newPolicy(nil)
	f.Fuzz(func(t *testing.T, key string) {
		u, err := ParseProxyKey(key)
		if err != nil {
			if u != nil {
				t.Fatal("URL and error both returned")
			}
			return
		}
		if checkScheme(u, pol) != nil {
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("%q: scheme %q passed", key, u.Scheme)
		}
		assertNotRefusedLiteral(t, key, u)
	})
}

// assertNotRefusedLiteral is the fuzz oracle, written independently of the
// policy: net/netip's own predicates, and "the last label is a number"
// for notations other than dotted decimal.
func assertNotRefusedLiteral(t *testing.T, key string, u *url.URL) {
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
			a.IsMulticast() || a.IsUnspecified() || a.IsInterfaceLocalMulticast() ||
			a.Is4() && (a.As4()[0] == 0 || a.As4()[0] == 100 && a.As4()[1]&0xc0 == 64) {
			t.Fatalf("%q: refused address %s passed", key, a)
		}
		if v4, ok := embeddedIPv4(a); ok && (v4.IsLoopback() || v4.IsPrivate() || v4.IsLinkLocalUnicast()) {
			t.Fatalf("%q: %s embeds refused %s and passed", key, a, v4)
		}
		return
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	if last != "" && strings.Trim(strings.TrimPrefix(last, "0x"), "0123456789abcdef") == "" &&
		(strings.HasPrefix(last, "0x") || strings.Trim(last, "0123456789") == "") {
		t.Fatalf("%q: numeric host %q passed", key, host)
	}
}

// FuzzPolicyAddr: any 16-byte address the default policy allows is none
// of the ranges net/netip itself calls non-public.
func FuzzPolicyAddr(f *testing.F) {
	for _, s := range []string{"::1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "2002:c0a8:101::", "fe80::1", "fd00::1", "2606:4700::1"} {
		b := netip.MustParseAddr(s).As16()
		f.Add(b[:])
	}
	pol, _ := newPolicy(nil)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) != 16 && len(raw) != 4 {
			return
		}
		a, _ := netip.AddrFromSlice(raw)
		if pol.check(a) != nil {
			return
		}
		u := a.Unmap()
		if u.IsLoopback() || u.IsPrivate() || u.IsLinkLocalUnicast() || u.IsMulticast() || u.IsUnspecified() ||
			u.IsLinkLocalMulticast() || u.IsInterfaceLocalMulticast() {
			t.Fatalf("%s allowed", a)
		}
		if v4, ok := embeddedIPv4(u); ok && (v4.IsLoopback() || v4.IsPrivate() || v4.IsLinkLocalUnicast()) {
			t.Fatalf("%s embeds %s and was allowed", a, v4)
		}
	})
}
