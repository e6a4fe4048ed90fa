package transform

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
)

func TestImageRefLayout(t *testing.T) {
	Startup()
	if layoutErr != nil {
		t.Fatalf("govips ImageRef layout: %v (kill and materialisation are disabled)", layoutErr)
	}
}

// bmpFile builds a BMP with a BITMAPINFOHEADER (or V5 when alpha).
func bmpFile(w, h int32, bpp uint16, pixels []byte, alpha bool) []byte {
	infoLen := uint32(40)
	if alpha {
		infoLen = 124
	}
	var palette []byte
	if bpp == 8 {
		for i := 0; i < 256; i++ {
			palette = append(palette, byte(i), 0, byte(255-i), 0) // B,G,R,x
		}
	}
	offset := 14 + infoLen + uint32(len(palette))
	b := make([]byte, offset)
	copy(b, "BM")
	le := binary.LittleEndian
	le.PutUint32(b[2:], offset+uint32(len(pixels)))
	le.PutUint32(b[10:], offset)
	le.PutUint32(b[14:], infoLen)
	le.PutUint32(b[18:], uint32(w))
	le.PutUint32(b[22:], uint32(h))
	le.PutUint16(b[26:], 1)
	le.PutUint16(b[28:], bpp)
	copy(b[14+infoLen:], palette)
	return append(b, pixels...)
}

func TestBMP(t *testing.T) {
	Startup()
	// 2×2, 24-bit, bottom-up: the first row in the file is the bottom row.
	rows := []byte{
		0, 0, 255, 0, 255, 0, 0, 0, // bottom: red, green, padding
		255, 0, 0, 255, 255, 255, 0, 0, // top: blue, white, padding
	}
	tests := []struct {
		name string
		src  []byte
		tl   []float64 // top-left colour
	}{
		{"24-bit bottom-up", bmpFile(2, 2, 24, rows, false), blue},
		{"24-bit top-down", bmpFile(2, -2, 24, rows, false), red},
		{"32-bit alpha", bmpFile(1, 1, 32, []byte{0, 0, 255, 255}, true), red},
		{"8-bit palette", bmpFile(1, 1, 8, []byte{0, 0, 0, 0}, false), red}, // index 0: R=255, B=0
	}
	for _, tt := range tests {
		res := process(t, tt.src, "w-4", PNG)
		d := decode(t, res.Body)
		if d.img.Width() != 4 {
			t.Errorf("%s: width %d", tt.name, d.img.Width())
		}
		pixelNear(t, d.img, 0, 0, tt.tl, 40)
	}
}

// TestLyingHeaders: headers that claim huge, negative or impossible sizes
// get a typed error from the header alone; the process survives (a Go
// out-of-memory is fatal, so surviving is the assertion).
func TestLyingHeaders(t *testing.T) {
	Startup()
	tiny := bytes.Repeat([]byte{0}, 64)
	tests := []struct {
		name string
		src  []byte
		kind Kind
	}{
		{"bmp 2^31 rows bottom-up", bmpFile(1<<30, 1<<30, 24, tiny, false), Limit},
		{"bmp min int32 rows", bmpFile(1000, -1<<31, 24, tiny, false), Limit},
		{"bmp negative width", bmpFile(-5, 5, 24, tiny, false), Corrupt},
		{"bmp rows beyond the file", bmpFile(3000, 3000, 24, tiny, false), Corrupt},
		{"bmp rle", func() []byte { b := bmpFile(4, 4, 8, tiny, false); b[30] = 1; return b }(), Unsupported},
		{"bmp 16-bit", bmpFile(4, 4, 16, tiny, false), Unsupported},
		{"bmp header only", bmpFile(4, 4, 24, nil, false)[:30], Corrupt},
		{"png claiming 20000x20000", pngHeader(20000, 20000), Limit},
		{"gif claiming 65535x65535", gifHeader(65535, 65535), Limit},
		{"jpeg of 150 scans", append(encodeWith(t, quadrants(t, 8, 8), JPEG), bytes.Repeat([]byte{0xff, 0xda, 0, 2}, 150)...), Limit},
	}
	for _, tt := range tests {
		c, _ := Parse("w-10", "", ParseOptions{})
		_, err := NewProcessor(Config{Workers: 1}).Process(context.Background(), tt.src, c, PNG)
		if !IsKind(err, tt.kind) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.kind)
		}
	}
}

