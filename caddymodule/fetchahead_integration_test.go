package caddymodule

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFetchAheadAgainstS3: with a fast origin, queued transformations do
// not all download their source at once. One worker and a queue of 8;
// after a few requests have measured the origin as fast, 8 concurrent
// cold requests start 3 downloads (the worker, one download, one ready),
// not 8, and the others start theirs as places free up. Every request is
// answered, and the queue-wait metric counts the wait for the window. The
// S3 server is versitygw, behind a proxy that counts the object GETs and
// holds them until the test lets them go.
func TestFetchAheadAgainstS3(t *testing.T) {
	s3srv.MakeBucket(t, "ahead")
	s3srv.Put(t, "ahead", "a.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")

	target, _ := url.Parse(s3srv.Endpoint())
	var gets atomic.Int64
	var hold sync.RWMutex // a writer holds GETs back; readers pass
	proxy := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // signed by the client for this host
		},
		Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/a.jpg") {
				gets.Add(1)
				hold.RLock()
				//lint:ignore SA2001 the read lock is a gate: it waits while the test holds the write lock
				hold.RUnlock()
			}
			return http.DefaultTransport.RoundTrip(req)
		}),
	})
	defer proxy.Close()

	base := startCaddy(t, "\thandle /metrics {\n\t\tmetrics\n\t}\n\thandle {\n\t\timage_cdn {\n\t\t\tworkers 1\n\t\t\tqueue 8\n\t\t\t"+
		s3Block("o", proxy.URL, "bucket ahead", "path_style")+"\n\t\t}\n\t}")
	queueWait := func() float64 {
		t.Helper()
		resp, body := do(t, "GET", base, "/metrics")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics = %d", resp.StatusCode)
		}
		return seriesValue(body, "caddy_image_cdn_queue_wait_seconds_sum")
	}
	get := func(w int) error {
		resp, _, err := send("GET", base, fmt.Sprintf("/tr:w-%d/a.jpg", w), "Accept: image/jpeg")
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("w-%d = %d %s", w, resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
		return err
	}
	for w := 100; w < 104; w++ { // measure the origin (fast) and a transform
		if err := get(w); err != nil {
			t.Fatal(err)
		}
	}

	waitedBefore := queueWait()
	gets.Store(0)
	hold.Lock()
	const burst = 8
	errs := make(chan error, burst)
	for i := range burst {
		go func() { errs <- get(200 + i) }()
	}
	time.Sleep(500 * time.Millisecond)
	started := gets.Load()
	hold.Unlock()
	for range burst {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// 3 when the measured fetch is shorter than a transform; a loaded
	// machine may measure it longer and allow one or two more, never all.
	if started < 3 || started >= burst {
		t.Errorf("%d of %d downloads started at once against a fast origin, want 3 (1 worker, 1 download, 1 ready)", started, burst)
	}
	// The requests kept out of the window waited there about as long as
	// the GETs were held (500 ms); the queue-wait metric must show it.
	if waited, least := queueWait()-waitedBefore, 0.3*float64(burst-started); waited < least {
		t.Errorf("queue_wait_seconds grew by %.2f s, want at least %.1f s for %d requests held out of the window", waited, least, burst-started)
	}
	if n := gets.Load(); n != burst {
		t.Errorf("%d downloads for %d cold requests", n, burst)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
