package caddymodule

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/image-cdn/image_cdn/internal/s3test"
	"github.com/image-cdn/image_cdn/internal/testenv"
)

// s3Block renders an `origin s3` block for the shared server.
func s3Block(name, endpoint string, lines ...string) string {
	return fmt.Sprintf("origin s3 %s {\n\t\t\tendpoint %s\n\t\t\taccess_key_id %s\n\t\t\tsecret_access_key %s\n\t\t\tmax_retries 1\n\t\t\t%s\n\t\t}",
		name, endpoint, s3srv.AccessKey, s3srv.SecretKey, strings.Join(lines, "\n\t\t\t"))
}

func site(origins ...string) string {
	return "\timage_cdn {\n\t\t" + strings.Join(origins, "\n\t\t") + "\n\t}"
}

func TestS3AddressingStyles(t *testing.T) {
	s3srv.MakeBucket(t, "styles")
	s3srv.Put(t, "styles", "a/photo.jpg", []byte("jpeg bytes"), "image/jpeg")
	proxy := s3srv.RecordingProxy(t)

	tests := []struct {
		name, endpoint, extra string
		wantHost, wantPath    string
	}{
		{"virtual-hosted (default)", proxy.VirtualEndpoint(), "", fmt.Sprintf("styles.localhost:%d", proxy.Port), "/a/photo.jpg"},
		{"path style", proxy.Endpoint(), "path_style", fmt.Sprintf("127.0.0.1:%d", proxy.Port), "/styles/a/photo.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := startCaddy(t, site(s3Block("o", tt.endpoint, "bucket styles", tt.extra)))
			proxy.Reset()
			resp, body := do(t, "GET", base, "/a/photo.jpg")
			if resp.StatusCode != 200 || body != "jpeg bytes" {
				t.Fatalf("GET = %d %q (%s)", resp.StatusCode, body, resp.Header.Get("Ik-Error"))
			}
			reqs := proxy.Requests()
			if len(reqs) != 1 {
				t.Fatalf("origin saw %d requests, want 1: %+v", len(reqs), reqs)
			}
			if reqs[0].Host != tt.wantHost || reqs[0].Path != tt.wantPath {
				t.Errorf("origin saw Host %q path %q, want %q %q", reqs[0].Host, reqs[0].Path, tt.wantHost, tt.wantPath)
			}
		})
	}
}

