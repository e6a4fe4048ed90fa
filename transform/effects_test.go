package transform

import (
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// twoTone is a w×h image, left half colour a, right half b (opaque).
func twoTone(t *testing.T, w, h int, a, b rgba) []byte {
	t.Helper()
	Startup()
	img, err := solid(w, h, a)
	must(t, err)
	defer img.Close()
	right, err := solid(w-w/2, h, b)
	must(t, err)
	defer right.Close()
	must(t, img.Composite(right, vips.BlendModeOver, w/2, 0))
	must(t, img.ExtractBand(0, 3))
	return encodeWith(t, img, PNG)
}

// squareOnTransparent is a w×h transparent image with an opaque black
// square of side s in its centre.
func squareOnTransparent(t *testing.T, w, h, s int) []byte {
	t.Helper()
	Startup()
	img, err := solid(s, s, rgba{0, 0, 0, 255})
	must(t, err)
	defer img.Close()
	must(t, img.EmbedBackgroundRGBA((w-s)/2, (h-s)/2, w, h, &vips.ColorRGBA{}))
	return encodeWith(t, img, PNG)
}

type pixelCheck struct {
	x, y int
	want []float64
	tol  float64
}

// TestImageKitEffects checks each effect against what ImageKit's
// documentation says it does, on generated images.
func TestImageKitEffects(t *testing.T) {
	grey := twoTone(t, 100, 50, rgba{64, 64, 64, 255}, rgba{192, 192, 192, 255})
	edge := twoTone(t, 100, 50, rgba{100, 100, 100, 255}, rgba{150, 150, 150, 255})
	square := squareOnTransparent(t, 100, 100, 40)
	white := solidPNG(t, 100, 100, rgba{255, 255, 255, 255})
	quads := encodeWith(t, quadrants(t, 200, 100), PNG)
	tests := []struct {
		name, chain string
		src         []byte
		w, h        int
		checks      []pixelCheck
	}{
		// "the lighter sections become even lighter and the darker sections darker": full range.
		{"contrast stretch", "e-contrast", grey, 100, 50, []pixelCheck{{10, 10, []float64{0, 0, 0}, 1}, {90, 10, []float64{255, 255, 255}, 1}}},
		// Unsharp mask overshoots at the edge and leaves flat areas alone...
		{"usm overshoot", "e-usm-4-2-1-0", edge, 100, 50, []pixelCheck{{51, 25, []float64{165, 165, 165}, 12}, {90, 25, []float64{150, 150, 150}, 1}, {48, 25, []float64{85, 85, 85}, 12}}},
		// ... and does nothing where the difference is under the threshold (50 < 0.5×255).
		{"usm threshold", "e-usm-4-2-1-0.5", edge, 100, 50, []pixelCheck{{51, 25, []float64{150, 150, 150}, 1}, {48, 25, []float64{100, 100, 100}, 1}}},
		// A hard shadow at full strength, 10% right and down, under the square.
		{"shadow", "e-shadow-bl-0_st-100_x-10_y-10", square, 100, 100, []pixelCheck{{75, 75, []float64{0, 0, 0, 255}, 1}, {75, 35, []float64{0, 0, 0, 0}, 1}, {50, 50, []float64{0, 0, 0, 255}, 1}}},
		// Default shadow: 30% opacity, 2% offset, blurred: faint and transparent far away.
		{"shadow default", "e-shadow", square, 100, 100, []pixelCheck{{5, 5, []float64{0, 0, 0, 0}, 1}}},
		// Default gradient: transparent at the top, darkening to the bottom.
		{"gradient default", "e-gradient", white, 100, 100, []pixelCheck{{50, 0, []float64{255, 255, 255}, 3}, {50, 99, []float64{103, 103, 103}, 6}}},
		{"gradient left to right", "e-gradient-ld-90_from-FF0000_to-0000FF", white, 100, 100, []pixelCheck{{0, 50, []float64{253, 0, 2}, 4}, {99, 50, []float64{2, 0, 253}, 4}, {50, 50, []float64{128, 0, 127}, 4}}},
		{"gradient stop", "e-gradient-ld-90_from-FF0000_to-0000FF_sp-0.5", white, 100, 100, []pixelCheck{{60, 50, []float64{0, 0, 255}, 6}}},
		// Any angle: the canvas holds the whole image, corners filled with bg.
		{"rotate 45", "rt-45,bg-00FF00", white, 142, 142, []pixelCheck{{2, 2, []float64{0, 255, 0}, 2}, {71, 71, []float64{255, 255, 255}, 1}}},
		{"rotate 30 transparent", "rt-30", white, 137, 137, []pixelCheck{{1, 1, []float64{0, 0, 0, 0}, 1}}},
		// Colour replace: the red quadrant (within tolerance of red) turns black.
		{"colour replace", "cr-000000_10_FF0000", quads, 200, 100, []pixelCheck{{10, 10, []float64{0, 0, 0}, 1}, {150, 10, green, 1}}},
		// Per-corner radius: only the top left is rounded.
		{"corner radius", "r-30_0_0_0", quads, 200, 100, []pixelCheck{{1, 1, []float64{0, 0, 0, 0}, 1}, {198, 1, []float64{0, 255, 0, 255}, 1}, {1, 98, []float64{0, 0, 255, 255}, 1}}},
		// Perspective: the identity leaves the image as it is; pulling in the top
		// right corner leaves that corner transparent.
		{"perspective identity", "e-distort-p-0_0_200_0_200_100_0_100", quads, 200, 100, []pixelCheck{{10, 10, []float64{255, 0, 0, 255}, 2}, {190, 90, []float64{255, 255, 255, 255}, 2}}},
		{"perspective", "e-distort-p-0_0_150_30_200_100_0_100", quads, 200, 100, []pixelCheck{{195, 5, []float64{0, 0, 0, 0}, 1}, {10, 10, []float64{255, 0, 0, 255}, 2}}},
		// bg-dominant pads with the colour most of the image has.
		{"bg dominant", "w-300,h-100,cm-pad_resize,bg-dominant", twoTone(t, 100, 100, rgba{200, 30, 30, 255}, rgba{200, 30, 30, 255}), 300, 100, []pixelCheck{{5, 50, []float64{200, 30, 30}, 10}}},
		{"bg gradient dominant", "w-100,h-300,cm-pad_resize,bg-gradient_dominant", quads, 100, 300, []pixelCheck{{10, 2, []float64{255, 0, 0}, 40}, {10, 297, []float64{0, 0, 255}, 40}}},
		{"bg blurred darker", "w-300,h-100,cm-pad_resize,bg-blurred_10_N255", quads, 300, 100, []pixelCheck{{5, 5, []float64{0, 0, 0}, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := process(t, tt.src, tt.chain, PNG)
			if res.Width < tt.w-1 || res.Width > tt.w+1 || res.Height < tt.h-1 || res.Height > tt.h+1 {
				t.Errorf("%s: %dx%d, want %dx%d", tt.chain, res.Width, res.Height, tt.w, tt.h)
			}
			d := decode(t, res.Body)
			for _, c := range tt.checks {
				pixelNear(t, d.img, c.x, c.y, c.want, c.tol)
			}
		})
	}
}

// TestArcDistort: the image bends into an arc; its top edge's middle is at
// the top of the output for a positive angle and its bottom edge's middle
// at the bottom for a negative one.
func TestArcDistort(t *testing.T) {
	src := encodeWith(t, quadrants(t, 200, 100), PNG)
	up := decode(t, process(t, src, "e-distort-a-90", PNG).Body)
	w, h := up.img.Width(), up.img.PageHeight()
	if w <= 100 || h <= 50 || w > 300 || h > 300 {
		t.Fatalf("arc 90: %dx%d", w, h)
	}
	pixelNear(t, up.img, w/2-3, 2, []float64{255, 0, 0, 255}, 2)
	pixelNear(t, up.img, 1, h-1, []float64{0, 0, 0, 0}, 1) // outside the sector
	down := decode(t, process(t, src, "e-distort-a-N90", PNG).Body)
	pixelNear(t, down.img, down.img.Width()/2+3, down.img.PageHeight()-3, []float64{255, 255, 255, 255}, 2)
}

// TestEffectLimits: e-shadow refuses images over 2 MP, as ImageKit does.
func TestEffectLimits(t *testing.T) {
	src := solidPNG(t, 2000, 1001, rgba{0, 0, 0, 255})
	c, err := Parse("e-shadow", "", ParseOptions{})
	must(t, err)
	_, err = NewProcessor(Config{Workers: 1}).Process(t.Context(), src, c, PNG)
	if !IsKind(err, Limit) {
		t.Errorf("e-shadow on 2000x1001: %v, want Limit", err)
	}
}
