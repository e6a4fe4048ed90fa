package hostile

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/image-cdn/image_cdn/internal/caddyproc"
	"github.com/image-cdn/image_cdn/internal/s3test"
)

func TestMain(m *testing.M) {
	caddyproc.Main()
	os.Exit(m.Run())
}

// The contract this suite holds the server to (docs/limits.md).
const (
	// transformTimeout is set in the Caddyfile below; every answer must come
	// well within it plus the fetch.
	transformTimeout = 5 * time.Second
	answerWithin     = transformTimeout + 5*time.Second
	// peakRSSBudget is the documented bound on the whole process under the
	// default memory_budget: admitted pixel memory plus Caddy and Go.
	peakRSSBudget = 1280 << 20
)

// leaks are texts that must never reach a client: Go stack traces, source
// paths, library names and versions.
var leaks = regexp.MustCompile(`(?i)goroutine |\.go:\d|/root/|/usr/|/home/|govips|libvips|vips_|stack:|panic|0x[0-9a-f]{8,}`)

// TestHostileCorpus starts Caddy with the module as a separate process
// (so that a crash is seen as a crash, and its memory is its own) on a real
// S3 server, sends every hostile case, and checks the documented status,
// that nothing leaks, that the process is alive after each case, that the
// SVG external references never fetched anything, and the peak RSS.
func TestHostileCorpus(t *testing.T) {
	s3 := s3test.Start(t, s3test.Options{Buckets: []string{"hostile"}})
	callback, fetched := listenForCallbacks(t)
	srv := startCaddy(t, s3)

	small := smallJPEG(64, 48)
	s3.Put(t, "hostile", "ok/small.jpg", small, "image/jpeg")
	seeds := Seeds{
		WebP: srv.mustGet(t, "/tr:f-webp/ok/small.jpg", "image/webp"),
		AVIF: srv.mustGet(t, "/tr:f-avif/ok/small.jpg", "image/avif"),
	}
	cases := Cases(seeds, Callback(callback))
	if len(cases) < 40 {
		t.Fatalf("the corpus has %d cases; the issue asks for at least 40", len(cases))
	}
	for _, c := range cases {
		if c.Key != "" && c.Body != nil {
			s3.Put(t, "hostile", c.Key, c.Body, c.ContentType)
		}
	}

	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			start := time.Now()
			status, hdr, body, err := srv.send(c)
			if err != nil {
				t.Fatalf("%s %s: %v (process alive: %v)", method(c), short(c.Path), err, srv.Alive())
			}
			took := time.Since(start)
			if !slices.Contains(c.Want, status) {
				t.Errorf("status %d, want one of %v; Ik-Error %q", status, c.Want, hdr.Get("Ik-Error"))
			}
			if c.WantCode != "" && !strings.HasPrefix(hdr.Get("Ik-Error"), c.WantCode) {
				t.Errorf("Ik-Error %q, want it to start with %s", hdr.Get("Ik-Error"), c.WantCode)
			}
			if status >= 400 {
				if cc := hdr.Get("Cache-Control"); status != http.StatusNotFound && cc != "no-store" {
					t.Errorf("error %d has Cache-Control %q, want no-store", status, cc)
				}
				if m := leaks.FindString(hdr.Get("Ik-Error") + "\n" + string(body)); m != "" {
					t.Errorf("the answer leaks %q: Ik-Error %q, body %q", m, hdr.Get("Ik-Error"), short(string(body)))
				}
				if len(hdr.Get("Ik-Error")) > 300 {
					t.Errorf("Ik-Error is %d bytes; it should be short", len(hdr.Get("Ik-Error")))
				}
			}
			if took > answerWithin {
				t.Errorf("answered in %v, over %v", took, answerWithin)
			}
			if !srv.Alive() {
				t.Fatalf("the server died on this case; its output:\n%s", srv.Output())
			}
		})
	}

	// The same corpus at once, twice over, on 8 connections: the answers
	// stay within each case's statuses (or 503 under load), nothing dies.
	t.Run("concurrent burst", func(t *testing.T) {
		var wg sync.WaitGroup
		work := make(chan Case)
		var mu sync.Mutex
		var bad []string
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range work {
					status, hdr, _, err := srv.send(c)
					if err == nil && (slices.Contains(c.Want, status) || status == http.StatusServiceUnavailable) {
						continue
					}
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%s: status %d (%v) Ik-Error %q", c.Name, status, err, hdr.Get("Ik-Error")))
					mu.Unlock()
				}
			}()
		}
		for range 2 {
			for _, c := range cases {
				work <- c
			}
		}
		close(work)
		wg.Wait()
		for _, b := range bad {
			t.Error(b)
		}
		if !srv.Alive() {
			t.Fatalf("the server died in the burst; its output:\n%s", srv.Output())
		}
	})

	t.Run("still serving", func(t *testing.T) {
		srv.mustGet(t, "/tr:w-20/ok/small.jpg", "image/avif")
	})
	t.Run("nothing fetched by svg references", func(t *testing.T) {
		if n := fetched.Load(); n != 0 {
			t.Errorf("the SVG external references made %d connections to %s", n, callback)
		}
	})
	t.Run("peak RSS within the budget", func(t *testing.T) {
		peak := srv.PeakRSS(t)
		t.Logf("peak RSS %d MiB (budget %d MiB)", peak>>20, peakRSSBudget>>20)
		if peak > peakRSSBudget {
			t.Errorf("peak RSS %d MiB is over the %d MiB budget", peak>>20, peakRSSBudget>>20)
		}
	})
	if out := srv.Output(); strings.Contains(out, "panic") || strings.Contains(out, "fatal error") || strings.Contains(out, "SIG") {
		t.Errorf("the server's output shows a crash:\n%s", out)
	}
}

