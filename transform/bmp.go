package transform

/*
#cgo pkg-config: vips
#include <vips/vips.h>

static VipsImage *icdn_bmp_image(void *data, size_t len, int w, int h, int bands) {
	return vips_image_new_from_memory_copy(data, len, w, h, bands, VIPS_FORMAT_UCHAR);
}
static void icdn_bmp_srgb(VipsImage *im) { im->Type = VIPS_INTERPRETATION_sRGB; }
*/
import "C"

import (
	"encoding/binary"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

// libvips has no BMP loader of its own (only ImageMagick's, which is
// blocked), and govips decodes BMP in Go before any limit is checked: a
// 118-byte file claiming 2³¹ rows made the Go runtime die of an
// out-of-memory fatal error, which no recover catches. So BMP is read
// here: the header first, against the limits and against the file's own
// length, and only then the pixels, into a buffer of exactly the size the
// checks allowed.

// bmpHeader is what the pixel decoder needs from a BMP header.
type bmpHeader struct {
	width, height int  // height is positive; topDown says which way rows run
	topDown       bool // a negative height in the file
	bpp           int  // 8 (palette), 24 (BGR) or 32 (BGRA)
	alpha         bool // 32-bit with a V4/V5 header: the fourth byte is alpha
	offset        int  // where the pixel rows start
	palette       [][3]byte
}

// Only the BMP variants browsers meet in practice are read: uncompressed
// 8-bit palette, 24-bit and 32-bit. RLE and the rest are Unsupported.
func parseBMP(b []byte) (*bmpHeader, error) {
	bad := corrupt("the source BMP header is damaged", nil)
	if len(b) < 26 || b[0] != 'B' || b[1] != 'M' {
		return nil, bad
	}
	le := binary.LittleEndian
	h := &bmpHeader{offset: int(le.Uint32(b[10:14]))}
	infoLen := int(le.Uint32(b[14:18]))
	switch infoLen {
	case 40, 52, 56, 108, 124:
	default:
		return nil, unsupportedf("this BMP variant is not supported; use 8, 24 or 32-bit uncompressed BMP")
	}
	if len(b) < 14+infoLen {
		return nil, bad
	}
	w, ht := int64(int32(le.Uint32(b[18:22]))), int64(int32(le.Uint32(b[22:26])))
	planes, bpp, compression := le.Uint16(b[26:28]), int(le.Uint16(b[28:30])), le.Uint32(b[30:34])
	if ht < 0 {
		ht, h.topDown = -ht, true
	}
	if w <= 0 || ht <= 0 || planes != 1 {
		return nil, bad
	}
	h.width, h.height, h.bpp = int(w), int(ht), bpp
	switch {
	case compression == 0 && (bpp == 8 || bpp == 24 || bpp == 32):
	case compression == 3 && bpp == 32 && infoLen >= 52 &&
		le.Uint32(b[54:58]) == 0xff0000 && le.Uint32(b[58:62]) == 0xff00 && le.Uint32(b[62:66]) == 0xff:
		// Bit fields that say what BI_RGB already means.
	default:
		return nil, unsupportedf("this BMP variant is not supported; use 8, 24 or 32-bit uncompressed BMP")
	}
	h.alpha = bpp == 32 && infoLen > 40
	if bpp == 8 {
		n := int(le.Uint32(b[46:50]))
		if n == 0 {
			n = 256
		}
		start := 14 + infoLen
		if n > 256 || start+4*n > len(b) || start+4*n > h.offset {
			return nil, bad
		}
		for i := 0; i < n; i++ {
			p := b[start+4*i:]
			h.palette = append(h.palette, [3]byte{p[2], p[1], p[0]})
		}
	}
	return h, nil
}

// stride is the bytes of one row in the file, padded to 4.
func (h *bmpHeader) stride() int64 { return (int64(h.width)*int64(h.bpp) + 31) / 32 * 4 }

// checkLength refuses a file shorter than its header says: a lying header
// cannot make the decoder allocate more than the file could fill.
func (h *bmpHeader) checkLength(n int) error {
	if h.offset < 14 || int64(h.offset)+h.stride()*int64(h.height) > int64(n) {
		return corrupt("the source BMP is truncated", nil)
	}
	return nil
}

func (h *bmpHeader) bands() int {
	if h.alpha {
		return 4
	}
	return 3
}

// decodeBMP turns the checked rows into an sRGB libvips image.
func decodeBMP(b []byte, h *bmpHeader) (*vips.ImageRef, error) {
	if err := h.checkLength(len(b)); err != nil {
		return nil, err
	}
	bands := h.bands()
	out := make([]byte, h.width*h.height*bands)
	stride := int(h.stride())
	for y := 0; y < h.height; y++ {
		row := h.offset + y*stride
		if !h.topDown {
			row = h.offset + (h.height-1-y)*stride
		}
		src := b[row : row+stride]
		dst := out[y*h.width*bands : (y+1)*h.width*bands]
		for x := 0; x < h.width; x++ {
			d := dst[x*bands:]
			switch h.bpp {
			case 8:
				i := int(src[x])
				if i >= len(h.palette) {
					return nil, corrupt("the source BMP is damaged", nil)
				}
				copy(d, h.palette[i][:])
			case 24:
				d[0], d[1], d[2] = src[3*x+2], src[3*x+1], src[3*x]
			case 32:
				d[0], d[1], d[2] = src[4*x+2], src[4*x+1], src[4*x]
				if h.alpha {
					d[3] = src[4*x+3]
				}
			}
		}
	}
	im := C.icdn_bmp_image(unsafe.Pointer(&out[0]), C.size_t(len(out)), C.int(h.width), C.int(h.height), C.int(bands))
	if im == nil {
		return nil, vipsError()
	}
	C.icdn_bmp_srgb(im)
	return wrap(im)
}
