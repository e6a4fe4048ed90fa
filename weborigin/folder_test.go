package weborigin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/image-cdn/image_cdn/origin"
)

var modTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const picture = "0123456789abcdefghijklmnopqrstuvwxyz"

// serveFile answers like a static file server: ETag, Last-Modified,
// ranges and HEAD through http.ServeContent.
func serveFile(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/assets/img/a.jpg" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("ETag", `"v1"`)
	http.ServeContent(w, r, "", modTime, strings.NewReader(picture))
}

func TestFolderStatAndGet(t *testing.T) {
	s := newSite(t, serveFile)
	f := newTestFolder(t, FolderConfig{BaseURL: s.URL + "/assets", Options: Options{Name: "shop", AllowPrivate: loopback}})
	ctx := context.Background()

	want := origin.Info{Size: int64(len(picture)), ContentType: "image/jpeg", ETag: `"v1"`, LastModified: modTime}
	info, err := f.Stat(ctx, "img/a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != want.Size || info.ContentType != want.ContentType || info.ETag != want.ETag || !info.LastModified.Equal(want.LastModified) {
		t.Errorf("Stat = %+v, want %+v", info, want)
	}

	obj, err := f.Get(ctx, "img/a.jpg", origin.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != want.Size || obj.ETag != want.ETag || obj.Partial != nil {
		t.Errorf("Get info = %+v partial %v", obj.Info, obj.Partial)
	}
	if got := readAll(t, obj); got != picture {
		t.Errorf("body = %q", got)
	}

	_, err = f.Stat(ctx, "img/missing.jpg")
	wantKind(t, err, origin.NotFound)

	reqs := s.requests()
	if len(reqs) != 3 || reqs[0].Method != http.MethodHead || reqs[1].Method != http.MethodGet {
		t.Fatalf("requests = %d, want HEAD, GET, HEAD", len(reqs))
	}
	for _, r := range reqs {
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "image_cdn/") {
			t.Errorf("User-Agent = %q", ua)
		}
		if id := r.Header.Get(IdentityHeader); id != "shop" {
			t.Errorf("%s = %q, want the origin name", IdentityHeader, id)
		}
		if ae := r.Header.Get("Accept-Encoding"); ae != "identity" {
			t.Errorf("Accept-Encoding = %q: a compressed answer would break lengths and ranges", ae)
		}
		if r.Host != s.hostPort() {
			t.Errorf("Host = %q, want the base URL's %q", r.Host, s.hostPort())
		}
	}
}

func TestFolderRanges(t *testing.T) {
	ignoring := func(w http.ResponseWriter, r *http.Request) {
		// An origin that does not do ranges: always the whole object.
		w.Header().Set("Content-Length", strconv.Itoa(len(picture)))
		io.WriteString(w, picture)
	}
	for _, tc := range []struct {
		name     string
		handler  http.HandlerFunc
		rng      *origin.ByteRange
		body     string
		span     origin.Span
		wantKind origin.Kind
	}{
		{"closed", serveFile, &origin.ByteRange{Start: 2, End: 5}, "2345", origin.Span{Start: 2, End: 5, Total: 36}, 0},
		{"open-ended", serveFile, &origin.ByteRange{Start: 30, End: -1}, "uvwxyz", origin.Span{Start: 30, End: 35, Total: 36}, 0},
		{"suffix", serveFile, &origin.ByteRange{Suffix: 3}, "xyz", origin.Span{Start: 33, End: 35, Total: 36}, 0},
		{"outside", serveFile, &origin.ByteRange{Start: 100, End: -1}, "", origin.Span{}, origin.RangeNotSatisfiable},
		{"origin ignores Range", ignoring, &origin.ByteRange{Start: 2, End: 5}, "2345", origin.Span{Start: 2, End: 5, Total: 36}, 0},
		{"origin ignores Range, outside", ignoring, &origin.ByteRange{Start: 100, End: -1}, "", origin.Span{}, origin.RangeNotSatisfiable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, tc.handler)
			f := newTestFolder(t, FolderConfig{BaseURL: s.URL + "/assets/", Options: Options{AllowPrivate: loopback}})
			obj, err := f.Get(context.Background(), "img/a.jpg", origin.GetOptions{Range: tc.rng})
			if tc.wantKind != 0 {
				wantKind(t, err, tc.wantKind)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if obj.Partial == nil || *obj.Partial != tc.span || obj.Size != tc.span.Total {
				t.Errorf("partial = %v size %d, want %v", obj.Partial, obj.Size, tc.span)
			}
			if got := readAll(t, obj); got != tc.body {
				t.Errorf("body = %q, want %q", got, tc.body)
			}
			if r := s.requests()[0]; r.Header.Get("Range") != rangeHeader(tc.rng) {
				t.Errorf("Range sent = %q", r.Header.Get("Range"))
			}
		})
	}
}

