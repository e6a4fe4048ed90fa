package transform

import "encoding/binary"

// stripWebPMetadata removes the EXIF and XMP chunks (and the ICC profile
// unless keepICC) from an encoded WebP. libvips 8.14's WebP saver writes a
// small EXIF block of its own (orientation, resolution, pixel size) even
// with strip set, so metadata is removed from the container itself, as a
// JPEG or AVIF answer has none. Anything that is not the expected RIFF
// layout is returned unchanged.
func stripWebPMetadata(b []byte, keepICC bool) []byte {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return b
	}
	out := make([]byte, 12, len(b))
	copy(out, b[:12])
	vp8x := -1
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return b
		}
		fourcc := string(b[i : i+4])
		size := int(binary.LittleEndian.Uint32(b[i+4 : i+8]))
		end := i + 8 + size + size&1 // chunks are padded to even sizes
		if size < 0 || end > len(b) {
			return b
		}
		switch {
		case fourcc == "EXIF", fourcc == "XMP ", fourcc == "ICCP" && !keepICC:
		default:
			if fourcc == "VP8X" && size >= 10 {
				vp8x = len(out)
			}
			out = append(out, b[i:end]...)
		}
		i = end
	}
	if vp8x >= 0 {
		flags := &out[vp8x+8]
		*flags &^= 0x08 | 0x04 // EXIF, XMP
		if !keepICC {
			*flags &^= 0x20 // ICC
		}
	}
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	return out
}

// stripJPEGMetadata removes the APP1 segments (EXIF, XMP) of an encoded
// JPEG. With cp-true the saver must keep the ICC profile (APP2), and libvips
// then also writes an EXIF block it makes up from the image (resolution,
// pixel size); only the profile was asked for. Anything that is not the
// expected marker layout is returned unchanged.
func stripJPEGMetadata(b []byte) []byte {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return b
	}
	out := make([]byte, 2, len(b))
	copy(out, b[:2])
	for i := 2; ; {
		if i+4 > len(b) || b[i] != 0xFF {
			return b
		}
		marker := b[i+1]
		if marker == 0xDA { // start of scan: the rest is image data
			return append(out, b[i:]...)
		}
		end := i + 2 + int(binary.BigEndian.Uint16(b[i+2:i+4]))
		if end > len(b) {
			return b
		}
		if marker != 0xE1 {
			out = append(out, b[i:end]...)
		}
		i = end
	}
}
