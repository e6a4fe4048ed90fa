package transform

// ImageKit's effects that need more than one libvips call: contrast
// stretch, unsharp mask, shadow, gradient, colour replacement, arbitrary
// rotation, distortion. Each takes the step's parsed values; several are
// written against libvips directly (C below) because govips lacks the
// operations, and every result goes back through setCImage.

/*
#cgo pkg-config: vips
#include <vips/vips.h>

// icdn_usm: in + amount × (in − blur) where |in − blur| exceeds the
// threshold, on the colour bands; alpha is kept.
static int icdn_usm(VipsImage *in, VipsImage **out, double sigma, double min_ampl, double amount, double threshold) {
	VipsImage *base = vips_image_new();
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 12);
	int alpha = vips_image_hasalpha(in);
	VipsImage *c = in;
	int r = 0;
	if (alpha) {
		r = vips_extract_band(in, &t[0], 0, "n", in->Bands - 1, NULL);
		c = t[0];
	}
	r = r || vips_gaussblur(c, &t[1], sigma, "min_ampl", min_ampl, NULL) ||
		vips_subtract(c, t[1], &t[2], NULL) ||
		vips_abs(t[2], &t[3], NULL) ||
		vips_relational_const1(t[3], &t[4], VIPS_OPERATION_RELATIONAL_MORE, threshold * 255.0, NULL) ||
		vips_multiply(t[2], t[4], &t[5], NULL) ||
		vips_linear1(t[5], &t[6], amount / 255.0, 0, NULL) ||
		vips_add(c, t[6], &t[7], NULL) ||
		vips_cast(t[7], &t[8], VIPS_FORMAT_UCHAR, NULL);
	if (!r && alpha)
		r = vips_extract_band(in, &t[9], in->Bands - 1, NULL) || vips_bandjoin2(t[8], t[9], &t[10], NULL);
	if (!r)
		r = vips_copy(alpha ? t[10] : t[8], out, "interpretation", in->Type, NULL);
	g_object_unref(base);
	return r;
}

// icdn_ramp: a w×h RGBA image whose colour goes from `from` to `to` along
// t = ax·x + ay·y + b (clipped to 0..1).
static int icdn_ramp(VipsImage **out, int w, int h, double ax, double ay, double b, double *from, double *to) {
	VipsImage *base = vips_image_new();
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 8);
	VipsImage *m = vips_image_new_matrixv(2, 1, ax * 255.0, ay * 255.0);
	vips_object_local(base, m);
	double a[4], c[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (to[i] - from[i]) / 255.0;
		c[i] = from[i];
	}
	int r = vips_xyz(&t[0], w, h, NULL) ||
		vips_cast(t[0], &t[1], VIPS_FORMAT_FLOAT, NULL) ||
		vips_recomb(t[1], &t[2], m, NULL) ||
		vips_linear1(t[2], &t[3], 1, b * 255.0, NULL) ||
		vips_cast(t[3], &t[4], VIPS_FORMAT_UCHAR, NULL) ||
		vips_linear(t[4], &t[5], a, c, 4, NULL) ||
		vips_cast(t[5], &t[6], VIPS_FORMAT_UCHAR, NULL) ||
		vips_copy(t[6], out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
	g_object_unref(base);
	return r;
}

// icdn_replace: pixels of in (RGBA) within dist of `from` (RGB distance)
// become `to` (RGBA).
static int icdn_replace(VipsImage *in, VipsImage **out, double *from, double *to, double dist) {
	VipsImage *base = vips_image_new();
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 8);
	double one[3] = {1, 1, 1}, neg[3] = {-from[0], -from[1], -from[2]};
	double zero[4] = {0, 0, 0, 0};
	VipsImage *m = vips_image_new_matrixv(3, 1, 1.0, 1.0, 1.0);
	vips_object_local(base, m);
	int r = vips_extract_band(in, &t[0], 0, "n", 3, NULL) ||
		vips_linear(t[0], &t[1], one, neg, 3, NULL) ||
		vips_multiply(t[1], t[1], &t[2], NULL) ||
		vips_recomb(t[2], &t[3], m, NULL) ||
		vips_relational_const1(t[3], &t[4], VIPS_OPERATION_RELATIONAL_LESSEQ, dist * dist, NULL) ||
		vips_linear(in, &t[5], zero, to, 4, NULL) ||
		vips_cast(t[5], &t[6], VIPS_FORMAT_UCHAR, NULL) ||
		vips_ifthenelse(t[4], t[6], in, &t[7], NULL) ||
		vips_copy(t[7], out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
	g_object_unref(base);
	return r;
}

// icdn_map: an index image (2 float bands) from memory, for mapim.
static VipsImage *icdn_map(float *xy, int w, int h) {
	return vips_image_new_from_memory_copy(xy, (size_t) w * h * 2 * sizeof(float), w, h, 2, VIPS_FORMAT_FLOAT);
}
*/
import "C"