// pngHeader is a PNG whose IHDR claims w×h, with an empty IDAT.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	writeChunk(&b, "IHDR", ihdr)
	writeChunk(&b, "IDAT", []byte("\x78\x9c\x03\x00\x00\x00\x00\x01"))
	writeChunk(&b, "IEND", nil)
	return b.Bytes()
}

// gifHeader is a GIF whose screen and only frame claim w×h.
func gifHeader(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	b = append(b, 0, 0, 0, ',', 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 2, 2, 0x4c, 0x01, 0, ';')
}

func TestBudget(t *testing.T) {
	chain := func(step string, n int) *Chain {
		c, err := Parse(strings.TrimSuffix(strings.Repeat(step+":", n), ":"), "", ParseOptions{})
		must(t, err)
		return c
	}
	tests := []struct {
		name  string
		chain *Chain
		param string // "" = within budget
	}{
		{"no transformation", nil, ""},
		{"ordinary", chain("w-300,h-300,fo-auto,e-sharpen,r-20,b-5_FFFFFF", 1), ""},
		{"twenty steps", chain("w-300", DefaultMaxSteps), ""},
		{"ten heaviest blurs", chain("bl-100", 10), ""},
		{"ten sharpens", chain("e-sharpen-100", 10), ""},
		{"too many steps", chain("w-300", DefaultMaxSteps+1), "max_steps"},
		{"300 blurs", chain("bl-9", 300), "max_steps"},
		{"150 sharpens", chain("e-sharpen", 150), "max_steps"},
		{"costly", chain("e-sharpen,e-usm-2-0.8-1-0.05,bl-100", 6), "max_cost"},
	}
	for _, tt := range tests {
		err := CheckBudget(tt.chain, Limits{})
		var e *Error
		switch {
		case tt.param == "" && err != nil:
			t.Errorf("%s: %v, want within budget", tt.name, err)
		case tt.param != "" && (!errors.As(err, &e) || e.Kind != Limit || e.Param != tt.param):
			t.Errorf("%s: %v, want a Limit on %s", tt.name, err, tt.param)
		}
	}
	// The Processor applies the budget itself too.
	_, err := NewProcessor(Config{Workers: 1}).Process(context.Background(), nil, chain("bl-9", 300), PNG)
	if !IsKind(err, Limit) {
		t.Errorf("Process over budget: %v", err)
	}
}

// TestDeepChains: chains far deeper than the budget allows, admitted by a
// raised budget, still run (they used to exhaust the C stack at about 300
// blurs) because the pipeline is cut by copies to memory.
func TestDeepChains(t *testing.T) {
	src := encodeWith(t, quadrants(t, 64, 48), PNG)
	l := Limits{MaxSteps: 1000, MaxCost: 100000}
	for _, chain := range []string{
		strings.TrimSuffix(strings.Repeat("bl-9:", 400), ":"),
		strings.TrimSuffix(strings.Repeat("e-sharpen:", 150), ":"),
		strings.TrimSuffix(strings.Repeat("w-60:w-64:rt-90:fl-h:", 60), ":"),
	} {
		c, err := Parse(chain, "", ParseOptions{})
		must(t, err)
		res, err := NewProcessor(Config{Workers: 1, Limits: l}).Process(context.Background(), src, c, PNG)
		if err != nil {
			t.Fatalf("%.20s… (%d steps): %v", chain, len(c.steps), err)
		}
		if res.Width == 0 {
			t.Errorf("empty result")
		}
	}
}