func TestS3DeliveryHeaders(t *testing.T) {
	s3srv.MakeBucket(t, "headers")
	info := s3srv.Put(t, "headers", "img/logo.png", []byte("png bytes"), "image/png")
	s3srv.Put(t, "headers", "typeless.webp", []byte("webp"), "")
	base := startCaddy(t, site(s3Block("o", s3srv.VirtualEndpoint(), "bucket headers")))

	resp, body := do(t, "GET", base, "/img/logo.png")
	if resp.StatusCode != 200 || body != "png bytes" {
		t.Fatalf("GET = %d %q", resp.StatusCode, body)
	}
	want := map[string]string{
		"Content-Type":   "image/png",
		"Content-Length": "9",
		"ETag":           `"` + info.ETag + `"`,
		"Accept-Ranges":  "bytes",
		"Cache-Control":  DefaultCacheControl,
		"Cache-Status":   "image_cdn; fwd=bypass",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err != nil || time.Since(lm) > time.Hour {
		t.Errorf("Last-Modified = %q", resp.Header.Get("Last-Modified"))
	}
	// An SVG opened directly cannot run script on the CDN's origin.
	s3srv.Put(t, "headers", "icon.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "image/svg+xml")
	if resp, _ := do(t, "GET", base, "/icon.svg"); !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("SVG without a sandboxing CSP: %q", resp.Header.Get("Content-Security-Policy"))
	}
	if resp, _ := do(t, "GET", base, "/img/logo.png"); resp.Header.Get("Content-Security-Policy") != "" {
		t.Errorf("CSP on a PNG: %q", resp.Header.Get("Content-Security-Policy"))
	}
	// A pre-compressed asset keeps its encoding and download name.
	s3srv.PutWithOptions(t, "headers", "app.js", []byte("gzipped bytes"), minio.PutObjectOptions{
		ContentType: "text/javascript", ContentEncoding: "gzip", ContentDisposition: `attachment; filename="app.js"`})
	if resp, _ := do(t, "GET", base, "/app.js"); resp.Header.Get("Content-Encoding") != "gzip" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="app.js"` {
		t.Errorf("stored headers not passed on: %v", resp.Header)
	}
	// No type at the origin (minio-go stores application/octet-stream):
	// the extension decides.
	if resp, _ := do(t, "GET", base, "/typeless.webp"); resp.Header.Get("Content-Type") != "image/webp" {
		t.Errorf("typeless Content-Type = %q, want image/webp", resp.Header.Get("Content-Type"))
	}
}

func TestS3Folder(t *testing.T) {
	s3srv.MakeBucket(t, "folders")
	s3srv.Put(t, "folders", "root.txt", []byte("at root"), "text/plain")
	s3srv.Put(t, "folders", "images/in.txt", []byte("in folder"), "text/plain")
	s3srv.Put(t, "folders", "images/deep/er.txt", []byte("deeper"), "text/plain")
	tests := []struct {
		folder, path, want string
	}{
		{"/", "/root.txt", "at root"},
		{"images", "/in.txt", "in folder"},
		{"/images/", "/in.txt", "in folder"},
		{"images/", "/deep/er.txt", "deeper"},
		{"/images/deep", "/er.txt", "deeper"},
		{"images", "/root.txt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.folder+tt.path, func(t *testing.T) {
			base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket folders", "path_style", "folder "+tt.folder)))
			resp, body := do(t, "GET", base, tt.path)
			if tt.want == "" {
				if resp.StatusCode != 404 {
					t.Fatalf("GET = %d, want 404", resp.StatusCode)
				}
				return
			}
			if resp.StatusCode != 200 || body != tt.want {
				t.Fatalf("GET = %d %q, want %q", resp.StatusCode, body, tt.want)
			}
		})
	}
}

func TestS3PreferenceList(t *testing.T) {
	s3srv.MakeBucket(t, "first")
	s3srv.MakeBucket(t, "second")
	s3srv.Put(t, "first", "both.txt", []byte("from first"), "text/plain")
	s3srv.Put(t, "second", "both.txt", []byte("from second"), "text/plain")
	s3srv.Put(t, "second", "only-second.txt", []byte("second only"), "text/plain")
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "only-local.txt"), []byte("local"), 0o644)
	base := startCaddy(t, site(
		s3Block("first", s3srv.VirtualEndpoint(), "bucket first", "canonical https://cdn.example.com/ep"),
		s3Block("second", s3srv.Endpoint(), "bucket second", "path_style"),
		"origin file local "+root,
	))
	tests := []struct{ path, want string }{
		{"/both.txt", "from first"},
		{"/only-second.txt", "second only"},
		{"/only-local.txt", "local"},
	}
	for _, tt := range tests {
		resp, body := do(t, "GET", base, tt.path)
		if resp.StatusCode != 200 || body != tt.want {
			t.Errorf("GET %s = %d %q, want %q", tt.path, resp.StatusCode, body, tt.want)
		}
	}
	resp, body := do(t, "GET", base, "/nowhere.txt")
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Ik-Error"), "ENOENT - ") {
		t.Errorf("missing everywhere = %d %q", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}
	if len(body) > 200 {
		t.Errorf("404 body is not short: %d bytes", len(body))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("404 Cache-Control = %q", cc)
	}

	// The canonical header belongs to the origin that served the object.
	resp, _ = do(t, "GET", base, "/both.txt")
	if got := resp.Header.Get("Link"); got != `<https://cdn.example.com/ep/both.txt>; rel="canonical"` {
		t.Errorf("Link = %q", got)
	}
	if resp, _ := do(t, "GET", base, "/only-second.txt"); resp.Header.Get("Link") != "" {
		t.Errorf("Link from an origin without canonical: %q", resp.Header.Get("Link"))
	}
}

