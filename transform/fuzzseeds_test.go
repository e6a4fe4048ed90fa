//go:build tools

package transform

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzDecode. It is a tool,
// not a test: built only with -tags tools, so the suite never skips it.
//
//	go test -tags tools -run TestWriteFuzzSeeds ./transform/
func TestWriteFuzzSeeds(t *testing.T) {
	img := quadrants(t, 8, 6)
	export := func(f func() ([]byte, *vips.ImageMetadata, error)) []byte {
		b, _, err := f()
		must(t, err)
		return b
	}
	valid := map[string][]byte{
		"jpeg": encodeWith(t, img, JPEG),
		"png":  encodeWith(t, img, PNG),
		"gif":  animation(t, GIF, 3, 8, 6),
		"webp": animation(t, WebP, 2, 8, 6),
		"tiff": export(func() ([]byte, *vips.ImageMetadata, error) {
			return img.ExportTiff(&vips.TiffExportParams{Compression: vips.TiffCompressionLzw})
		}),
		"avif": export(func() ([]byte, *vips.ImageMetadata, error) {
			return img.ExportAvif(&vips.AvifExportParams{Quality: 50, Effort: 0, Bitdepth: 8})
		}),
		"jxl": export(func() ([]byte, *vips.ImageMetadata, error) {
			return img.ExportJxl(&vips.JxlExportParams{Quality: 50, Effort: 1, Distance: 1})
		}),
		"svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="6"><rect width="4" height="3" fill="red"/></svg>`),
		"pdf": minimalPDF(),
		"bmp": bmpFile(2, 2, 24, []byte{0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 0, 255, 255, 255, 0, 0}, false),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	must(t, os.MkdirAll(dir, 0o755))
	write := func(name string, b []byte) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	for name, b := range valid {
		write(name, b)
		write(name+"-truncated", b[:len(b)/2])
		write(name+"-header", b[:min(len(b), 40)])
		flipped := append([]byte(nil), b...)
		for i := len(flipped) / 3; i < len(flipped); i += len(flipped)/7 + 1 {
			flipped[i] ^= 0x5a
		}
		write(name+"-flipped", flipped)
	}
	write("bmp-lying", bmpFile(1<<30, -1<<31, 24, make([]byte, 64), false))
	write("png-lying", pngHeader(1<<30, 1<<30))
	write("gif-lying", gifHeader(65535, 65535))
}
