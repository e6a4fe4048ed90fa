package transform

// AVIF sources are decoded by libheif's AV1 decoder plugin, dav1d. libheif
// 1.15 leaves dav1d's thread count at its default, one thread per CPU of the
// calling thread, started and joined for every image: on a 2-CPU machine a
// 49 MP AVIF took 3.6 s and 362 MB with 2 threads against 2.9 s and 323 MB
// with one, and a large host starts dozens per request, each with its own
// buffers, beside the Processor's own parallelism. libheif has no setting
// for it, and libvips 8.14's heifload cannot pass a decoder choice. So this
// file registers one more AV1 decoder plugin with libheif, ahead of dav1d's
// own by priority: the same libdav1d, with one thread and one frame of
// delay (a still image has one frame). libvips' heifload then uses it for
// every AVIF source, layer and alpha plane.

/*
#cgo pkg-config: libheif dav1d
#include <stdlib.h>
#include <string.h>
#include <dav1d/dav1d.h>
#include <libheif/heif.h>
#include <libheif/heif_plugin.h>
#include "icdn_bytes.h"

typedef struct {
	Dav1dContext *ctx;
	icdn_bytes in; // the pushed bitstream, until decode_image
} icdn_av1;

static const struct heif_error icdn_av1_ok = {heif_error_Ok, heif_suberror_Unspecified, "Success"};
static const struct heif_error icdn_av1_oom = {heif_error_Memory_allocation_error, heif_suberror_Unspecified, "out of memory"};
static const struct heif_error icdn_av1_failed = {heif_error_Decoder_plugin_error, heif_suberror_Unspecified, "AV1 decoding failed"};

// icdn_av1_decoders counts decoders made, for the tests.
static long icdn_av1_decoders;

static const char *icdn_av1_name(void) { return "image_cdn: dav1d, one thread"; }
static void icdn_av1_init(void) {}
static void icdn_av1_deinit(void) {}

// Above the priority of libheif's own dav1d (150) and libaom (100) plugins.
static int icdn_av1_supports(enum heif_compression_format f) { return f == heif_compression_AV1 ? 200 : 0; }

static struct heif_error icdn_av1_new(void **out) {
	Dav1dSettings s;
	icdn_av1 *d = calloc(1, sizeof *d);
	if (d == NULL)
		return icdn_av1_oom;
	dav1d_default_settings(&s);
	s.n_threads = 1;
	s.max_frame_delay = 1;
	s.all_layers = 0;
	if (dav1d_open(&d->ctx, &s) != 0) {
		free(d);
		return icdn_av1_failed;
	}
	__atomic_add_fetch(&icdn_av1_decoders, 1, __ATOMIC_RELAXED);
	*out = d;
	return icdn_av1_ok;
}

static void icdn_av1_free(void *p) {
	icdn_av1 *d = p;
	if (d == NULL)
		return;
	dav1d_close(&d->ctx);
	free(d->in.data);
	free(d);
}

static void icdn_av1_strict(void *p, int flag) {}

static struct heif_error icdn_av1_push(void *p, const void *data, size_t n) {
	icdn_av1 *d = p;
	return icdn_bytes_append(&d->in, data, n) == 0 ? icdn_av1_ok : icdn_av1_oom;
}

static struct heif_error icdn_av1_decode(void *p, struct heif_image **out) {
	icdn_av1 *d = p;
	Dav1dData in;
	Dav1dPicture pic;
	struct heif_error err;
	struct heif_image *img = NULL;
	struct heif_color_profile_nclx nclx;
	enum heif_chroma chroma;
	enum heif_colorspace space = heif_colorspace_YCbCr;
	int r, planes = 3, flushed = 0;

	memset(&in, 0, sizeof in);
	memset(&pic, 0, sizeof pic);
	uint8_t *buf = dav1d_data_create(&in, d->in.len);
	if (buf == NULL)
		return icdn_av1_oom;
	memcpy(buf, d->in.data, d->in.len);
	d->in.len = 0; // consumed: a decoder that is pushed more decodes only the new data
	// Feed the whole bitstream, then drain until the picture comes out.
	for (;;) {
		if (in.sz > 0) {
			r = dav1d_send_data(d->ctx, &in);
			if (r < 0 && r != DAV1D_ERR(EAGAIN))
				goto fail;
		}
		r = dav1d_get_picture(d->ctx, &pic);
		if (r == 0)
			break;
		if (r != DAV1D_ERR(EAGAIN))
			goto fail;
		if (in.sz == 0) {
			if (flushed)
				goto fail; // no picture in the data
			flushed = 1;
		}
	}
	if (in.sz > 0)
		dav1d_data_unref(&in);

	switch (pic.p.layout) {
	case DAV1D_PIXEL_LAYOUT_I420: chroma = heif_chroma_420; break;
	case DAV1D_PIXEL_LAYOUT_I422: chroma = heif_chroma_422; break;
	case DAV1D_PIXEL_LAYOUT_I444: chroma = heif_chroma_444; break;
	case DAV1D_PIXEL_LAYOUT_I400:
		chroma = heif_chroma_monochrome;
		space = heif_colorspace_monochrome;
		planes = 1;
		break;
	default:
		dav1d_picture_unref(&pic);
		return icdn_av1_failed;
	}
	err = heif_image_create(pic.p.w, pic.p.h, space, chroma, &img);
	if (err.code) {
		dav1d_picture_unref(&pic);
		return err;
	}
	memset(&nclx, 0, sizeof nclx);
	nclx.version = 1;
	heif_nclx_color_profile_set_color_primaries(&nclx, (uint16_t) pic.seq_hdr->pri);
	heif_nclx_color_profile_set_transfer_characteristics(&nclx, (uint16_t) pic.seq_hdr->trc);
	heif_nclx_color_profile_set_matrix_coefficients(&nclx, (uint16_t) pic.seq_hdr->mtrx);
	nclx.full_range_flag = pic.seq_hdr->color_range != 0;
	heif_image_set_nclx_color_profile(img, &nclx);

	static const enum heif_channel channels[3] = {heif_channel_Y, heif_channel_Cb, heif_channel_Cr};
	int bytes = (pic.p.bpc + 7) / 8;
	for (int c = 0; c < planes; c++) {
		int w = pic.p.w, h = pic.p.h, stride;
		if (c > 0 && pic.p.layout != DAV1D_PIXEL_LAYOUT_I444) {
			w = (w + 1) / 2;
			if (pic.p.layout == DAV1D_PIXEL_LAYOUT_I420)
				h = (h + 1) / 2;
		}
		err = heif_image_add_plane(img, channels[c], w, h, pic.p.bpc);
		if (err.code) {
			heif_image_release(img);
			dav1d_picture_unref(&pic);
			return err;
		}
		uint8_t *dst = heif_image_get_plane(img, channels[c], &stride);
		const uint8_t *src = pic.data[c];
		ptrdiff_t src_stride = pic.stride[c > 0 ? 1 : 0];
		for (int y = 0; y < h; y++)
			memcpy(dst + (size_t) y * stride, src + y * src_stride, (size_t) w * bytes);
	}
	dav1d_picture_unref(&pic);
	*out = img;
	return icdn_av1_ok;
fail:
	if (in.sz > 0)
		dav1d_data_unref(&in);
	return icdn_av1_failed;
}

static const struct heif_decoder_plugin icdn_av1_plugin = {
	.plugin_api_version = 3,
	.get_plugin_name = icdn_av1_name,
	.init_plugin = icdn_av1_init,
	.deinit_plugin = icdn_av1_deinit,
	.does_support_format = icdn_av1_supports,
	.new_decoder = icdn_av1_new,
	.free_decoder = icdn_av1_free,
	.push_data = icdn_av1_push,
	.decode_image = icdn_av1_decode,
	.set_strict_decoding = icdn_av1_strict,
	.id_name = "icdn-dav1d",
};

static int icdn_av1_register(void) { return heif_register_decoder_plugin(&icdn_av1_plugin).code; }
static long icdn_av1_made(void) { return __atomic_load_n(&icdn_av1_decoders, __ATOMIC_RELAXED); }
*/
import "C"

import "fmt"

// registerAV1Decoder puts the one-thread AV1 decoder ahead of libheif's
// own. Startup calls it once, before any source is decoded.
func registerAV1Decoder() error {
	if code := C.icdn_av1_register(); code != 0 {
		return fmt.Errorf("transform: registering the AV1 decoder with libheif failed (%d)", int(code))
	}
	return nil
}

// av1DecodersMade is how many AV1 decoders this file's plugin has made.
func av1DecodersMade() int64 { return int64(C.icdn_av1_made()) }
