package transform

import (
	"mime"
	"path"
	"strings"
)

// Format is an output image format.
type Format string

const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	WebP Format = "webp"
	AVIF Format = "avif"
	GIF  Format = "gif"
	JXL  Format = "jxl"
)

// ContentType is the MIME type to send for f.
func (f Format) ContentType() string {
	if f == "" {
		return ""
	}
	return "image/" + string(f)
}

// Ext is the file extension for f, with the dot.
func (f Format) Ext() string {
	if f == JPEG {
		return ".jpg"
	}
	if f == "" {
		return ""
	}
	return "." + string(f)
}

// canAnimate reports whether f can carry several frames (in this libvips).
func (f Format) canAnimate() bool { return f == GIF || f == WebP }

// sourceKinds maps a source MIME type to the family its output stays in when
// nothing else decides: JPEG stays JPEG, GIF stays GIF, and everything that
// may carry alpha (or is vector) becomes PNG, never JPEG.
var sourceKinds = map[string]Format{
	"image/jpeg":      JPEG,
	"image/jpg":       JPEG,
	"image/pjpeg":     JPEG,
	"image/png":       PNG,
	"image/apng":      PNG,
	"image/gif":       GIF,
	"image/webp":      PNG,
	"image/avif":      PNG,
	"image/heic":      PNG,
	"image/heif":      PNG,
	"image/tiff":      PNG,
	"image/bmp":       PNG,
	"image/x-ms-bmp":  PNG,
	"image/jxl":       PNG,
	"image/svg+xml":   PNG,
	"application/pdf": PNG,
}

// extTypes resolves a generic Content-Type (octet-stream, empty) from the
// object name, for buckets that store images without a proper type.
var extTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".jfif": "image/jpeg",
	".png": "image/png", ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
	".heic": "image/heic", ".heif": "image/heif", ".tif": "image/tiff", ".tiff": "image/tiff",
	".bmp": "image/bmp", ".jxl": "image/jxl", ".svg": "image/svg+xml", ".pdf": "application/pdf",
}

// SourceType returns the media type to use for a source object: its
// Content-Type without parameters, or, when that is missing or generic
// (application/octet-stream, binary/octet-stream), the type implied by the
// object name's extension.
func SourceType(contentType, name string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch mt {
	case "", "application/octet-stream", "binary/octet-stream":
		if t, ok := extTypes[strings.ToLower(path.Ext(name))]; ok {
			return t
		}
	}
	return mt
}

// IsImageType reports whether a source of this media type (parameters are
// ignored) can be transformed. Anything else with a tr is a 400.
func IsImageType(contentType string) bool {
	_, ok := sourceKinds[SourceType(contentType, "")]
	return ok
}

// family is the output format a source stays in when no format is asked for
// and negotiation does not pick a better one.
func family(sourceType string) (Format, bool) {
	f, ok := sourceKinds[SourceType(sourceType, "")]
	return f, ok
}

// formatFromParam maps an explicit f- value to a Format.
func formatFromParam(v string) Format {
	switch v {
	case "jpg":
		return JPEG
	case "png", "webp", "avif", "gif", "jxl":
		return Format(v)
	}
	return ""
}
