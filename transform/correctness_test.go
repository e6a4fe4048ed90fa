package transform

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
)

// TestEXIFOrientation: a 200x100 JPEG tagged orientation 6 (display rotated
// 90° clockwise) must come out 100x200 with red at the top right, whether
// the loader shrinks (thumbnail) or not.
func TestEXIFOrientation(t *testing.T) {
	img := quadrants(t, 200, 100)
	must(t, img.SetOrientation(6))
	src, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 95})
	must(t, err)
	if o := fromBytes(t, src).Orientation(); o != 6 {
		t.Fatalf("fixture orientation %d", o)
	}
	for _, tt := range []struct {
		chain string
		w, h  int
	}{{"f-png", 100, 200}, {"w-50", 50, 100}, {"w-50,rt-180", 50, 100}, {"h-100,w-50,c-force", 50, 100}} {
		res := process(t, src, tt.chain, JPEG)
		d := decode(t, res.Body)
		if d.img.Width() != tt.w || d.img.Height() != tt.h {
			t.Fatalf("%s: size %dx%d, want %dx%d", tt.chain, d.img.Width(), d.img.Height(), tt.w, tt.h)
		}
		if d.img.Orientation() > 1 {
			t.Errorf("%s: output still tagged orientation %d", tt.chain, d.img.Orientation())
		}
		x, y := tt.w-5, 5 // red ends up top right after a clockwise turn
		if tt.chain == "w-50,rt-180" {
			x, y = 5, tt.h-5
		}
		pixelNear(t, d.img, x, y, red, 50)
	}
}

func TestColourConversions(t *testing.T) {
	base := quadrants(t, 64, 64)

	cmyk := fromBytes(t, encodeWith(t, base, PNG))
	must(t, cmyk.ToColorSpace(vips.InterpretationCMYK))
	cmykWithProfile, _, err := cmyk.ExportJpeg(&vips.JpegExportParams{Quality: 95})
	must(t, err)
	must(t, cmyk.RemoveICCProfile())
	cmykBare, _, err := cmyk.ExportJpeg(&vips.JpegExportParams{Quality: 95, StripMetadata: true})
	must(t, err)
	if fromBytes(t, cmykBare).Interpretation() != vips.InterpretationCMYK {
		t.Fatal("fixture is not CMYK")
	}

	rgb16 := fromBytes(t, encodeWith(t, base, PNG))
	must(t, rgb16.ToColorSpace(vips.InterpretationRGB16))
	png16, _, err := rgb16.ExportPng(&vips.PngExportParams{Compression: 1, Bitdepth: 16})
	must(t, err)
	if fromBytes(t, png16).BandFormat() != vips.BandFormatUshort {
		t.Fatal("fixture is not 16-bit")
	}

	grey := fromBytes(t, encodeWith(t, base, PNG))
	must(t, grey.ToColorSpace(vips.InterpretationBW))
	greyJPEG, _, err := grey.ExportJpeg(&vips.JpegExportParams{Quality: 95})
	must(t, err)

	for _, tt := range []struct {
		name   string
		src    []byte
		topLft []float64
	}{
		{"cmyk with profile", cmykWithProfile, red},
		{"cmyk without profile", cmykBare, red},
		{"16-bit png", png16, red},
		{"greyscale jpeg", greyJPEG, []float64{124, 124, 124}},
	} {
		for _, chain := range []string{"f-jpg", "w-32"} {
			for _, f := range []Format{JPEG, WebP, PNG} {
				res := process(t, tt.src, chain, f)
				d := decode(t, res.Body)
				if d.img.Interpretation() != vips.InterpretationSRGB && !(tt.name == "greyscale jpeg" && d.img.Bands() <= 2) {
					t.Errorf("%s %s -> %s: interpretation %v", tt.name, chain, f, d.img.Interpretation())
				}
				if d.img.BandFormat() != vips.BandFormatUchar {
					t.Errorf("%s %s -> %s: band format %v", tt.name, chain, f, d.img.BandFormat())
				}
				pixelNear(t, d.img, 2, 2, tt.topLft, 60)
				pixelNear(t, d.img, d.img.Width()-3, d.img.Height()-3, white, 40)
			}
		}
	}
}

