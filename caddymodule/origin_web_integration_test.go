package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/image-cdn/image_cdn/signedurl"
)

// remoteSite is a local HTTP server standing in for a web site: it serves
// files by path and records what it was asked.
type remoteSite struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	seen  []*http.Request
	delay time.Duration
}

func newRemoteSite(t testing.TB, files map[string][]byte) *remoteSite {
	t.Helper()
	s := &remoteSite{files: files}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.Clone(r.Context()))
		delay := s.delay
		s.mu.Unlock()
		if delay > 0 {
			time.Sleep(delay) // the origin's latency, not a synchronisation
		}
		if strings.HasSuffix(r.URL.Path, "/chunked.txt") {
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("first "))
			w.(http.Flusher).Flush()      // no Content-Length: chunked
			w.Write(make([]byte, 64<<10)) // past net/http's buffer, so Caddy cannot count it either
			return
		}
		b, ok := s.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, r.URL.Path, time.Unix(1700000000, 0), strings.NewReader(string(b)))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *remoteSite) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.seen...)
}

func (s *remoteSite) reset() {
	s.mu.Lock()
	s.seen = nil
	s.mu.Unlock()
}

func TestWebFolderOrigin(t *testing.T) {
	jpg := sample(t, "photos/sunset.jpg")
	remote := newRemoteSite(t, map[string][]byte{"/media/a b.jpg": jpg})
	t.Setenv("TEST_WEB_SECRET", "s3cret")
	base := startCaddy(t, `
	image_cdn {
		origin web shop `+remote.URL+`/media {
			allow_private 127.0.0.1
			forward_host
			header X-Origin-Auth {env.TEST_WEB_SECRET}
		}
	}`)

	resp, body := do(t, "GET", base, "/a%20b.jpg", "Cookie: session=1", "Authorization: Bearer x")
	if resp.StatusCode != 200 || body != string(jpg) {
		t.Fatalf("GET = %d (%d bytes) %s", resp.StatusCode, len(body), resp.Header.Get("Ik-Error"))
	}
	reqs := remote.requests()
	if len(reqs) != 1 {
		t.Fatalf("origin saw %d requests", len(reqs))
	}
	r := reqs[0]
	if r.URL.Path != "/media/a b.jpg" || r.Header.Get("X-Image-CDN") != "shop" || !strings.HasPrefix(r.UserAgent(), "image_cdn/") {
		t.Errorf("origin saw path %q X-Image-CDN %q UA %q", r.URL.Path, r.Header.Get("X-Image-CDN"), r.UserAgent())
	}
	if r.Header.Get("X-Origin-Auth") != "s3cret" {
		t.Errorf("header placeholder: origin saw %q", r.Header.Get("X-Origin-Auth"))
	}
	if r.Header.Get("Cookie") != "" || r.Header.Get("Authorization") != "" {
		t.Errorf("client credentials forwarded: %v", r.Header)
	}
	if want := strings.TrimPrefix(base, "http://"); r.Host != want {
		t.Errorf("forward_host: origin saw Host %q, want %q", r.Host, want)
	}

	remote.reset()
	resp, body = do(t, "GET", base, "/tr:w-40/a%20b.jpg")
	if resp.StatusCode != 200 || decode(t, body).width != 40 {
		t.Fatalf("transformed GET = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}

	if resp, _ := do(t, "GET", base, "/missing.jpg"); resp.StatusCode != 404 {
		t.Errorf("missing = %d, want 404", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", base, "/chunked.txt"); resp.StatusCode != 200 {
		t.Errorf("chunked = %d", resp.StatusCode)
	} else if resp.ContentLength != -1 || resp.Header.Get("Content-Length") != "" {
		t.Errorf("unknown length delivered with Content-Length %q", resp.Header.Get("Content-Length"))
	}
}

func TestWebFolderSizeLimit(t *testing.T) {
	remote := newRemoteSite(t, map[string][]byte{"/big.jpg": sample(t, "photos/sunset.jpg")})
	base := startCaddy(t, `
	image_cdn {
		origin web `+remote.URL+` {
			allow_private 127.0.0.1
			max_size 10KiB
		}
	}`)
	for _, p := range []string{"/big.jpg", "/tr:w-40/big.jpg"} {
		resp, _ := do(t, "GET", base, p)
		if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Ik-Error"), "ELIMIT") {
			t.Errorf("GET %s = %d %q, want 400 ELIMIT %v", p, resp.StatusCode, resp.Header.Get("Ik-Error"), resp.Header)
		}
	}
}

func TestWebProxyOrigin(t *testing.T) {
	jpg := sample(t, "photos/sunset.jpg")
	remote := newRemoteSite(t, map[string][]byte{"/a.jpg": jpg, "/page.html": []byte("<script>alert(1)</script>")})
	host := strings.TrimPrefix(remote.URL, "http://")

	t.Run("refused by default", func(t *testing.T) {
		base := startCaddy(t, `
	image_cdn {
		origin web_proxy
	}`)
		remote.reset()
		for _, p := range []string{"/tr:w-40/" + remote.URL + "/a.jpg", "/" + remote.URL + "/a.jpg", "/http://localhost:1/a.jpg", "/http://169.254.169.254/latest/meta-data/"} {
			resp, _ := do(t, "GET", base, p)
			if resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("Ik-Error"), "EREFUSED") {
				t.Errorf("GET %s = %d %q, want 403 EREFUSED", p, resp.StatusCode, resp.Header.Get("Ik-Error"))
			}
		}
		if n := len(remote.requests()); n != 0 {
			t.Errorf("the refused address was fetched %d times", n)
		}
	})

	t.Run("allowed", func(t *testing.T) {
		base := startCaddy(t, `
	image_cdn {
		origin web_proxy remote {
			allow_private 127.0.0.1
			allow_hosts `+host+`
		}
		sign_key secret
	}`)
		sign := func(p string) string { return signedurl.Sign(p, []byte("secret"), time.Time{}) }
		encoded := "http%3A%2F%2F" + strings.ReplaceAll(host, ":", "%3A") + "%2Fa.jpg"
		for _, p := range []string{
			"tr:w-40/" + remote.URL + "/a.jpg",
			"tr:w-40/http:/" + host + "/a.jpg",
			"tr:w-40/" + encoded,
			remote.URL + "/a.jpg?tr=w-40",
		} {
			resp, body := do(t, "GET", base, "/"+sign(p))
			if resp.StatusCode != 200 || decode(t, body).width != 40 {
				t.Errorf("GET %s = %d %s", p, resp.StatusCode, resp.Header.Get("Ik-Error"))
			}
		}
		if resp, _ := do(t, "GET", base, "/tr:w-40/"+encoded); resp.StatusCode != 401 {
			t.Errorf("unsigned = %d, want 401", resp.StatusCode)
		}
		resp, body := do(t, "GET", base, "/"+sign(remote.URL+"/page.html"))
		if resp.StatusCode != 200 || !strings.Contains(body, "script") {
			t.Fatalf("page = %d", resp.StatusCode)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("proxied page delivered without sandbox: CSP %q", csp)
		}
		if resp, _ := do(t, "GET", base, "/"+sign("http://other.example/a.jpg")); resp.StatusCode != 403 {
			t.Errorf("host outside allow_hosts = %d, want 403", resp.StatusCode)
		}
	})
}
