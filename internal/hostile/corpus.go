// Package hostile generates the hostile-input corpus that image_cdn must
// survive: decompression bombs in every accepted format, lying headers,
// truncations, polyglots, SVG bombs and external references, huge
// animations, deep and long chains, very long URLs. Each case names the
// object to store, the request to send and the statuses the contract
// (docs/DESIGN.md, docs/limits.md) allows for it.
//
// The files are built in code, from the formats' own specifications, so
// that nothing hostile is committed and every byte is explained here.
package hostile

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
)

// flatAVIF is a 9000x9000 AVIF of one colour, 2.5 KB (made with
// vips black 9000 9000 --bands 3, then vips linear … --uchar and
// vips copy x.v flat-81mp.avif[Q=50,effort=0]).
//
//go:embed testdata/flat-81mp.avif
var flatAVIF []byte

// Case is one hostile request.
type Case struct {
	Name string
	// Key and Body are the object to store ("" Key: no object needed).
	Key         string
	Body        []byte
	ContentType string
	// Path is the request path after the endpoint, e.g. "/tr:w-100/k.jpg".
	Path   string
	Method string // default GET
	Header map[string]string
	// Want lists the statuses the contract allows.
	Want []int
	// WantCode, when set, must prefix the Ik-Error header.
	WantCode string
}

// Seeds are valid images the corpus derives its cases from, in the formats
// Go cannot encode; the caller makes them (with the server under test
// itself: /tr:f-webp/…).
type Seeds struct {
	WebP []byte // a small valid WebP; nil skips its cases
	AVIF []byte // a small valid AVIF; nil when the encoder is missing
}

// Callback is an address the SVG external-reference cases point at; the
// caller listens there and asserts nothing ever connected.
type Callback string

const (
	badRequest = 400
	notFound   = 404
	unproc     = 422
	overloaded = 503
	ok         = 200
)

