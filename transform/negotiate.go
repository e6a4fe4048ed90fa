package transform

import (
	"mime"
	"strconv"
	"strings"
)

// OutputFormat decides the output format before the source is fetched, so
// the caller can compute the variant's ETag from a HEAD. sourceType is the
// source media type (see SourceType for generic types), accept the request's
// Accept header. negotiated is true whenever Accept took part in the
// decision, including when the source family won; the response then needs
// Vary: Accept.
//
// Rules: an explicit f- wins (f-orig keeps the source format); otherwise
// AVIF when enabled and accepted, else WebP when accepted, else the source
// family, with PNG instead of JPEG when the chain makes transparent pixels.
// Animated sources (GIF) are never negotiated to AVIF, which cannot animate
// here.
func (c *Chain) OutputFormat(sourceType, accept string, avifEnabled bool) (f Format, negotiated bool, err error) {
	fam, ok := family(sourceType)
	if !ok {
		return "", false, unsupportedf("source type %q is not an image that can be transformed", sourceType)
	}
	var want string
	if c != nil {
		want = c.out.format
	}
	switch want {
	case "orig":
		return origFormat(sourceType, fam), false, nil
	case "":
	default:
		// An explicit f-avif is honoured whatever avifEnabled says: the switch
		// only keeps negotiation from spending AVIF's encoding cost on every
		// browser that accepts it.
		return formatFromParam(want), false, nil
	}

	switch {
	case avifEnabled && fam != GIF && accepts(accept, "image/avif"):
		return AVIF, true, nil
	case accepts(accept, "image/webp"):
		return WebP, true, nil
	case fam == JPEG && c.makesTransparency():
		return PNG, true, nil
	}
	return fam, true, nil
}

// origFormat is the source's own format where we can write it, else its family.
func origFormat(sourceType string, fam Format) Format {
	switch SourceType(sourceType, "") {
	case "image/webp":
		return WebP
	case "image/avif":
		return AVIF
	case "image/jxl":
		return JXL
	}
	return fam
}

// makesTransparency reports whether any step produces transparent pixels
// (rounded corners, opacity, a translucent background), which JPEG would
// lose.
func (c *Chain) makesTransparency() bool {
	if c == nil {
		return false
	}
	for i := range c.steps {
		s := &c.steps[i]
		if s.radius != 0 || (s.opacity.set && s.opacity.v < 100) ||
			(s.hasBG && s.bg.a < 255) || (s.borderWidth > 0 && s.borderColor.a < 255) {
			return true
		}
	}
	return false
}

// accepts reports whether the Accept header lists mediaType explicitly with
// a non-zero q. Wildcards do not count: browsers send */* without being able
// to decode every format.
func accepts(accept, mediaType string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != mediaType {
			continue
		}
		if q, ok := params["q"]; ok {
			if v, err := strconv.ParseFloat(q, 64); err != nil || v <= 0 {
				continue
			}
		}
		return true
	}
	return false
}
