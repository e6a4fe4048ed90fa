package caddymodule

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	// Caddy's cache-handler (Souin), only for this test: it registers the
	// `cache` app and directive, so a real shared cache sits in front of
	// image_cdn in one Caddyfile.
	_ "github.com/caddyserver/cache-handler"
)

// startCaddyWithCache adds the cache-handler's global `cache` block (its
// in-memory default storage) to startCaddy's global options.
func startCaddyWithCache(t testing.TB, cacheOptions, siteBody string) string {
	t.Helper()
	return startCaddyWith(t, "log {\n\t\tlevel WARN\n\t}\n\tcache {\n"+cacheOptions+"\n\t}", siteBody)
}

// TestCacheHandlerInFront puts Caddy's cache-handler in front of image_cdn
// and checks that a shared cache keyed as our headers say serves the right
// variant per Accept without calling image_cdn again.
func TestCacheHandlerInFront(t *testing.T) {
	const cacheName = "caddy_cache"
	src, err := os.ReadFile(filepath.Join("..", "samples", "photos", "sunset.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	photo := filepath.Join(root, "photo.jpg")
	hidden := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(photo, src, 0o644); err != nil {
		t.Fatal(err)
	}
	// hide/restore move the source out of the origin and back: while it is
	// hidden, any request that reaches image_cdn is a 404.
	hide := func() {
		t.Helper()
		if err := os.Rename(photo, hidden); err != nil {
			t.Fatal(err)
		}
	}
	restore := func() {
		t.Helper()
		if err := os.Rename(hidden, photo); err != nil {
			t.Fatal(err)
		}
	}

	// /metrics is outside the cache: it counts the requests that reached
	// image_cdn (caddy_image_cdn_requests_total).
	base := startCaddyWithCache(t, "\t\tcache_name "+cacheName, `
	handle /metrics {
		metrics
	}
	handle {
		cache
		image_cdn {
			origin file `+root+`
		}
	}`)
	served := func() int {
		t.Helper()
		resp, body := do(t, "GET", base, "/metrics")
		if resp.StatusCode != 200 {
			t.Fatalf("GET /metrics = %d", resp.StatusCode)
		}
		n := 0
		for _, line := range strings.Split(body, "\n") {
			if rest, ok := strings.CutPrefix(line, "caddy_image_cdn_requests_total{"); ok {
				_, v, _ := strings.Cut(rest, "} ")
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("metrics line %q: %v", line, err)
				}
				n += int(f)
			}
		}
		return n
	}
	// Counted from here, in case counters outlive an earlier config.
	before := served()
	wantServed := func(step string, want int) {
		t.Helper()
		if got := served() - before; got != want {
			t.Errorf("after %s: image_cdn answered %d requests, want %d", step, got, want)
		}
	}

	const path = "/tr:w-200/photo.jpg"
	type answer struct {
		status      int
		ctype, body string
		etag        string
		cacheStatus string
		hdr         http.Header
	}
	get := func(step, accept string, extra ...string) answer {
		t.Helper()
		resp, body := do(t, "GET", base, path, append([]string{"Accept: " + accept}, extra...)...)
		a := answer{resp.StatusCode, resp.Header.Get("Content-Type"), body, resp.Header.Get("ETag"),
			strings.Join(resp.Header.Values("Cache-Status"), ", "), resp.Header}
		t.Logf("%s: %d %s, %d bytes, ETag %s, Cache-Status %q", step, a.status, a.ctype, len(body), a.etag, a.cacheStatus)
		if !slices.Contains(resp.Header.Values("Vary"), "Accept") {
			t.Errorf("%s: Vary = %q, want Accept", step, resp.Header.Values("Vary"))
		}
		return a
	}
	isHit := func(a answer) bool { return strings.HasPrefix(a.cacheStatus, cacheName+"; hit") }

	// 1. WebP, a miss: the cache forwards, image_cdn transforms, the cache
	// stores. (Souin sets Cache-Status to its own entry alone, dropping
	// image_cdn's "image_cdn; fwd=miss"; the metric shows who answered.)
	webp := get("1 webp", "image/webp,*/*")
	if webp.status != 200 || webp.ctype != "image/webp" || !strings.HasPrefix(webp.body, "RIFF") {
		t.Fatalf("first WebP request: %d %s", webp.status, webp.ctype)
	}
	if !strings.HasPrefix(webp.cacheStatus, cacheName+"; fwd=uri-miss; stored") {
		t.Errorf("first request: Cache-Status %q, want a stored miss", webp.cacheStatus)
	}
	wantServed("the first WebP request", 1)

	// 2. The same request with the source gone: the cache answers alone.
	hide()
	a := get("2 webp", "image/webp,*/*")
	if a.status != 200 || a.ctype != "image/webp" || a.body != webp.body || a.etag != webp.etag {
		t.Errorf("second WebP request: %d %s, %d bytes, ETag %s; want the first's", a.status, a.ctype, len(a.body), a.etag)
	}
	if !isHit(a) {
		t.Errorf("second WebP request: Cache-Status %q, want a hit", a.cacheStatus)
	}
	if got := a.hdr.Get("Cache-Control"); got != DefaultCacheControl {
		t.Errorf("hit: Cache-Control %q, want image_cdn's %q", got, DefaultCacheControl)
	}
	wantServed("the second WebP request", 1)
	restore()

	// 3. JPEG: Vary: Accept keeps the cached WebP out; image_cdn answers.
	jpeg := get("3 jpeg", "image/jpeg")
	if jpeg.status != 200 || jpeg.ctype != "image/jpeg" || !strings.HasPrefix(jpeg.body, "\xff\xd8") {
		t.Fatalf("JPEG request: %d %s", jpeg.status, jpeg.ctype)
	}
	if isHit(jpeg) {
		t.Errorf("JPEG request was a cache hit: %q", jpeg.cacheStatus)
	}
	if jpeg.etag == webp.etag {
		t.Errorf("JPEG and WebP variants share ETag %s", jpeg.etag)
	}
	wantServed("the JPEG request", 2)

	// 4. With the source gone again, each Accept gets its own variant from
	// the cache.
	hide()
	for i, want := range []answer{webp, jpeg, webp} {
		accept := map[string]string{"image/webp": "image/webp,*/*", "image/jpeg": "image/jpeg"}[want.ctype]
		a := get(fmt.Sprintf("%d %s", 4+i, want.ctype), accept)
		if a.status != 200 || a.ctype != want.ctype || a.body != want.body || a.etag != want.etag {
			t.Errorf("Accept %s from the cache: %d %s, %d bytes, ETag %s; want %s, %d bytes, ETag %s",
				accept, a.status, a.ctype, len(a.body), a.etag, want.ctype, len(want.body), want.etag)
		}
		if !isHit(a) {
			t.Errorf("Accept %s: Cache-Status %q, want a hit", accept, a.cacheStatus)
		}
	}
	wantServed("the cached WebP and JPEG requests", 2)
	restore()
}