func TestFolderStatusMapping(t *testing.T) {
	for _, tc := range []struct {
		status int
		kind   origin.Kind
	}{
		{http.StatusNotFound, origin.NotFound},
		{http.StatusGone, origin.NotFound},
		{http.StatusUnauthorized, origin.Denied},
		{http.StatusForbidden, origin.Denied},
		{http.StatusInternalServerError, origin.Unavailable},
		{http.StatusBadGateway, origin.Unavailable},
		{http.StatusServiceUnavailable, origin.Unavailable},
		{http.StatusTeapot, origin.Unavailable},
		{http.StatusNotModified, origin.Unavailable},
		{http.StatusGatewayTimeout, origin.Timeout},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			s := newSite(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tc.status) })
			f := newTestFolder(t, FolderConfig{BaseURL: s.URL, Options: Options{AllowPrivate: loopback}})
			_, err := f.Get(context.Background(), "a.jpg", origin.GetOptions{})
			wantKind(t, err, tc.kind)
			_, err = f.Stat(context.Background(), "a.jpg")
			wantKind(t, err, tc.kind)
			if tc.kind == origin.Denied && (errors.Is(err, ErrRefused)) {
				t.Errorf("an origin's own %d must not read as a policy refusal", tc.status)
			}
		})
	}
}

