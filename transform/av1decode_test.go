package transform

import (
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// AVIF sources decode through the one-thread plugin (the counter moves),
// in every layout libheif hands it: 4:2:0 and 4:4:4, 8 and 10 bits, and an
// alpha plane (a monochrome AV1 image of its own). The pixels match the
// source within the encoder's loss.
func TestAV1Decoder(t *testing.T) {
	Startup()
	if av1Err != nil {
		t.Fatal(av1Err)
	}
	photo := photoLike(t, 160, 120, false)
	withAlpha := photoLike(t, 160, 120, true)
	deep, err := photo.Copy()
	must(t, err)
	must(t, deep.ToColorSpace(vips.InterpretationRGB16))
	for _, tt := range []struct {
		name    string
		img     *vips.ImageRef
		params  vips.AvifExportParams
		alpha   bool
		maxDiff float64
	}{
		{"8-bit 4:2:0", photo, vips.AvifExportParams{Quality: 80, Bitdepth: 8, Effort: 0}, false, 3},
		{"8-bit 4:4:4", photo, vips.AvifExportParams{Quality: 95, Bitdepth: 8, Effort: 0}, false, 2},
		{"10-bit", deep, vips.AvifExportParams{Quality: 90, Bitdepth: 10, Effort: 0}, false, 3},
		{"alpha", withAlpha, vips.AvifExportParams{Quality: 90, Bitdepth: 8, Effort: 0}, true, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src, _, err := tt.img.ExportAvif(&tt.params)
			must(t, err)
			before := av1DecodersMade()
			d := decode(t, process(t, src, "w-160", PNG).Body)
			if av1DecodersMade() == before {
				t.Fatal("the AVIF was not decoded by the one-thread plugin")
			}
			if d.img.HasAlpha() != tt.alpha || d.img.Width() != 160 || d.img.Height() != 120 {
				t.Fatalf("decoded %dx%d, alpha %v", d.img.Width(), d.img.Height(), d.img.HasAlpha())
			}
			want := photo
			if tt.alpha {
				want = withAlpha
			}
			if diff := meanAbsDiff(t, d.img, want); diff > tt.maxDiff {
				t.Errorf("pixels differ from the source by %.2f on average", diff)
			}
		})
	}
}

// A truncated AVIF is a decode error, not a crash or a grey image.
func TestAV1DecoderBrokenData(t *testing.T) {
	src, _, err := photoLike(t, 160, 120, false).ExportAvif(&vips.AvifExportParams{Quality: 80, Bitdepth: 8, Effort: 0})
	must(t, err)
	cut := src[:len(src)*8/10]
	c, err := Parse("w-80", "", ParseOptions{})
	must(t, err)
	if _, err := NewProcessor(Config{Workers: 1}).Process(t.Context(), cut, c, PNG); err == nil {
		t.Error("a truncated AVIF decoded")
	}
}
