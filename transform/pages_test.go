package transform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// pdfPage is one page of a test PDF: its size in points (pixels at
// pdfload's default 72 dpi) and the colour filling it.
type pdfPage struct {
	w, h    int
	r, g, b int // 0 or 1
}

// threePagePDF writes a PDF by hand: red 100×50, green 60×80, blue 40×40.
// Differing sizes and colours show which page was rasterised.
func threePagePDF(t testing.TB) []byte {
	t.Helper()
	return handPDF([]pdfPage{{100, 50, 1, 0, 0}, {60, 80, 0, 1, 0}, {40, 40, 0, 0, 1}})
}

// handPDF writes a PDF of the given pages, with a correct xref table.
func handPDF(pages []pdfPage) []byte {
	var objs []string
	kids := ""
	for i := range pages {
		kids += fmt.Sprintf("%d 0 R ", 3+2*i)
	}
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, len(pages)))
	for i, p := range pages {
		content := fmt.Sprintf("%d %d %d rg 0 0 %d %d re f", p.r, p.g, p.b, p.w, p.h)
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R /Resources << >> >>", p.w, p.h, 4+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// threeFrameGIF is an 8×8 animation, with the standard library's encoder:
// red, green, blue frames.
func threeFrameGIF(t testing.TB) []byte {
	t.Helper()
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}, color.RGBA{0, 0, 255, 255}}
	var g gif.GIF
	for i := range pal {
		f := image.NewPaletted(image.Rect(0, 0, 8, 8), pal)
		for p := range f.Pix {
			f.Pix[p] = uint8(i)
		}
		g.Image = append(g.Image, f)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	must(t, gif.EncodeAll(&b, &g))
	return b.Bytes()
}

// multiPageTIFF is animation's red, green, blue strip as a 3-page TIFF.
func multiPageTIFF(t testing.TB) []byte {
	t.Helper()
	strip := decode(t, animation(t, WebP, 3, 10, 6)).img // every frame
	b, _, err := strip.ExportTiff(vips.NewTiffExportParams())
	must(t, err)
	return b
}

func TestPages(t *testing.T) {
	Startup()
	pdf, anim := threePagePDF(t), threeFrameGIF(t)
	webp := animation(t, WebP, 3, 10, 6)
	tiff := multiPageTIFF(t)
	for _, tt := range []struct {
		name   string
		src    []byte
		chain  string
		out    Format
		w, h   int
		colour []float64
		frames int
	}{
		{"pdf first page", pdf, "", PNG, 100, 50, red, 1},
		{"pdf pg-1", pdf, "pg-1", PNG, 100, 50, red, 1},
		{"pdf pg-2", pdf, "pg-2", PNG, 60, 80, green, 1},
		{"pdf pg-3", pdf, "pg-3", JPEG, 40, 40, blue, 1},
		{"pdf pg-2 shrunk on load", pdf, "w-30,pg-2", PNG, 30, 40, green, 1},
		{"pdf pg-3 random access", pdf, "w-20,rt-90,pg-3", PNG, 20, 20, blue, 1},
		{"pdf pg-2 turned", pdf, "pg-2,rt-90", PNG, 80, 60, green, 1},
		{"gif animated", anim, "", GIF, 8, 8, red, 3},
		{"gif pg-1 is a still", anim, "pg-1", GIF, 8, 8, red, 1},
		{"gif pg-2", anim, "pg-2", GIF, 8, 8, green, 1},
		{"gif pg-2 as jpeg", anim, "pg-2", JPEG, 8, 8, green, 1},
		{"gif pg-3 shrunk", anim, "w-4,pg-3", PNG, 4, 4, blue, 1},
		{"webp pg-2", webp, "pg-2", WebP, 10, 6, green, 1},
		{"webp pg-3 resized", webp, "w-5:pg-3", PNG, 5, 3, blue, 1},
		{"tiff first page", tiff, "", PNG, 10, 6, red, 1},
		{"tiff pg-3", tiff, "pg-3", PNG, 10, 6, blue, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.chain, "", ParseOptions{})
			must(t, err)
			res, err := NewProcessor(Config{Workers: 1}).Process(context.Background(), tt.src, c, tt.out)
			must(t, err)
			d := decode(t, res.Body)
			if d.pages != tt.frames || d.img.Width() != tt.w || d.img.PageHeight() != tt.h {
				t.Fatalf("%d frame(s) of %d×%d, want %d of %d×%d", d.pages, d.img.Width(), d.img.PageHeight(), tt.frames, tt.w, tt.h)
			}
			pixelNear(t, d.img, tt.w/2, tt.h/2, tt.colour, 40)
		})
	}
}

func TestPageRefusals(t *testing.T) {
	Startup()
	pdf, anim := threePagePDF(t), threeFrameGIF(t)
	png := encodeWith(t, quadrants(t, 8, 8), PNG)
	for _, tt := range []struct {
		name   string
		src    []byte
		chain  string
		limits Limits
		kind   Kind
		param  string
	}{
		{"pdf beyond its pages", pdf, "pg-4", Limits{}, Invalid, "pg"},
		{"gif beyond its frames", anim, "pg-9", Limits{}, Invalid, "pg"},
		{"still image pg-2", png, "pg-2", Limits{}, Invalid, "pg"},
		// The limit applies to the page decoded: page 1 is 100×50, page 2 60×80.
		{"first page over the pixel limit", pdf, "pg-1", Limits{MaxSourcePixels: 60 * 80}, Limit, "max_source_pixels"},
		// Frames beyond the limit do not matter to one frame.
		{"one frame of a long animation", anim, "pg-3", Limits{MaxFrames: 2}, 0, ""},
		{"chosen page under the pixel limit", pdf, "pg-2", Limits{MaxSourcePixels: 60 * 80}, 0, ""},
	} {
		c, err := Parse(tt.chain, "", ParseOptions{})
		must(t, err)
		_, err = NewProcessor(Config{Workers: 1, Limits: tt.limits}).Process(context.Background(), tt.src, c, PNG)
		var e *Error
		switch {
		case tt.kind == 0 && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.kind != 0 && (!errors.As(err, &e) || e.Kind != tt.kind || e.Param != tt.param):
			t.Errorf("%s: %v, want a %v error naming %s", tt.name, err, tt.kind, tt.param)
		}
	}
}

func TestPageParse(t *testing.T) {
	for _, tt := range []struct{ chain, canonical string }{
		{"pg-2,w-10", "w-10:pg-2"},
		{"pg-1", "pg-1"},
		{"w-10:pg-3", "w-10:pg-3"},
	} {
		c, err := Parse(tt.chain, "", ParseOptions{})
		if err != nil || c.Canonical() != tt.canonical {
			t.Errorf("%q = %q, %v; want %q", tt.chain, c.Canonical(), err, tt.canonical)
		}
	}
	for _, bad := range []string{"pg-0", "pg-x", "pg-1.5", "pg-N2", "pg-100001", "l-image,i-a.png,pg-2,l-end"} {
		_, err := Parse(bad, "", ParseOptions{})
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || e.Param != "pg" {
			t.Errorf("%q = %v, want 400 naming pg", bad, err)
		}
	}
}
