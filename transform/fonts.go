package transform

// Fonts for text layers. ff- names either a built-in font, resolved by
// fontconfig among the fonts installed with the server (DejaVu, Debian's
// fonts-dejavu-core), or a font file on the endpoint's origins (a path
// ending in .ttf or .otf, @@ for /), fetched through the caller's Sources.
//
// ImageKit's own font names are accepted and mapped to the DejaVu family
// of the same style (sans, serif or monospace), so migrated URLs render
// rather than fail; the glyphs differ from ImageKit's.

import (
	"sort"
	"strings"
)

const (
	fontSans  = "DejaVu Sans"
	fontSerif = "DejaVu Serif"
	fontMono  = "DejaVu Sans Mono"
)

// builtinFonts maps an ff- value (lower case) to a fontconfig family.
var builtinFonts = map[string]string{
	"sans": fontSans, "sans-serif": fontSans, "dejavusans": fontSans, "dejavu sans": fontSans, "dejavu_sans": fontSans,
	"serif": fontSerif, "dejavuserif": fontSerif, "dejavu serif": fontSerif, "dejavu_serif": fontSerif,
	"mono": fontMono, "monospace": fontMono, "dejavusansmono": fontMono, "dejavu sans mono": fontMono, "dejavu_sans_mono": fontMono,
	// ImageKit's documented fonts, by style.
	"abrilfatface": fontSerif, "amaranth": fontSans, "arvo": fontSerif, "audiowide": fontSans,
	"chivo": fontSans, "crimsontext": fontSerif, "exo": fontSans, "fredokaone": fontSans,
	"gravitasone": fontSerif, "kanit": fontSans, "lato": fontSans, "lobster": fontSerif,
	"lora": fontSerif, "monoton": fontSans, "montserrat": fontSans, "pt mono": fontMono,
	"pt_mono": fontMono, "ptmono": fontMono, "pt serif": fontSerif, "pt_serif": fontSerif,
	"ptserif": fontSerif, "open sans": fontSans, "open_sans": fontSans, "opensans": fontSans, "roboto": fontSans,
	"old standard": fontSerif, "old_standard": fontSerif, "oldstandard": fontSerif, "ubuntu": fontSans, "vollkorn": fontSerif,
}

func builtinFontNames() []string {
	names := make([]string, 0, len(builtinFonts))
	for n := range builtinFonts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// fontFile reports whether ff- names a font file on the origin, and its
// path.
func fontFile(v string) (string, bool) {
	lv := strings.ToLower(v)
	if !keySafe(strings.ReplaceAll(v, "/", "@@")) || !strings.HasSuffix(lv, ".ttf") && !strings.HasSuffix(lv, ".otf") {
		return "", false
	}
	p := strings.TrimPrefix(strings.ReplaceAll(v, "@@", "/"), "/")
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "\x00\\") {
			return "", false
		}
	}
	return p, true
}

func validFontName(v string) bool {
	if _, ok := builtinFonts[strings.ToLower(v)]; ok {
		return true
	}
	_, ok := fontFile(v)
	return ok
}

// fontFamily is the fontconfig family for a built-in ff- value; "" for a
// font file.
func fontFamily(v string) string {
	if v == "" {
		return fontSans
	}
	return builtinFonts[strings.ToLower(v)]
}
