package transform

// Text layers are rendered by libvips' text operation (Pango with
// fontconfig): the text is escaped into Pango markup, so user text can
// never inject markup, and rendered as RGBA at 72 dpi, where a point is a
// pixel, so fs is the font size in pixels as ImageKit documents.

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include <vips/vips.h>

static int icdn_text(const char *markup, const char *font, const char *fontfile,
                     int width, int align, int spacing, void **buf, size_t *len) {
	VipsImage *t = NULL;
	int r;
	if (fontfile != NULL)
		r = vips_text(&t, markup, "font", font, "fontfile", fontfile, "width", width,
		              "align", align, "spacing", spacing, "dpi", 72, "rgba", TRUE, NULL);
	else
		r = vips_text(&t, markup, "font", font, "width", width,
		              "align", align, "spacing", spacing, "dpi", 72, "rgba", TRUE, NULL);
	if (r)
		return r;
	r = vips_pngsave_buffer(t, buf, len, "compression", 0, NULL);
	g_object_unref(t);
	return r;
}
*/
import "C"

import (
	"fmt"
	"html"
	"math"
	"strings"
	"unsafe"
)

// textStyle is what renderText needs.
type textStyle struct {
	text       string
	family     string // fontconfig family
	fontFile   string // a local font file to load first, or ""
	size       float64
	colour     rgba
	bold       bool
	italic     bool
	align      string  // left, center (default), right
	wrap       int     // wrap width in pixels; 0 = one line per line of text
	lineHeight float64 // pixels between baselines; 0 = the font's
}

// textMarkup escapes the text into Pango markup with the colour and style.
// Control characters other than newline and tab are dropped: GMarkup
// refuses them.
func textMarkup(st textStyle) string {
	clean := strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, st.text)
	attrs := fmt.Sprintf(`foreground="#%02X%02X%02X"`, st.colour.r, st.colour.g, st.colour.b)
	if st.colour.a < 255 {
		attrs += fmt.Sprintf(` fgalpha="%d"`, max(1, int(st.colour.a)*65535/255))
	}
	return "<span " + attrs + ">" + html.EscapeString(clean) + "</span>"
}

// fontDescription is the Pango font description: family, style, size.
func fontDescription(st textStyle) string {
	d := st.family
	if st.bold {
		d += " Bold"
	}
	if st.italic {
		d += " Italic"
	}
	return d + fmt.Sprintf(" %d", int(math.Round(st.size)))
}

// estimateText bounds the rendered size before rendering: glyphs are at
// most about the font size wide and lines about 1.5 sizes apart.
func estimateText(st textStyle) (w, h int) {
	lines := strings.Split(st.text, "\n")
	longest := 0
	for _, l := range lines {
		longest = max(longest, len([]rune(l)))
	}
	lw := float64(longest) * st.size
	n := float64(len(lines))
	if st.wrap > 0 && lw > float64(st.wrap) {
		n = float64(len([]rune(st.text)))*st.size/float64(st.wrap) + n
		lw = float64(st.wrap)
	}
	lh := math.Max(st.lineHeight, st.size*1.5)
	return int(lw), int(n * lh)
}

// renderText returns the text as an RGBA PNG.
func renderText(st textStyle, l Limits) ([]byte, error) {
	if w, h := estimateText(st); l.checkDimension("fs", w, h) != nil {
		return nil, limitf("fs", "the text would be about %dx%d pixels, over the %d pixel dimension limit", w, h, l.MaxOutputDimension)
	}
	markup := C.CString(textMarkup(st))
	defer C.free(unsafe.Pointer(markup))
	font := C.CString(fontDescription(st))
	defer C.free(unsafe.Pointer(font))
	var file *C.char
	if st.fontFile != "" {
		file = C.CString(st.fontFile)
		defer C.free(unsafe.Pointer(file))
	}
	align := C.int(C.VIPS_ALIGN_CENTRE)
	switch st.align {
	case "left":
		align = C.VIPS_ALIGN_LOW
	case "right":
		align = C.VIPS_ALIGN_HIGH
	}
	var buf unsafe.Pointer
	var n C.size_t
	if C.icdn_text(markup, font, file, C.int(st.wrap), align, C.int(math.Round(st.lineHeight)), &buf, &n) != 0 {
		C.vips_error_clear()
		return nil, invalidf("l-text", "the text could not be rendered with this font")
	}
	defer C.g_free(C.gpointer(buf))
	return C.GoBytes(buf, C.int(n)), nil
}
