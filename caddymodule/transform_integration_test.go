package caddymodule

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Accept headers as browsers send them for <img>.
const (
	acceptChrome  = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	acceptSafari  = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5" // Safari 14-15: WebP, no AVIF
	acceptOldIE   = "image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"
	acceptCurl    = "*/*"
	acceptFirefox = "image/avif,image/webp,*/*"
)

func TestTransformThroughCaddyAndS3(t *testing.T) {
	s3srv.MakeBucket(t, "transforms")
	s3srv.Put(t, "transforms", "photos/sunset.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg") // 1600×1067
	s3srv.Put(t, "transforms", "logo.png", sample(t, "logo.png"), "image/png")                    // 389×66, alpha
	s3srv.Put(t, "transforms", "noext", sample(t, "photos/sunset.jpg"), "image/jpeg")
	s3srv.Put(t, "transforms", "doc.txt", []byte("not an image"), "text/plain")
	s3srv.Put(t, "transforms", "fake.jpg", []byte("not an image either"), "image/jpeg")
	s3srv.Put(t, "transforms", "photo.jp2", []byte("\x00\x00\x00\x0cjP  \r\n\x87\n"), "image/jp2")
	proxy := s3srv.RecordingProxy(t)
	base := startCaddy(t, site(s3Block("o", proxy.VirtualEndpoint(), "bucket transforms", "canonical https://cdn.example.com"),
		"named thumb w-100,h-100", "avif"))

	tests := []struct {
		name, path, accept string
		want               decoded
		vary               bool
	}{
		{"path form, chrome", "/tr:w-300,h-200/photos/sunset.jpg", acceptChrome, decoded{"avif", 300, 200, false}, true},
		{"query form, safari", "/photos/sunset.jpg?tr=w-300,h-200", acceptSafari, decoded{"webp", 300, 200, false}, true},
		{"old browser gets the source family", "/tr:w-300/photos/sunset.jpg", acceptOldIE, decoded{"jpeg", 300, 200, false}, true},
		{"curl gets the source family", "/tr:w-300/photos/sunset.jpg", acceptCurl, decoded{"jpeg", 300, 200, false}, true},
		{"png with alpha stays png", "/tr:h-33/logo.png", acceptOldIE, decoded{"png", 194, 33, true}, true},
		{"png with alpha to webp keeps alpha", "/tr:h-33/logo.png", "image/webp,*/*", decoded{"webp", 194, 33, true}, true},
		{"explicit format is not negotiated", "/tr:w-300,f-webp/photos/sunset.jpg", acceptOldIE, decoded{"webp", 300, 200, false}, false},
		{"fraction of the source", "/tr:w-0.25/photos/sunset.jpg", acceptCurl, decoded{"jpeg", 400, 267, false}, true},
		{"both forms: path then query", "/tr:w-800/photos/sunset.jpg?tr=w-100", acceptCurl, decoded{"jpeg", 100, 67, false}, true},
		{"named", "/tr:n-thumb/photos/sunset.jpg", acceptCurl, decoded{"jpeg", 100, 100, false}, true},
		{"no extension: type from the origin", "/tr:w-64/noext", acceptCurl, decoded{"jpeg", 64, 43, false}, true},
		{"pad_resize", "/tr:w-300,h-300,cm-pad_resize,bg-FFFFFF/photos/sunset.jpg", acceptCurl, decoded{"jpeg", 300, 300, false}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", base, tt.path, "Accept: "+tt.accept)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d %s", tt.path, resp.StatusCode, resp.Header.Get("Ik-Error"))
			}
			got := decode(t, body)
			// One pixel of rounding either way is libvips' business.
			if got.format != tt.want.format || abs(got.width-tt.want.width) > 1 || abs(got.height-tt.want.height) > 1 || got.alpha != tt.want.alpha {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "image/"+tt.want.format {
				t.Errorf("Content-Type = %q", ct)
			}
			if hasVary := strings.Contains(resp.Header.Get("Vary"), "Accept"); hasVary != tt.vary {
				t.Errorf("Vary = %q, want Accept: %v", resp.Header.Get("Vary"), tt.vary)
			}
			for _, h := range []string{"ETag", "Last-Modified", "Content-Length", "Cache-Control", "Cache-Status"} {
				if resp.Header.Get(h) == "" {
					t.Errorf("missing %s", h)
				}
			}
			// The canonical URL is the object's: no tr: segment, no query.
			object := strings.SplitN(tt.path, "?", 2)[0]
			if strings.HasPrefix(object, "/tr:") {
				object = object[strings.Index(object[1:], "/")+1:]
			}
			if link, want := resp.Header.Get("Link"), `<https://cdn.example.com`+object+`>; rel="canonical"`; link != want {
				t.Errorf("Link = %q, want %q", link, want)
			}
			if !strings.HasPrefix(resp.Header.Get("ETag"), `"`) {
				t.Errorf("ETag %q is not strong", resp.Header.Get("ETag"))
			}
		})
	}

	t.Run("one canonical variant per meaning", func(t *testing.T) {
		etag := func(path, accept string) string {
			resp, _ := do(t, "GET", base, path, "Accept: "+accept)
			return resp.Header.Get("ETag")
		}
		a := etag("/tr:w-300,h-200/photos/sunset.jpg", acceptSafari)
		if b := etag("/photos/sunset.jpg?tr=h-200,w-300", acceptSafari); a != b {
			t.Errorf("tr:w-300,h-200 and ?tr=h-200,w-300 differ: %s %s", a, b)
		}
		if c := etag("/tr:w-300,h-200/photos/sunset.jpg", acceptOldIE); a == c {
			t.Errorf("WebP and JPEG variants share the ETag %s", a)
		}
	})

	t.Run("304 and HEAD without downloading the source", func(t *testing.T) {
		resp, _ := do(t, "GET", base, "/tr:w-120/photos/sunset.jpg", "Accept: "+acceptSafari)
		etag := resp.Header.Get("ETag")
		proxy.Reset()
		resp, body := do(t, "GET", base, "/tr:w-120/photos/sunset.jpg", "Accept: "+acceptSafari, "If-None-Match: "+etag)
		if resp.StatusCode != 304 || body != "" || resp.Header.Get("ETag") != etag || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
			t.Errorf("conditional = %d etag %q vary %q", resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Vary"))
		}
		for _, r := range proxy.Requests() {
			if r.Method != "HEAD" {
				t.Errorf("a 304 cost a %s %s at the origin", r.Method, r.Path)
			}
		}
		resp, body = do(t, "GET", base, "/tr:w-120/photos/sunset.jpg", "Accept: "+acceptSafari, "Range: bytes=0-11")
		if resp.StatusCode != 206 || len(body) != 12 || !strings.HasPrefix(body, "RIFF") {
			t.Errorf("range of a variant = %d, %d bytes %q", resp.StatusCode, len(body), body)
		}
		// A multi-range request on a variant gets what file_server gives: a
		// 206 multipart/byteranges, one part per range (objects delivered as
		// stored get 200 with the whole body instead: see TestS3RangeConditionalHead).
		resp, body = do(t, "GET", base, "/tr:w-120/photos/sunset.jpg", "Accept: "+acceptSafari, "Range: bytes=0-1,8-11")
		mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if resp.StatusCode != 206 || mt != "multipart/byteranges" {
			t.Fatalf("multi-range of a variant = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var parts []string
		mr := multipart.NewReader(strings.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			parts = append(parts, p.Header.Get("Content-Type")+" "+p.Header.Get("Content-Range")+" "+string(b))
		}
		if len(parts) != 2 || !strings.HasPrefix(parts[0], "image/webp bytes 0-1/") || !strings.HasSuffix(parts[0], " RI") ||
			!strings.HasPrefix(parts[1], "image/webp bytes 8-11/") || !strings.HasSuffix(parts[1], " WEBP") {
			t.Errorf("multi-range parts = %q", parts)
		}
		resp, body = do(t, "HEAD", base, "/tr:w-120/photos/sunset.jpg", "Accept: "+acceptSafari)
		if resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Type") != "image/webp" {
			t.Errorf("HEAD = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})

	errorsTests := []struct {
		name, path string
		status     int
		ikError    string
	}{
		{"unknown parameter", "/tr:zz-3/photos/sunset.jpg", 400, "ETRANSFORM - zz"},
		{"bad value", "/tr:w-abc/photos/sunset.jpg", 400, "ETRANSFORM - w"},
		{"empty chain", "/tr:/photos/sunset.jpg", 400, "ETRANSFORM - empty"},
		{"empty query chain", "/photos/sunset.jpg?tr=", 400, "ETRANSFORM - empty"},
		{"unknown named", "/tr:n-nope/photos/sunset.jpg", 400, "ETRANSFORM - n"},
		{"too large output", "/tr:w-20000/photos/sunset.jpg", 400, "ELIMIT - "},
		{"not an image", "/tr:w-100/doc.txt", 400, "EUNSUPPORTED - the object is text/plain, not an image"},
		{"an image format not transformed", "/tr:w-100/photo.jp2", 400, "EUNSUPPORTED - the object is image/jp2, not a format image_cdn transforms"},
		{"undecodable image", "/tr:w-100/fake.jpg", 400, "EUNSUPPORTED - "},
		{"missing", "/tr:w-100/photos/none.jpg", 404, "ENOENT - "},
		{"tr twice in the query", "/photos/sunset.jpg?tr=w-1&tr=w-2", 400, "ETRANSFORM - tr given more than once"},
	}
	for _, tt := range errorsTests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := do(t, "GET", base, tt.path, "Accept: "+acceptChrome)
			if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("Ik-Error"), tt.ikError) {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, resp.StatusCode, resp.Header.Get("Ik-Error"), tt.status, tt.ikError)
			}
			if cc := resp.Header.Get("Cache-Control"); tt.status != 404 && cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
		})
	}
	t.Run("non-images still pass through without tr", func(t *testing.T) {
		if resp, body := do(t, "GET", base, "/doc.txt"); resp.StatusCode != 200 || body != "not an image" {
			t.Errorf("GET doc.txt = %d %q", resp.StatusCode, body)
		}
		if resp, body := do(t, "GET", base, "/tr:orig-true/doc.txt"); resp.StatusCode != 200 || body != "not an image" {
			t.Errorf("orig-true = %d %q", resp.StatusCode, body)
		}
	})
}