import (
	"math"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

// replaceC runs a C operation that turns the image behind img into a new
// one, and makes img hold the result.
func replaceC(img *vips.ImageRef, op func(in *C.VipsImage, out **C.VipsImage) C.int) error {
	in := cImage(img)
	if in == nil {
		return errLayout
	}
	var out *C.VipsImage
	if op(in, &out) != 0 {
		return vipsError()
	}
	setCImage(img, out)
	return nil
}

// contrast is ImageKit's contrast stretch: the darkest colour value
// becomes 0 and the brightest 255, one linear map over all colour bands
// (so hues do not shift); alpha is left alone.
func contrast(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if !s.contrast {
		return img, nil
	}
	lo, hi, err := colourRange(img)
	if err != nil || hi-lo < 1 {
		return img, err // a flat image has nothing to stretch
	}
	a := 255 / (hi - lo)
	return img, linearColour(img, a, -lo*a, 1, 0)
}

// colourRange is the smallest and largest value over the colour bands.
func colourRange(img *vips.ImageRef) (float64, float64, error) {
	st, err := img.Copy()
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	if st.HasAlpha() {
		if err := st.ExtractBand(0, st.Bands()-1); err != nil {
			return 0, 0, err
		}
	}
	if err := st.Stats(); err != nil {
		return 0, 0, err
	}
	lo, err := st.GetPoint(0, 0)
	if err != nil {
		return 0, 0, err
	}
	hi, err := st.GetPoint(1, 0)
	if err != nil {
		return 0, 0, err
	}
	return lo[0], hi[0], nil
}

// unsharpMask is e-usm-radius-sigma-amount-threshold as ImageMagick
// defines unsharp masking: a gaussian of sigma (its mask reaching radius
// pixels; 0 picks it from sigma) is subtracted from the image, and amount
// times the difference is added back wherever the difference exceeds
// threshold (a fraction of the range).
func unsharpMask(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if !s.hasUSM || s.usm[2] == 0 {
		return img, nil
	}
	radius, sigma, amount, threshold := s.usm[0], max(s.usm[1], 0.1), s.usm[2], s.usm[3]
	minAmpl := 0.2 // libvips' default mask reach
	if radius > 0 {
		// A gaussian falls to min_ampl at sigma·sqrt(−2 ln min_ampl).
		minAmpl = math.Min(math.Max(math.Exp(-radius*radius/(2*sigma*sigma)), 1e-4), 0.5)
	}
	if err := toUchar(img); err != nil {
		return img, err
	}
	return img, replaceC(img, func(in *C.VipsImage, out **C.VipsImage) C.int {
		return C.icdn_usm(in, out, C.double(sigma), C.double(minAmpl), C.double(amount), C.double(threshold))
	})
}

// shadow is e-shadow: the shape of the image's opaque pixels, blurred by
// bl, at st percent opacity, moved by x and y percent of the image size,
// drawn in black under the image. The image keeps its size. ImageKit
// limits the effect to images of at most 2 megapixels.
func shadow(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	sh := s.shadow
	if sh == nil {
		return img, nil
	}
	w, h := img.Width(), img.Height()
	if w*h > maxShadowPixels {
		return img, limitf("e-shadow", "the image is %dx%d; e-shadow works on images of at most 2 megapixels", w, h)
	}
	if !img.HasAlpha() {
		if err := img.AddAlpha(); err != nil {
			return img, err
		}
	}
	mask, err := img.ExtractBandToImage(img.Bands()-1, 1)
	if err != nil {
		return img, err
	}
	defer mask.Close()
	if sh.blur > 0 {
		if err := mask.GaussianBlur(float64(sh.blur)); err != nil {
			return img, err
		}
	}
	dx, dy := w*sh.x/100, h*sh.y/100
	err = mask.Linear1(float64(sh.sat)/100, 0)
	if err == nil {
		err = mask.Embed(dx, dy, w, h, vips.ExtendBlack)
	}
	if err == nil {
		err = mask.Cast(vips.BandFormatUchar)
	}
	if err != nil {
		return img, err
	}
	canvas, err := solid(w, h, rgba{0, 0, 0, 255})
	if err != nil {
		return img, err
	}
	err = canvas.ExtractBand(0, 3)
	if err == nil {
		err = canvas.BandJoin(mask)
	}
	if err != nil {
		canvas.Close()
		return img, err
	}
	return over(canvas, img, 0, 0)
}

// gradient is e-gradient: a linear gradient from `from` to `to` along ld
// (CSS angles: 0 up, 90 right, 180 down), reaching `to` at the stop point
// (a fraction of the gradient line, or pixels), laid over the image.
func gradient(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if s.gradient == nil {
		return img, nil
	}
	g, err := gradientImage(img.Width(), img.Height(), s.gradient)
	if err != nil {
		return img, err
	}
	defer g.Close()
	if err := img.Composite(g, vips.BlendModeOver, 0, 0); err != nil {
		return img, err
	}
	return img, toUchar(img)
}

// gradientImage draws spec on a w×h RGBA canvas. As in CSS, the gradient
// line passes through the centre at the angle, long enough that the
// corners get the end colours.
func gradientImage(w, h int, g *gradientSpec) (*vips.ImageRef, error) {
	rad := float64(g.angle) * math.Pi / 180
	dx, dy := math.Sin(rad), -math.Cos(rad)
	length := math.Abs(float64(w)*dx) + math.Abs(float64(h)*dy)
	stop := g.stop
	if stop > 1 {
		stop = math.Min(stop/length, 1)
	}
	span := length * stop
	// t = ((x, y) − start) · d / span, start being where the line begins.
	sx, sy := float64(w)/2-dx*length/2, float64(h)/2-dy*length/2
	ax, ay := dx/span, dy/span
	b := -(sx*dx + sy*dy) / span
	from := [4]C.double{C.double(g.from.r), C.double(g.from.g), C.double(g.from.b), C.double(g.from.a)}
	to := [4]C.double{C.double(g.to.r), C.double(g.to.g), C.double(g.to.b), C.double(g.to.a)}
	var out *C.VipsImage
	if C.icdn_ramp(&out, C.int(w), C.int(h), C.double(ax), C.double(ay), C.double(b), &from[0], &to[0]) != 0 {
		return nil, vipsError()
	}
	return wrap(out)
}

// colourReplace is cr: pixels within the tolerance of the from colour
// (by default the image's dominant colour) become the to colour. The
// tolerance is a percentage of the largest RGB distance.
func colourReplace(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	r := s.replace
	if r == nil {
		return img, nil
	}
	from := r.from
	if !r.hasFrom {
		var err error
		if from, err = dominantColour(img); err != nil {
			return img, err
		}
	}
	if err := toRGBA(img); err != nil {
		return img, err
	}
	f := [3]C.double{C.double(from.r), C.double(from.g), C.double(from.b)}
	t := [4]C.double{C.double(r.to.r), C.double(r.to.g), C.double(r.to.b), C.double(r.to.a)}
	dist := float64(r.tolerance) / 100 * math.Sqrt(3*255*255)
	return img, replaceC(img, func(in *C.VipsImage, out **C.VipsImage) C.int {
		return C.icdn_replace(in, out, &f[0], &t[0], C.double(dist))
	})
}

// dominantColour is the most frequent colour of a 64 px copy of img, with
// each channel quantised to 16 levels (the centre of the winning bin).
func dominantColour(img *vips.ImageRef) (rgba, error) {
	cp, err := img.Copy()
	if err != nil {
		return rgba{}, err
	}
	defer cp.Close()
	if err := cp.ThumbnailWithSize(64, 64, vips.InterestingNone, vips.SizeDown); err != nil {
		return rgba{}, err
	}
	if cp.HasAlpha() {
		if err := cp.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
			return rgba{}, err
		}
	}
	if err := toUchar(cp); err != nil {
		return rgba{}, err
	}
	px, err := cp.ToBytes()
	if err != nil {
		return rgba{}, err
	}
	n := cp.Bands()
	var counts [4096]int
	best := 0
	for i := 0; i+n <= len(px); i += n {
		r, g, b := px[i], px[i], px[i]
		if n >= 3 {
			g, b = px[i+1], px[i+2]
		}
		bin := int(r>>4)<<8 | int(g>>4)<<4 | int(b>>4)
		if counts[bin]++; counts[bin] > counts[best] {
			best = bin
		}
	}
	return rgba{uint8(best>>8)<<4 | 8, uint8(best>>4&15)<<4 | 8, uint8(best&15)<<4 | 8, 255}, nil
}