// caddy is the server under test, running as a child process.
type caddy struct {
	*caddyproc.Process
	base   string
	client *http.Client
}

// startCaddy runs Caddy with the module as a child process (caddyproc)
// with a site on a free port whose only origin is the S3 server; limits
// are the defaults but for a short transform_timeout.
func startCaddy(t testing.TB, s3 *s3test.Server) *caddy {
	t.Helper()
	addr := caddyproc.FreeAddr(t)
	cf := fmt.Sprintf(`{
	admin off
	persist_config off
	auto_https off
	log {
		level ERROR
	}
}
http://%s {
	image_cdn {
		origin s3 {
			bucket            hostile
			endpoint          %s
			path_style
			access_key_id     %s
			secret_access_key %s
			max_retries       1
		}
		avif
		transform_timeout %s
	}
}
`, addr, s3.Endpoint(), s3.AccessKey, s3.SecretKey, transformTimeout)
	c := &caddy{Process: caddyproc.Start(t, cf, "GOTRACEBACK=crash"), base: "http://" + addr,
		client: &http.Client{Timeout: 2 * answerWithin, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	c.WaitListening(t, addr)
	return c
}

func (c *caddy) send(k Case) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*answerWithin)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method(k), c.base+k.Path, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Accept", "image/avif,image/webp,*/*")
	for key, v := range k.Header {
		req.Header.Set(key, v)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, body, err
}

func (c *caddy) mustGet(t testing.TB, path, wantType string) []byte {
	t.Helper()
	status, hdr, body, err := c.send(Case{Path: path})
	if err != nil || status != http.StatusOK || hdr.Get("Content-Type") != wantType {
		t.Fatalf("GET %s: %d %q %v; Ik-Error %q", path, status, hdr.Get("Content-Type"), err, hdr.Get("Ik-Error"))
	}
	return body
}

// listenForCallbacks accepts connections on a loopback port and counts
// them; the SVG cases point their external references here.
func listenForCallbacks(t testing.TB) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), &n
}

func method(c Case) string {
	if c.Method == "" {
		return http.MethodGet
	}
	return c.Method
}

func short(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
