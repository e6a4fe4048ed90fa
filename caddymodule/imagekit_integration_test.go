package caddymodule

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

// TestImageKitGrammarEndToEnd proves each group of the ImageKit grammar
// through Caddy and the real S3 server: expressions, conditionals, image
// layers read from the same origin, solid-colour and text layers, and
// effects that change the geometry. Expectations come from ImageKit's
// documented semantics, on generated images whose pixels are known.
func TestImageKitGrammarEndToEnd(t *testing.T) {
	s3srv.MakeBucket(t, "imagekit")
	s3srv.Put(t, "imagekit", "base.png", solidPNG(t, 100, 80, color.NRGBA{0, 0, 255, 255}), "image/png")
	s3srv.Put(t, "imagekit", "overlays/red.png", solidPNG(t, 20, 20, color.NRGBA{255, 0, 0, 255}), "image/png")
	base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket imagekit", "path_style")))

	type pixel struct {
		x, y int
		want color.NRGBA
	}
	blue, red, green := color.NRGBA{0, 0, 255, 255}, color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 255, 0, 255}
	tests := []struct {
		name          string
		path          string
		width, height int
		pixels        []pixel
	}{
		{"expression: half the source width", "/tr:w-iw_div_2,f-png/base.png", 50, 40, nil},
		{"expression: precedence, mul before add", "/tr:w-10_add_iw_mul_0.5,f-png/base.png", 60, 48, nil},
		{"conditional: true branch", "/tr:if-w_gt_50,w-20,if-else,w-10,if-end:f-png/base.png", 20, 16, nil},
		{"conditional: false branch", "/tr:if-iw_lt_50,w-20,if-else,w-10,if-end:f-png/base.png", 10, 8, nil},
		{"image layer from the origin at the top left", "/tr:l-image,i-overlays@@red.png,lx-0,ly-0,l-end:f-png/base.png", 100, 80,
			[]pixel{{5, 5, red}, {50, 50, blue}}},
		// lx-N10: the layer's right edge 10 px in from the parent's right
		// edge, so the 20 px square spans x 70–90 and y 50–70.
		{"image layer placed from the far edges", "/tr:l-image,i-overlays@@red.png,lx-N10,ly-N10,l-end:f-png/base.png", 100, 80,
			[]pixel{{80, 60, red}, {95, 75, blue}, {5, 5, blue}}},
		{"solid colour layer", "/tr:l-image,i-ik_canvas,bg-00FF00,w-10,h-10,lx-40,ly-30,l-end:f-png/base.png", 100, 80,
			[]pixel{{45, 35, green}, {5, 5, blue}}},
		{"rotation by any angle grows the canvas", "/tr:rt-45,f-png/base.png", 128, 128, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", base, tt.path)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d %s", tt.path, resp.StatusCode, resp.Header.Get("Ik-Error"))
			}
			img, err := png.Decode(strings.NewReader(body))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			b := img.Bounds()
			if abs(b.Dx()-tt.width) > 1 || abs(b.Dy()-tt.height) > 1 {
				t.Errorf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.width, tt.height)
			}
			for _, p := range tt.pixels {
				got := color.NRGBAModel.Convert(img.At(p.x, p.y)).(color.NRGBA)
				if !near(got, p.want) {
					t.Errorf("pixel (%d,%d) = %v, want %v", p.x, p.y, got, p.want)
				}
			}
		})
	}

	t.Run("text layer draws its colour", func(t *testing.T) {
		path := "/tr:l-text,i-Hello,fs-40,co-FF0000,lx-0,ly-0,l-end:f-png/base.png"
		resp, body := do(t, "GET", base, path)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
		img, err := png.Decode(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		reds := 0
		for y := 0; y < 80; y++ {
			for x := 0; x < 100; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				if c.R > 200 && c.B < 80 {
					reds++
				}
			}
		}
		if reds < 50 {
			t.Errorf("%d red pixels: the text was not drawn", reds)
		}
	})
	t.Run("a missing layer source is a 400 naming the layer", func(t *testing.T) {
		resp, _ := do(t, "GET", base, "/tr:l-image,i-nowhere.png,l-end/base.png")
		if resp.StatusCode != 400 || !strings.Contains(resp.Header.Get("Ik-Error"), "l-image") {
			t.Errorf("%d %q, want 400 naming l-image", resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
	})
	t.Run("division by zero is a 400 naming the parameter", func(t *testing.T) {
		resp, _ := do(t, "GET", base, "/tr:w-iw_div_0/base.png")
		if resp.StatusCode != 400 || !strings.Contains(resp.Header.Get("Ik-Error"), "w") {
			t.Errorf("%d %q, want 400 naming w", resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
	})
	t.Run("equivalent spellings share one variant", func(t *testing.T) {
		a, _ := do(t, "GET", base, "/tr:w-iw_div_2,f-png/base.png")
		b, _ := do(t, "GET", base, "/base.png?tr=f-png,w-iw_div_2")
		if a.Header.Get("ETag") == "" || a.Header.Get("ETag") != b.Header.Get("ETag") {
			t.Errorf("ETags %q and %q differ", a.Header.Get("ETag"), b.Header.Get("ETag"))
		}
	})
}

func solidPNG(t testing.TB, w, h int, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func near(a, b color.NRGBA) bool {
	d := func(x, y uint8) int { return abs(int(x) - int(y)) }
	return d(a.R, b.R) < 24 && d(a.G, b.G) < 24 && d(a.B, b.B) < 24 && d(a.A, b.A) < 24
}
