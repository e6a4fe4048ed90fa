package transform

import (
	"fmt"

	"github.com/davidbyttow/govips/v2/vips"
)

// flatten puts transparent images on the background colour for formats
// that cannot carry alpha.
func flatten(j *job) error {
	if j.format != JPEG || !j.img.HasAlpha() {
		return nil
	}
	bg := &vips.Color{R: 255, G: 255, B: 255}
	for i := range j.chain.steps {
		if s := &j.chain.steps[i]; s.hasBG {
			bg = &vips.Color{R: s.bg.r, G: s.bg.g, B: s.bg.b}
		}
	}
	return j.img.Flatten(bg)
}

// save encodes the image. Metadata is stripped unless md-true (keep all)
// or cp-true (keep only the ICC profile) asks otherwise.
func save(j *job) error {
	o := j.chain.out
	q := o.quality
	if q == 0 {
		q = defaultQuality
	}
	// Savers differ in what their strip flag drops (WebP keeps EXIF, JPEG XL
	// the profile), so metadata is removed from the image itself too.
	strip := !o.metadata && !o.iccOnly
	if !o.metadata {
		if err := j.img.RemoveMetadata(); err != nil {
			return err
		}
	}
	if strip {
		if err := j.img.RemoveICCProfile(); err != nil {
			return err
		}
	}
	var err error
	switch j.format {
	case JPEG:
		j.out, _, err = j.img.ExportJpeg(&vips.JpegExportParams{
			StripMetadata: strip, Quality: q, Interlace: o.progressive, OptimizeCoding: true,
			SubsampleMode: vips.VipsForeignSubsampleAuto,
		})
		if err == nil && o.iccOnly && !o.metadata {
			j.out = stripJPEGMetadata(j.out)
		}
	case PNG:
		j.out, _, err = j.img.ExportPng(&vips.PngExportParams{
			StripMetadata: strip, Compression: 6, Interlace: o.progressive, Quality: q,
			Filter: vips.PngFilterAll, Bitdepth: 8,
		})
	case WebP:
		p := &vips.WebpExportParams{StripMetadata: strip, Quality: q, Lossless: o.lossless, ReductionEffort: 4}
		if !strip {
			// govips' WebP saver embeds a profile only after
			// OptimizeICCProfile, which swaps in a compact sRGB profile (the
			// image is sRGB by now, so the pixels do not change).
			if err := j.img.OptimizeICCProfile(); err != nil {
				return err
			}
		}
		j.out, _, err = j.img.ExportWebp(p)
		if err == nil && !o.metadata {
			j.out = stripWebPMetadata(j.out, o.iccOnly)
		}
	case AVIF:
		if strip && avifDirect(j.img) {
			j.out, _, err = saveAVIF(j.img, q, o.lossless)
			break
		}
		if o.lossless {
			q = 100 // libvips 8.14 subsamples chroma below Q90, lossless or not
		}
		j.out, _, err = j.img.ExportAvif(&vips.AvifExportParams{
			StripMetadata: strip, Quality: q, Lossless: o.lossless, Bitdepth: 8, Effort: avifEffort,
		})
	case GIF:
		j.out, _, err = j.img.ExportGIF(&vips.GifExportParams{
			StripMetadata: strip, Quality: q, Effort: 4, Bitdepth: 8, Dither: 1,
		})
	case JXL:
		j.out, _, err = j.img.ExportJxl(&vips.JxlExportParams{
			Quality: q, Lossless: o.lossless, Effort: 4, Tier: 0, Distance: 1, // Q overrides distance
		})
	default:
		return fmt.Errorf("unknown output format %q", j.format)
	}
	return err
}