// TestDeadlineStopsLibvips: a long computation stops within about a
// second of the deadline, returns the context's error, and leaves the
// worker and the memory budget free.
func TestDeadlineStopsLibvips(t *testing.T) {
	Startup()
	big, err := vips.Black(3000, 2000)
	must(t, err)
	must(t, big.ToColorSpace(vips.InterpretationSRGB))
	must(t, big.Cast(vips.BandFormatUchar))
	src := encodeWith(t, big, JPEG)
	l := Limits{MaxSteps: 1000, MaxCost: 100000}
	for _, chain := range []string{
		strings.TrimSuffix(strings.Repeat("e-sharpen:", 150), ":"), // many steps, copies to memory between
		"bl-100:bl-100:bl-100", // a few very long operations
	} {
		c, err := Parse(chain, "", ParseOptions{})
		must(t, err)
		p := NewProcessor(Config{Workers: 1, Limits: l})
		const deadline = 300 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		_, err = p.Process(ctx, src, c, JPEG)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%.20s…: %v, want the deadline", chain, err)
		}
		if took > deadline+1500*time.Millisecond {
			t.Errorf("%.20s…: returned %v after the start, deadline %v", chain, took, deadline)
		}
		if len(p.running) != 0 || len(p.admit) != 0 || !p.memory.TryAcquire(p.budget) {
			t.Errorf("%.20s…: worker, queue place or memory still held", chain)
		}
		if n := pinnedSources(); n != 0 {
			t.Errorf("%.20s…: libvips still holds %d source(s) after the deadline", chain, n)
		}
	}
}

// TestCancelStopsLibvips: a client that leaves (its context cancelled)
// stops the work as a deadline does.
func TestCancelStopsLibvips(t *testing.T) {
	Startup()
	big, err := vips.Black(3000, 2000)
	must(t, err)
	src := encodeWith(t, big, PNG)
	c, err := Parse("bl-100:bl-100:bl-100:bl-100", "", ParseOptions{})
	must(t, err)
	p := NewProcessor(Config{Workers: 1})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err = p.Process(ctx, src, c, PNG)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Errorf("%v after %v, want context.Canceled within 2s", err, time.Since(start))
	}
}

// TestMemoryAdmission: a job whose estimate exceeds the whole budget is a
// Limit error naming memory_budget; one that must wait gives up with its
// context.
func TestMemoryAdmission(t *testing.T) {
	src := encodeWith(t, quadrants(t, 400, 300), PNG)
	c, err := Parse("rt-90", "", ParseOptions{})
	must(t, err)
	p := NewProcessor(Config{Workers: 2, MemoryBudget: 1 << 20})
	_, err = p.Process(context.Background(), src, c, PNG)
	var e *Error
	if !errors.As(err, &e) || e.Kind != Limit || e.Param != "memory_budget" {
		t.Errorf("over the budget: %v", err)
	}

	p = NewProcessor(Config{Workers: 2, MemoryBudget: 64 << 20})
	if !p.memory.TryAcquire(60 << 20) { // another job holds most of it
		t.Fatal("budget not free")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := p.Process(ctx, src, c, PNG); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for memory: %v, want the deadline", err)
	}
	p.memory.Release(60 << 20)
	if _, err := p.Process(context.Background(), src, c, PNG); err != nil {
		t.Errorf("after release: %v", err)
	}
}

// TestBrokenSources: truncated and header-only images are Corrupt, on
// every decode path (thumbnail, random access, animation), never a grey
// image.
func TestBrokenSources(t *testing.T) {
	img := quadrants(t, 300, 200)
	sources := map[string][]byte{
		"jpeg": encodeWith(t, img, JPEG),
		"png":  encodeWith(t, img, PNG),
		"gif":  encodeWith(t, img, GIF),
		"webp": encodeWith(t, img, WebP),
	}
	for name, src := range sources {
		for _, cut := range []struct {
			name string
			n    int
		}{{"truncated", len(src) * 6 / 10}, {"header only", headerLength(name, src)}} {
			for _, chain := range []string{"w-50", "rt-90", "f-png"} {
				c, err := Parse(chain, "", ParseOptions{})
				must(t, err)
				_, err = NewProcessor(Config{Workers: 1}).Process(context.Background(), src[:cut.n], c, PNG)
				var e *Error
				if !errors.As(err, &e) || e.Kind != Corrupt {
					t.Errorf("%s %s %s: %v, want Corrupt", name, cut.name, chain, err)
					continue
				}
				assertSafe(t, e)
			}
		}
	}
}

// headerLength is where the pixel data starts, roughly: enough for the
// header to parse.
func headerLength(format string, b []byte) int {
	switch format {
	case "jpeg":
		return bytes.Index(b, []byte{0xff, 0xda}) + 12 // up to the start of scan
	case "png":
		return bytes.Index(b, []byte("IDAT")) + 4
	case "gif":
		return bytes.IndexByte(b[13:], ',') + 13 + 12
	}
	return 40
}

