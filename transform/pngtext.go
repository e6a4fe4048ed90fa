package transform

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
)

// maxPNGInflated bounds what a PNG's compressed metadata chunks (zTXt,
// compressed iTXt, iCCP) may inflate to, together. libpng and libspng
// inflate them while reading the header, once per open, and a 64 KB upload
// can carry a chunk that inflates to 64 MB: 0.76 s of CPU per request in
// the hostile suite, for no pixel. Real text and profiles are kilobytes;
// 8 MiB leaves room for large XMP packets.
const maxPNGInflated = 8 << 20

// checkPNGMetadata inflates each compressed metadata chunk up to what is
// left of maxPNGInflated and refuses the source past it. Inflating here
// costs at most the bound, once; a damaged chunk or chunk layout is left
// for the decoder to judge.
func checkPNGMetadata(b []byte) error {
	const sigLen = 8
	left := int64(maxPNGInflated)
	for p := sigLen; p+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		if n < 0 || n > len(b)-p-12 || typ == "IEND" {
			return nil
		}
		if z := compressedMetadata(typ, b[p+8:p+8+n]); z != nil {
			left -= inflatedSize(z, left+1)
			if left < 0 {
				return limitf("png", "the source PNG's compressed metadata inflates to over %d MB", maxPNGInflated>>20)
			}
		}
		p += 12 + n
	}
	return nil
}

// compressedMetadata returns the zlib stream of a zTXt, iCCP (keyword,
// NUL, method, data) or compressed iTXt (keyword, NUL, flag, method,
// language, NUL, translated keyword, NUL, data) chunk, or nil.
func compressedMetadata(typ string, data []byte) []byte {
	kw := bytes.IndexByte(data, 0)
	if kw < 0 {
		return nil
	}
	switch typ {
	case "zTXt", "iCCP":
		if kw+2 <= len(data) {
			return data[kw+2:]
		}
	case "iTXt":
		if kw+3 > len(data) || data[kw+1] != 1 {
			return nil
		}
		rest := data[kw+3:]
		lang := bytes.IndexByte(rest, 0)
		if lang < 0 {
			return nil
		}
		rest = rest[lang+1:]
		if tr := bytes.IndexByte(rest, 0); tr >= 0 {
			return rest[tr+1:]
		}
	}
	return nil
}

// inflatedSize is how many bytes z inflates to, counting no further than
// limit.
func inflatedSize(z []byte, limit int64) int64 {
	r, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return 0
	}
	defer r.Close()
	n, _ := io.Copy(io.Discard, io.LimitReader(r, limit))
	return n
}