// Cases builds the whole corpus.
func Cases(seeds Seeds, callback Callback) []Case {
	var cs []Case
	add := func(c Case) { cs = append(cs, c) }

	small := smallJPEG(64, 48)
	add(Case{Name: "control: a small JPEG resizes", Key: "ok/small.jpg", Body: small, ContentType: "image/jpeg",
		Path: "/tr:w-32/ok/small.jpg", Want: []int{ok}})

	// --- Decompression bombs and lying headers, one per format. ---
	add(bomb("png IHDR claims 100000x100000", "bomb/huge.png", "image/png", pngClaiming(100000, 100000)))
	add(bomb("png IHDR claims 2^31-1 x 1", "bomb/wide.png", "image/png", pngClaiming(1<<31-1, 1)))
	add(bomb("jpeg SOF claims 65500x65500", "bomb/huge.jpg", "image/jpeg", jpegClaiming(small, 65500, 65500)))
	add(bomb("jpeg SOF claims 65535x1", "bomb/wide.jpg", "image/jpeg", jpegClaiming(small, 65535, 1)))
	add(bomb("gif screen and frame claim 65535x65535", "bomb/huge.gif", "image/gif", gifClaiming(65535, 65535)))
	add(bomb("webp VP8X canvas 16384x16384", "bomb/huge.webp", "image/webp", webpVP8XClaiming(16384, 16384)))
	add(bomb("tiff claims 100000x100000", "bomb/huge.tiff", "image/tiff", tiffClaiming(100000, 100000)))
	add(bomb("tiff claims 2^31 x 2^31", "bomb/max.tiff", "image/tiff", tiffClaiming(1<<31-1, 1<<31-1)))
	add(bomb("bmp 118 bytes claims 2^31-1 x -(2^31-1)", "bomb/neg.bmp", "image/bmp", bmpClaiming(1<<31-1, -(1<<31-1), 24)))
	add(bomb("bmp claims 50000x-50000 top-down", "bomb/topdown.bmp", "image/bmp", bmpClaiming(50000, -50000, 24)))
	add(bomb("bmp claims 1x-2^31 (int32 min)", "bomb/min.bmp", "image/bmp", bmpClaiming(1, -(1<<31), 8)))
	add(bomb("bmp claims 40000x40000 1-bit", "bomb/onebit.bmp", "image/bmp", bmpClaiming(40000, 40000, 1)))
	// Vector sources are rendered at the scale the output needs: a resize
	// of a huge canvas is cheap and allowed, anything at its own size is not.
	hugeSVG := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="60000" height="60000"><rect width="10" height="10"/></svg>`)
	add(Case{Name: "svg claims 60000x60000, resized", Key: "bomb/huge.svg", Body: hugeSVG, ContentType: "image/svg+xml",
		Path: "/tr:w-100/bomb/huge.svg", Want: []int{ok, badRequest}})
	add(Case{Name: "svg claims 60000x60000, at its own size", Key: "bomb/huge.svg",
		Path: "/tr:bl-1/bomb/huge.svg", Want: []int{badRequest}, WantCode: "ELIMIT"})
	// Beyond libvips' largest coordinate the loader gives up on the size.
	add(Case{Name: "svg claims 100000000x100000000", Key: "bomb/absurd.svg", ContentType: "image/svg+xml",
		Body: []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="100000000" height="100000000"><rect width="10" height="10"/></svg>`),
		Path: "/tr:w-100/bomb/absurd.svg", Want: []int{ok, badRequest, unproc}})
	add(Case{Name: "pdf MediaBox 60000 pt square, resized", Key: "bomb/huge.pdf", Body: pdfWithMediaBox(60000, 60000, 1),
		ContentType: "application/pdf", Path: "/tr:w-100/bomb/huge.pdf", Want: []int{ok, badRequest}})
	add(Case{Name: "pdf MediaBox 60000 pt square, at its own size", Key: "bomb/huge.pdf",
		Path: "/tr:e-grayscale/bomb/huge.pdf", Want: []int{badRequest}, WantCode: "ELIMIT"})
	add(Case{Name: "pdf of 20000 pages", Key: "bomb/pages.pdf", Body: pdfWithMediaBox(612, 792, 20000),
		ContentType: "application/pdf", Path: "/tr:w-100/bomb/pages.pdf", Want: []int{ok, badRequest}})
	if seeds.AVIF != nil {
		if b, ok := patchISPE(seeds.AVIF, 60000, 60000); ok {
			add(bomb("avif ispe claims 60000x60000", "bomb/huge.avif", "image/avif", b))
		}
	}
	// An honest image just under the pixel limit, inflating to 243 MB of
	// raw pixels from about a megabyte: allowed, but it must stay within the
	// memory budget (or be refused by admission).
	add(Case{Name: "png zlib bomb 9000x9000 (81 MP, honest header)", Key: "bomb/zlib.png", Body: pngZeros(9000, 9000),
		ContentType: "image/png", Path: "/tr:w-100/bomb/zlib.png", Want: []int{ok, badRequest, overloaded}})
	// The same for a decoder that cannot shrink on load: libheif holds the
	// whole 81 MP frame (about 600 MB) for a 100 px answer, from 2.5 KB.
	// Admission must count it, so that two never decode at once under the
	// default budget (the concurrent burst sends both variants twice); the
	// decode may outlast the suite's 5 s transform timeout (503).
	for _, w := range []string{"w-100", "w-101"} { // two variants: the same one would be coalesced
		add(Case{Name: "avif 9000x9000 of one colour (81 MP from 2.5 KB), " + w, Key: "bomb/flat.avif", Body: flatAVIF,
			ContentType: "image/avif", Path: "/tr:" + w + "/bomb/flat.avif", Want: []int{ok, badRequest, overloaded}})
	}

	// --- Truncated, header-only and corrupt sources: 422, never a grey image. ---
	mid := smallJPEG(320, 240)
	add(corrupt("jpeg cut in half", "broken/half.jpg", "image/jpeg", mid[:len(mid)/2]))
	add(corrupt("jpeg header only", "broken/header.jpg", "image/jpeg", jpegHeaderOnly(mid)))
	p := smallPNG(320, 240)
	add(corrupt("png cut in half", "broken/half.png", "image/png", p[:len(p)/2]))
	g := smallGIF(64, 64)
	add(corrupt("gif cut before its trailer and data", "broken/half.gif", "image/gif", g[:len(g)*2/3]))
	if seeds.WebP != nil {
		add(corrupt("webp cut in half", "broken/half.webp", "image/webp", seeds.WebP[:len(seeds.WebP)/2]))
	}
	t := tiffGrey(64, 64)
	add(Case{Name: "control: an honest tiff", Key: "ok/grey.tiff", Body: t, ContentType: "image/tiff",
		Path: "/tr:w-32/ok/grey.tiff", Want: []int{ok}})
	add(corrupt("tiff strip cut short", "broken/half.tiff", "image/tiff", t[:len(t)/2]))
	add(Case{Name: "zero-byte .jpg", Key: "broken/empty.jpg", Body: []byte{}, ContentType: "image/jpeg",
		Path: "/tr:w-10/broken/empty.jpg", Want: []int{badRequest, unproc}})
	add(Case{Name: "random bytes labelled image/png", Key: "broken/noise.png", Body: noise(4096), ContentType: "image/png",
		Path: "/tr:w-10/broken/noise.png", Want: []int{badRequest, unproc}})
	add(Case{Name: "jpeg with garbage in the entropy data", Key: "broken/garbled.jpg", Body: garble(mid), ContentType: "image/jpeg",
		Path: "/tr:w-10/broken/garbled.jpg", Want: []int{ok, unproc}})
	add(Case{Name: "html labelled image/jpeg", Key: "broken/page.jpg", Body: []byte("<!doctype html><script>alert(1)</script>"),
		ContentType: "image/jpeg", Path: "/tr:w-10/broken/page.jpg", Want: []int{badRequest, unproc}})

	// --- Polyglots. ---
	add(Case{Name: "gif/javascript polyglot transformed", Key: "poly/gifjs.gif", Body: gifJSPolyglot(), ContentType: "image/gif",
		Path: "/tr:w-10/poly/gifjs.gif", Want: []int{ok, badRequest, unproc}})
	add(Case{Name: "jpeg with an html page appended, transformed", Key: "poly/jpghtml.jpg",
		Body: append(append([]byte{}, small...), []byte("<html><script>alert(1)</script></html>")...), ContentType: "image/jpeg",
		Path: "/tr:w-10/poly/jpghtml.jpg", Want: []int{ok, unproc}})
	add(Case{Name: "png with a zip appended, transformed", Key: "poly/pngzip.png",
		Body: append(append([]byte{}, p...), zipLike()...), ContentType: "image/png",
		Path: "/tr:w-10/poly/pngzip.png", Want: []int{ok, unproc}})
	add(Case{Name: "png whose zTXt inflates to 64 MB", Key: "poly/ztxt.png", Body: pngWithZTXtBomb(64 << 20), ContentType: "image/png",
		Path: "/tr:w-10/poly/ztxt.png", Want: []int{badRequest}, WantCode: "ELIMIT"})

	// --- SVG. ---
	add(Case{Name: "svg with 200 feGaussianBlur filters", Key: "svg/blur.svg", Body: svgBlurBomb(200), ContentType: "image/svg+xml",
		Path: "/tr:w-200/svg/blur.svg", Want: []int{badRequest, unproc, overloaded}})
	add(Case{Name: "svg billion laughs", Key: "svg/laughs.svg", Body: svgBillionLaughs(), ContentType: "image/svg+xml",
		Path: "/tr:w-100/svg/laughs.svg", Want: []int{ok, badRequest, unproc}})
	add(Case{Name: "svg <use> fan-out bomb", Key: "svg/use.svg", Body: svgUseBomb(), ContentType: "image/svg+xml",
		Path: "/tr:w-100/svg/use.svg", Want: []int{ok, badRequest, unproc, overloaded}})
	add(Case{Name: "svg 20000 nested groups", Key: "svg/nested.svg", Body: svgNested(20000), ContentType: "image/svg+xml",
		Path: "/tr:w-100/svg/nested.svg", Want: []int{ok, badRequest, unproc}})
	add(Case{Name: "svg external http image", Key: "svg/external.svg", Body: svgExternal("http://" + string(callback) + "/svg-image.png"),
		ContentType: "image/svg+xml", Path: "/tr:w-100/svg/external.svg", Want: []int{ok, badRequest, unproc}})
	add(Case{Name: "svg external entity to a local file", Key: "svg/xxe.svg", Body: svgXXE(), ContentType: "image/svg+xml",
		Path: "/tr:w-100/svg/xxe.svg", Want: []int{ok, badRequest, unproc}})
	add(Case{Name: "svg xi:include of a url", Key: "svg/xinclude.svg", Body: svgXInclude("http://" + string(callback) + "/xinclude.txt"),
		ContentType: "image/svg+xml", Path: "/tr:w-100/svg/xinclude.svg", Want: []int{ok, badRequest, unproc}})
	add(Case{Name: "svg css @import of a url", Key: "svg/cssimport.svg", Body: svgCSSImport("http://" + string(callback) + "/style.css"),
		ContentType: "image/svg+xml", Path: "/tr:w-100/svg/cssimport.svg", Want: []int{ok, badRequest, unproc}})

	// --- Animations. ---
	manyFrames := gifFrames(16, 16, 1000)
	add(Case{Name: "gif with 1000 frames kept animated", Key: "anim/many.gif", Body: manyFrames, ContentType: "image/gif",
		Path: "/tr:w-10,f-gif/anim/many.gif", Want: []int{badRequest}, WantCode: "ELIMIT"})
	add(Case{Name: "gif with 1000 frames to a still jpeg", Key: "anim/many.gif",
		Path: "/tr:w-10,f-jpg/anim/many.gif", Want: []int{ok}})
	add(Case{Name: "gif 4000x4000 x 16 frames kept animated", Key: "anim/big.gif", Body: gifFrames(4000, 4000, 16), ContentType: "image/gif",
		Path: "/tr:w-10,f-webp/anim/big.gif", Want: []int{badRequest}, WantCode: "ELIMIT"})

	// --- Chains and URLs. ---
	add(Case{Name: "300 chained blurs", Key: "ok/small.jpg", Path: "/tr:" + repeat("bl-9", 300, ":") + "/ok/small.jpg",
		Want: []int{badRequest}, WantCode: "ELIMIT"})
	add(Case{Name: "150 chained sharpens", Key: "ok/small.jpg", Path: "/tr:" + repeat("e-sharpen-10", 150, ":") + "/ok/small.jpg",
		Want: []int{badRequest}, WantCode: "ELIMIT"})
	add(Case{Name: "1000 parameters in one step", Key: "ok/small.jpg", Path: "/tr:" + repeat("w-10", 1000, ",") + "/ok/small.jpg",
		Want: []int{badRequest}})
	add(Case{Name: "query chain of 4000 steps", Key: "ok/small.jpg", Path: "/ok/small.jpg?tr=" + repeat("f-jpg", 4000, ":"),
		Want: []int{badRequest, 414, 431}})
	add(Case{Name: "16 KB path", Path: "/tr:w-10/" + strings.Repeat("a", 16<<10) + ".jpg", Want: []int{badRequest, notFound, 414, 431}})
	add(Case{Name: "key over S3's 1024 bytes", Path: "/" + strings.Repeat("k/", 600) + "x.jpg", Want: []int{notFound}})
	add(Case{Name: "width overflowing int64", Key: "ok/small.jpg", Path: "/tr:w-99999999999999999999999/ok/small.jpg", Want: []int{badRequest}})
	add(Case{Name: "width NaN", Key: "ok/small.jpg", Path: "/tr:w-NaN/ok/small.jpg", Want: []int{badRequest}})
	add(Case{Name: "width 1e309", Key: "ok/small.jpg", Path: "/tr:w-1e309/ok/small.jpg", Want: []int{badRequest}})
	add(Case{Name: "output over the dimension limit", Key: "ok/small.jpg", Path: "/tr:w-16385,h-16385/ok/small.jpg",
		Want: []int{badRequest}, WantCode: "ELIMIT"})
	add(Case{Name: "dpr multiplies past the dimension limit", Key: "ok/small.jpg", Path: "/tr:w-16000,dpr-5/ok/small.jpg",
		Want: []int{badRequest}, WantCode: "ELIMIT"})
	// Encoders hold several times the raw output (AVIF about 20 bytes a
	// pixel, JPEG XL 40 to 70, lossless WebP 25 to 35): admission counts
	// that, so these are refused before any decode instead of holding
	// 1.3 GB and more each.
	add(Case{Name: "AVIF 8000x8000 from a small JPEG", Key: "ok/small.jpg", Path: "/tr:w-8000,h-8000,c-force,f-avif/ok/small.jpg",
		Want: []int{badRequest}, WantCode: "ELIMIT"})
	add(Case{Name: "JPEG XL 8000x8000 from a small JPEG", Key: "ok/small.jpg", Path: "/tr:w-8000,h-8000,c-force,f-jxl/ok/small.jpg",
		Want: []int{badRequest}, WantCode: "ELIMIT"})
	add(Case{Name: "lossless WebP 6000x6000 from a small JPEG", Key: "ok/small.jpg", Path: "/tr:w-6000,h-6000,c-force,f-webp,lo-true/ok/small.jpg",
		Want: []int{badRequest}, WantCode: "ELIMIT"})
	add(Case{Name: "huge border", Key: "ok/small.jpg", Path: "/tr:b-100000_FF0000/ok/small.jpg", Want: []int{badRequest}})
	add(Case{Name: "traversal in the key", Path: "/tr:w-10/../../../../etc/passwd", Want: []int{badRequest, notFound}})
	add(Case{Name: "encoded NUL in the key", Path: "/tr:w-10/ok/small.jpg%00.png", Want: []int{badRequest, notFound}})
	add(Case{Name: "1000 ranges on a variant", Key: "ok/small.jpg", Path: "/tr:w-32/ok/small.jpg",
		Header: map[string]string{"Range": "bytes=" + ranges(1000)}, Want: []int{ok, 206, 416}})
	add(Case{Name: "HEAD of a bomb", Key: "bomb/huge.png", Method: "HEAD", Path: "/tr:w-10/bomb/huge.png",
		Want: []int{badRequest}})
	add(Case{Name: "POST is refused", Key: "ok/small.jpg", Method: "POST", Path: "/tr:w-10/ok/small.jpg", Want: []int{405}})
	return cs
}

