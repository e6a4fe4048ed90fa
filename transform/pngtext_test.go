package transform

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// withChunk inserts a chunk after the IHDR of a PNG.
func withChunk(t *testing.T, png []byte, typ string, data []byte) []byte {
	t.Helper()
	var c bytes.Buffer
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	c.Write(n[:])
	c.WriteString(typ)
	c.Write(data)
	binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(append([]byte(typ), data...)))
	c.Write(n[:])
	const ihdrEnd = 8 + 25
	return append(append(append([]byte{}, png[:ihdrEnd]...), c.Bytes()...), png[ihdrEnd:]...)
}

func deflated(t *testing.T, n int) []byte {
	t.Helper()
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	if _, err := w.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	must(t, w.Close())
	return z.Bytes()
}

// TestPNGMetadataBombs: compressed text and profile chunks that inflate
// past the bound are refused from the bytes, before libpng inflates them
// once per open; ordinary ones, and damaged ones, are the decoder's.
func TestPNGMetadataBombs(t *testing.T) {
	png := encodeWith(t, quadrants(t, 16, 16), PNG)
	big, small := deflated(t, 64<<20), deflated(t, 64<<10)
	itxt := func(z []byte) []byte { return append([]byte("XML:com.adobe.xmp\x00\x01\x00en\x00\x00"), z...) }
	for _, tt := range []struct {
		name    string
		src     []byte
		refused bool
	}{
		{"zTXt of 64 MB", withChunk(t, png, "zTXt", append([]byte("Comment\x00\x00"), big...)), true},
		{"compressed iTXt of 64 MB", withChunk(t, png, "iTXt", itxt(big)), true},
		{"iCCP of 64 MB", withChunk(t, png, "iCCP", append([]byte("icc\x00\x00"), big...)), true},
		{"many zTXt of 1 MB, 10 MB together", func() []byte {
			p := png
			for range 10 {
				p = withChunk(t, p, "zTXt", append([]byte("Comment\x00\x00"), deflated(t, 1<<20)...))
			}
			return p
		}(), true},
		{"zTXt of 64 KB", withChunk(t, png, "zTXt", append([]byte("Comment\x00\x00"), small...)), false},
		{"uncompressed iTXt", withChunk(t, png, "iTXt", []byte("Comment\x00\x00\x00\x00\x00hello")), false},
		{"zTXt that is not zlib", withChunk(t, png, "zTXt", []byte("Comment\x00\x00garbage")), false},
		{"no metadata", png, false},
	} {
		err := checkPNGMetadata(tt.src)
		if got := IsKind(err, Limit); got != tt.refused || (!tt.refused && err != nil) {
			t.Errorf("%s: %v, want refused %v", tt.name, err, tt.refused)
		}
	}
	// Through the pipeline: a Limit error, not a decode.
	c, err := Parse("w-10", "", ParseOptions{})
	must(t, err)
	bomb := withChunk(t, png, "zTXt", append([]byte("Comment\x00\x00"), big...))
	if _, err := NewProcessor(Config{Workers: 1}).Process(t.Context(), bomb, c, PNG); !IsKind(err, Limit) {
		t.Errorf("zTXt bomb through the pipeline: %v, want a Limit error", err)
	}
}
