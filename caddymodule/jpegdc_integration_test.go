package caddymodule

import (
	"bytes"
	"context"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/image-cdn/image_cdn/transform"
)

// TestJPEGShrunkByEight: a 1600 px JPEG asked for at 200 px is decoded at
// 1/8 from its DC coefficients (transform/jpegdc.go; the transform
// package's tests show that this source takes that path). Through the S3
// server and Caddy the answer is the transform package's own, and shows
// what libvips' own thumbnail of the photo shows, for the sample photo as
// committed (4:2:0) and re-encoded 4:4:4 and progressive.
func TestJPEGShrunkByEight(t *testing.T) {
	transform.Startup()
	src420 := sample(t, "photos/sunset.jpg")
	img, err := vips.NewImageFromBuffer(src420)
	if err != nil {
		t.Fatal(err)
	}
	src444, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 90, SubsampleMode: vips.VipsForeignSubsampleOff, StripMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	progressive, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 85, Interlace: true, StripMetadata: true})
	img.Close()
	if err != nil {
		t.Fatal(err)
	}
	s3srv.MakeBucket(t, "eighth")
	sources := map[string][]byte{"420.jpg": src420, "444.jpg": src444, "progressive.jpg": progressive}
	for name, b := range sources {
		s3srv.Put(t, "eighth", name, b, "image/jpeg")
	}
	base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket eighth", "path_style")))
	chain, err := transform.Parse("w-200,f-png", "", transform.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range sources {
		resp, body := do(t, "GET", base, "/tr:w-200,f-png/"+name)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", name, resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
		own, err := transform.NewProcessor(transform.Config{Workers: 1}).Process(context.Background(), src, chain, transform.PNG)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal([]byte(body), own.Body) {
			t.Errorf("%s: the answer is not the transform package's", name)
		}
		ref, err := vips.NewThumbnailFromBuffer(src, 200, 1000, vips.InterestingNone)
		if err != nil {
			t.Fatal(err)
		}
		got, err := vips.NewImageFromBuffer([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if d := meanDifference(t, got, ref); d > 1.5 {
			t.Errorf("%s: mean difference from libvips' thumbnail %.2f/255", name, d)
		}
		got.Close()
		ref.Close()
	}
}

// meanDifference is the mean absolute difference of two images' samples,
// which must have the same size and bands.
func meanDifference(t *testing.T, a, b *vips.ImageRef) float64 {
	t.Helper()
	pa, err := a.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if a.Width() != b.Width() || a.Height() != b.Height() || len(pa) != len(pb) {
		t.Fatalf("%dx%d (%d bytes) against %dx%d (%d bytes)", a.Width(), a.Height(), len(pa), b.Width(), b.Height(), len(pb))
	}
	sum := 0
	for i := range pa {
		sum += max(int(pa[i])-int(pb[i]), int(pb[i])-int(pa[i]))
	}
	return float64(sum) / float64(len(pa))
}