// assertSafe checks that a client-facing message is from the fixed
// vocabulary: no library names, paths, stack traces or newlines.
func assertSafe(t *testing.T, e *Error) {
	t.Helper()
	text := e.Error()
	for _, bad := range []string{"vips", "VipsForeign", ".go", ".c:", "/", "\n", "goroutine", "load_"} {
		if strings.Contains(text, bad) {
			t.Errorf("client message %q contains %q", text, bad)
		}
	}
}

func TestSVGScan(t *testing.T) {
	svg := func(body string) []byte {
		return []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100">` + body + `</svg>`)
	}
	blurs := `<defs><filter id="f">` + strings.Repeat(`<feGaussianBlur stdDeviation="20"/>`, 200) + `</filter></defs><rect width="100" height="100" filter="url(#f)"/>`
	tests := []struct {
		name string
		src  []byte
		kind Kind // 0: renders
	}{
		{"plain", svg(`<rect width="100" height="50" fill="red"/>`), 0},
		{"one filter", svg(`<defs><filter id="f"><feGaussianBlur stdDeviation="2"/></filter></defs><rect width="100" height="100" filter="url(#f)"/>`), 0},
		{"internal use", svg(`<defs><rect id="r" width="10" height="10"/></defs><use href="#r"/>`), 0},
		{"200 blurs", svg(blurs), Limit},
		{"filters over a large canvas", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="2000"><defs><filter id="f">` +
			strings.Repeat(`<feGaussianBlur stdDeviation="20"/>`, 4) + `</filter></defs><rect width="2000" height="2000" filter="url(#f)"/></svg>`), Limit},
		{"deep", svg(strings.Repeat("<g>", 100) + strings.Repeat("</g>", 100)), Limit},
		{"external image", svg(`<image href="http://127.0.0.1/x.png" width="10" height="10"/>`), Unsupported},
		{"file image", svg(`<image xlink:href="file:///etc/passwd" width="10" height="10"/>`), Unsupported},
		{"data image", svg(`<image href="data:image/png;base64,AAAA" width="10" height="10"/>`), Unsupported},
		{"external css", svg(`<style>@import url(http://127.0.0.1/a.css);</style>`), Unsupported},
		{"external fill", svg(`<rect width="10" height="10" fill="url(http://127.0.0.1/#p)"/>`), Unsupported},
		{"entity", []byte(`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">]><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">&a;</svg>`), Unsupported},
		{"uses", svg(`<defs><rect id="r" width="1" height="1"/></defs>` + strings.Repeat(`<use href="#r"/>`, 300)), Limit},
		{"nested uses, 100 instances", svg(nestedUses(2, 10)), 0},
		{"use fan-out, 10^8 instances", svg(nestedUses(8, 10)), Limit},
		{"use cycle", svg(`<defs><g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g></defs><use href="#a"/>`), Limit},
		{"not XML", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect></svg>`), Corrupt},
	}
	for _, tt := range tests {
		c, _ := Parse("w-50", "", ParseOptions{})
		start := time.Now()
		_, err := NewProcessor(Config{Workers: 1}).Process(context.Background(), tt.src, c, PNG)
		switch {
		case tt.kind == 0 && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.kind != 0 && !IsKind(err, tt.kind):
			t.Errorf("%s: %v, want %v", tt.name, err, tt.kind)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v", tt.name, d)
		}
	}
}

// nestedUses is levels of groups, each holding n <use> of the level below:
// n^levels rectangles once expanded, from levels×n elements.
func nestedUses(levels, n int) string {
	var b strings.Builder
	b.WriteString(`<defs><g id="u0"><rect width="1" height="1"/></g>`)
	for l := 1; l <= levels; l++ {
		fmt.Fprintf(&b, `<g id="u%d">`, l)
		for range n {
			fmt.Fprintf(&b, `<use href="#u%d"/>`, l-1)
		}
		b.WriteString(`</g>`)
	}
	fmt.Fprintf(&b, `</defs><use href="#u%d"/>`, levels)
	return b.String()
}

func writeChunk(b *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	_ = binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// TestCodecMemory: admission counts what each encoder and each whole-frame
// decoder (progressive JPEG's coefficients among them) holds, not only the
// raw pixels. The floors are the measured peaks
// per pixel (encoderBytesPerPixel, wholeFrameDecoderBytesPerPixel); before
// they were counted, an 8000x8000 AVIF was admitted as 256 MB and held
// 1.3 GB, and a 2 KB AVIF of 49 MP as 18 MB while its decode held 380 MB.
func TestCodecMemory(t *testing.T) {
	src := encodeWith(t, quadrants(t, 200, 150), JPEG)
	const side = 2000
	estimate := func(source []byte, chain string, f Format) int64 {
		t.Helper()
		c, err := Parse(chain, "", ParseOptions{})
		must(t, err)
		var est int64
		stop := errors.New("stop before decoding")
		_, err = run(context.Background(), source, c, f, Limits{}.WithDefaults(), Options{}, func(j *job) (func(), error) {
			est = j.estimateMemory()
			return nil, stop
		})
		if !errors.Is(err, stop) {
			t.Fatalf("%s: %v", chain, err)
		}
		return est
	}
	for _, tt := range []struct {
		f        Format
		lossless bool
		floor    int64 // measured peak per output pixel
	}{
		{JPEG, false, 3}, {PNG, false, 3},
		{WebP, false, 7}, {WebP, true, 33},
		{AVIF, false, 22}, {AVIF, true, 22},
		{JXL, false, 54}, {JXL, true, 67},
		{GIF, false, 34},
	} {
		chain := fmt.Sprintf("w-%d,h-%d,c-force", side, side)
		if tt.lossless {
			chain += ",lo-true"
		}
		if est := estimate(src, chain, tt.f); est < side*side*tt.floor {
			t.Errorf("%s %s: estimate %d MB, below the measured %d MB", tt.f, chain, est>>20, side*side*tt.floor>>20)
		}
	}

	// Decoders that cannot shrink on load hold the whole frame, even for a
	// 30 px thumbnail.
	img := quadrants(t, 400, 300)
	heic, _, err := img.ExportHeif(&vips.HeifExportParams{Quality: 50, Bitdepth: 8, Effort: 0})
	must(t, err)
	avif, _, err := img.ExportAvif(&vips.AvifExportParams{Quality: 50, Bitdepth: 8, Effort: 0})
	must(t, err)
	jxl, _, err := img.ExportJxl(&vips.JxlExportParams{Quality: 75, Effort: 1, Tier: 0, Distance: 1})
	must(t, err)
	prog444, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 90, Interlace: true, SubsampleMode: vips.VipsForeignSubsampleOff})
	must(t, err)
	prog420, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 80, Interlace: true, SubsampleMode: vips.VipsForeignSubsampleOn})
	must(t, err)
	for _, tt := range []struct {
		name  string
		src   []byte
		floor int64 // measured peak per source pixel, beyond the estimate's other terms
	}{
		{"HEIC", heic, 10}, {"AVIF", avif, 10}, {"JPEG XL", jxl, 7}, {"GIF", encodeWith(t, img, GIF), 5},
		// libjpeg's coefficients of every scan, 2 bytes a sample (measured
		// 5.6 and 2.85 bytes a pixel on a 20 MP photo at w-2000).
		{"progressive JPEG 4:4:4", prog444, 5}, {"progressive JPEG 4:2:0", prog420, 2},
	} {
		base := int64(len(tt.src)) + jobOverhead
		if est := estimate(tt.src, "w-30", JPEG); est-base < 400*300*tt.floor {
			t.Errorf("%s source: estimate %d KB beyond the source and overhead, below the measured %d KB",
				tt.name, (est-base)>>10, 400*300*tt.floor>>10)
		}
	}

	// With the default budget, the largest outputs are refused before any
	// decode.
	p := NewProcessor(Config{Workers: 1})
	for _, f := range []Format{AVIF, JXL} {
		c, err := Parse("w-8000,h-8000,c-force", "", ParseOptions{})
		must(t, err)
		start := time.Now()
		_, err = p.Process(context.Background(), src, c, f)
		var e *Error
		if !errors.As(err, &e) || e.Kind != Limit || e.Param != "memory_budget" || time.Since(start) > time.Second {
			t.Errorf("%s 8000x8000: %v after %v, want a memory_budget limit at once", f, err, time.Since(start))
		}
	}
}
