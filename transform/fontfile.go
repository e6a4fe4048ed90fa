package transform

// Font files from the origin (ff-<path>.ttf or .otf). libvips' text loads
// a font file into fontconfig for the whole process, and fontconfig keeps
// reading the file afterwards, so each distinct font is written once to a
// private directory, named by its hash, and kept; the number of distinct
// fonts is bounded. The family to ask Pango for is read from the font's
// name table.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"unicode/utf16"
)

// maxFontFiles bounds the distinct origin fonts one process installs.
const maxFontFiles = 256

var fontStore struct {
	mu    sync.Mutex
	dir   string
	fonts map[string]installedFont // by content hash
}

type installedFont struct{ path, family string }

// installFont writes b to the font directory (once per content) and
// returns its path and family name.
func installFont(b []byte) (installedFont, error) {
	bad := invalidf("ff", "the font file is not a TrueType or OpenType font with a family name")
	family, ok := fontFamilyName(b)
	if !ok {
		return installedFont{}, bad
	}
	sum := sha256.Sum256(b)
	key := hex.EncodeToString(sum[:16])
	fontStore.mu.Lock()
	defer fontStore.mu.Unlock()
	if f, ok := fontStore.fonts[key]; ok {
		return f, nil
	}
	if len(fontStore.fonts) >= maxFontFiles {
		return installedFont{}, limitf("ff", "this server has loaded its limit of %d font files", maxFontFiles)
	}
	if fontStore.dir == "" {
		dir, err := os.MkdirTemp("", "image_cdn-fonts-")
		if err != nil {
			return installedFont{}, err
		}
		fontStore.dir, fontStore.fonts = dir, map[string]installedFont{}
	}
	f := installedFont{path: filepath.Join(fontStore.dir, key+".font"), family: family}
	if err := os.WriteFile(f.path, b, 0o600); err != nil {
		return installedFont{}, err
	}
	fontStore.fonts[key] = f
	return f, nil
}

// fontFamilyName reads the family (name ID 16, else 1) from an sfnt
// font's name table: Windows UTF-16BE records first, else Macintosh Roman
// ones read as ASCII.
func fontFamilyName(b []byte) (string, bool) {
	if len(b) < 12 {
		return "", false
	}
	switch binary.BigEndian.Uint32(b) {
	case 0x00010000, 0x4F54544F, 0x74727565: // TrueType, 'OTTO', 'true'
	default:
		return "", false
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	for i := 0; i < n; i++ {
		rec := 12 + 16*i
		if rec+16 > len(b) {
			return "", false
		}
		if string(b[rec:rec+4]) != "name" {
			continue
		}
		off, length := int(binary.BigEndian.Uint32(b[rec+8:])), int(binary.BigEndian.Uint32(b[rec+12:]))
		if off < 0 || length < 6 || off+length > len(b) || off+length < off {
			return "", false
		}
		return nameTableFamily(b[off : off+length])
	}
	return "", false
}

func nameTableFamily(t []byte) (string, bool) {
	count, strOff := int(binary.BigEndian.Uint16(t[2:])), int(binary.BigEndian.Uint16(t[4:]))
	best, bestRank := "", 0
	for i := 0; i < count; i++ {
		r := 6 + 12*i
		if r+12 > len(t) {
			break
		}
		platform, nameID := binary.BigEndian.Uint16(t[r:]), binary.BigEndian.Uint16(t[r+6:])
		length, off := int(binary.BigEndian.Uint16(t[r+8:])), int(binary.BigEndian.Uint16(t[r+10:]))
		start := strOff + off
		if (nameID != 1 && nameID != 16) || start+length > len(t) || length == 0 || length > 256 {
			continue
		}
		raw := t[start : start+length]
		var s string
		rank := 1
		switch platform {
		case 0, 3: // Unicode, Windows: UTF-16BE
			if length%2 != 0 {
				continue
			}
			u := make([]uint16, length/2)
			for k := range u {
				u[k] = binary.BigEndian.Uint16(raw[2*k:])
			}
			s, rank = string(utf16.Decode(u)), 2
		case 1: // Macintosh Roman: ASCII only
			for _, c := range raw {
				if c >= 0x80 {
					s = ""
					break
				}
				s += string(rune(c))
			}
		}
		if nameID == 16 {
			rank += 2
		}
		if s != "" && rank > bestRank && safeFamily(s) {
			best, bestRank = s, rank
		}
	}
	return best, best != ""
}

// safeFamily keeps family names that cannot change the meaning of a Pango
// font description (no commas, digits at the end or control characters).
func safeFamily(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == ',' || r == 0x7f {
			return false
		}
	}
	last := s[len(s)-1]
	return last < '0' || last > '9'
}
