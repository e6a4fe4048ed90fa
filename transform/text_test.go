package transform

import (
	"strings"
	"testing"
)

// TestTextMarkupEscapes: user text is text, never Pango markup.
func TestTextMarkupEscapes(t *testing.T) {
	m := textMarkup(textStyle{text: `<b>x</b> & "y" 'z'` + "\x01", colour: rgba{255, 0, 0, 255}})
	if strings.Contains(m, "<b>") || strings.Contains(m, "\x01") || !strings.Contains(m, "&lt;b&gt;x&lt;/b&gt; &amp;") {
		t.Errorf("markup %q", m)
	}
	if !strings.HasPrefix(m, `<span foreground="#FF0000">`) {
		t.Errorf("markup %q lacks the colour", m)
	}
}

// TestRenderText renders with the built-in fonts: the size follows fs (in
// pixels), wrapping follows w, bold is wider than regular.
func TestRenderText(t *testing.T) {
	Startup()
	l := Limits{}.WithDefaults()
	render := func(st textStyle) (int, int) {
		t.Helper()
		b, err := renderText(st, l)
		must(t, err)
		img := fromBytes(t, b)
		defer img.Close()
		if img.Bands() != 4 {
			t.Errorf("text has %d bands, want RGBA", img.Bands())
		}
		return img.Width(), img.Height()
	}
	base := textStyle{text: "Hello world", family: fontSans, size: 40, colour: rgba{0, 0, 0, 255}}
	w40, h40 := render(base)
	small := base
	small.size = 20
	w20, h20 := render(small)
	// libvips crops to the ink: "Hello world" is about the cap height.
	if h40 < 24 || h40 > 60 || w40 < 2*w20-10 || w40 > 2*w20+10 || h40 < 2*h20-6 {
		t.Errorf("fs-40 is %dx%d and fs-20 %dx%d: the size does not follow fs", w40, h40, w20, h20)
	}
	wrapped := base
	wrapped.wrap = 150
	ww, wh := render(wrapped)
	if ww > 150 || wh < 2*h40-10 {
		t.Errorf("wrapped at 150 px: %dx%d, want at most 150 wide and two lines (one line is %d high)", ww, wh, h40)
	}
	bold := base
	bold.bold = true
	if bw, _ := render(bold); bw <= w40 {
		t.Errorf("bold is %d wide, regular %d", bw, w40)
	}
	for _, f := range []string{fontSerif, fontMono} {
		st := base
		st.family = f
		render(st)
	}
	huge := base
	huge.text = strings.Repeat("W", 1000)
	huge.size = 1000
	if _, err := renderText(huge, l); !IsKind(err, Limit) {
		t.Errorf("huge text: %v, want a Limit error before rendering", err)
	}
}
