package caddymodule

import (
	"strings"
	"testing"
)

func TestClientHints(t *testing.T) {
	s3srv.MakeBucket(t, "hints")
	s3srv.Put(t, "hints", "sunset.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket hints", "path_style"), "memory_cache 16MiB"))
	_, orig := do(t, "GET", base, "/sunset.jpg")
	origWidth := decode(t, orig).width

	tests := []struct {
		path    string
		headers []string
		width   int
		same    string // the explicit URL with the same variant
		vary    string
		dpr     string
	}{
		{"/tr:w-auto/sunset.jpg", []string{"Sec-CH-Width: 250"}, 300, "/tr:w-300/sunset.jpg", "Sec-CH-Width", ""},
		{"/tr:w-auto/sunset.jpg", []string{"Width: 120"}, 200, "/tr:w-200/sunset.jpg", "Width", ""},
		{"/sunset.jpg?tr=w-100,dpr-auto", []string{"Sec-CH-DPR: 2"}, 200, "/tr:w-100,dpr-2/sunset.jpg", "Sec-CH-DPR", "2"},
		{"/tr:w-auto,h-50/sunset.jpg", nil, 0, "/tr:h-50/sunset.jpg", "Sec-CH-Width", ""},
	}
	for _, tt := range tests {
		resp, body := do(t, "GET", base, tt.path, append(tt.headers, "Accept: image/jpeg")...)
		if resp.StatusCode != 200 {
			t.Fatalf("%s = %d %s", tt.path, resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
		if tt.width != 0 && decode(t, body).width != tt.width {
			t.Errorf("%s %q: width %d, want %d", tt.path, tt.headers, decode(t, body).width, tt.width)
		}
		if tt.width == 0 && decode(t, body).width == origWidth {
			t.Errorf("%s: h-50 not applied", tt.path)
		}
		vary := strings.Join(resp.Header.Values("Vary"), ", ")
		if !strings.Contains(vary, tt.vary) || strings.Contains(vary, "DPR") != strings.Contains(tt.vary, "DPR") {
			t.Errorf("%s %q: Vary %q, want %q", tt.path, tt.headers, vary, tt.vary)
		}
		if resp.Header.Get("Accept-CH") == "" || resp.Header.Get("Content-DPR") != tt.dpr {
			t.Errorf("%s: Accept-CH %q Content-DPR %q", tt.path, resp.Header.Get("Accept-CH"), resp.Header.Get("Content-DPR"))
		}
		same, _ := do(t, "GET", base, tt.same, "Accept: image/jpeg")
		if same.Header.Get("ETag") != resp.Header.Get("ETag") {
			t.Errorf("%s: ETag %s, %s has %s", tt.path, resp.Header.Get("ETag"), tt.same, same.Header.Get("ETag"))
		}
		if same.Header.Get("Accept-CH") != "" {
			t.Errorf("%s advertises Accept-CH without asking for hints", tt.same)
		}
	}
}