func TestS3SpecialCharacterKeys(t *testing.T) {
	s3srv.MakeBucket(t, "special")
	keys := []string{
		"with space.txt", "plus+sign.txt", "percent%25.txt", "per%cent.txt", "hash#tag.txt", "question?.txt",
		"brackets[1].txt", "and&equals=.txt", "ünïcødé/日本語.txt", "deep/er/nest ed/file.txt",
		"semi;colon,comma@at$dollar.txt", "quote'paren(1).txt", "tilde~caret^.txt",
	}
	for i, k := range keys {
		s3srv.Put(t, "special", k, []byte(fmt.Sprint("body ", i)), "text/plain")
	}
	proxy := s3srv.RecordingProxy(t)
	for _, style := range []struct{ endpoint, extra string }{{proxy.VirtualEndpoint(), ""}, {proxy.Endpoint(), "path_style"}} {
		base := startCaddy(t, site(s3Block("o", style.endpoint, "bucket special", style.extra, "canonical https://cdn.example.com")))
		for i, k := range keys {
			// Escape the way a browser would: each segment, "+" left as is.
			var segs []string
			for _, s := range strings.Split(k, "/") {
				segs = append(segs, strings.ReplaceAll(url.PathEscape(s), "%2B", "+"))
			}
			p := "/" + strings.Join(segs, "/")
			resp, body := do(t, "GET", base, p)
			if want := fmt.Sprint("body ", i); resp.StatusCode != 200 || body != want {
				t.Errorf("%s GET %s (key %q) = %d %q, want %q", style.extra, p, k, resp.StatusCode, body, want)
				continue
			}
			if got, want := resp.Header.Get("Link"), "<https://cdn.example.com"+p+`>; rel="canonical"`; got != want {
				t.Errorf("Link = %q, want %q", got, want)
			}
		}
	}
	// A key S3 cannot hold is simply not there.
	long := "/" + strings.Repeat("k", 1100) + ".txt"
	if resp, _ := do(t, "GET", startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket special", "path_style"))), long); resp.StatusCode != 404 {
		t.Errorf("1100-byte key = %d, want 404", resp.StatusCode)
	}
	// "+" in a path is a plus, not a space; %2B is a plus too.
	if resp, body := do(t, "GET", startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket special", "path_style"))), "/plus%2Bsign.txt"); resp.StatusCode != 200 || body != "body 1" {
		t.Errorf("%%2B = %d %q", resp.StatusCode, body)
	}
}

