package caddymodule

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	_ "image/jpeg" // centreColour decodes thumbnails
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/image-cdn/image_cdn/internal/testenv"
)

// frameColours are animatedGIF's frames, in order.
var frameColours = []color.NRGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}}

// animatedGIF is a 3-frame 40×30 animation: red, green, blue.
func animatedGIF(t *testing.T) []byte {
	t.Helper()
	pal := color.Palette{frameColours[0], frameColours[1], frameColours[2]}
	var g gif.GIF
	for i := range pal {
		f := image.NewPaletted(image.Rect(0, 0, 40, 30), pal)
		for p := range f.Pix {
			f.Pix[p] = uint8(i)
		}
		g.Image, g.Delay = append(g.Image, f), append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, &g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// centreColour is the colour in the middle of a JPEG or GIF body.
func centreColour(t *testing.T, body string) color.NRGBA {
	t.Helper()
	img, _, err := image.Decode(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	return color.NRGBAModel.Convert(img.At(r.Dx()/2, r.Dy()/2)).(color.NRGBA)
}

func TestThumbnails(t *testing.T) {
	s3srv.MakeBucket(t, "thumbs")
	s3srv.Put(t, "thumbs", "anim.gif", animatedGIF(t), "image/gif")
	s3srv.Put(t, "thumbs", "photo.png", sample(t, "logo.png"), "image/png")
	s3srv.Put(t, "thumbs", "clip.mp4", []byte("not really a video"), "video/mp4")
	pdf, err := os.ReadFile("testdata/pages.pdf") // pages: red 100×50, green 60×80, blue 40×40
	if err != nil {
		t.Fatal(err)
	}
	s3srv.Put(t, "thumbs", "doc.pdf", pdf, "application/pdf")
	proxy := s3srv.RecordingProxy(t)
	base := startCaddy(t, site(s3Block("o", proxy.Endpoint(), "bucket thumbs", "path_style")))

	for _, tt := range []struct {
		path          string
		width, height int
		colour        color.NRGBA
	}{
		{"/anim.gif/ik-thumbnail.jpg", 40, 30, frameColours[0]},
		{"/tr:w-20/anim.gif/ik-thumbnail.jpg", 20, 15, frameColours[0]},
		{"/anim.gif/ik-thumbnail.jpg?tr=w-20,pg-1", 20, 15, frameColours[0]},
		{"/anim.gif/ik-thumbnail.jpg?tr=pg-2", 40, 30, frameColours[1]},
		{"/tr:pg-3,w-20/anim.gif/ik-thumbnail.jpg", 20, 15, frameColours[2]},
		{"/doc.pdf/ik-thumbnail.jpg", 100, 50, frameColours[0]},
		{"/doc.pdf/ik-thumbnail.jpg?tr=pg-2", 60, 80, frameColours[1]},
		{"/tr:w-20/doc.pdf/ik-thumbnail.jpg?tr=pg-3", 20, 20, frameColours[2]},
	} {
		resp, body := do(t, "GET", base, tt.path, "Accept: image/webp,*/*")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("%s = %d %q %s", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Ik-Error"))
			continue
		}
		d := decode(t, body)
		if d.format != "jpeg" || d.width != tt.width || d.height != tt.height {
			t.Errorf("%s = %+v, want a %d×%d JPEG", tt.path, d, tt.width, tt.height)
		}
		if px := centreColour(t, body); !near(px, tt.colour) {
			t.Errorf("%s: centre %v, want %v", tt.path, px, tt.colour)
		}
	}
	if resp, body := do(t, "GET", base, "/photo.png/ik-thumbnail.jpg?tr=w-10"); resp.StatusCode != 200 || decode(t, body).width != 10 {
		t.Errorf("png thumbnail = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}

	// pg- works in plain URLs too: a GIF frame keeps its format as a still.
	resp, body := do(t, "GET", base, "/tr:pg-2/anim.gif")
	if d := decode(t, body); resp.StatusCode != 200 || d.format != "gif" || !near(centreColour(t, body), frameColours[1]) {
		t.Errorf("/tr:pg-2/anim.gif = %d %+v %s", resp.StatusCode, d, resp.Header.Get("Ik-Error"))
	}
	// pg is in the canonical variant: spellings share it, pages do not.
	a, _ := do(t, "GET", base, "/doc.pdf?tr=pg-2,w-30")
	b, _ := do(t, "GET", base, "/tr:w-30,pg-2/doc.pdf")
	c, _ := do(t, "GET", base, "/tr:w-30,pg-3/doc.pdf")
	if a.Header.Get("ETag") == "" || a.Header.Get("ETag") != b.Header.Get("ETag") || a.Header.Get("ETag") == c.Header.Get("ETag") {
		t.Errorf("ETags pg-2 %q, %q; pg-3 %q", a.Header.Get("ETag"), b.Header.Get("ETag"), c.Header.Get("ETag"))
	}
	// A PDF without a chain is a file, streamed untouched; with one, an image.
	if resp, body := do(t, "GET", base, "/doc.pdf"); resp.StatusCode != 200 || body != string(pdf) {
		t.Errorf("/doc.pdf = %d %q, want the PDF untouched", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, body = do(t, "GET", base, "/tr:pg-2/doc.pdf")
	if d := decode(t, body); resp.StatusCode != 200 || d.width != 60 || d.height != 80 {
		t.Errorf("/tr:pg-2/doc.pdf = %d %+v %s", resp.StatusCode, d, resp.Header.Get("Ik-Error"))
	}
	for _, tt := range []string{"/anim.gif/ik-thumbnail.jpg?tr=pg-9", "/doc.pdf/ik-thumbnail.jpg?tr=pg-4", "/tr:pg-9/anim.gif", "/photo.png?tr=pg-2"} {
		resp, _ := do(t, "GET", base, tt)
		if resp.StatusCode != 400 || !strings.Contains(resp.Header.Get("Ik-Error"), "pg") {
			t.Errorf("%s = %d %q, want 400 naming pg", tt, resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
	}

	proxy.Reset()
	refusals := []struct{ path, msg string }{{"/clip.mp4/ik-thumbnail.jpg?tr=pg-2", "pg-2"}}
	if !ffmpegInstalled() {
		refusals[0].msg = "need ffmpeg"
	}
	for _, tt := range refusals {
		resp, _ := do(t, "GET", base, tt.path)
		if resp.StatusCode != 501 || !strings.Contains(resp.Header.Get("Ik-Error"), tt.msg) {
			t.Errorf("%s = %d %q, want 501 naming %q", tt.path, resp.StatusCode, resp.Header.Get("Ik-Error"), tt.msg)
		}
	}
	if n := len(proxy.Requests()); n != 0 {
		t.Errorf("refused thumbnails fetched %d objects", n)
	}
}

// TestVideoThumbnails runs only where ffmpeg is installed: it makes a
// small MP4 whose index sits at the end (so a frame needs ranged reads),
// and asks for its thumbnail through S3.
func TestVideoThumbnails(t *testing.T) {
	testenv.Program(t, "ffmpeg")
	video := filepath.Join(t.TempDir(), "v.mp4")
	cmd := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=red:s=64x48:d=2",
		"-f", "lavfi", "-i", "anullsrc", "-shortest", "-c:v", "mpeg4", "-c:a", "aac", video)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("making the video: %v %s", err, out)
	}
	body, err := os.ReadFile(video)
	if err != nil {
		t.Fatal(err)
	}
	s3srv.MakeBucket(t, "videos")
	s3srv.Put(t, "videos", "clip.mp4", body, "video/mp4")
	s3srv.Put(t, "videos", "fake.mp4", []byte("not really a video"), "video/mp4")
	proxy := s3srv.RecordingProxy(t)
	base := startCaddy(t, site(s3Block("o", proxy.Endpoint(), "bucket videos", "path_style")))

	resp, out := do(t, "GET", base, "/tr:w-32/clip.mp4/ik-thumbnail.jpg")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}
	if d := decode(t, out); d.format != "jpeg" || d.width != 32 || d.height != 24 {
		t.Errorf("thumbnail = %+v, want a 32×24 JPEG", d)
	}
	ranged := 0
	for _, r := range proxy.Requests() {
		if r.Range != "" {
			ranged++
		}
	}
	if ranged == 0 {
		t.Errorf("the video was not read by range: %+v", proxy.Requests())
	}
	if resp, _ := do(t, "GET", base, "/fake.mp4/ik-thumbnail.jpg"); resp.StatusCode != 422 {
		t.Errorf("not a video = %d, want 422", resp.StatusCode)
	}
	// A playlist named .mp4 must not make ffmpeg fetch what it lists.
	lure := newRemoteSite(t, map[string][]byte{"/x.ts": body})
	s3srv.Put(t, "videos", "playlist.mp4", []byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n"+lure.URL+"/x.ts\n#EXT-X-ENDLIST\n"), "video/mp4")
	if resp, _ := do(t, "GET", base, "/playlist.mp4/ik-thumbnail.jpg"); resp.StatusCode != 422 || len(lure.requests()) != 0 {
		t.Errorf("playlist = %d, and it fetched %d URLs", resp.StatusCode, len(lure.requests()))
	}
	if resp, _ := do(t, "GET", base, "/missing.mp4/ik-thumbnail.jpg"); resp.StatusCode != 404 {
		t.Errorf("missing video = %d, want 404", resp.StatusCode)
	}
}

// TestS3RangeFromZero: "bytes=0-" (what players send first) is the whole
// object, not its first byte.
func TestS3RangeFromZero(t *testing.T) {
	s3srv.MakeBucket(t, "range-zero")
	s3srv.Put(t, "range-zero", "v.bin", []byte("0123456789"), "application/octet-stream")
	base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket range-zero", "path_style")))
	resp, body := do(t, "GET", base, "/v.bin", "Range: bytes=0-")
	if resp.StatusCode != 206 || body != "0123456789" || resp.Header.Get("Content-Range") != "bytes 0-9/10" {
		t.Errorf("bytes=0- = %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}
}
