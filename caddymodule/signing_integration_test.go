package caddymodule

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/image-cdn/image_cdn/signedurl"
)

func TestSignedURLs(t *testing.T) {
	s3srv.MakeBucket(t, "signed")
	s3srv.Put(t, "signed", "photos/sunset.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	s3srv.Put(t, "signed", "sdk-testing-files/हिन्दी.png", sample(t, "logo.png"), "image/png")
	base := startCaddy(t, `
	handle_path /your_id/* {
		image_cdn {
			`+s3Block("o", s3srv.VirtualEndpoint(), "bucket signed")+`
			sign_key old-key
			sign_key {env.TEST_SIGN_KEY}
		}
	}`)
	t.Setenv("TEST_SIGN_KEY", "unused") // placeholders resolve at provision, which already happened
	key := []byte("old-key")
	sign := func(p string, exp time.Time) string {
		return "/your_id/" + strings.TrimPrefix(signedurl.Sign(p, key, exp), "/")
	}

	expired := sign("tr:w-10/photos/sunset.jpg", time.Now().Add(-time.Minute))
	valid := sign("tr:w-10/photos/sunset.jpg?v=2&tr=h-10", time.Now().Add(time.Hour))
	tests := []struct {
		name, path string
		status     int
	}{
		{"signed, no expiry", sign("photos/sunset.jpg", time.Time{}), 200},
		{"signed transform with expiry", valid, 200},
		{"unicode path signed as sent", sign("sdk-testing-files/%E0%A4%B9%E0%A4%BF%E0%A4%A8%E0%A5%8D%E0%A4%A6%E0%A5%80.png", time.Time{}), 200},
		{"unsigned", "/your_id/photos/sunset.jpg", 401},
		{"unsigned transform", "/your_id/tr:w-10/photos/sunset.jpg", 401},
		{"expired", expired, 401},
		{"reordered query", reorderQuery(valid), 401},
		{"re-encoded path", strings.Replace(valid, "tr:w-10", "tr%3Aw-10", 1), 401},
		{"tampered expiry", strings.Replace(valid, "ik-t=", "ik-t=9", 1), 401},
		{"signature in two places", valid + "&ik-s=" + valid[strings.LastIndex(valid, "=")+1:], 401},
		{"signature of another path", strings.Replace(valid, "sunset", "sunsex", 1), 401},
		{"unknown key", "/your_id/" + strings.TrimPrefix(signedurl.Sign("photos/sunset.jpg", []byte("other"), time.Time{}), "/"), 401},
		{"missing object, signed", sign("photos/none.jpg", time.Time{}), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := do(t, "GET", base, tt.path)
			if resp.StatusCode != tt.status {
				t.Errorf("GET %s = %d (%s), want %d", tt.path, resp.StatusCode, resp.Header.Get("Ik-Error"), tt.status)
			}
			if tt.status == 401 && resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("401 Cache-Control = %q", resp.Header.Get("Cache-Control"))
			}
		})
	}

	t.Run("an unset placeholder key is refused at load time", func(t *testing.T) {
		err := loadError(t, site(s3Block("o", s3srv.Endpoint(), "bucket signed", "path_style"), "sign_key {env.IMAGE_CDN_TEST_UNSET}"))
		if err == nil || !strings.Contains(err.Error(), "sign_key") {
			t.Errorf("load error = %v", err)
		}
	})
}

// reorderQuery swaps the first two query parameters.
func reorderQuery(u string) string {
	p, q, _ := strings.Cut(u, "?")
	parts := strings.Split(q, "&")
	parts[0], parts[1] = parts[1], parts[0]
	return p + "?" + strings.Join(parts, "&")
}

func TestSignCommand(t *testing.T) {
	exp := time.Unix(1900000000, 0)
	tests := []struct {
		endpoint, target, want string
		err                    bool
	}{
		{"https://ik.imagekit.io/demo", "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png", "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?ik-s=32dbbbfc5f945c0403c71b54c38e76896ef2d6b0", false},
		{"https://ik.imagekit.io/demo/", "sdk-testing-files/future-search.png?version=1.0&cache=false", "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?version=1.0&cache=false&ik-s=f2e5a1b8b6a0b03fd63789dfc6413a94acef9fd8", false},
		{"", "/sdk-testing-files/future-search.png", "/sdk-testing-files/future-search.png?ik-s=32dbbbfc5f945c0403c71b54c38e76896ef2d6b0", false},
		{"https://a.example/ep", "https://b.example/ep/x.jpg", "", true},
		{"https://a.example/ep", "https://a.example/ep/", "", true},
	}
	for _, tt := range tests {
		got, err := signURL(tt.endpoint, tt.target, []byte("dummy-key"), time.Time{})
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("signURL(%q, %q) = %q, %v; want %q", tt.endpoint, tt.target, got, err, tt.want)
		}
	}
	got, err := signURL("https://x.example/ep", "a.jpg", []byte("k"), exp)
	if err != nil || !strings.Contains(got, "ik-t=1900000000&ik-s=") {
		t.Fatalf("expiring = %q, %v", got, err)
	}
	u, _ := url.Parse(got)
	if err := signedurl.Verify(strings.TrimPrefix(u.RequestURI(), "/ep/"), [][]byte{[]byte("k")}, exp.Add(-time.Second)); err != nil {
		t.Errorf("the signed URL does not verify: %v", err)
	}
}