func bomb(name, key, ct string, body []byte) Case {
	return Case{Name: name, Key: key, Body: body, ContentType: ct, Path: "/tr:w-100/" + key,
		Want: []int{badRequest, unproc}}
}

func corrupt(name, key, ct string, body []byte) Case {
	return Case{Name: name, Key: key, Body: body, ContentType: ct, Path: "/tr:w-100/" + key, Want: []int{unproc}}
}

func repeat(s string, n int, sep string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = s
	}
	return strings.Join(parts, sep)
}

func ranges(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%d-%d", i, i)
	}
	return strings.Join(parts, ",")
}

// --- Valid small images. ---

func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / max(w, 1)), uint8(y * 255 / max(h, 1)), uint8((x ^ y) & 0xff), 255})
		}
	}
	return img
}

func smallJPEG(w, h int) []byte {
	var b bytes.Buffer
	_ = jpeg.Encode(&b, gradient(w, h), &jpeg.Options{Quality: 90})
	return b.Bytes()
}

func smallPNG(w, h int) []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, gradient(w, h))
	return b.Bytes()
}

func smallGIF(w, h int) []byte {
	img := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	_ = gif.Encode(&b, img, nil)
	return b.Bytes()
}

// gifFrames is an animation of n frames of w×h; each frame is one colour,
// so LZW keeps even 4000×4000 frames small.
func gifFrames(w, h, n int) []byte {
	a := &gif.GIF{}
	for i := 0; i < n; i++ {
		f := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		c := uint8(i % 200)
		for j := range f.Pix {
			f.Pix[j] = c
		}
		a.Image = append(a.Image, f)
		a.Delay = append(a.Delay, 2)
	}
	var b bytes.Buffer
	_ = gif.EncodeAll(&b, a)
	return b.Bytes()
}

