package caddymodule

import (
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/image-cdn/image_cdn/signedurl"
)

func TestSpecialPaths(t *testing.T) {
	s3srv.MakeBucket(t, "special")
	jpg := sample(t, "photos/sunset.jpg")
	s3srv.Put(t, "special", "photos/sunset.jpg", jpg, "image/jpeg")
	s3srv.Put(t, "special", "defaults/none.jpg", sample(t, "photos/seeding.jpg"), "image/jpeg")
	base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket special", "path_style", "canonical https://cdn.example.com")))

	tests := []struct {
		name, path  string
		status      int
		width       int // 0: the original's bytes
		disposition string
	}{
		{"seo", "/ik-seo/photos/sunset/red-evening-sky.jpg", 200, 0, ""},
		{"seo with chain before", "/tr:w-40/ik-seo/photos/sunset/red-evening-sky.jpg", 200, 40, ""},
		{"seo with chain after", "/ik-seo/tr:w-40/photos/sunset/red-evening-sky.jpg", 200, 40, ""},
		{"seo with query chain", "/ik-seo/photos/sunset/red.jpg?tr=w-40", 200, 40, ""},
		{"seo without directory", "/ik-seo/sunset.jpg", 404, 0, ""},
		{"attachment", "/photos/sunset.jpg?ik-attachment=true", 200, 0, `attachment; filename="sunset.jpg"`},
		{"attachment of a variant with the SEO name", "/ik-seo/tr:w-40/photos/sunset/evening.jpg?ik-attachment=true", 200, 40, `attachment; filename="evening.jpg"`},
		{"attachment non-ASCII", "/ik-seo/photos/sunset/%E0%A4%B9%E0%A4%BF.jpg?ik-attachment=true", 200, 0,
			`attachment; filename="__.jpg"; filename*=utf-8''%E0%A4%B9%E0%A4%BF.jpg`},
		{"attachment false", "/photos/sunset.jpg?ik-attachment=false", 200, 0, ""},
		{"orig-true", "/tr:orig-true/photos/sunset.jpg", 200, 0, ""},
		{"orig-true in the query", "/photos/sunset.jpg?tr=orig-true", 200, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", base, tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s = %d %s", tt.path, resp.StatusCode, resp.Header.Get("Ik-Error"))
			}
			if tt.status != 200 {
				return
			}
			if tt.width == 0 && body != string(jpg) {
				t.Errorf("body is not the original (%d bytes)", len(body))
			}
			if tt.width != 0 && decode(t, body).width != tt.width {
				t.Errorf("width = %d, want %d", decode(t, body).width, tt.width)
			}
			if got := resp.Header.Get("Content-Disposition"); got != tt.disposition {
				t.Errorf("Content-Disposition = %q, want %q", got, tt.disposition)
			}
		})
	}

	t.Run("default image", func(t *testing.T) {
		resp, body := do(t, "GET", base, "/tr:w-40,di-defaults@@none.jpg/missing.jpg")
		if resp.StatusCode != 200 || decode(t, body).width != 40 {
			t.Fatalf("di = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=60" || resp.Header.Get("Ik-Default-Image") != "true" || resp.Header.Get("Link") != "" {
			t.Errorf("default image headers: Cache-Control %q, Ik-Default-Image %q, Link %q", cc, resp.Header.Get("Ik-Default-Image"), resp.Header.Get("Link"))
		}
		// Without other steps: the default delivered as is.
		resp, body = do(t, "GET", base, "/missing.jpg?tr=di-defaults@@none.jpg")
		if resp.StatusCode != 200 || len(body) != len(sample(t, "photos/seeding.jpg")) {
			t.Errorf("di alone = %d (%d bytes)", resp.StatusCode, len(body))
		}
		// A present source ignores di: the answer is its own variant.
		resp, body = do(t, "GET", base, "/tr:w-40,di-defaults@@none.jpg/photos/sunset.jpg")
		if resp.StatusCode != 200 || resp.Header.Get("Ik-Default-Image") != "" || resp.Header.Get("Cache-Control") != DefaultCacheControl {
			t.Errorf("present source with di = %d %v", resp.StatusCode, resp.Header)
		}
		if _, own := do(t, "GET", base, "/tr:w-40/photos/sunset.jpg"); body != own {
			t.Errorf("present source with di: %d bytes, not the %d of its own w-40 variant", len(body), len(own))
		}
		if resp, _ := do(t, "GET", base, "/tr:w-40,di-defaults@@gone.jpg/missing.jpg"); resp.StatusCode != 404 {
			t.Errorf("missing default = %d, want 404", resp.StatusCode)
		}
	})
}

func TestPrivateOriginals(t *testing.T) {
	s3srv.MakeBucket(t, "private")
	jpg := sample(t, "photos/sunset.jpg")
	s3srv.PutWithOptions(t, "private", "secret.jpg", jpg, minio.PutObjectOptions{ContentType: "image/jpeg",
		UserMetadata: map[string]string{"isprivatefile": "true"}})
	s3srv.Put(t, "private", "public.jpg", jpg, "image/jpeg")
	origin := s3Block("o", s3srv.Endpoint(), "bucket private", "path_style")

	unsigned := startCaddy(t, site(origin, "memory_cache 16MiB"))
	for _, p := range []string{"/secret.jpg", "/tr:w-40/secret.jpg", "/tr:w-40/secret.jpg"} {
		for _, method := range []string{"GET", "HEAD"} {
			if resp, body := do(t, method, unsigned, p); resp.StatusCode != 401 || strings.Contains(body, "\xff\xd8") {
				t.Errorf("%s %s unsigned = %d, want 401", method, p, resp.StatusCode)
			}
		}
	}
	if resp, _ := do(t, "GET", unsigned, "/tr:w-40/public.jpg"); resp.StatusCode != 200 {
		t.Errorf("public = %d", resp.StatusCode)
	}

	signed := startCaddy(t, site(origin, "sign_key k", "memory_cache 16MiB"))
	for _, p := range []string{"/secret.jpg", "/tr:w-40/secret.jpg", "/tr:w-40/secret.jpg"} {
		if resp, _ := do(t, "GET", signed, signedurl.Sign(p, []byte("k"), time.Time{})); resp.StatusCode != 200 {
			t.Errorf("GET %s signed = %d %s", p, resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
	}
}