func TestTransformLimitsAndOverload(t *testing.T) {
	s3srv.MakeBucket(t, "limits")
	s3srv.Put(t, "limits", "a.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	s3srv.Put(t, "limits", "b.jpg", sample(t, "photos/seeding.jpg"), "image/jpeg")

	t.Run("source bytes", func(t *testing.T) {
		base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket limits", "path_style"), "max_source_bytes 10KiB"))
		resp, _ := do(t, "GET", base, "/tr:w-10/a.jpg")
		if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Ik-Error"), "ELIMIT - ") {
			t.Errorf("= %d %q", resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
	})
	t.Run("source pixels", func(t *testing.T) {
		base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket limits", "path_style"), "max_source_pixels 1MP"))
		resp, _ := do(t, "GET", base, "/tr:w-10/a.jpg")
		if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Ik-Error"), "ELIMIT - ") {
			t.Errorf("= %d %q", resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
	})
	t.Run("overload is 503 with Retry-After", func(t *testing.T) {
		proxy := s3srv.RecordingProxy(t)
		proxy.SetDelay(1500 * time.Millisecond)
		base := startCaddy(t, site(s3Block("o", proxy.Endpoint(), "bucket limits", "path_style"), "workers 1", "queue 0"))
		var wg sync.WaitGroup
		wg.Add(1)
		var first int
		go func() {
			defer wg.Done()
			resp, _ := do(t, "GET", base, "/tr:w-10/a.jpg")
			first = resp.StatusCode
		}()
		// The slot is reserved before the fetch: once the origin sees the
		// first request, it holds the only slot.
		for deadline := time.Now().Add(5 * time.Second); len(proxy.Requests()) == 0; {
			if time.Now().After(deadline) {
				t.Fatal("the first request never reached the origin")
			}
			time.Sleep(5 * time.Millisecond) // polling, with a deadline
		}
		start := time.Now()
		resp, _ := do(t, "GET", base, "/tr:w-20/b.jpg")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("second = %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("the 503 waited %v instead of answering at once", d)
		}
		wg.Wait()
		if first != 200 {
			t.Errorf("first = %d", first)
		}
	})
	t.Run("transform_timeout bounds the fetch too", func(t *testing.T) {
		proxy := s3srv.RecordingProxy(t)
		proxy.SetDelay(2 * time.Second)
		base := startCaddy(t, site(s3Block("o", proxy.Endpoint(), "bucket limits", "path_style"), "transform_timeout 300ms"))
		start := time.Now()
		resp, _ := do(t, "GET", base, "/tr:w-40/a.jpg")
		if resp.StatusCode != http.StatusGatewayTimeout || !strings.HasPrefix(resp.Header.Get("Ik-Error"), "ETIMEOUT - ") {
			t.Errorf("= %d %q, want 504 ETIMEOUT", resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("answered after %v, not at the 300ms transform_timeout", d)
		}
	})
	t.Run("identical concurrent misses are transformed once", func(t *testing.T) {
		proxy := s3srv.RecordingProxy(t)
		proxy.SetDelay(time.Second) // long enough for all 8 to join, even on a loaded machine
		base := startCaddy(t, site(s3Block("o", proxy.Endpoint(), "bucket limits", "path_style")))
		var wg sync.WaitGroup
		codes := make([]int, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, _ := do(t, "GET", base, "/tr:w-33/a.jpg")
				codes[i] = resp.StatusCode
			}()
		}
		wg.Wait()
		gets := 0
		for _, r := range proxy.Requests() {
			if r.Method == "GET" {
				gets++
			}
		}
		if gets != 1 {
			t.Errorf("8 identical requests made %d GETs at the origin, want 1", gets)
		}
		if fmt.Sprint(codes) != fmt.Sprint([]int{200, 200, 200, 200, 200, 200, 200, 200}) {
			t.Errorf("statuses %v", codes)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func TestRestrictUnnamed(t *testing.T) {
	s3srv.MakeBucket(t, "restricted")
	s3srv.Put(t, "restricted", "a.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket restricted", "path_style"),
		"named thumb w-50,h-50", "restrict_unnamed"))
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/tr:n-thumb/a.jpg", 200},
		{"/a.jpg?tr=n-thumb", 200},
		{"/tr:w-50,h-50/a.jpg", 400},
		{"/tr:n-thumb:w-10/a.jpg", 400},
		{"/a.jpg", 200}, // the original is not a transformation
	} {
		resp, _ := do(t, "GET", base, tt.path)
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s = %d (%s), want %d", tt.path, resp.StatusCode, resp.Header.Get("Ik-Error"), tt.status)
		}
	}
}