func noise(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// --- Lying headers. ---

// pngClaiming is a PNG whose IHDR claims w×h, with one tiny IDAT.
func pngClaiming(w, h uint32) []byte {
	var b bytes.Buffer
	b.Write([]byte("\x89PNG\r\n\x1a\n"))
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	pngChunk(&b, "IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 1024))
	_ = zw.Close()
	pngChunk(&b, "IDAT", z.Bytes())
	pngChunk(&b, "IEND", nil)
	return b.Bytes()
}

// pngZeros is an honest w×h black RGB PNG: tiny compressed, huge decoded.
func pngZeros(w, h int) []byte {
	var b bytes.Buffer
	b.Write([]byte("\x89PNG\r\n\x1a\n"))
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2
	pngChunk(&b, "IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+3*w)
	for y := 0; y < h; y++ {
		_, _ = zw.Write(row)
	}
	_ = zw.Close()
	pngChunk(&b, "IDAT", z.Bytes())
	pngChunk(&b, "IEND", nil)
	return b.Bytes()
}

// pngWithZTXtBomb is a valid small PNG carrying a zTXt chunk that inflates
// to n bytes.
func pngWithZTXtBomb(n int) []byte {
	p := smallPNG(8, 8)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	chunk := make([]byte, 1<<20)
	for i := 0; i < n>>20; i++ {
		_, _ = zw.Write(chunk)
	}
	_ = zw.Close()
	data := append([]byte("Comment\x00\x00"), z.Bytes()...)
	var b bytes.Buffer
	b.Write(p[:33]) // signature + IHDR
	pngChunk(&b, "zTXt", data)
	b.Write(p[33:])
	return b.Bytes()
}

func pngChunk(b *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	b.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	b.WriteString(typ)
	b.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	b.Write(n[:])
}

// jpegClaiming rewrites the SOF0 frame size of a valid baseline JPEG.
func jpegClaiming(src []byte, w, h uint16) []byte {
	b := append([]byte{}, src...)
	for i := 2; i+9 < len(b); {
		if b[i] != 0xFF {
			break
		}
		marker := b[i+1]
		segLen := int(binary.BigEndian.Uint16(b[i+2:]))
		if marker == 0xC0 || marker == 0xC2 {
			binary.BigEndian.PutUint16(b[i+5:], h)
			binary.BigEndian.PutUint16(b[i+7:], w)
			return b
		}
		i += 2 + segLen
	}
	return b
}

// jpegHeaderOnly keeps everything up to and including the SOS header, and
// nothing of the entropy-coded data.
func jpegHeaderOnly(src []byte) []byte {
	for i := 2; i+4 < len(src); {
		marker := src[i+1]
		segLen := int(binary.BigEndian.Uint16(src[i+2:]))
		if marker == 0xDA {
			return append([]byte{}, src[:i+2+segLen]...)
		}
		i += 2 + segLen
	}
	return src[:len(src)/4]
}

// garble overwrites bytes in the middle of the entropy-coded data.
func garble(src []byte) []byte {
	b := append([]byte{}, src...)
	for i := len(b) / 2; i < len(b)/2+64 && i < len(b)-2; i++ {
		b[i] = byte(i * 31)
	}
	return b
}

// gifClaiming is a GIF whose screen and single frame claim w×h, with a
// minimal LZW stream.
func gifClaiming(w, h uint16) []byte {
	var b bytes.Buffer
	b.WriteString("GIF89a")
	binary.Write(&b, binary.LittleEndian, w)
	binary.Write(&b, binary.LittleEndian, h)
	b.Write([]byte{0x80, 0, 0})             // global colour table of 2
	b.Write([]byte{0, 0, 0, 255, 255, 255}) // black, white
	b.WriteByte(0x2C)
	binary.Write(&b, binary.LittleEndian, uint16(0))
	binary.Write(&b, binary.LittleEndian, uint16(0))
	binary.Write(&b, binary.LittleEndian, w)
	binary.Write(&b, binary.LittleEndian, h)
	b.WriteByte(0)
	b.Write([]byte{2, 2, 0x4C, 0x01, 0}) // min code size 2, tiny data
	b.WriteByte(0x3B)
	return b.Bytes()
}

// gifJSPolyglot is a GIF header that is also valid JavaScript.
func gifJSPolyglot() []byte {
	g := smallGIF(8, 8)
	b := append([]byte("GIF89a/*"), g[8:]...)
	return append(b, []byte("*/=alert(document.domain);")...)
}

// webpVP8XClaiming is an extended WebP whose canvas is w×h, with a tiny
// lossless bitstream.
func webpVP8XClaiming(w, h int) []byte {
	var body bytes.Buffer
	body.WriteString("WEBP")
	body.WriteString("VP8X")
	binary.Write(&body, binary.LittleEndian, uint32(10))
	body.Write([]byte{0, 0, 0, 0})
	put24 := func(v int) { body.Write([]byte{byte(v), byte(v >> 8), byte(v >> 16)}) }
	put24(w - 1)
	put24(h - 1)
	// A VP8L chunk claiming the same size (14-bit fields).
	vp8l := []byte{0x2f, 0, 0, 0, 0, 0, 0, 0}
	bits := uint32(w-1) | uint32(h-1)<<14
	binary.LittleEndian.PutUint32(vp8l[1:], bits)
	body.WriteString("VP8L")
	binary.Write(&body, binary.LittleEndian, uint32(len(vp8l)))
	body.Write(vp8l)
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(body.Len()))
	b.Write(body.Bytes())
	return b.Bytes()
}

// tiffClaiming is a little-endian baseline TIFF whose one strip claims
// w×h greyscale pixels and holds 16 bytes.
func tiffClaiming(w, h uint32) []byte { return tiff(w, h, 16) }

// tiffGrey is an honest w×h greyscale TIFF: the strip holds every pixel.
// The strip comes last, so cutting the file in half truncates it.
func tiffGrey(w, h uint32) []byte { return tiff(w, h, w*h) }

func tiff(w, h, dataLen uint32) []byte {
	type entry struct {
		tag, typ uint16
		count    uint32
		value    uint32
	}
	const ifdOffset = 8
	const nEntries = 9
	const dataOffset = ifdOffset + 2 + 12*nEntries + 4 // the strip follows the IFD
	entries := [nEntries]entry{
		{256, 4, 1, w},          // ImageWidth
		{257, 4, 1, h},          // ImageLength
		{258, 3, 1, 8},          // BitsPerSample
		{259, 3, 1, 1},          // Compression: none
		{262, 3, 1, 1},          // Photometric: black is zero
		{273, 4, 1, dataOffset}, // StripOffsets
		{277, 3, 1, 1},          // SamplesPerPixel
		{278, 4, 1, h},          // RowsPerStrip
		{279, 4, 1, dataLen},    // StripByteCounts
	}
	var b bytes.Buffer
	b.WriteString("II")
	binary.Write(&b, binary.LittleEndian, uint16(42))
	binary.Write(&b, binary.LittleEndian, uint32(ifdOffset))
	binary.Write(&b, binary.LittleEndian, uint16(nEntries))
	for _, e := range entries {
		binary.Write(&b, binary.LittleEndian, e.tag)
		binary.Write(&b, binary.LittleEndian, e.typ)
		binary.Write(&b, binary.LittleEndian, e.count)
		binary.Write(&b, binary.LittleEndian, e.value)
	}
	binary.Write(&b, binary.LittleEndian, uint32(0))
	data := make([]byte, dataLen)
	for i := range data {
		data[i] = byte(i)
	}
	b.Write(data)
	return b.Bytes()
}

// bmpClaiming is a 118-byte BMP (BITMAPINFOHEADER, 16-colour palette when
// bpp ≤ 8) claiming w×h; a negative h means top-down rows.
func bmpClaiming(w, h int32, bpp uint16) []byte {
	var b bytes.Buffer
	b.WriteString("BM")
	binary.Write(&b, binary.LittleEndian, uint32(118))
	binary.Write(&b, binary.LittleEndian, uint32(0))
	binary.Write(&b, binary.LittleEndian, uint32(118))
	binary.Write(&b, binary.LittleEndian, uint32(40))
	binary.Write(&b, binary.LittleEndian, w)
	binary.Write(&b, binary.LittleEndian, h)
	binary.Write(&b, binary.LittleEndian, uint16(1))
	binary.Write(&b, binary.LittleEndian, bpp)
	binary.Write(&b, binary.LittleEndian, uint32(0)) // BI_RGB
	binary.Write(&b, binary.LittleEndian, uint32(0))
	binary.Write(&b, binary.LittleEndian, int32(2835))
	binary.Write(&b, binary.LittleEndian, int32(2835))
	binary.Write(&b, binary.LittleEndian, uint32(0))
	binary.Write(&b, binary.LittleEndian, uint32(0))
	for b.Len() < 118 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

// pdfWithMediaBox is a minimal PDF of n pages of w×h points.
func pdfWithMediaBox(w, h, n int) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(s string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), s)
	}
	b.WriteString("%PDF-1.4\n")
	kids := make([]string, n)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", 4+i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Length 0 >>\nstream\n\nendstream")
	for i := 0; i < n; i++ {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 3 0 R >>", w, h))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// patchISPE rewrites the image spatial extents of a HEIF/AVIF file.
func patchISPE(src []byte, w, h uint32) ([]byte, bool) {
	i := bytes.Index(src, []byte("ispe"))
	if i < 0 || i+16 > len(src) {
		return nil, false
	}
	b := append([]byte{}, src...)
	binary.BigEndian.PutUint32(b[i+8:], w)
	binary.BigEndian.PutUint32(b[i+12:], h)
	return b, true
}

func zipLike() []byte {
	return append([]byte("PK\x03\x04\x14\x00\x00\x00\x00\x00"), make([]byte, 64)...)
}

// --- SVG. ---

func svgBlurBomb(n int) []byte {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="2000"><defs>`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<filter id="f%d" x="-50%%" y="-50%%" width="200%%" height="200%%"><feGaussianBlur stdDeviation="200"/></filter>`, i)
	}
	b.WriteString(`</defs>`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<rect width="2000" height="2000" fill="#%06x" filter="url(#f%d)"/>`, i*4099, i)
	}
	b.WriteString(`</svg>`)
	return []byte(b.String())
}

func svgBillionLaughs() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY l0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, `<!ENTITY l%d "%s">`, i, strings.Repeat(fmt.Sprintf("&l%d;", i-1), 10))
	}
	b.WriteString(`]><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><text y="20">&l9;</text></svg>`)
	return []byte(b.String())
}

func svgUseBomb() []byte {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="500" height="500"><defs><g id="a0"><rect width="1" height="1"/></g>`)
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, `<g id="a%d">`, i)
		for j := 0; j < 10; j++ {
			fmt.Fprintf(&b, `<use xlink:href="#a%d"/>`, i-1)
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</defs><use xlink:href="#a12"/></svg>`)
	return []byte(b.String())
}

func svgNested(depth int) []byte {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">`)
	b.WriteString(strings.Repeat("<g>", depth))
	b.WriteString(`<rect width="10" height="10"/>`)
	b.WriteString(strings.Repeat("</g>", depth))
	b.WriteString(`</svg>`)
	return []byte(b.String())
}

func svgExternal(url string) []byte {
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100">` +
		`<image href="` + url + `" xlink:href="` + url + `" width="100" height="100"/></svg>`)
}

func svgXXE() []byte {
	return []byte(`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>` +
		`<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><text y="20">&x;</text></svg>`)
}

func svgXInclude(url string) []byte {
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xi="http://www.w3.org/2001/XInclude" width="100" height="100">` +
		`<text y="20"><xi:include href="` + url + `" parse="text"/></text></svg>`)
}

func svgCSSImport(url string) []byte {
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><style>@import url("` + url + `");</style>` +
		`<rect width="10" height="10"/></svg>`)
}
