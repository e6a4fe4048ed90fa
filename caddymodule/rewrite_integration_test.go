package caddymodule

import (
	"strings"
	"testing"
)

// TestRewriters: Cloudinary and imgix URLs are served as their tr:
// equivalents: the same variant, hence the same ETag.
func TestRewriters(t *testing.T) {
	s3srv.MakeBucket(t, "rewrite")
	s3srv.Put(t, "rewrite", "photos/sunset.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	origin := s3Block("o", s3srv.Endpoint(), "bucket rewrite", "path_style")
	base := startCaddy(t, `
	handle_path /ik/* {
		image_cdn {
			`+origin+`
		}
	}
	handle_path /cl/* {
		image_cdn {
			`+origin+`
			rewrite cloudinary
		}
	}
	handle_path /ix/* {
		image_cdn {
			`+origin+`
			rewrite imgix
		}
	}`)
	tests := []struct{ name, other, ik string }{
		{"cloudinary fill", "/cl/image/upload/w_300,h_200,c_fill/v123/photos/sunset.jpg", "/ik/tr:w-300,h-200/photos/sunset.jpg"},
		{"cloudinary chained", "/cl/image/upload/c_limit,w_100/e_grayscale/photos/sunset.jpg", "/ik/tr:w-100,c-at_max:e-grayscale/photos/sunset.jpg"},
		{"cloudinary format", "/cl/image/upload/w_50,f_png/photos/sunset.jpg", "/ik/tr:w-50,f-png/photos/sunset.jpg"},
		{"imgix crop", "/ix/photos/sunset.jpg?w=300&h=200&fit=crop&auto=format", "/ik/tr:w-300,h-200/photos/sunset.jpg"},
		{"imgix clip", "/ix/photos/sunset.jpg?fit=clip&w=120&fm=webp", "/ik/tr:c-at_max_enlarge,w-120,f-webp/photos/sunset.jpg"},
		{"imgix untransformed", "/ix/photos/sunset.jpg", "/ik/photos/sunset.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r1, b1 := do(t, "GET", base, tt.other, "Accept: image/webp,*/*")
			r2, b2 := do(t, "GET", base, tt.ik, "Accept: image/webp,*/*")
			if r1.StatusCode != 200 || r2.StatusCode != 200 {
				t.Fatalf("%s = %d %s; %s = %d", tt.other, r1.StatusCode, r1.Header.Get("Ik-Error"), tt.ik, r2.StatusCode)
			}
			if e1, e2 := r1.Header.Get("ETag"), r2.Header.Get("ETag"); e1 == "" || e1 != e2 {
				t.Errorf("ETag %s, want %s as for %s", e1, e2, tt.ik)
			}
			if b1 != b2 {
				t.Errorf("bodies differ")
			}
		})
	}
	for _, tt := range []struct{ path, names string }{
		{"/ix/photos/sunset.jpg?w=300&txt=hi", "txt"},
		{"/ix/photos/sunset.jpg?fit=facearea", "fit=facearea"},
		{"/cl/image/upload/w_10,l_text:hi/photos/sunset.jpg", "l_text:hi"},
		{"/cl/photos/sunset.jpg", "not a Cloudinary image URL"},
	} {
		resp, _ := do(t, "GET", base, tt.path)
		if resp.StatusCode != 400 || !strings.Contains(resp.Header.Get("Ik-Error"), tt.names) {
			t.Errorf("%s = %d %q, want 400 naming %s", tt.path, resp.StatusCode, resp.Header.Get("Ik-Error"), tt.names)
		}
	}
}
