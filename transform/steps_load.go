package transform

import (
	"bytes"

	"github.com/davidbyttow/govips/v2/vips"
)

// decodable lists the source formats we hand to libvips. Anything else
// (including what only the ImageMagick loader would take) is Unsupported:
// a small, well-fuzzed set of decoders is the safer attack surface.
var decodable = map[vips.ImageType]bool{
	vips.ImageTypeJPEG: true, vips.ImageTypePNG: true, vips.ImageTypeGIF: true,
	vips.ImageTypeWEBP: true, vips.ImageTypeTIFF: true, vips.ImageTypeHEIF: true,
	vips.ImageTypeAVIF: true, vips.ImageTypeSVG: true, vips.ImageTypePDF: true,
	vips.ImageTypeBMP: true, vips.ImageTypeJXL: true,
}

// inspectSource enforces the byte, pixel and frame limits from the header
// alone. libvips loaders are lazy: opening the buffer reads the header and
// decodes no pixels, so a decompression bomb is refused before it costs
// memory. Formats read before libvips (BMP, decoded here; SVG, scanned
// here) are checked by this package's own header readers first.
func inspectSource(j *job) error {
	if err := j.limits.checkBytes(len(j.src)); err != nil {
		return err
	}
	j.srcType = vips.DetermineImageType(j.src)
	if !decodable[j.srcType] {
		return unsupportedf("source is not an image format that can be transformed")
	}
	switch j.srcType {
	case vips.ImageTypeBMP:
		h, err := parseBMP(j.src)
		if err != nil {
			return err
		}
		j.bmp, j.width, j.height, j.frames = h, h.width, h.height, 1
		if err := j.limits.checkPixels(j.width, j.height, 1); err != nil {
			return err
		}
		return h.checkLength(len(j.src))
	case vips.ImageTypeSVG:
		st, err := scanSVG(j.src)
		if err != nil {
			return err
		}
		j.svg = &st
	}
	if err := checkEncoded(j.srcType, j.src); err != nil {
		return err
	}
	hdr, err := openImage(j.srcType, j.src, loadOptions{sequential: true})
	if err != nil {
		return err
	}
	defer hdr.Close()
	j.frames = max(hdr.Pages(), 1)
	if j.srcType == vips.ImageTypeJPEG {
		j.jpegCoefBytes = progressiveJPEGBytesPerPixel(hdr)
	}
	if j.page > 0 {
		if hdr, err = j.openPageHeader(); err != nil {
			return err
		}
		defer hdr.Close()
	}

	j.width, j.height = hdr.Width(), hdr.PageHeight()
	if o := hdr.Orientation(); o >= 5 && o <= 8 { // 90° or 270° turns swap the sides
		j.width, j.height = j.height, j.width
	}
	j.animate = j.page == 0 && j.frames > 1 && j.format.canAnimate() &&
		(j.srcType == vips.ImageTypeGIF || j.srcType == vips.ImageTypeWEBP)
	if j.svg != nil {
		if err := j.svg.checkFilterWork(j.width, j.height); err != nil {
			return err
		}
	}
	if !j.animate {
		return j.limits.checkPixels(j.width, j.height, 1)
	}
	if err := j.limits.checkFrames(j.frames); err != nil {
		return err
	}
	return j.limits.checkPixels(j.width, j.height, j.frames)
}

// openPageHeader checks the page pg- asks for against the source's count
// (j.frames, from the first page's header) and reads that page's header:
// PDF pages differ in size, and the limits apply to the page decoded. The
// job then has one frame.
func (j *job) openPageHeader() (*vips.ImageRef, error) {
	if j.page > j.frames {
		return nil, invalidf("pg", "page %d is beyond the source's %d page(s) or frame(s)", j.page, j.frames)
	}
	j.frames = 1
	return openImage(j.srcType, j.src, loadOptions{sequential: true, page: j.page - 1})
}

// load decodes the source once. When the first step begins with a resize,
// libvips' thumbnail does it while decoding (JPEG DCT scaling, WebP and
// vector shrink-on-load), which is several times faster than decoding at
// full size first; the thumbnail applies EXIF orientation itself.
//
// The thumbnail decodes sequentially, so when a later operation reads out
// of order (rotation, vertical flip, smart crop, trim, blurred padding) the
// image is instead opened for random access, still shrunk on load where
// the decoder can (JPEG).
//
// The loaded image is the job's first root (roots.go): from here on, the
// deadline stops any computation.
func load(j *job) error {
	img, err := j.open()
	if err != nil {
		return err
	}
	j.img = img
	j.roots.add(img)
	if j.shrunk {
		return singlePage(img)
	}
	if err := img.AutoRotate(); err != nil {
		return err
	}
	if j.animate {
		return nil
	}
	return singlePage(img)
}

// open picks the decode: BMP from this package, a thumbnail when the chain
// starts with a resize, or the plain loader.
func (j *job) open() (*vips.ImageRef, error) {
	if j.bmp != nil {
		return decodeBMP(j.src, j.bmp)
	}
	opts := loadOptions{page: max(j.page-1, 0)}
	g, resizeFirst := j.firstResize()
	switch {
	case j.animate:
		opts.allPages = true
	case resizeFirst && !j.chain.needsRandomAccess():
		// Force: the planned w×h already keeps the aspect ratio, and libvips
		// must not round it differently. With a smart crop, libvips covers
		// the box and attention-crops it in the same pass.
		w, h, crop, size := g.resizeW, g.resizeH, vips.InterestingNone, vips.SizeForce
		if g.smart {
			w, h, crop, size = g.crop.w, g.crop.h, vips.InterestingAttention, vips.SizeBoth
		}
		var img *vips.ImageRef
		var err error
		if f := jpegShrink(j.width, j.height, g.resizeW, g.resizeH); j.srcType == vips.ImageTypeJPEG && f > 1 {
			img, err = openShrunkJPEG(j.src, f, w, h, crop, size, &j.roots)
		} else {
			img, err = openThumbnail(j.srcType, j.src, w, h, crop, size, max(j.page-1, 0))
		}
		if err == nil {
			j.shrunk, j.shrunkCrop = true, g.smart
		}
		return img, err
	case resizeFirst && j.srcType == vips.ImageTypeJPEG:
		opts.jpegShrink = jpegShrink(j.width, j.height, g.resizeW, g.resizeH)
	}
	if opts.jpegShrink > 1 {
		return openJPEG(j.src, opts, &j.roots)
	}
	return openImage(j.srcType, j.src, opts)
}

