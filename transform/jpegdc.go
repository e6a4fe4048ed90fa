package transform

// A JPEG shrunk on load by 8 is one pixel per 8×8 block: the block's DC
// coefficient. libjpeg gets there by decoding every coefficient's value and
// running a reduced IDCT, and that Huffman decoding is most of a cold
// thumbnail's CPU. icdn_jpegdc.h skips the AC coefficients instead of
// decoding them, several symbols per table lookup (bench/findings.md, item
// 18). Its pixels equal libjpeg's for 4:4:4 and grey sources, and are
// within 2/255 of them for 4:2:0, whose chroma blocks it scales to 2×2 as
// libjpeg does.
//
// Progressive files are decoded from their DC scans (and the 4:2:0 chroma
// bands) alone, where libjpeg decodes every scan into a coefficient buffer
// of the whole image first: 2–30× faster, and stoppable between rows.
//
// Everything it does not handle (arithmetic, 12-bit, CMYK, RGB, 4:1:1, a
// sequential file in several scans, truncated or damaged data) goes to
// libjpeg as before, so such files answer exactly as they did.

/*
#cgo pkg-config: vips
#cgo LDFLAGS: -lm
#include <vips/vips.h>
#include "icdn_jpegdc.h"

static void icdn_jdc_free_pixels(VipsImage *im, void *pixels) { free(pixels); }

// icdn_jdc_builtin reports the names vips_image_map lists for an image's
// own fields rather than its metadata.
static int icdn_jdc_builtin(const char *name) {
	static const char *names[] = {"width", "height", "bands", "format", "coding", "interpretation",
		"xoffset", "yoffset", "xres", "yres", "filename", "mode", "scale", "offset", NULL};
	for (int i = 0; names[i]; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

// icdn_jdc_coef_bytes is what libjpeg holds per source pixel to decode a
// progressive file, whatever the scale: every coefficient of the image, 2
// bytes for each sample of each component. 0 for a sequential file.
static int icdn_jdc_coef_bytes(VipsImage *hdr) {
	int interlaced = 0;
	const char *sub = NULL;
	if (!vips_image_get_typeof(hdr, "interlaced") || vips_image_get_int(hdr, "interlaced", &interlaced) || !interlaced)
		return 0;
	if (hdr->Bands == 3 && vips_image_get_typeof(hdr, "jpeg-chroma-subsample") &&
		!vips_image_get_string(hdr, "jpeg-chroma-subsample", &sub) && sub && strcmp(sub, "4:2:0") == 0)
		return 3;
	return 2 * hdr->Bands;
}

static void *icdn_jdc_copy_meta(VipsImage *from, const char *name, GValue *value, void *to) {
	if (!icdn_jdc_builtin(name))
		vips_image_set((VipsImage *) to, name, value);
	return NULL;
}

// icdn_jdc_image decodes src at 1/8 into a memory image that carries hdr's
// metadata (EXIF orientation, ICC profile, resolution). hdr is libvips'
// own jpegload of src at shrink 8, not yet decoded; its kill flag stops
// the decode. The result has hdr's size (libvips rounds the size at 1/8
// down, libjpeg up) and must have its bands.
static int icdn_jdc_image(const void *src, size_t n, VipsImage *hdr, VipsImage **out) {
	uint8_t *pix;
	int w = hdr->Xsize, h = hdr->Ysize, bands;
	int r = icdn_jdc_decode(src, n, &hdr->kill, &pix, &w, &h, &bands);
	if (r != ICDN_JDC_OK)
		return r;
	if (bands != hdr->Bands || hdr->BandFmt != VIPS_FORMAT_UCHAR) {
		free(pix);
		return ICDN_JDC_UNSUPPORTED;
	}
	VipsImage *im = vips_image_new_from_memory(pix, (size_t) w * h * bands, w, h, bands, VIPS_FORMAT_UCHAR);
	if (im == NULL) {
		free(pix);
		return ICDN_JDC_NOMEM;
	}
	g_signal_connect(im, "postclose", G_CALLBACK(icdn_jdc_free_pixels), pix);
	im->Type = hdr->Type;
	im->Xres = hdr->Xres;
	im->Yres = hdr->Yres;
	vips_image_map(hdr, icdn_jdc_copy_meta, im);
	*out = im;
	return ICDN_JDC_OK;
}
*/
import "C"

