package resultstore

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// MaxKeyBytes is S3's limit on an object key (UTF-8 bytes).
	MaxKeyBytes = 1024
	// maxSegmentBytes leaves room under the usual 255-byte file name limit
	// for the temporary name Dir writes beside each file.
	maxSegmentBytes = 200
	// maxExtBytes bounds the extension kept readable in a hashed key.
	maxExtBytes = 16
	// maxHashedPrefixBytes bounds the readable directory prefix of a hashed key.
	maxHashedPrefixBytes = 512

	// emptyChain names the variant without transformation steps (format
	// conversion only). A chain that is literally "_" is escaped to "%5F".
	emptyChain = "_"
	// hashedMarker starts the last segment of a hashed key. Key escapes every
	// '%' it copies as "%25", so a '%' followed by '~' never appears in a
	// readable key: hashed keys and readable keys cannot collide.
	hashedMarker = "%~"
)

// Key derives the storage key of a variant: readable when listing a bucket,
// safe as an S3 object key and as a relative file path, and unique.
//
// The readable form is
//
//	<object path>/<canonical chain>.<ext>
//
// e.g. Key("images/red dress.jpg", "w-300,h-300", "webp") is
// "images/red dress.jpg/w-300,h-300.webp", and the empty chain (format
// conversion only) is named "_": "images/red dress.jpg/_.webp".
//
// Each part is copied byte for byte except for a few percent-escapes (%XX,
// uppercase hex), chosen so that the key never holds an empty segment, a "."
// or ".." segment, a leading or trailing "/", a control character or invalid
// UTF-8, whatever the object path is:
//   - '%' always, so that percent-decoding the path part gives the object
//     path back and distinct inputs give distinct keys;
//   - control characters (including NUL and DEL), invalid UTF-8 bytes, '\';
//   - a '/' of the object path that is leading, trailing or next to another
//     '/' (so "a//b" becomes "a%2F%2Fb");
//   - the dots of a "." or ".." path segment;
//   - in the chain: every '/', a leading '.', and a chain that is exactly "_";
//   - in the extension: every '/' and '.', so the last '.' of the key always
//     separates the chain from the extension.
//
// When the readable key would be longer than MaxKeyBytes, when one of its
// segments would be longer than 200 bytes, or when the object path is empty,
// Key returns a hashed key instead: the leading escaped path segments that fit
// (at most 512 bytes, none over 200), then "%~" and the hex SHA-256 of the
// three inputs, then "." and the extension when it is at most 16 bytes, e.g.
// "images/%~3f5a…9c.webp".
func Key(objectPath, canonicalChain, ext string) string {
	var b strings.Builder
	b.Grow(len(objectPath) + len(canonicalChain) + len(ext) + 8)
	escapePath(&b, objectPath)
	pathLen := b.Len()
	b.WriteByte('/')
	if canonicalChain == "" {
		b.WriteString(emptyChain)
	} else {
		escapeChain(&b, canonicalChain)
	}
	b.WriteByte('.')
	extStart := b.Len()
	escapeExt(&b, ext)
	extLen := b.Len() - extStart

	key := b.String()
	if objectPath == "" || len(key) > MaxKeyBytes || longSegment(key) {
		return hashedKey(key[:pathLen], key[extStart:extStart+extLen], objectPath, canonicalChain, ext)
	}
	return key
}

// hashedKey builds the fallback form of Key from the escaped path and
// extension and the raw inputs.
func hashedKey(escapedPath, escapedExt, objectPath, canonicalChain, ext string) string {
	h := sha256.New()
	// Length-prefixed, so that ("ab","c") and ("a","bc") hash differently.
	for _, s := range []string{objectPath, canonicalChain, ext} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	var sum [sha256.Size]byte

	var b strings.Builder
	b.Grow(maxHashedPrefixBytes + len(hashedMarker) + 2*sha256.Size + 1 + maxExtBytes)
	writeHashedDir(&b, escapedPath, objectPath)
	b.WriteString(hashedMarker)
	b.WriteString(hex.EncodeToString(h.Sum(sum[:0])))
	if escapedExt != "" && len(escapedExt) <= maxExtBytes {
		b.WriteByte('.')
		b.WriteString(escapedExt)
	}
	return b.String()
}

// writeHashedDir writes the directory part of a hashed key: whole leading
// segments of the object path while they fit, so a listing still shows
// where the variant belongs (and a purge finds it).
func writeHashedDir(b *strings.Builder, escapedPath, objectPath string) {
	if objectPath == "" {
		return
	}
	start := b.Len()
	for seg := range strings.SplitSeq(escapedPath, "/") {
		if len(seg) > maxSegmentBytes || b.Len()-start+len(seg)+1 > maxHashedPrefixBytes {
			break
		}
		b.WriteString(seg)
		b.WriteByte('/')
	}
}

// longSegment reports whether a segment of key is too long for a file name.
func longSegment(key string) bool {
	for seg := range strings.SplitSeq(key, "/") {
		if len(seg) > maxSegmentBytes {
			return true
		}
	}
	return false
}

const upperHex = "0123456789ABCDEF"

func writeEscaped(b *strings.Builder, c byte) {
	b.WriteByte('%')
	b.WriteByte(upperHex[c>>4])
	b.WriteByte(upperHex[c&15])
}

// escapeRune writes the rune at s[i:i+size], escaping what is never safe in
// any part of a key, and reports the bytes consumed.
func escapeRune(b *strings.Builder, s string, i int) int {
	r, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && size <= 1:
		writeEscaped(b, s[i]) // invalid UTF-8: S3 keys must be valid UTF-8
		return 1
	case r == '%' || r == '\\' || unicode.IsControl(r):
		for j := range size {
			writeEscaped(b, s[i+j])
		}
	default:
		b.WriteString(s[i : i+size])
	}
	return size
}

func escapePath(b *strings.Builder, p string) {
	for i := 0; i < len(p); {
		c := p[i]
		if i == 0 || p[i-1] == '/' {
			// At the start of a segment: "." and ".." must not survive.
			seg, _, _ := strings.Cut(p[i:], "/")
			if seg == "." || seg == ".." {
				for range seg {
					writeEscaped(b, '.')
				}
				i += len(seg)
				continue
			}
		}
		if c == '/' {
			if i == 0 || i == len(p)-1 || p[i-1] == '/' || p[i+1] == '/' {
				writeEscaped(b, '/')
			} else {
				b.WriteByte('/')
			}
			i++
			continue
		}
		i += escapeRune(b, p, i)
	}
}

func escapeChain(b *strings.Builder, chain string) {
	if chain == emptyChain {
		writeEscaped(b, '_')
		return
	}
	for i := 0; i < len(chain); {
		if c := chain[i]; c == '/' || (i == 0 && c == '.') {
			writeEscaped(b, c)
			i++
			continue
		}
		i += escapeRune(b, chain, i)
	}
}

func escapeExt(b *strings.Builder, ext string) {
	for i := 0; i < len(ext); {
		if c := ext[i]; c == '/' || c == '.' {
			writeEscaped(b, c)
			i++
			continue
		}
		i += escapeRune(b, ext, i)
	}
}