func TestFolderKeyEscaping(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") })
	f := newTestFolder(t, FolderConfig{BaseURL: s.URL + "/base%20dir/?token=secret", Options: Options{AllowPrivate: loopback}})
	for _, tc := range []struct {
		key     string
		rawPath string // as the server receives it; "" when no request may be made
		query   string
	}{
		{"a.jpg", "/base%20dir/a.jpg", "token=secret"},
		{"dir/a b.jpg", "/base%20dir/dir/a%20b.jpg", "token=secret"},
		{"a?x=1.jpg", "/base%20dir/a%3Fx=1.jpg", "token=secret"},
		{"a#frag.jpg", "/base%20dir/a%23frag.jpg", "token=secret"},
		{"%2e%2e/secret", "/base%20dir/%252e%252e/secret", "token=secret"},
		{"a;b.jpg", "/base%20dir/a%3Bb.jpg", "token=secret"},
		{"ünï.jpg", "/base%20dir/%C3%BCn%C3%AF.jpg", "token=secret"},
		{"../etc/passwd", "", ""},
		{"a/../../etc/passwd", "", ""},
		{"./a.jpg", "", ""},
		{"a//b.jpg", "", ""},
		{"/a.jpg", "", ""},
		{"a\\..\\b.jpg", "", ""},
		{"a\x00.jpg", "", ""},
		{"a\r\nHost: evil.jpg", "", ""},
		{"", "", ""},
	} {
		t.Run(tc.key, func(t *testing.T) {
			before := s.hits.Load()
			obj, err := f.Get(context.Background(), tc.key, origin.GetOptions{})
			if tc.rawPath == "" {
				wantKind(t, err, origin.NotFound)
				if s.hits.Load() != before {
					t.Error("a request was made for an invalid key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			obj.Body.Close()
			reqs := s.requests()
			r := reqs[len(reqs)-1]
			if got := r.URL.EscapedPath(); got != tc.rawPath {
				t.Errorf("path = %q, want %q", got, tc.rawPath)
			}
			if r.URL.RawQuery != tc.query {
				t.Errorf("query = %q, want %q", r.URL.RawQuery, tc.query)
			}
		})
	}
}

func TestFolderForwardHost(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") })
	for _, tc := range []struct {
		name    string
		forward bool
		in      string
		want    string
	}{
		{"off", false, "cdn.example.com", s.hostPort()},
		{"on", true, "cdn.example.com", "cdn.example.com"},
		{"on with port", true, "cdn.example.com:8443", "cdn.example.com:8443"},
		{"on, no incoming host", true, "", s.hostPort()},
		{"on, invalid host ignored", true, "evil.com\r\nX-Injected: 1", s.hostPort()},
		{"on, invalid host with slash ignored", true, "evil.com/path", s.hostPort()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newTestFolder(t, FolderConfig{BaseURL: s.URL, ForwardHost: tc.forward, Options: Options{AllowPrivate: loopback}})
			obj, err := f.Get(WithHost(context.Background(), tc.in), "a.jpg", origin.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			obj.Body.Close()
			reqs := s.requests()
			if got := reqs[len(reqs)-1].Host; got != tc.want {
				t.Errorf("Host = %q, want %q", got, tc.want)
			}
		})
	}
}

// An origin without HEAD still answers Stat, through a one-byte range.
func TestFolderStatWithoutHead(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		serveFile(w, r)
	})
	f := newTestFolder(t, FolderConfig{BaseURL: s.URL + "/assets/", Options: Options{AllowPrivate: loopback}})
	info, err := f.Stat(context.Background(), "img/a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(picture)) || info.ETag != `"v1"` {
		t.Errorf("Stat = %+v", info)
	}
	if reqs := s.requests(); len(reqs) != 2 || reqs[1].Header.Get("Range") != "bytes=0-0" {
		t.Errorf("want HEAD then a one-byte GET, got %d requests", len(reqs))
	}
}

// The API takes nothing of the client's request, so nothing of it can
// leak: a fetch made while serving a request carrying Cookie and
// Authorization sends neither, and a cookie the origin sets is not
// replayed on a redirect.
func TestNoClientCredentialsForwarded(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start.jpg" {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "from-origin"})
			http.Redirect(w, r, "/a.jpg", http.StatusFound)
			return
		}
		io.WriteString(w, "x")
	})
	f := newTestFolder(t, FolderConfig{BaseURL: s.URL, ForwardHost: true, Options: Options{AllowPrivate: loopback}})

	front := httptest.NewRequest("GET", "https://cdn.example.com/start.jpg", nil)
	front.Header.Set("Cookie", "session=client-secret")
	front.Header.Set("Authorization", "Bearer client-token")
	front.Header.Set("Proxy-Authorization", "Basic eDp5")
	ctx := WithHost(front.Context(), front.Host)
	obj, err := f.Get(ctx, "start.jpg", origin.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, obj)
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (redirect followed)", len(reqs))
	}
	for _, r := range reqs {
		for _, h := range []string{"Cookie", "Authorization", "Proxy-Authorization"} {
			if v := r.Header.Get(h); v != "" {
				t.Errorf("%s %s reached the origin with %s: %q", r.Method, r.URL.Path, h, v)
			}
		}
	}

	for _, h := range []string{"Cookie", "authorization", "Host", "Range", "If-None-Match"} {
		if _, err := NewFolder(FolderConfig{BaseURL: s.URL, Options: Options{AllowPrivate: loopback, Header: http.Header{h: {"x"}}}}); err == nil {
			t.Errorf("header option %s accepted", h)
		}
	}
}

