package caddymodule

import (
	"strings"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/image-cdn/image_cdn/transform"
)

// animatedGIF is a 3-frame 40×30 animation.
func animatedGIF(t *testing.T) []byte {
	t.Helper()
	transform.Startup()
	img, err := vips.Black(40, 90)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.SetPages(3); err != nil {
		t.Fatal(err)
	}
	if err := img.SetPageHeight(30); err != nil {
		t.Fatal(err)
	}
	b, _, err := img.ExportGIF(vips.NewGifExportParams())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestThumbnails(t *testing.T) {
	s3srv.MakeBucket(t, "thumbs")
	s3srv.Put(t, "thumbs", "anim.gif", animatedGIF(t), "image/gif")
	s3srv.Put(t, "thumbs", "photo.png", sample(t, "logo.png"), "image/png")
	s3srv.Put(t, "thumbs", "clip.mp4", []byte("not really a video"), "video/mp4")
	s3srv.Put(t, "thumbs", "doc.pdf", []byte("%PDF-1.4"), "application/pdf")
	proxy := s3srv.RecordingProxy(t)
	base := startCaddy(t, site(s3Block("o", proxy.Endpoint(), "bucket thumbs", "path_style")))

	for _, tt := range []struct {
		path          string
		width, height int
	}{
		{"/anim.gif/ik-thumbnail.jpg", 40, 30},
		{"/tr:w-20/anim.gif/ik-thumbnail.jpg", 20, 15},
		{"/anim.gif/ik-thumbnail.jpg?tr=w-20,pg-1", 20, 15},
		{"/photo.png/ik-thumbnail.jpg?tr=w-10", 10, 0},
	} {
		resp, body := do(t, "GET", base, tt.path, "Accept: image/webp,*/*")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("%s = %d %q %s", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Ik-Error"))
			continue
		}
		d := decode(t, body)
		if d.format != "jpeg" || d.width != tt.width || tt.height != 0 && d.height != tt.height {
			t.Errorf("%s = %+v, want a %d×%d JPEG", tt.path, d, tt.width, tt.height)
		}
	}
	proxy.Reset()
	for _, tt := range []struct{ path, msg string }{
		{"/clip.mp4/ik-thumbnail.jpg", "video thumbnails"},
		{"/doc.pdf/ik-thumbnail.jpg", "PDF thumbnails"},
		{"/anim.gif/ik-thumbnail.jpg?tr=pg-2", "pg-2"},
	} {
		resp, _ := do(t, "GET", base, tt.path)
		if resp.StatusCode != 501 || !strings.Contains(resp.Header.Get("Ik-Error"), tt.msg) {
			t.Errorf("%s = %d %q, want 501 naming %q", tt.path, resp.StatusCode, resp.Header.Get("Ik-Error"), tt.msg)
		}
	}
	if n := len(proxy.Requests()); n != 0 {
		t.Errorf("refused thumbnails fetched %d objects", n)
	}
}
