package transform

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

extern void icdnReleasePinned(void *blob);

static int icdn_dec_release(void *data, void *area) { icdnReleasePinned(area); return 0; }

// icdn_dec_source wraps the encoded image, in pinned Go memory, in a blob
// whose free callback unpins it (pinned.go); the caller registers the
// blob, then drops its own reference with icdn_dec_blob_unref.
static VipsSource *icdn_dec_source(void *data, size_t len, VipsBlob **blob) {
	*blob = vips_blob_new((VipsCallbackFn) icdn_dec_release, data, len);
	return vips_source_new_from_blob(*blob);
}

static void icdn_dec_blob_unref(VipsBlob *blob) { vips_area_unref(VIPS_AREA(blob)); }

// icdn_dec_load runs the loader called name (e.g. "jpegload_source") with
// options such as "fail_on=truncated,access=sequential".
static int icdn_dec_load(const char *name, VipsSource *src, const char *options, VipsImage **out) {
	VipsOperation *op = vips_operation_new(name);
	if (!op)
		return -1;
	if (vips_object_set(VIPS_OBJECT(op), "source", src, NULL) ||
		vips_object_set_from_string(VIPS_OBJECT(op), options) ||
		vips_cache_operation_buildp(&op)) {
		vips_object_unref_outputs(VIPS_OBJECT(op));
		g_object_unref(op);
		return -1;
	}
	g_object_get(op, "out", out, NULL);
	vips_object_unref_outputs(VIPS_OBJECT(op));
	g_object_unref(op);
	return 0;
}

static int icdn_dec_thumbnail(VipsSource *src, int w, int h, int crop, int size, const char *options, VipsImage **out) {
	return vips_thumbnail_source(src, out, w, "height", h, "crop", crop, "size", size,
		"option_string", options, NULL);
}

// icdn_dec_loader copies the nickname of the loader libvips used for im.
static void icdn_dec_loader(VipsImage *im, char *buf, size_t n) {
	const char *s = NULL;
	buf[0] = 0;
	if (vips_image_get_typeof(im, VIPS_META_LOADER) && !vips_image_get_string(im, VIPS_META_LOADER, &s) && s)
		g_strlcpy(buf, s, n);
}

static int icdn_dec_avg(VipsImage *in, double *out) { return vips_avg(in, out, NULL); }
static void icdn_dec_unref(void *p) { g_object_unref(p); }
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

// loaders maps a sniffed source type to the only libvips loader allowed to
// read it. BMP has no libvips loader here: it is converted first (bmp.go).
var loaders = map[vips.ImageType]string{
	vips.ImageTypeJPEG: "jpegload", vips.ImageTypePNG: "pngload", vips.ImageTypeGIF: "gifload",
	vips.ImageTypeWEBP: "webpload", vips.ImageTypeTIFF: "tiffload", vips.ImageTypeHEIF: "heifload",
	vips.ImageTypeAVIF: "heifload", vips.ImageTypeSVG: "svgload", vips.ImageTypePDF: "pdfload",
	vips.ImageTypeJXL: "jxlload",
}

// loadOptions are the loader options this package uses. Every load fails
// on truncated or damaged data (libvips fail_on, since 8.12): a source
// that decodes to grey is an error, not a cacheable image.
type loadOptions struct {
	sequential bool // read top to bottom once (cheaper); random access otherwise
	allPages   bool // every frame of an animation
	jpegShrink int  // DCT shrink factor, 2/4/8; 0 for none
	page       int  // 0-based page or frame (pg-); only set for a source that has it
}

func (o loadOptions) String() string {
	opts := []string{"fail_on=truncated"}
	if o.sequential {
		opts = append(opts, "access=sequential")
	}
	if o.allPages {
		opts = append(opts, "n=-1")
	}
	if o.page > 0 {
		opts = append(opts, fmt.Sprintf("page=%d", o.page))
	}
	if o.jpegShrink > 1 {
		opts = append(opts, fmt.Sprintf("shrink=%d", o.jpegShrink))
	}
	return strings.Join(opts, ",")
}

// newSource gives libvips src without copying it: the bytes stay pinned,
// or their SourceBuffer referenced, until libvips frees the source
// (pinned.go).
func newSource(src []byte) *C.VipsSource {
	var r releaser
	if b := offHeap.holding(unsafe.Pointer(&src[0])); b != nil {
		r = b
	} else {
		p := new(pinned)
		p.Pin(&src[0])
		r = p
	}
	var blob *C.VipsBlob
	s := C.icdn_dec_source(unsafe.Pointer(&src[0]), C.size_t(len(src)), &blob)
	pins.Store(unsafe.Pointer(blob), r)
	C.icdn_dec_blob_unref(blob)
	return s
}

// openImage opens src with the loader for t: the header is read now,
// pixels when an operation needs them.
func openImage(t vips.ImageType, src []byte, o loadOptions) (*vips.ImageRef, error) {
	name, ok := loaders[t]
	if !ok || len(src) == 0 {
		return nil, unsupportedf("source is not an image format that can be transformed")
	}
	cname := C.CString(name + "_source")
	defer C.free(unsafe.Pointer(cname))
	copts := C.CString(o.String())
	defer C.free(unsafe.Pointer(copts))
	s := newSource(src)
	defer C.icdn_dec_unref(unsafe.Pointer(s))
	var out *C.VipsImage
	if C.icdn_dec_load(cname, s, copts, &out) != 0 {
		return nil, corrupt("the source image cannot be read", vipsError())
	}
	return wrap(out)
}

// openThumbnail decodes and resizes in one pass (shrink-on-load). libvips
// picks the loader itself; it must be the one openImage would use.
func openThumbnail(t vips.ImageType, src []byte, w, h int, crop vips.Interesting, size vips.Size, page int) (*vips.ImageRef, error) {
	name, ok := loaders[t]
	if !ok || len(src) == 0 {
		return nil, unsupportedf("source is not an image format that can be transformed")
	}
	copts := C.CString(loadOptions{page: page}.String())
	defer C.free(unsafe.Pointer(copts))
	s := newSource(src)
	defer C.icdn_dec_unref(unsafe.Pointer(s))
	var out *C.VipsImage
	if C.icdn_dec_thumbnail(s, C.int(w), C.int(h), C.int(crop), C.int(size), copts, &out) != 0 {
		return nil, corrupt("the source image cannot be read", vipsError())
	}
	var buf [64]C.char
	C.icdn_dec_loader(out, &buf[0], C.size_t(len(buf)))
	if used := C.GoString(&buf[0]); !strings.HasPrefix(used, name) {
		C.icdn_dec_unref(unsafe.Pointer(out))
		return nil, unsupportedf("source is not an image format that can be transformed")
	}
	return wrap(out)
}

// decodesCleanly decodes every pixel of src once, sequentially and without
// keeping them, to tell a damaged source (false) from a failure of the
// transformation itself, when an error surfaces only once pixels are read.
// The image is a root of the job, so the deadline stops it too.
func (j *job) decodesCleanly() bool {
	img, err := openImage(j.srcType, j.src, loadOptions{sequential: true, allPages: j.animate, page: max(j.page-1, 0)})
	if err != nil {
		return false
	}
	defer img.Close()
	j.roots.add(img)
	var avg C.double
	ok := C.icdn_dec_avg(cImage(img), &avg) == 0
	if !ok {
		C.vips_error_clear()
	}
	return ok
}
