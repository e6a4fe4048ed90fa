package caddymodule

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/image-cdn/image_cdn/transform"
)

// decoded is what a test checks of an output image: never its bytes
// (encoders drift), but what a viewer would see.
type decoded struct {
	format        string // jpeg, png, webp, avif, gif
	width, height int
	alpha         bool
}

func decode(t testing.TB, body string) decoded {
	t.Helper()
	transform.Startup()
	img, err := vips.NewImageFromBuffer([]byte(body))
	if err != nil {
		t.Fatalf("the body does not decode as an image (%d bytes): %v", len(body), err)
	}
	defer img.Close()
	names := map[vips.ImageType]string{vips.ImageTypeJPEG: "jpeg", vips.ImageTypePNG: "png", vips.ImageTypeWEBP: "webp",
		vips.ImageTypeAVIF: "avif", vips.ImageTypeHEIF: "avif", vips.ImageTypeGIF: "gif"}
	return decoded{format: names[img.Format()], width: img.Width(), height: img.PageHeight(), alpha: img.HasAlpha()}
}

// sample reads one of the committed sample images (samples/LICENSE.md).
func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
