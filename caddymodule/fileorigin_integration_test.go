package caddymodule

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFileOriginThroughCaddy serves a local folder through a real Caddy and
// tries to leave it every way a hostile path can.
func TestFileOriginThroughCaddy(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("top secret"), 0o644)
	root := filepath.Join(t.TempDir(), "root")
	os.MkdirAll(filepath.Join(root, "dir"), 0o755)
	os.WriteFile(filepath.Join(root, "hello.txt"), []byte("hello world"), 0o644)
	os.WriteFile(filepath.Join(root, "dir", "a b+c.txt"), []byte("spaced"), 0o644)
	os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "link.txt"))
	os.Symlink(outside, filepath.Join(root, "outdir"))
	rel, _ := filepath.Rel(root, outside)

	// The handler sits at the site root, not under handle_path: Caddy's
	// path matchers clean ".." away before a handler sees it, and the point
	// here is what the handler itself does with hostile paths.
	base := startCaddy(t, `
	image_cdn {
		origin file `+root+`
	}`)

	resp, body := do(t, "GET", base, "/hello.txt")
	if resp.StatusCode != 200 || body != "hello world" {
		t.Fatalf("GET hello.txt = %d %q", resp.StatusCode, body)
	}
	for k, want := range map[string]string{
		"Content-Type":   "text/plain; charset=utf-8",
		"Content-Length": "11",
		"Accept-Ranges":  "bytes",
		"Cache-Control":  DefaultCacheControl,
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if resp.Header.Get("ETag") == "" || resp.Header.Get("Last-Modified") == "" {
		t.Errorf("missing validators: %v", resp.Header)
	}

	if resp, body := do(t, "GET", base, "/dir/a%20b+c.txt"); resp.StatusCode != 200 || body != "spaced" {
		t.Errorf("GET encoded space = %d %q", resp.StatusCode, body)
	}

	escapes := []string{
		"/../" + rel + "/secret.txt",
		"/%2e%2e/" + rel + "/secret.txt",
		"/..%2f" + strings.ReplaceAll(rel, "/", "%2f") + "%2fsecret.txt",
		"/dir/%2e%2e/%2e%2e/" + rel + "/secret.txt",
		"/link.txt",
		"/outdir/secret.txt",
		"/hello.txt%00.jpg",
		"/%2fetc%2fpasswd",
		"//etc/passwd",
		"/dir",
		"/",
	}
	for _, p := range escapes {
		resp, body := do(t, "GET", base, p)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
		if strings.Contains(body, "secret") {
			t.Errorf("GET %s leaked the file outside the root", p)
		}
		if !strings.HasPrefix(resp.Header.Get("Ik-Error"), "ENOENT - ") {
			t.Errorf("GET %s: Ik-Error = %q", p, resp.Header.Get("Ik-Error"))
		}
	}

	// Range, conditional requests and HEAD on the file origin.
	etag := resp.Header.Get("ETag")
	if resp, body := do(t, "GET", base, "/hello.txt", "Range: bytes=6-"); resp.StatusCode != 206 || body != "world" ||
		resp.Header.Get("Content-Range") != "bytes 6-10/11" {
		t.Errorf("range = %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}
	if resp, _ := do(t, "GET", base, "/hello.txt", "If-None-Match: "+etag); resp.StatusCode != 304 {
		t.Errorf("If-None-Match = %d, want 304", resp.StatusCode)
	}
	resp, body = do(t, "HEAD", base, "/hello.txt")
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Length") != strconv.Itoa(len("hello world")) {
		t.Errorf("HEAD = %d %q %v", resp.StatusCode, body, resp.Header)
	}
}
