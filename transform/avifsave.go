package transform

// AVIF is encoded by libheif here, not by libvips' heifsave, for two
// things libvips 8.14 does not do:
//   - pass the encoder a thread count. libheif's AOM encoder starts 4
//     threads for every image unless told otherwise; heifsave only learnt
//     to pass libvips' concurrency in 8.16 (libvips#3758). A thumbnail is
//     one tile, so those threads mostly start, wait and join: with 2
//     transformations on 2 cores, one thread per image costs about 12 %
//     less CPU per AVIF for the same file. Parallelism comes from the
//     Processor's workers, as everywhere else in this package.
//   - keep lo-true lossless. heifsave converts RGB to YCbCr (and to 4:2:0
//     below Q90) before the lossless encoder sees it; here lossless keeps
//     RGB (identity matrix, 4:4:4), so every pixel comes back as it went in.
//
// Lossy files are heifsave's own calls (Q, speed = 9 − effort, chroma
// 4:2:0 below Q90 and 4:4:4 from it, alpha saved) on the same libheif.
// Only stripped, single-page 8-bit RGB or RGBA images take this path:
// metadata and pages stay with libvips (avifDirect).

/*
#cgo pkg-config: vips libheif
#include <stdlib.h>
#include <string.h>
#include <libheif/heif.h>
#include <vips/vips.h>
#include "icdn_bytes.h"

typedef struct {
	uint8_t *data;
	int stride;
	size_t row;
} icdn_avif_plane;

// One call per strip, top to bottom, on libvips' write-behind thread.
static int icdn_avif_rows(VipsRegion *region, VipsRect *area, void *a) {
	icdn_avif_plane *p = a;
	for (int y = 0; y < area->height; y++)
		memcpy(p->data + (size_t) (area->top + y) * p->stride,
		       VIPS_REGION_ADDR(region, 0, area->top + y), p->row);
	return 0;
}

static struct heif_error icdn_avif_write(struct heif_context *ctx, const void *data, size_t n, void *user) {
	struct heif_error ok = {heif_error_Ok, heif_suberror_Unspecified, "ok"};
	struct heif_error oom = {heif_error_Memory_allocation_error, heif_suberror_Unspecified, "out of memory"};
	return icdn_bytes_append(user, data, n) == 0 ? ok : oom;
}

// icdn_avif_threads sets the encoder's thread count, clipped to what the
// encoder accepts; an encoder without the parameter is left as it is.
static void icdn_avif_threads(struct heif_encoder *enc, int want) {
	const struct heif_encoder_parameter *const *p;
	for (p = heif_encoder_list_parameters(enc); *p != NULL; p++) {
		int has_min, has_max, min, max;
		if (strcmp(heif_encoder_parameter_get_name(*p), "threads") != 0)
			continue;
		if (heif_encoder_parameter_get_valid_integer_values(*p, &has_min, &has_max, &min, &max, NULL, NULL).code)
			return;
		if (has_min && want < min)
			want = min;
		if (has_max && want > max)
			want = max;
		heif_encoder_set_parameter_integer(enc, "threads", want);
	}
}

// icdn_avif_save encodes in (8-bit, 3 or 4 bands, one page) into *out. It
// returns NULL on success, else a message to free: libvips' error buffer
// is left for the caller when *vips_failed is set. *threads receives the
// encoder's thread count as set, for the tests.
static char *icdn_avif_save(VipsImage *in, int q, int lossless, int speed,
                            icdn_bytes *out, int *vips_failed, int *threads) {
	struct heif_context *ctx = NULL;
	struct heif_encoder *enc = NULL;
	struct heif_image *img = NULL;
	struct heif_image_handle *handle = NULL;
	struct heif_encoding_options *opts = NULL;
	struct heif_color_profile_nclx *nclx = NULL;
	struct heif_error err;
	char *msg = NULL;
	int alpha = in->Bands == 4;
	icdn_avif_plane plane;
	struct heif_writer writer;

	*vips_failed = 0;
	*threads = 0;
#define FAIL(e) do { msg = g_strdup((e).message); goto done; } while (0)
	ctx = heif_context_alloc();
	if (ctx == NULL) {
		msg = g_strdup("out of memory");
		goto done;
	}
	err = heif_context_get_encoder_for_format(ctx, heif_compression_AV1, &enc);
	if (err.code)
		FAIL(err);
	if ((err = heif_encoder_set_lossy_quality(enc, q)).code)
		FAIL(err);
	if ((err = heif_encoder_set_lossless(enc, lossless)).code)
		FAIL(err);
	err = heif_encoder_set_parameter_integer(enc, "speed", speed);
	if (err.code && err.subcode != heif_suberror_Unsupported_parameter)
		FAIL(err);
	err = heif_encoder_set_parameter_string(enc, "chroma", q >= 90 || lossless ? "444" : "420");
	if (err.code && err.subcode != heif_suberror_Unsupported_parameter)
		FAIL(err);
	icdn_avif_threads(enc, vips_concurrency_get());
	heif_encoder_get_parameter_integer(enc, "threads", threads);

	err = heif_image_create(in->Xsize, in->Ysize, heif_colorspace_RGB,
	                        alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, &img);
	if (err.code)
		FAIL(err);
	if ((err = heif_image_add_plane(img, heif_channel_interleaved, in->Xsize, in->Ysize, 8)).code)
		FAIL(err);
	if (lossless) {
		// RGB kept as RGB (identity matrix, full range), which libheif
		// takes from the input image: converted to YCbCr, "lossless"
		// would round every pixel, as libvips 8.14's does.
		nclx = heif_nclx_color_profile_alloc();
		if (nclx == NULL) {
			msg = g_strdup("out of memory");
			goto done;
		}
		nclx->color_primaries = heif_color_primaries_ITU_R_BT_709_5;
		nclx->transfer_characteristics = heif_transfer_characteristic_IEC_61966_2_1;
		nclx->matrix_coefficients = heif_matrix_coefficients_RGB_GBR;
		nclx->full_range_flag = 1;
		if ((err = heif_image_set_nclx_color_profile(img, nclx)).code)
			FAIL(err);
	}
	plane.data = heif_image_get_plane(img, heif_channel_interleaved, &plane.stride);
	plane.row = VIPS_IMAGE_SIZEOF_LINE(in);
	if (plane.data == NULL || (size_t) plane.stride < plane.row) {
		msg = g_strdup("no image plane");
		goto done;
	}
	if (vips_sink_disc(in, icdn_avif_rows, &plane)) {
		*vips_failed = 1;
		goto done;
	}

	opts = heif_encoding_options_alloc();
	if (opts == NULL) {
		msg = g_strdup("out of memory");
		goto done;
	}
	opts->save_alpha_channel = alpha;
	err = heif_context_encode_image(ctx, img, enc, opts, &handle);
	if (err.code)
		FAIL(err);
	writer.writer_api_version = 1;
	writer.write = icdn_avif_write;
	if ((err = heif_context_write(ctx, &writer, out)).code)
		FAIL(err);
#undef FAIL
done:
	if (opts != NULL)
		heif_encoding_options_free(opts);
	if (nclx != NULL)
		heif_nclx_color_profile_free(nclx);
	if (handle != NULL)
		heif_image_handle_release(handle);
	if (img != NULL)
		heif_image_release(img);
	if (enc != NULL)
		heif_encoder_release(enc);
	if (ctx != NULL)
		heif_context_free(ctx);
	if ((msg != NULL || *vips_failed) && out->data != NULL) {
		free(out->data);
		out->data = NULL;
		out->len = out->cap = 0;
	}
	return msg;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

// avifEffort is the effort both encoders are given: libaom speed 8,
// imgproxy's default. On 300×300 photo thumbnails it encodes at 3/4 of
// effort 2's CPU for files within 0.5 % of the size; inline AVIF must stay
// cheap.
const avifEffort = 1

// avifDirect reports whether saveAVIF can encode img: 8-bit sRGB, with or
// without alpha, one page. Anything else (grey, 16-bit, pages; metadata to
// keep, which save decides) goes through libvips' heifsave, which converts
// and attaches as it does.
func avifDirect(img *vips.ImageRef) bool {
	return cImage(img) != nil && img.BandFormat() == vips.BandFormatUchar &&
		img.Interpretation() == vips.InterpretationSRGB &&
		(img.Bands() == 3 || img.Bands() == 4) && img.PageHeight() == img.Height()
}

// saveAVIF encodes img (avifDirect) as AVIF at quality q. threads is the
// encoder's thread count as set, which the tests check.
func saveAVIF(img *vips.ImageRef, q int, lossless bool) (out []byte, threads int, err error) {
	im := cImage(img)
	if im == nil {
		return nil, 0, errLayout
	}
	var (
		res        C.icdn_bytes
		vipsFailed C.int
		encThreads C.int
		cLossless  C.int
	)
	if lossless {
		cLossless = 1
	}
	msg := C.icdn_avif_save(im, C.int(q), cLossless, C.int(9-avifEffort), &res, &vipsFailed, &encThreads)
	if msg != nil {
		defer C.g_free(C.gpointer(msg))
		return nil, 0, fmt.Errorf("avif: %s", C.GoString(msg))
	}
	if vipsFailed != 0 {
		return nil, 0, vipsError()
	}
	defer C.free(unsafe.Pointer(res.data))
	if res.len == 0 || res.len > math.MaxInt32 {
		return nil, 0, errors.New("avif: encoder wrote no file")
	}
	return C.GoBytes(unsafe.Pointer(res.data), C.int(res.len)), int(encThreads), nil
}
