package transform

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestOddShapes runs every kind of step over degenerate images (one pixel,
// one row, one column): each must produce an image or a typed *Error,
// never an internal libvips failure. Animated sources check that every
// operation keeps the frames consistent.
func TestOddShapes(t *testing.T) {
	chains := []string{
		"w-1", "h-1", "w-0.01", "w-100,h-1", "w-1,h-100", "w-3,h-3,c-force", "w-3,h-3,c-at_max",
		"w-3,h-3,c-at_max_enlarge", "w-3,h-3,c-at_least", "w-3,h-3,fo-auto", "w-3,h-3,fo-bottom_right",
		"w-5,h-5,cm-pad_resize", "w-5,h-5,cm-pad_resize,bg-blurred", "w-5,h-5,cm-extract,x-N3,y-100",
		"w-5,h-5,cm-extract,fo-auto", "w-5,h-5,cm-pad_extract,bg-00000000", "w-2,ar-1-100", "h-2,ar-100-1",
		"w-2,dpr-0.1", "rt-90", "rt-270,fl-h_v", "bl-100", "e-grayscale,e-contrast", "e-sharpen-100",
		"e-usm-100-100-100-1", "r-max", "r-10000", "b-20_FF000000", "t-true", "t-99", "o-0",
		"w-4:rt-90:w-2,h-2,fo-auto:t-1", "cm-extract", "cm-pad_resize,w-4",
	}
	shapes := [][2]int{{1, 1}, {1, 40}, {40, 1}, {33, 17}}
	for _, shape := range shapes {
		for _, src := range []struct {
			body []byte
			outs []Format
		}{
			{encodeWith(t, quadrants(t, shape[0], shape[1]), PNG), []Format{PNG, JPEG}},
			{encodeWith(t, quadrants(t, shape[0], shape[1]), JPEG), []Format{PNG, JPEG}},
			{animation(t, GIF, 2, shape[0], shape[1]), []Format{GIF}},
		} {
			for _, chain := range chains {
				for _, f := range src.outs {
					name := fmt.Sprintf("%dx%d %s -> %s", shape[0], shape[1], chain, f)
					c, err := Parse(chain, "", ParseOptions{})
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					res, err := NewProcessor(Config{Workers: 1}).Process(context.Background(), src.body, c, f)
					var e *Error
					switch {
					case errors.As(err, &e):
					case err != nil:
						t.Errorf("%s: untyped error %v", name, err)
					case res.Width < 1 || res.Height < 1 || len(res.Body) == 0:
						t.Errorf("%s: empty result %+v", name, res)
					}
				}
			}
		}
	}
}