func TestS3RangeConditionalHead(t *testing.T) {
	s3srv.MakeBucket(t, "ranges")
	big := make([]byte, 3<<20)
	rand.Read(big)
	info := s3srv.Put(t, "ranges", "video.mp4", big, "video/mp4")
	etag := `"` + info.ETag + `"`
	proxy := s3srv.RecordingProxy(t)
	base := startCaddy(t, site(s3Block("o", proxy.Endpoint(), "bucket ranges", "path_style")))

	t.Run("range forwarded", func(t *testing.T) {
		proxy.Reset()
		resp, body := do(t, "GET", base, "/video.mp4", "Range: bytes=1048576-2097151")
		if resp.StatusCode != 206 || !bytes.Equal([]byte(body), big[1<<20:2<<20]) {
			t.Fatalf("range = %d, %d bytes", resp.StatusCode, len(body))
		}
		if got := resp.Header.Get("Content-Range"); got != fmt.Sprintf("bytes 1048576-2097151/%d", len(big)) {
			t.Errorf("Content-Range = %q", got)
		}
		if got := resp.Header.Get("Content-Length"); got != "1048576" {
			t.Errorf("Content-Length = %q", got)
		}
		reqs := proxy.Requests()
		if len(reqs) != 1 || reqs[0].Range != "bytes=1048576-2097151" {
			t.Errorf("origin saw %+v, want one GET with the range", reqs)
		}
	})
	for _, tt := range []struct{ rng, want string }{
		{"bytes=-10", string(big[len(big)-10:])},
		{"bytes=3145720-", string(big[3145720:])},
	} {
		resp, body := do(t, "GET", base, "/video.mp4", "Range: "+tt.rng)
		if resp.StatusCode != 206 || body != tt.want {
			t.Errorf("%s = %d, %d bytes", tt.rng, resp.StatusCode, len(body))
		}
	}
	t.Run("unsatisfiable", func(t *testing.T) {
		resp, _ := do(t, "GET", base, "/video.mp4", "Range: bytes=99999999-")
		if resp.StatusCode != 416 || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes */%d", len(big)) {
			t.Errorf("416: %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
		}
	})
	t.Run("multi-range served whole", func(t *testing.T) {
		resp, body := do(t, "GET", base, "/video.mp4", "Range: bytes=0-1,5-6")
		if resp.StatusCode != 200 || len(body) != len(big) {
			t.Errorf("multi-range = %d, %d bytes", resp.StatusCode, len(body))
		}
	})
	t.Run("304 without the body", func(t *testing.T) {
		proxy.Reset()
		resp, body := do(t, "GET", base, "/video.mp4", "If-None-Match: "+etag)
		if resp.StatusCode != 304 || body != "" || resp.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match = %d %q etag %q", resp.StatusCode, body, resp.Header.Get("ETag"))
		}
		for _, r := range proxy.Requests() {
			if r.Method != "HEAD" {
				t.Errorf("origin saw a %s for a 304", r.Method)
			}
		}
		resp, _ = do(t, "GET", base, "/video.mp4", `If-None-Match: "other", W/`+etag)
		if resp.StatusCode != 304 {
			t.Errorf("weak list match = %d", resp.StatusCode)
		}
		resp, _ = do(t, "GET", base, "/video.mp4", `If-None-Match: "other"`, "Range: bytes=0-9")
		if resp.StatusCode != 206 {
			t.Errorf("non-matching If-None-Match with range = %d", resp.StatusCode)
		}
		future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
		if resp, _ := do(t, "GET", base, "/video.mp4", "If-Modified-Since: "+future); resp.StatusCode != 304 {
			t.Errorf("If-Modified-Since = %d", resp.StatusCode)
		}
		past := time.Now().Add(-24 * time.Hour).UTC().Format(http.TimeFormat)
		if resp, body := do(t, "GET", base, "/video.mp4", "If-Modified-Since: "+past); resp.StatusCode != 200 || len(body) != len(big) {
			t.Errorf("old If-Modified-Since = %d", resp.StatusCode)
		}
	})
	t.Run("If-Match and If-Range", func(t *testing.T) {
		if resp, _ := do(t, "GET", base, "/video.mp4", `If-Match: "nope"`); resp.StatusCode != 412 {
			t.Errorf("If-Match mismatch = %d", resp.StatusCode)
		}
		if resp, body := do(t, "GET", base, "/video.mp4", "If-Range: "+etag, "Range: bytes=0-3"); resp.StatusCode != 206 || body != string(big[:4]) {
			t.Errorf("If-Range match = %d", resp.StatusCode)
		}
		if resp, body := do(t, "GET", base, "/video.mp4", `If-Range: "stale"`, "Range: bytes=0-3"); resp.StatusCode != 200 || len(body) != len(big) {
			t.Errorf("If-Range stale = %d, %d bytes", resp.StatusCode, len(body))
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		resp, body := do(t, "HEAD", base, "/video.mp4")
		if resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Length") != fmt.Sprint(len(big)) ||
			resp.Header.Get("ETag") != etag || resp.Header.Get("Content-Type") != "video/mp4" {
			t.Errorf("HEAD = %d %v", resp.StatusCode, resp.Header)
		}
		if resp, _ := do(t, "HEAD", base, "/missing.mp4"); resp.StatusCode != 404 {
			t.Errorf("HEAD missing = %d", resp.StatusCode)
		}
	})
	t.Run("methods", func(t *testing.T) {
		if resp, _ := do(t, "POST", base, "/video.mp4"); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST = %d allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}

// TestS3StreamingMemory serves a large object and checks that the process
// allocated a small fraction of its size: the body is streamed, not held.
func TestS3StreamingMemory(t *testing.T) {
	s3srv.MakeBucket(t, "large")
	const size = 64 << 20
	big := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	s3srv.Put(t, "large", "big.bin", big, "application/octet-stream")
	base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket large", "path_style")))
	do(t, "GET", base, "/big.bin", "Range: bytes=0-1048575") // warm up pools (a large copy buffer) and connections

	req, _ := http.NewRequest("GET", base+"/big.bin", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	// Read slowly enough that a buffering implementation would have to hold
	// the object, but count what this process allocates meanwhile.
	n, _ := copyDiscard(resp.Body)
	runtime.ReadMemStats(&after)
	if n != size {
		t.Fatalf("read %d bytes, want %d", n, size)
	}
	// The test's own reads and the server share the process; the whole
	// exchange may allocate buffers, never the object.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/32 {
		t.Errorf("streaming %d MiB allocated %d KiB", size>>20, alloc>>10)
	}
}

func TestS3Failures(t *testing.T) {
	s3srv.MakeBucket(t, "failures")
	s3srv.Put(t, "failures", "x.txt", []byte("x"), "text/plain")

	t.Run("wrong secret is 502 and never leaks", func(t *testing.T) {
		const secret = "WRONG-SECRET-must-not-leak-0123456789"
		logFile := filepath.Join(t.TempDir(), "caddy.log")
		base := startCaddyWithLog(t, logFile, site(fmt.Sprintf(`origin s3 o {
			endpoint %s
			bucket failures
			access_key_id %s
			secret_access_key %s
			max_retries 1
		}`, s3srv.VirtualEndpoint(), s3srv.AccessKey, secret)))
		for _, method := range []string{"GET", "HEAD"} {
			resp, body := do(t, method, base, "/x.txt")
			if resp.StatusCode != 502 {
				t.Errorf("%s = %d, want 502", method, resp.StatusCode)
			}
			if got := resp.Header.Get("Ik-Error"); method == "GET" && !strings.HasPrefix(got, "SignatureDoesNotMatch - ") {
				t.Errorf("Ik-Error = %q, want the origin's code", got)
			}
			if strings.Contains(body, secret) || strings.Contains(fmt.Sprint(resp.Header), secret) {
				t.Errorf("%s leaked the secret", method)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("502 Cache-Control = %q", resp.Header.Get("Cache-Control"))
			}
		}
		logs, _ := os.ReadFile(logFile)
		if strings.Contains(string(logs), secret) {
			t.Errorf("the secret is in the logs")
		}
		if !strings.Contains(string(logs), "SignatureDoesNotMatch") {
			t.Errorf("the logs do not say what failed:\n%s", logs)
		}
	})

	t.Run("origin 5xx is 502", func(t *testing.T) {
		proxy := s3srv.RecordingProxy(t)
		proxy.SetStatus(503)
		base := startCaddy(t, site(s3Block("o", proxy.Endpoint(), "bucket failures", "path_style")))
		resp, _ := do(t, "GET", base, "/x.txt")
		if resp.StatusCode != 502 || !strings.Contains(resp.Header.Get("Ik-Error"), "is unavailable") {
			t.Errorf("5xx = %d %q", resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
	})

	t.Run("slow origin is 504", func(t *testing.T) {
		proxy := s3srv.RecordingProxy(t)
		proxy.SetDelay(3 * time.Second)
		base := startCaddy(t, site(s3Block("o", proxy.Endpoint(), "bucket failures", "path_style", "timeout 300ms")))
		start := time.Now()
		resp, _ := do(t, "GET", base, "/x.txt")
		if resp.StatusCode != 504 {
			t.Errorf("slow = %d, want 504 (%s)", resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("504 took %v", d)
		}
		if resp, _ := do(t, "HEAD", base, "/x.txt"); resp.StatusCode != 504 {
			t.Errorf("slow HEAD = %d, want 504", resp.StatusCode)
		}
	})

	t.Run("a client that leaves is not an error", func(t *testing.T) {
		proxy := s3srv.RecordingProxy(t)
		proxy.SetDelay(700 * time.Millisecond)
		dir := t.TempDir()
		logFile, accessFile := filepath.Join(dir, "caddy.log"), filepath.Join(dir, "access.log")
		base := startCaddyWithLog(t, logFile, "\tlog {\n\t\toutput file "+accessFile+"\n\t}\n"+
			site(s3Block("o", proxy.Endpoint(), "bucket failures", "path_style")))
		impatient := &http.Client{Timeout: 150 * time.Millisecond}
		paths := []string{"/x.txt", "/tr:w-10/x.jpg"}
		for _, p := range paths {
			if resp, err := impatient.Get(base + p); err == nil {
				resp.Body.Close()
				t.Fatalf("GET %s did not time out", p)
			}
		}
		// Caddy writes the access entry after the handler returns, so once
		// both entries are there every log line of those requests is too.
		var access []string
		for deadline := time.Now().Add(10 * time.Second); ; {
			b, _ := os.ReadFile(accessFile)
			access = access[:0]
			for _, line := range strings.Split(string(b), "\n") {
				for _, p := range paths {
					if strings.Contains(line, `"uri":"`+p+`"`) {
						access = append(access, line)
					}
				}
			}
			if len(access) == len(paths) || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond) // polling the file, with a deadline
		}
		if len(access) != len(paths) {
			t.Fatalf("access log has %d of the %d requests", len(access), len(paths))
		}
		for _, line := range access {
			if !strings.Contains(line, `"status":499`) {
				t.Errorf("a client that left was not logged as 499: %s", line)
			}
		}
		logs, _ := os.ReadFile(logFile)
		for _, line := range strings.Split(string(logs), "\n") {
			if strings.Contains(line, `"level":"error"`) || strings.Contains(line, "request failed") {
				t.Errorf("a client disconnect was logged as a failure: %s", line)
			}
		}
	})

	t.Run("stopped server is 502 quickly", func(t *testing.T) {
		own := s3test.Start(t, s3test.Options{Buckets: []string{"down"}})
		own.Put(t, "down", "x.txt", []byte("x"), "text/plain")
		base := startCaddy(t, site(fmt.Sprintf(`origin s3 o {
			endpoint %s
			bucket down
			path_style
			access_key_id %s
			secret_access_key %s
		}`, own.Endpoint(), own.AccessKey, own.SecretKey)))
		if resp, _ := do(t, "GET", base, "/x.txt"); resp.StatusCode != 200 {
			t.Fatalf("before the outage = %d", resp.StatusCode)
		}
		own.Stop()
		start := time.Now()
		resp, _ := do(t, "GET", base, "/x.txt")
		if resp.StatusCode != 502 || !strings.HasPrefix(resp.Header.Get("Ik-Error"), "Unreachable - ") {
			t.Errorf("stopped = %d %q", resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("502 took %v with default retries", d)
		}
		own.Restart()
		if resp, _ := do(t, "GET", base, "/x.txt"); resp.StatusCode != 200 {
			t.Errorf("after the outage = %d", resp.StatusCode)
		}
	})
}

func TestS3CredentialsFromEnvironmentAndPlaceholders(t *testing.T) {
	s3srv.MakeBucket(t, "creds")
	s3srv.Put(t, "creds", "x.txt", []byte("env ok"), "text/plain")

	t.Run("AWS chain from the environment", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", s3srv.AccessKey)
		t.Setenv("AWS_SECRET_ACCESS_KEY", s3srv.SecretKey)
		base := startCaddy(t, site(fmt.Sprintf("origin s3 {\n\t\t\tendpoint %s\n\t\t\tbucket creds\n\t\t}", s3srv.VirtualEndpoint())))
		if resp, body := do(t, "GET", base, "/x.txt"); resp.StatusCode != 200 || body != "env ok" {
			t.Errorf("GET = %d %q", resp.StatusCode, body)
		}
	})
	t.Run("placeholders", func(t *testing.T) {
		secretFile := filepath.Join(t.TempDir(), "secret")
		os.WriteFile(secretFile, []byte(s3srv.SecretKey+"\n"), 0o600)
		t.Setenv("TEST_S3_KEY_ID", s3srv.AccessKey)
		t.Setenv("TEST_S3_ENDPOINT", s3srv.Endpoint())
		t.Setenv("TEST_S3_BUCKET", "creds")
		base := startCaddy(t, site(fmt.Sprintf(`origin s3 {
			endpoint {env.TEST_S3_ENDPOINT}
			bucket {env.TEST_S3_BUCKET}
			path_style
			access_key_id {env.TEST_S3_KEY_ID}
			secret_access_key {file.%s}
		}`, secretFile)))
		if resp, body := do(t, "GET", base, "/x.txt"); resp.StatusCode != 200 || body != "env ok" {
			t.Errorf("GET = %d %q %s", resp.StatusCode, body, resp.Header.Get("Ik-Error"))
		}
	})
}

// TestProvisionStaysOffline provisions against an endpoint nothing listens
// on: `caddy validate` must pass without touching the network.
func TestProvisionStaysOffline(t *testing.T) {
	port := testenv.FreePort(t)
	err := loadError(t, site(fmt.Sprintf("origin s3 {\n\t\t\tendpoint http://127.0.0.1:%d\n\t\t\tbucket offline\n\t\t\taccess_key_id a\n\t\t\tsecret_access_key b\n\t\t}", port)))
	if err != nil {
		t.Fatalf("provisioning an unreachable origin failed: %v", err)
	}
}

func TestS3ClientsSharedAcrossReloads(t *testing.T) {
	cfg := site(s3Block("o", s3srv.Endpoint(), "bucket shared", "path_style"))
	startCaddy(t, cfg)
	var keys []string
	s3Clients.Range(func(k, _ any) bool { keys = append(keys, k.(string)); return true })
	startCaddy(t, cfg)
	var again []string
	s3Clients.Range(func(k, _ any) bool { again = append(again, k.(string)); return true })
	if len(keys) != 1 || len(again) != 1 || keys[0] != again[0] {
		t.Errorf("pooled clients before %v, after reload %v: want the same single client", keys, again)
	}
}

// TestCacheControlOptions: cache_control on successes, not_found_max_age
// on 404s (a negative one means no-store).
func TestCacheControlOptions(t *testing.T) {
	s3srv.MakeBucket(t, "cachectl")
	s3srv.Put(t, "cachectl", "a.txt", []byte("a"), "text/plain")
	for _, tt := range []struct{ options, ok, notFound string }{
		{`cache_control "public, max-age=600"`, "public, max-age=600", "public, max-age=60"},
		{"not_found_max_age 10s", DefaultCacheControl, "public, max-age=10"},
		{"not_found_max_age -1s", DefaultCacheControl, "no-store"},
	} {
		base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket cachectl", "path_style"), tt.options))
		if resp, _ := do(t, "GET", base, "/a.txt"); resp.Header.Get("Cache-Control") != tt.ok {
			t.Errorf("%s: 200 Cache-Control = %q, want %q", tt.options, resp.Header.Get("Cache-Control"), tt.ok)
		}
		if resp, _ := do(t, "GET", base, "/none.txt"); resp.Header.Get("Cache-Control") != tt.notFound {
			t.Errorf("%s: 404 Cache-Control = %q, want %q", tt.options, resp.Header.Get("Cache-Control"), tt.notFound)
		}
	}
}