// rotateAny turns the image clockwise by an angle that is not a multiple
// of 90, onto a canvas that holds all of it; the corners get the step's
// bg colour, transparent when there is none.
func rotateAny(_ *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	if s.rotate%90 == 0 {
		return img, nil
	}
	bg := &vips.ColorRGBA{}
	if s.hasBG {
		bg = &vips.ColorRGBA{R: s.bg.r, G: s.bg.g, B: s.bg.b, A: s.bg.a}
	}
	if !img.HasAlpha() && bg.A < 255 {
		if err := img.AddAlpha(); err != nil {
			return img, err
		}
	}
	if err := img.Similarity(1, float64(s.rotate), bg, 0, 0, 0, 0); err != nil {
		return img, err
	}
	return img, toUchar(img)
}

// maxDistortPixels bounds e-distort's output: its map holds 8 bytes per
// pixel (32 MB at the limit), computed in Go.
const maxDistortPixels = 4_000_000

// distort is e-distort: perspective (the corners moved to the given
// points; the canvas is the box from 0,0 holding them) or arc (the image
// bent so that its top edge spans the angle, upwards for positive angles).
// Pixels outside the image are transparent.
func distort(j *job, img *vips.ImageRef, s *step, _ bool) (*vips.ImageRef, error) {
	d := s.distort
	if d == nil {
		return img, nil
	}
	w, h := img.Width(), img.Height()
	var m indexMap
	var err error
	if d.perspective {
		m, err = perspectiveMap(w, h, d.points)
	} else {
		m, err = arcMap(w, h, float64(d.arc))
	}
	if err != nil {
		return img, err
	}
	if m.w*m.h > maxDistortPixels {
		return img, limitf("e-distort", "the distorted image would be %dx%d, over the %d pixel limit of e-distort", m.w, m.h, maxDistortPixels)
	}
	if err := j.limits.checkDimension("e-distort", m.w, m.h); err != nil {
		return img, err
	}
	if !img.HasAlpha() {
		if err := img.AddAlpha(); err != nil {
			return img, err
		}
	}
	im := C.icdn_map((*C.float)(unsafe.Pointer(&m.xy[0])), C.int(m.w), C.int(m.h))
	if im == nil {
		return img, vipsError()
	}
	index, err := wrap(im)
	if err != nil {
		return img, err
	}
	defer index.Close()
	if err := img.Mapim(index); err != nil {
		return img, err
	}
	return img, toUchar(img)
}