import (
	"errors"
	"sync/atomic"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

// jpegDCDecodes counts sources decoded by icdn_jpegdc.h, and jpegDCOff
// turns it off: for the tests, which compare it with libjpeg.
var (
	jpegDCDecodes atomic.Int64
	jpegDCOff     atomic.Bool
)

var errJPEGDCKilled = errors.New("transform: JPEG decode stopped")

// jpegDCMinPixels is the smallest image at 1/8 (a 1 MP source) worth the
// decoder's tables: below it libjpeg's own decode costs less than building
// them.
const jpegDCMinPixels = 1 << 14

// openJPEG opens a JPEG with libvips' jpegload, shrunk on load by
// o.jpegShrink; at 8 the DC decoder then decodes what it can. r is the
// job's roots, whose kill flag stops that decode.
func openJPEG(src []byte, o loadOptions, r *roots) (*vips.ImageRef, error) {
	img, err := openImage(vips.ImageTypeJPEG, src, o)
	if err != nil || o.jpegShrink != 8 {
		return img, err
	}
	if err := decodeEighth(src, img, r); err != nil {
		img.Close()
		return nil, err
	}
	return img, nil
}

// decodeEighth replaces hdr, libvips' jpegload of src at shrink 8, with the
// same image decoded by icdn_jpegdc.h when that decoder handles the file.
// hdr becomes a root first, so that the deadline's kill flag reaches the
// decode. Otherwise hdr is left as it was, for libjpeg to decode.
func decodeEighth(src []byte, hdr *vips.ImageRef, r *roots) error {
	in := cImage(hdr)
	if in == nil || len(src) == 0 || jpegDCOff.Load() || hdr.Width()*hdr.Height() < jpegDCMinPixels {
		return nil
	}
	r.add(hdr)
	var out *C.VipsImage
	switch C.icdn_jdc_image(unsafe.Pointer(&src[0]), C.size_t(len(src)), in, &out) {
	case C.ICDN_JDC_OK:
		jpegDCDecodes.Add(1)
		setCImage(hdr, out)
		return nil
	case C.ICDN_JDC_KILLED:
		return errJPEGDCKilled
	default: // unsupported, or out of memory: libjpeg decides
		return nil
	}
}

// decodeJPEGDC runs icdn_jpegdc.h alone on src: the whole image at 1/8, its
// size and bands, and whether the decoder handled the file. For the tests
// and the fuzzer, which feed it files libvips would not open.
func decodeJPEGDC(src []byte) (pix []byte, w, h, bands int, ok bool) {
	if len(src) == 0 {
		return nil, 0, 0, 0, false
	}
	var out *C.uint8_t
	var cw, ch, cb C.int
	var kill C.int
	if C.icdn_jdc_decode((*C.uint8_t)(unsafe.Pointer(&src[0])), C.size_t(len(src)), &kill, &out, &cw, &ch, &cb) != C.ICDN_JDC_OK {
		return nil, 0, 0, 0, false
	}
	defer C.free(unsafe.Pointer(out))
	w, h, bands = int(cw), int(ch), int(cb)
	return C.GoBytes(unsafe.Pointer(out), C.int(w*h*bands)), w, h, bands, true
}

// progressiveJPEGBytesPerPixel is what libjpeg holds per source pixel for a
// progressive JPEG, whose scans it decodes into a whole-image coefficient
// buffer before the first row: 3 bytes for 4:2:0, 6 for 4:4:4, 2 for grey,
// 8 for CMYK; 0 for a sequential file (hdr: the source's header). The DC
// decoder holds about a third of that, but the estimate is made before it
// has accepted the file.
func progressiveJPEGBytesPerPixel(hdr *vips.ImageRef) int64 {
	in := cImage(hdr)
	if in == nil {
		return 0
	}
	return int64(C.icdn_jdc_coef_bytes(in))
}
