package transform

import "testing"

const (
	chromeAccept  = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	safari14      = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"
	oldBrowser    = "image/png,image/*;q=0.8,*/*;q=0.5"
	refusesWebP   = "image/webp;q=0,image/*"
	firefoxAccept = "image/avif,image/webp,*/*"
)

func TestOutputFormat(t *testing.T) {
	tests := []struct {
		name       string
		chain      string
		source     string
		accept     string
		avif       bool
		want       Format
		negotiated bool
	}{
		{"avif enabled and accepted", "w-100", "image/jpeg", chromeAccept, true, AVIF, true},
		{"avif accepted but disabled", "w-100", "image/jpeg", chromeAccept, false, WebP, true},
		{"webp accepted", "w-100", "image/jpeg", safari14, true, WebP, true},
		{"neither: jpeg stays jpeg", "w-100", "image/jpeg", oldBrowser, true, JPEG, true},
		{"neither: png stays png", "w-100", "image/png", oldBrowser, true, PNG, true},
		{"neither: gif stays gif", "w-100", "image/gif", oldBrowser, true, GIF, true},
		{"neither: webp source becomes png", "w-100", "image/webp", oldBrowser, true, PNG, true},
		{"neither: svg rasterised to png", "w-100", "image/svg+xml", "", true, PNG, true},
		{"webp refused with q=0", "w-100", "image/jpeg", refusesWebP, false, JPEG, true},
		{"empty accept", "w-100", "image/jpeg", "", true, JPEG, true},
		{"gif never negotiated to avif", "w-100", "image/gif", firefoxAccept, true, WebP, true},
		{"no f is the same as f-auto", "f-auto", "image/jpeg", safari14, false, WebP, true},
		{"jpeg with rounded corners becomes png", "r-20", "image/jpeg", oldBrowser, false, PNG, true},
		{"jpeg with opacity becomes png", "o-50", "image/jpeg", oldBrowser, false, PNG, true},
		{"jpeg padded with translucent bg becomes png", "w-10,h-10,cm-pad_resize,bg-00000000", "image/jpeg", oldBrowser, false, PNG, true},
		{"transparent ops still take webp", "r-20", "image/jpeg", safari14, false, WebP, true},
		{"explicit f-png", "f-png", "image/jpeg", chromeAccept, true, PNG, false},
		{"explicit f-jpg", "f-jpg", "image/png", chromeAccept, true, JPEG, false},
		{"explicit f-webp", "f-webp", "image/jpeg", oldBrowser, false, WebP, false},
		{"explicit f-avif", "f-avif", "image/jpeg", oldBrowser, true, AVIF, false},
		{"explicit f-gif", "f-gif", "image/png", "", false, GIF, false},
		{"explicit f-jxl", "f-jxl", "image/png", "", false, JXL, false},
		{"f-orig on webp", "f-orig", "image/webp", oldBrowser, true, WebP, false},
		{"f-orig on jpeg", "f-orig", "image/jpeg", chromeAccept, true, JPEG, false},
		{"f-orig on svg", "f-orig", "image/svg+xml", chromeAccept, true, PNG, false},
		{"content type with parameters", "w-1", "image/jpeg; charset=binary", "", false, JPEG, true},
		{"nil chain negotiates", "", "image/png", safari14, false, WebP, true},
	}
	for _, tt := range tests {
		c, err := Parse(tt.chain, "", ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, neg, err := c.OutputFormat(tt.source, tt.accept, tt.avif)
		if err != nil || got != tt.want || neg != tt.negotiated {
			t.Errorf("%s: got %q negotiated=%v err=%v, want %q negotiated=%v", tt.name, got, neg, err, tt.want, tt.negotiated)
		}
	}
}

func TestOutputFormatExplicitAndErrors(t *testing.T) {
	c, _ := Parse("f-avif", "", ParseOptions{})
	if f, neg, err := c.OutputFormat("image/jpeg", "image/webp,*/*", false); err != nil || f != AVIF || neg {
		t.Errorf("explicit f-avif with negotiation of AVIF off = %q %v %v, want avif, not negotiated", f, neg, err)
	}
	c, _ = Parse("w-10", "", ParseOptions{})
	for _, typ := range []string{"text/css", "application/javascript", "video/mp4", "", "application/octet-stream"} {
		if _, _, err := c.OutputFormat(typ, chromeAccept, true); !IsKind(err, Unsupported) {
			t.Errorf("OutputFormat(%q) = %v, want Unsupported", typ, err)
		}
	}
}

func TestSourceType(t *testing.T) {
	tests := []struct{ ct, name, want string }{
		{"image/png", "a.jpg", "image/png"},
		{"IMAGE/JPEG; foo=bar", "", "image/jpeg"},
		{"application/octet-stream", "dir/a.JPG", "image/jpeg"},
		{"binary/octet-stream", "a.webp", "image/webp"},
		{"", "a.svg", "image/svg+xml"},
		{"", "a.txt", ""},
		{"text/plain", "a.png", "text/plain"},
	}
	for _, tt := range tests {
		if got := SourceType(tt.ct, tt.name); got != tt.want {
			t.Errorf("SourceType(%q, %q) = %q, want %q", tt.ct, tt.name, got, tt.want)
		}
	}
	for ct, want := range map[string]bool{"image/jpeg": true, "image/svg+xml": true, "application/pdf": true, "text/html": false, "video/mp4": false} {
		if IsImageType(ct) != want {
			t.Errorf("IsImageType(%q) = %v", ct, !want)
		}
	}
}

func TestFormatNames(t *testing.T) {
	for f, want := range map[Format][2]string{
		JPEG: {"image/jpeg", ".jpg"}, PNG: {"image/png", ".png"}, WebP: {"image/webp", ".webp"},
		AVIF: {"image/avif", ".avif"}, GIF: {"image/gif", ".gif"}, JXL: {"image/jxl", ".jxl"},
	} {
		if f.ContentType() != want[0] || f.Ext() != want[1] {
			t.Errorf("%s: %s %s", f, f.ContentType(), f.Ext())
		}
	}
}