// alphaPNG is a 100x100 PNG, opaque red on the left, fully transparent on
// the right.
func alphaPNG(t testing.TB) []byte {
	t.Helper()
	img := quadrants(t, 100, 100)
	must(t, img.AddAlpha())
	img = fromBytes(t, encodeWith(t, img, PNG))
	must(t, img.DrawRect(vips.ColorRGBA{R: 0, G: 0, B: 0, A: 0}, 50, 0, 50, 100, true))
	return encodeWith(t, img, PNG)
}

func TestAlpha(t *testing.T) {
	src := alphaPNG(t)
	for _, tt := range []struct {
		chain     string
		f         Format
		wantAlpha bool
		check     func(d decoded)
	}{
		{"w-50", WebP, true, func(d decoded) { pixelNear(t, d.img, 40, 5, []float64{0, 0, 0, 0}, 10) }},
		{"w-50", PNG, true, nil},
		{"w-50", AVIF, true, nil},
		{"w-50", JPEG, false, func(d decoded) { pixelNear(t, d.img, 40, 5, white, 20) }}, // flattened on white
		{"w-50,bg-000000", JPEG, false, func(d decoded) { pixelNear(t, d.img, 40, 5, []float64{0, 0, 0}, 20) }},
	} {
		res := process(t, src, tt.chain, tt.f)
		d := decode(t, res.Body)
		if d.img.HasAlpha() != tt.wantAlpha {
			t.Errorf("%s -> %s: alpha %v, want %v", tt.chain, tt.f, d.img.HasAlpha(), tt.wantAlpha)
		}
		pixelNear(t, d.img, 5, 5, red, 40)
		if tt.check != nil {
			tt.check(d)
		}
	}

	// Operations that create transparency on an opaque JPEG.
	jpeg := encodeWith(t, quadrants(t, 100, 100), JPEG)
	for _, tt := range []struct {
		chain      string
		x, y       int
		wantAlphaV float64
	}{
		{"r-30", 1, 1, 0},
		{"r-max", 2, 2, 0},
		{"o-50", 50, 50, 128},
		{"w-100,h-50,cm-pad_resize,bg-00000000", 2, 2, 0},
	} {
		res := process(t, jpeg, tt.chain, PNG)
		d := decode(t, res.Body)
		if !d.img.HasAlpha() {
			t.Fatalf("%s: no alpha", tt.chain)
		}
		px, err := d.img.GetPoint(tt.x, tt.y)
		must(t, err)
		if diff := px[3] - tt.wantAlphaV; diff > 10 || diff < -10 {
			t.Errorf("%s: alpha at %d,%d = %v, want %v", tt.chain, tt.x, tt.y, px[3], tt.wantAlphaV)
		}
		wantRed := []float64{255, 0, 0, 255}
		if tt.chain == "o-50" {
			wantRed[3] = 128
		}
		pixelNear(t, d.img, 40, 15, wantRed, 40)
	}
}

// animation builds a frames×(w×h) strip, one colour per frame.
func animation(t testing.TB, f Format, frames, w, h int) []byte {
	t.Helper()
	colours := [][]float64{red, green, blue, white}
	strip := quadrants(t, w, h*frames)
	strip = fromBytes(t, encodeWith(t, strip, PNG))
	for i := 0; i < frames; i++ {
		c := colours[i%len(colours)]
		must(t, strip.DrawRect(vips.ColorRGBA{R: uint8(c[0]), G: uint8(c[1]), B: uint8(c[2]), A: 255}, 0, i*h, w, h, true))
	}
	must(t, strip.SetPages(frames))
	must(t, strip.SetPageHeight(h))
	delays := make([]int, frames)
	for i := range delays {
		delays[i] = 100
	}
	must(t, strip.SetPageDelay(delays))
	return encodeWith(t, strip, f)
}