func TestSizeLimit(t *testing.T) {
	release := make(chan struct{})
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/announced-big.jpg":
			// Headers only; the body would come later, never read.
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-release
		case "/chunked-big.jpg":
			w.WriteHeader(http.StatusOK)
			for range 10 {
				w.Write(bytes.Repeat([]byte("z"), 50))
				w.(http.Flusher).Flush()
			}
		case "/exact.jpg":
			io.WriteString(w, strings.Repeat("y", 100))
		case "/longer-than-announced.jpg", "/shorter-than-announced.jpg":
			// Write the response by hand to lie about the length.
			n := 10
			if strings.HasPrefix(r.URL.Path, "/shorter") {
				n = 5000
			}
			conn, buf, _ := w.(http.Hijacker).Hijack()
			defer conn.Close()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(n) + "\r\nConnection: close\r\n\r\n")
			buf.WriteString(strings.Repeat("w", 50))
			buf.Flush()
		}
	})
	t.Cleanup(func() { close(release) }) // before s.Close, which waits for handlers
	f := newTestFolder(t, FolderConfig{BaseURL: s.URL, Options: Options{AllowPrivate: loopback, MaxSize: 100, BodyTimeout: 10 * time.Second}})
	ctx := context.Background()

	t.Run("Content-Length over max_size is refused before reading", func(t *testing.T) {
		_, err := f.Get(ctx, "announced-big.jpg", origin.GetOptions{})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("a body growing past max_size fails while streaming", func(t *testing.T) {
		obj, err := f.Get(ctx, "chunked-big.jpg", origin.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Body.Close()
		b, err := io.ReadAll(obj.Body)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		if len(b) != 100 {
			t.Errorf("read %d bytes before failing, want exactly max_size (100)", len(b))
		}
	})
	t.Run("exactly max_size is fine", func(t *testing.T) {
		obj, err := f.Get(ctx, "exact.jpg", origin.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, obj); len(got) != 100 {
			t.Errorf("read %d bytes", len(got))
		}
	})
	t.Run("a body longer than announced is cut at the announced length", func(t *testing.T) {
		obj, err := f.Get(ctx, "longer-than-announced.jpg", origin.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, obj); got != strings.Repeat("w", 10) {
			t.Errorf("body = %q, want the 10 announced bytes only", got)
		}
	})
	t.Run("a body shorter than announced is an error", func(t *testing.T) {
		f := newTestFolder(t, FolderConfig{BaseURL: s.URL, Options: Options{AllowPrivate: loopback}})
		obj, err := f.Get(ctx, "shorter-than-announced.jpg", origin.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Body.Close()
		_, err = io.ReadAll(obj.Body)
		wantKind(t, err, origin.Unavailable)
	})
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow-header.jpg":
			<-release
		case "/slow-body.jpg":
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "12345")
			w.(http.Flusher).Flush()
			<-release
		case "/slow-redirects":
			// Each hop is quick; the header timeout covers all of them.
			http.Redirect(w, r, "/slow-header.jpg", http.StatusFound)
		}
	})
	t.Cleanup(func() { close(release) }) // before s.Close, which waits for handlers
	f := newTestFolder(t, FolderConfig{BaseURL: s.URL, Options: Options{AllowPrivate: loopback,
		HeaderTimeout: 200 * time.Millisecond, BodyTimeout: 200 * time.Millisecond}})
	ctx := context.Background()

	for _, key := range []string{"slow-header.jpg", "slow-redirects"} {
		start := time.Now()
		_, err := f.Get(ctx, key, origin.GetOptions{})
		wantKind(t, err, origin.Timeout)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: timed out after %v", key, d)
		}
		_, err = f.Stat(ctx, key)
		wantKind(t, err, origin.Timeout)
	}

	obj, err := f.Get(ctx, "slow-body.jpg", origin.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	_, err = io.ReadAll(obj.Body)
	wantKind(t, err, origin.Timeout)

	// The caller's own cancellation stays recognisable.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = f.Get(cctx, "slow-header.jpg", origin.GetOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fetch: %v, want context.Canceled in the chain", err)
	}
}

// Over TLS (and HTTP/2), forward_host changes the Host header only: the
// certificate is still verified against the base URL's host.
func TestFolderTLSForwardHost(t *testing.T) {
	var got *http.Request
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		io.WriteString(w, "tls")
	}))
	ts.EnableHTTP2 = true
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake below is expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	f := newTestFolder(t, FolderConfig{BaseURL: ts.URL + "/", ForwardHost: true, Options: Options{AllowPrivate: loopback}})
	f.c.transport.TLSClientConfig.RootCAs = ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	obj, err := f.Get(WithHost(context.Background(), "cdn.example.com"), "a.jpg", origin.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, obj); body != "tls" {
		t.Errorf("body %q", body)
	}
	if got.Host != "cdn.example.com" || got.ProtoMajor != 2 || got.TLS == nil || got.TLS.ServerName != "" && got.TLS.ServerName != "127.0.0.1" {
		t.Errorf("Host %q, proto %s, SNI %q", got.Host, got.Proto, got.TLS.ServerName)
	}

	// Without the test CA, the certificate is not trusted: no silent
	// fallback to an unverified connection.
	g := newTestFolder(t, FolderConfig{BaseURL: ts.URL + "/", Options: Options{AllowPrivate: loopback}})
	_, err = g.Get(context.Background(), "a.jpg", origin.GetOptions{})
	wantKind(t, err, origin.Unavailable)
}