// openShrunkJPEG decodes a JPEG at 1/f of its size in the DCT (f from
// jpegShrink: the largest factor that still covers the target) and resizes
// the rest of the way, as one sequential pass. vips_thumbnail would leave
// a further 2× to its resampler (shrink 4 where 8 fits), decoding up to four
// times the pixels; the answers differ from vips_thumbnail's by about 1/255
// on average (bench/RESULTS.md, output check). imgproxy decodes the same
// way. thumbnail_image still applies the EXIF orientation, the
// premultiplied resize and the smart crop.
func openShrunkJPEG(src []byte, f, w, h int, crop vips.Interesting, size vips.Size, r *roots) (*vips.ImageRef, error) {
	img, err := openJPEG(src, loadOptions{sequential: true, jpegShrink: f}, r)
	if err != nil {
		return nil, err
	}
	if err := img.ThumbnailWithSize(w, h, crop, size); err != nil {
		img.Close()
		return nil, err
	}
	return img, nil
}

// maxJPEGScans bounds the scans of a progressive JPEG. libjpeg decodes
// every scan before it returns the first row, in one call nothing can
// interrupt, and the work grows with scans × pixels: a small file of
// thousands of empty scans is a CPU bomb. Encoders write about ten.
const maxJPEGScans = 100

// checkJPEGScans counts start-of-scan markers. 0xFF in entropy-coded data
// is always followed by 0x00 (stuffing) or a restart marker, so FF DA
// appears only as a marker.
func checkJPEGScans(b []byte) error {
	if n := bytes.Count(b, []byte{0xff, 0xda}); n > maxJPEGScans {
		return limitf("jpeg", "the source JPEG has %d scans, over the limit of %d", n, maxJPEGScans)
	}
	return nil
}

// jpegShrink is the largest DCT shrink factor that still leaves at least
// the target size.
func jpegShrink(width, height, targetW, targetH int) int {
	for _, f := range []int{8, 4, 2} {
		if width >= f*targetW && height >= f*targetH {
			return f
		}
	}
	return 1
}

// firstResize returns the first step's geometry when that step starts with a
// resize the loader can do.
func (j *job) firstResize() (geometry, bool) {
	s := j.chain.firstStep()
	if s == nil || s.trim > 0 || s.perRequest() {
		return geometry{}, false
	}
	g, err := planGeometry(j.width, j.height, s, j.limits)
	if err != nil || !g.startsWithResize() {
		return geometry{}, false // errors surface when the step runs
	}
	return g, true
}

// needsRandomAccess reports whether an operation after the first resize
// reads its input out of order, which a sequential decode cannot serve.
// A smart crop in the first step is done by the thumbnail itself.
func (c *Chain) needsRandomAccess() bool {
	first := c.firstStep()
	for i := range c.steps {
		s := &c.steps[i]
		if s.rotate != 0 || s.flip == "v" || s.flip == "h_v" || s.trim > 0 || s.bgBlurred || s.randomAccess() {
			return true
		}
		if s.focus == focusAuto && (s != first || s.mode != "") {
			return true
		}
	}
	return false
}

// firstStep is the first step that does anything; output-only steps (f-,
// q-) are empty.
func (c *Chain) firstStep() *step {
	for i := range c.steps {
		if len(c.steps[i].canonical()) > 0 {
			return &c.steps[i]
		}
	}
	return nil
}

// singlePage marks an image as one page: a multi-page source loaded for a
// still output keeps n-pages and page-height metadata that would make
// govips' rotate and embed treat it as an animation strip.
func singlePage(img *vips.ImageRef) error {
	if img.Pages() != 1 {
		if err := img.SetPages(1); err != nil {
			return err
		}
	}
	if img.PageHeight() != img.Height() {
		return img.SetPageHeight(img.Height())
	}
	return nil
}

// toSRGB brings every source to 8-bit sRGB (plus alpha) so that every
// later step and encoder sees one colour model: embedded profiles (Adobe
// RGB, Display P3, CMYK) are applied, CMYK without a profile uses libvips'
// built-in one, 16-bit and greyscale images are converted.
func toSRGB(j *job) error { return toSRGBImage(j.img) }

// toSRGBImage is toSRGB for any image (layer inputs too).
func toSRGBImage(img *vips.ImageRef) error {
	if img.HasICCProfile() {
		// A broken embedded profile is not worth failing the request for;
		// the colourspace conversion below still yields sRGB.
		_ = img.TransformICCProfile(vips.SRGBIEC6196621ICCProfilePath)
	}
	if img.Interpretation() != vips.InterpretationSRGB || img.BandFormat() != vips.BandFormatUchar {
		if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
			return err
		}
	}
	if img.BandFormat() != vips.BandFormatUchar {
		return img.Cast(vips.BandFormatUchar)
	}
	return nil
}
