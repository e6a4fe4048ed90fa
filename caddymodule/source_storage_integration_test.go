package caddymodule

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/image-cdn/image_cdn/resultstore"
)

// TestS3SourceStorage: originals fetched from a web origin are kept in S3
// after the response, and a second instance serves them (as is and
// transformed) without asking the web origin.
func TestS3SourceStorage(t *testing.T) {
	s3srv.MakeEmptyBucket(t, "src-store")
	jpg := sample(t, "photos/sunset.jpg")
	remote := newRemoteSite(t, map[string][]byte{"/m/a.jpg": jpg, "/m/b.jpg": jpg})
	config := func(base string) string {
		return site(`origin web `+base+`/m {
			allow_private 127.0.0.1
		}`, `source_storage s3 {
			bucket src-store
			folder /originals/
			endpoint `+s3srv.Endpoint()+`
			path_style
			access_key_id `+s3srv.AccessKey+`
			secret_access_key `+s3srv.SecretKey+`
			acl private
		}`)
	}

	first := startCaddy(t, config(remote.URL))
	if resp, body := do(t, "GET", first, "/a.jpg"); resp.StatusCode != 200 || body != string(jpg) {
		t.Fatalf("first a.jpg = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}
	if resp, _ := do(t, "GET", first, "/tr:w-40/b.jpg"); resp.StatusCode != 200 {
		t.Fatalf("first b.jpg = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}
	stored := waitForObject(t, "src-store", "originals/a.jpg/_.original")
	if stored.Size != int64(len(jpg)) || stored.ContentType != "image/jpeg" {
		t.Errorf("stored original: %d bytes, %q", stored.Size, stored.ContentType)
	}
	waitForObject(t, "src-store", "originals/b.jpg/_.original")

	// A second instance whose web origin is gone still serves both.
	remote.reset()
	second := startCaddy(t, config("http://127.0.0.1:1"))
	resp, body := do(t, "GET", second, "/a.jpg")
	if cs := resp.Header.Get("Cache-Status"); cs != "image_cdn; hit; detail=source-storage" {
		t.Errorf("Cache-Status = %q", cs)
	}
	if resp.StatusCode != 200 || body != string(jpg) || resp.Header.Get("ETag") != `"v1"` {
		t.Errorf("second a.jpg = %d (%d bytes) ETag %q %s", resp.StatusCode, len(body), resp.Header.Get("ETag"), resp.Header.Get("Ik-Error"))
	}
	if resp, body := do(t, "GET", second, "/a.jpg", "Range: bytes=0-9"); resp.StatusCode != 206 || body != string(jpg[:10]) {
		t.Errorf("range from source storage = %d %d bytes", resp.StatusCode, len(body))
	}
	// HEAD and a conditional GET are answered from the stored copy's
	// metadata, with its length and ETag.
	if resp, _ := do(t, "HEAD", second, "/a.jpg"); resp.StatusCode != 200 || resp.ContentLength != int64(len(jpg)) || resp.Header.Get("ETag") != `"v1"` {
		t.Errorf("HEAD from source storage = %d, length %d, ETag %q", resp.StatusCode, resp.ContentLength, resp.Header.Get("ETag"))
	}
	if resp, _ := do(t, "GET", second, "/a.jpg", `If-None-Match: "v1"`); resp.StatusCode != 304 {
		t.Errorf("If-None-Match from source storage = %d, want 304", resp.StatusCode)
	}
	if resp, body := do(t, "GET", second, "/tr:w-30/b.jpg"); resp.StatusCode != 200 || decode(t, body).width != 30 {
		t.Errorf("second transformed b.jpg = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}
	if n := len(remote.requests()); n != 0 {
		t.Errorf("the web origin was asked %d times", n)
	}
	if resp, _ := do(t, "GET", second, "/c.jpg"); resp.StatusCode != 502 {
		t.Errorf("missing everywhere with the origin down = %d, want 502", resp.StatusCode)
	}
}

// TestSourceStorageFailureNeverFails: a store that cannot be reached or
// written is a miss, and the request is served from the origin.
func TestSourceStorageFailureNeverFails(t *testing.T) {
	jpg := sample(t, "photos/sunset.jpg")
	remote := newRemoteSite(t, map[string][]byte{"/a.jpg": jpg})
	base := startCaddy(t, site(`origin web `+remote.URL+` {
			allow_private 127.0.0.1
		}`, `source_storage s3 {
			bucket nowhere
			endpoint http://127.0.0.1:1
			path_style
			access_key_id x
			secret_access_key y
			max_retries 1
			timeout 1s
		}`))
	for _, p := range []string{"/a.jpg", "/tr:w-20/a.jpg", "/a.jpg"} {
		if resp, _ := do(t, "GET", base, p); resp.StatusCode != 200 {
			t.Errorf("GET %s = %d %s", p, resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
	}
}

// TestFileSourceStorage: the file backend, and only remote origins are kept.
func TestFileSourceStorage(t *testing.T) {
	jpg := sample(t, "photos/sunset.jpg")
	remote := newRemoteSite(t, map[string][]byte{"/a.jpg": jpg})
	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "local.jpg"), jpg, 0o644)
	dir := t.TempDir()
	base := startCaddy(t, site(`origin file `+local, `origin web `+remote.URL+` {
			allow_private 127.0.0.1
		}`, `source_storage file `+dir))
	for _, p := range []string{"/a.jpg", "/local.jpg"} {
		if resp, _ := do(t, "GET", base, p); resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d", p, resp.StatusCode)
		}
	}
	// Stop the instance, so that its queued writes are done.
	startCaddy(t, site(`origin file `+local))
	var files []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, strings.TrimPrefix(p, dir+"/"))
		}
		return nil
	})
	if len(files) != 1 || files[0] != "a.jpg/_.original" {
		t.Errorf("source storage holds %q, want only a.jpg/_.original", files)
	}
}

func TestSourceKeysAndPrefixes(t *testing.T) {
	for in, want := range map[string]string{
		"a.jpg":           "a.jpg/_.original",
		"dir/a b%.jpg":    "dir/a b%25.jpg/_.original",
		"https://x/a.jpg": "https:%2F%2Fx/a.jpg/_.original",
	} {
		if got := sourceKey(in); got != want {
			t.Errorf("sourceKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSourceStoragePurge: the admin purge drops stored originals with the
// same key prefixes as variants, the copy of one path (also one long enough
// to be hashed) and every copy under a prefix, and nothing else.
func TestSourceStoragePurge(t *testing.T) {
	ctx := context.Background()
	store := resultstore.NewMemory(1 << 20)
	long := "deep/" + strings.Repeat("x", 1200) + ".jpg"
	for _, p := range []string{"a/b c.jpg", "a/d.jpg", "keep.jpg", long} {
		if err := store.Put(ctx, sourceKey(p), &resultstore.Entry{Body: []byte(p), ETag: `"e"`}); err != nil {
			t.Fatal(err)
		}
	}
	h := &Handler{sources: &sourceStore{store: store}}
	c := purge(ctx, []*Handler{h}, purgeRequest{Paths: []string{"/a/b c.jpg", "/" + long}})
	if c.SourceStorage != 2 || len(c.Errors) != 0 {
		t.Errorf("purging two paths = %+v, want 2 originals", c)
	}
	if c := purge(ctx, []*Handler{h}, purgeRequest{Prefixes: []string{"/a/"}}); c.SourceStorage != 1 {
		t.Errorf("purging /a/ = %+v, want 1 original", c)
	}
	for p, kept := range map[string]bool{"a/b c.jpg": false, "a/d.jpg": false, long: false, "keep.jpg": true} {
		if _, err := store.Get(ctx, sourceKey(p)); (err == nil) != kept {
			t.Errorf("%.20q kept = %v, want %v", p, err == nil, kept)
		}
	}
}

func TestByteBudget(t *testing.T) {
	b := byteBudget{max: 10}
	steps := []struct {
		take int64
		ok   bool
	}{{4, true}, {6, true}, {1, false}, {-1, false}}
	for _, s := range steps {
		if got := b.take(s.take); got != s.ok {
			t.Fatalf("take(%d) = %v, want %v", s.take, got, s.ok)
		}
	}
	b.give(4)
	if !b.take(4) || b.take(1) {
		t.Errorf("after giving 4 back: used %d", b.used.Load())
	}
}