func TestAnimation(t *testing.T) {
	for _, srcFormat := range []Format{GIF, WebP} {
		src := animation(t, srcFormat, 4, 80, 60)
		for _, tt := range []struct {
			chain  string
			out    Format
			frames int
			w, h   int
		}{
			{"w-40", GIF, 4, 40, 30},
			{"w-40", WebP, 4, 40, 30},
			{"w-40,h-40", WebP, 4, 40, 40},
			{"w-40,h-40,cm-pad_resize,rt-90", GIF, 4, 40, 40},
			{"w-40", PNG, 1, 40, 30},
			{"w-40", JPEG, 1, 40, 30},
		} {
			res := process(t, src, tt.chain, tt.out)
			d := decode(t, res.Body)
			if d.pages != tt.frames || res.Width != tt.w || res.Height != tt.h || d.img.PageHeight() != tt.h {
				t.Errorf("%s %s -> %s: %d frames %dx%d (page %d), want %d frames %dx%d",
					srcFormat, tt.chain, tt.out, d.pages, res.Width, res.Height, d.img.PageHeight(), tt.frames, tt.w, tt.h)
				continue
			}
			// Frame 2 is blue; its centre must stay blue.
			if tt.frames > 1 {
				pixelNear(t, d.img, tt.w/2, 2*tt.h+tt.h/2, blue, 60)
			}
		}
	}
}

func TestMetadata(t *testing.T) {
	img := quadrants(t, 64, 64)
	must(t, img.TransformICCProfile(vips.SRGBIEC6196621ICCProfilePath)) // embeds a profile
	img.SetString("exif-ifd0-Artist", "someone")
	src, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 90})
	must(t, err)
	artist := func(img *vips.ImageRef) bool { return img.GetString("exif-ifd0-Artist") != "" }
	if fixture := fromBytes(t, src); !artist(fixture) || !fixture.HasICCProfile() {
		t.Fatal("fixture lacks EXIF or profile")
	}
	for _, tt := range []struct {
		chain     string
		exif, icc bool
	}{
		{"w-32", false, false},
		{"w-32,md-true", true, true},
		{"w-32,cp-true", false, true},
	} {
		for _, f := range []Format{JPEG, WebP, PNG, AVIF, JXL} {
			d := decode(t, process(t, src, tt.chain, f).Body)
			if artist(d.img) != tt.exif && !(f == JXL && tt.exif) { // libvips 8.14 writes no EXIF to JPEG XL
				t.Errorf("%s -> %s: EXIF kept = %v, want %v", tt.chain, f, artist(d.img), tt.exif)
			}
			// Stripped means no EXIF block at all, not even the one
			// libvips' savers make up (orientation, resolution). AVIF with
			// cp-true keeps that made-up block (no camera data): the HEIF
			// saver writes it whenever it keeps the profile.
			if !tt.exif && d.img.HasExif() && !(f == AVIF && tt.icc) {
				t.Errorf("%s -> %s: has an EXIF block %v", tt.chain, f, d.img.GetExif())
			}
			// JPEG XL always signals its colour space, which libjxl reports as a profile.
			if d.img.HasICCProfile() != tt.icc && !(f == JXL && !tt.icc) {
				t.Errorf("%s -> %s: profile kept = %v, want %v", tt.chain, f, d.img.HasICCProfile(), tt.icc)
			}
		}
	}
}

func TestQualityAndProgressive(t *testing.T) {
	src := encodeWith(t, quadrants(t, 300, 300), PNG)
	blurry := process(t, src, "bl-3,q-95", JPEG)
	small := process(t, src, "bl-3,q-10", JPEG)
	if len(small.Body) >= len(blurry.Body) {
		t.Errorf("q-10 (%d bytes) not smaller than q-95 (%d bytes)", len(small.Body), len(blurry.Body))
	}
	prog := process(t, src, "pr-true", JPEG)
	if fromBytes(t, prog.Body).GetInt("interlaced") != 1 {
		t.Error("pr-true JPEG is not progressive")
	}
	lossless := decode(t, process(t, src, "lo-true", WebP).Body)
	pixelNear(t, lossless.img, 10, 10, red, 0)
}

func TestSVGRasterised(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><rect width="50" height="50" fill="#f00"/><rect x="50" width="50" height="50" fill="#00f"/></svg>`)
	for _, chain := range []string{"w-400", "f-png"} {
		res := process(t, svg, chain, PNG)
		d := decode(t, res.Body)
		want := map[string]int{"w-400": 400, "f-png": 100}[chain]
		if d.img.Width() != want || d.img.Height() != want/2 {
			t.Fatalf("%s: %dx%d", chain, d.img.Width(), d.img.Height())
		}
		pixelNear(t, d.img, 5, 5, red, 10)
		pixelNear(t, d.img, want-5, 5, blue, 10)
	}
}

// minimalPDF is a one-page PDF, 100×50 points, filled red.
func minimalPDF() []byte { return handPDF([]pdfPage{{100, 50, 1, 0, 0}}) }

func TestPDFRasterised(t *testing.T) {
	Startup()
	res := process(t, minimalPDF(), "w-200", PNG)
	d := decode(t, res.Body)
	if d.img.Width() != 200 || d.img.Height() != 100 {
		t.Fatalf("%dx%d, want 200x100", d.img.Width(), d.img.Height())
	}
	pixelNear(t, d.img, 100, 50, red, 10)
}

func TestLimitsAndErrors(t *testing.T) {
	big := encodeWith(t, quadrants(t, 400, 300), JPEG)
	ctx := context.Background()
	chain := func(s string) *Chain {
		c, err := Parse(s, "", ParseOptions{})
		must(t, err)
		return c
	}
	tests := []struct {
		name   string
		limits Limits
		src    []byte
		chain  string
		f      Format
		kind   Kind
	}{
		{"bytes", Limits{MaxSourceBytes: 100}, big, "w-10", JPEG, Limit},
		{"pixels", Limits{MaxSourcePixels: 400*300 - 1}, big, "w-10", JPEG, Limit},
		{"output dimension", Limits{MaxOutputDimension: 500}, big, "w-501", JPEG, Limit},
		{"output dimension after border", Limits{MaxOutputDimension: 405}, big, "b-5_red", JPEG, Limit},
		{"frames", Limits{MaxFrames: 3}, animation(t, GIF, 4, 20, 20), "w-10", GIF, Limit},
		{"frames times pixels", Limits{MaxSourcePixels: 20 * 20 * 3}, animation(t, GIF, 4, 20, 20), "w-10", WebP, Limit},
		{"not an image", Limits{}, []byte("body { color: red }"), "w-10", JPEG, Unsupported},
		{"empty", Limits{}, []byte{}, "w-10", JPEG, Unsupported},
		{"truncated header", Limits{}, big[:20], "w-10", JPEG, Corrupt},
	}
	for _, tt := range tests {
		p := NewProcessor(Config{Workers: 1, Limits: tt.limits})
		_, err := p.Process(ctx, tt.src, chain(tt.chain), tt.f)
		var e *Error
		if !errors.As(err, &e) || e.Kind != tt.kind {
			t.Errorf("%s: %v, want kind %v", tt.name, err, tt.kind)
		}
	}
	// Frames over the limit do not matter when the output is a still.
	p := NewProcessor(Config{Workers: 1, Limits: Limits{MaxFrames: 3}})
	if _, err := p.Process(ctx, animation(t, GIF, 4, 20, 20), chain("w-10"), PNG); err != nil {
		t.Errorf("still from a long animation: %v", err)
	}
}

func TestOverload(t *testing.T) {
	p := NewProcessor(Config{Workers: 1, QueueLength: 1})
	// Occupy the worker and the queue slot directly: deterministic, no
	// timing on real transforms.
	p.running <- struct{}{}
	p.admit <- struct{}{}
	p.admit <- struct{}{}
	c, _ := Parse("w-10", "", ParseOptions{})
	src := encodeWith(t, quadrants(t, 20, 20), PNG)
	if _, err := p.Process(context.Background(), src, c, PNG); !IsKind(err, Overloaded) {
		t.Fatalf("full queue: %v, want Overloaded", err)
	}
	// One queue slot free: the request waits and honours cancellation.
	<-p.admit
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.Process(ctx, src, c, PNG); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued request: %v, want deadline exceeded", err)
	}
	// Worker free again: it runs.
	<-p.running
	if _, err := p.Process(context.Background(), src, c, PNG); err != nil {
		t.Fatalf("after release: %v", err)
	}
	<-p.admit

	// Reserving before the fetch refuses early and gives places back.
	p = NewProcessor(Config{Workers: 1, QueueLength: 1})
	s1, err1 := p.Reserve()
	s2, err2 := p.Reserve()
	if err1 != nil || err2 != nil {
		t.Fatalf("two places: %v %v", err1, err2)
	}
	if _, err := p.Reserve(); !IsKind(err, Overloaded) {
		t.Fatalf("third place: %v, want Overloaded", err)
	}
	s1.Release()
	s1.Release() // idempotent
	if _, err := s2.Process(context.Background(), src, c, PNG); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Process(context.Background(), src, c, PNG); err == nil {
		t.Fatal("a slot processed twice")
	}
	if len(p.admit) != 0 || len(p.running) != 0 {
		t.Fatalf("places leaked: %d admitted, %d running", len(p.admit), len(p.running))
	}
}

// pngBomb is a valid PNG header claiming width×height pixels followed by a
// one-pixel body: decoding it would need gigabytes, reading its header
// costs nothing.
func pngBomb(t testing.TB, width, height uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	must(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))))
	b := buf.Bytes()
	// IHDR data starts at byte 16: width, height (big-endian), then its CRC
	// after the 13 data bytes.
	binary.BigEndian.PutUint32(b[16:], width)
	binary.BigEndian.PutUint32(b[20:], height)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestDecompressionBombRefusedFromHeader(t *testing.T) {
	Startup()
	bomb := pngBomb(t, 50000, 50000)
	c, _ := Parse("w-100", "", ParseOptions{})
	start := time.Now()
	_, err := NewProcessor(Config{Workers: 1}).Process(context.Background(), bomb, c, PNG)
	if !IsKind(err, Limit) {
		t.Fatalf("2.5 GP PNG: %v, want Limit", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing took %v: the header check decoded pixels", d)
	}
}

// TestShrinkOnLoadPaths runs a JPEG through each loader choice: thumbnail,
// thumbnail with attention crop, and random access with DCT shrink.
func TestShrinkOnLoadPaths(t *testing.T) {
	src := encodeWith(t, quadrants(t, 1600, 800), JPEG)
	for _, tt := range []struct {
		chain string
		w, h  int
		x, y  int // where red must be
	}{
		{"w-100", 100, 50, 5, 5},
		{"w-0.25", 400, 200, 5, 5},
		{"w-100,h-100,fo-auto", 100, 100, -1, -1},
		{"w-100,rt-90", 50, 100, 45, 5},
		{"w-0.25,fl-v", 400, 200, 5, 195},
		{"w-100:w-50,h-50,fo-auto", 50, 50, -1, -1},
		{"t-true,w-100", 100, 50, 5, 5},
	} {
		res := process(t, src, tt.chain, JPEG)
		d := decode(t, res.Body)
		if d.img.Width() != tt.w || d.img.Height() != tt.h {
			t.Errorf("%s: %dx%d, want %dx%d", tt.chain, d.img.Width(), d.img.Height(), tt.w, tt.h)
			continue
		}
		if tt.x >= 0 {
			pixelNear(t, d.img, tt.x, tt.y, red, 50)
		}
	}
}

func TestConcurrentProcess(t *testing.T) {
	p := NewProcessor(Config{Workers: 2, QueueLength: 16})
	src := encodeWith(t, quadrants(t, 200, 100), JPEG)
	c, _ := Parse("w-50,h-50", "", ParseOptions{})
	errs := make(chan error, 12)
	for i := 0; i < cap(errs); i++ {
		go func() {
			res, err := p.Process(context.Background(), src, c, WebP)
			if err == nil && (res.Width != 50 || res.Height != 50) {
				err = errors.New("wrong size")
			}
			errs <- err
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
