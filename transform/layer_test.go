package transform

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/image-cdn/image_cdn/internal/testenv"
)

// memSources is an origin in memory that counts its fetches.
type memSources struct {
	mu      sync.Mutex
	files   map[string][]byte
	fetched []string
}

func (m *memSources) Fetch(_ context.Context, path string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fetched = append(m.fetched, path)
	b, ok := m.files[path]
	if !ok {
		return nil, fmt.Errorf("%s: %w", path, ErrSourceNotFound)
	}
	return b, nil
}

func processWith(t testing.TB, src []byte, chain string, f Format, s Sources) (*Result, error) {
	t.Helper()
	c, err := Parse(chain, "", ParseOptions{})
	if err != nil {
		return nil, err
	}
	return NewProcessor(Config{Workers: 1}).ProcessWith(context.Background(), src, c, f, Options{Sources: s})
}

// solidPNG is a w×h PNG of one colour.
func solidPNG(t testing.TB, w, h int, c rgba) []byte {
	t.Helper()
	Startup()
	img, err := solid(w, h, c)
	must(t, err)
	defer img.Close()
	return encodeWith(t, img, PNG)
}

// TestImageLayers places layers as ImageKit documents: lx/ly from the
// top-left, N from the far edge, lfo by default in the centre, nested
// layers relative to their parent, image-layer transformations applied to
// the layer only, trim by default inside layers.
func TestImageLayers(t *testing.T) {
	src := encodeWith(t, quadrants(t, 400, 200), PNG)
	logo := solidPNG(t, 40, 20, rgba{0, 0, 0, 255})
	// A 60×60 black square framed by 10 px of white: trimmed to 40×40 in a layer.
	framed := func() []byte {
		img, err := solid(40, 40, rgba{0, 0, 0, 255})
		must(t, err)
		must(t, img.EmbedBackgroundRGBA(10, 10, 60, 60, &vips.ColorRGBA{R: 255, G: 255, B: 255, A: 255}))
		defer img.Close()
		return encodeWith(t, img, PNG)
	}()
	srcs := &memSources{files: map[string][]byte{"logos/logo.png": logo, "framed.png": framed}}
	black := []float64{0, 0, 0}
	tests := []struct {
		chain  string
		w, h   int
		pixels map[[2]int][]float64
	}{
		{"l-image,i-logos@@logo.png,l-end", 400, 200, map[[2]int][]float64{{200, 95}: black, {170, 95}: red, {230, 95}: green, {230, 105}: white}},
		{"l-image,i-logos@@logo.png,lx-10,ly-20,l-end", 400, 200, map[[2]int][]float64{{12, 22}: black, {48, 38}: black, {52, 42}: red}},
		{"l-image,i-logos@@logo.png,lx-N10,ly-N10,l-end", 400, 200, map[[2]int][]float64{{388, 188}: black, {352, 172}: black, {348, 168}: white}},
		{"l-image,ie-" + base64.StdEncoding.EncodeToString([]byte("logos/logo.png")) + ",lfo-top_left,l-end", 400, 200, map[[2]int][]float64{{5, 5}: black, {45, 5}: red}},
		{"l-image,i-logos@@logo.png,w-80,lx-0,ly-0,l-end", 400, 200, map[[2]int][]float64{{75, 35}: black, {85, 45}: red}},
		{"w-200,l-image,i-logos@@logo.png,lx-0,ly-0,l-end", 200, 100, map[[2]int][]float64{{35, 15}: black, {45, 25}: red}},
		{"l-image,i-framed.png,lx-0,ly-0,l-end", 400, 200, map[[2]int][]float64{{35, 35}: black, {45, 45}: red}},         // trimmed: 40×40
		{"l-image,i-framed.png,t-false,lx-0,ly-0,l-end", 400, 200, map[[2]int][]float64{{5, 5}: white, {30, 30}: black}}, // not trimmed
		{"l-image,i-logos@@logo.png,lx-bw_sub_cw,ly-0,l-end", 400, 200, map[[2]int][]float64{{395, 5}: black, {355, 5}: green}},
		// A canvas layer holding a nested layer: the nested one is placed relative to the canvas.
		{"l-image,i-ik_canvas,bg-0000FF,w-100,h-100,lx-0,ly-0,l-image,i-logos@@logo.png,lfo-bottom_right,l-end,l-end", 400, 200,
			map[[2]int][]float64{{5, 5}: blue, {95, 95}: black, {55, 85}: blue, {65, 75}: blue, {150, 50}: red}},
		{"l-image,i-ik_canvas,bg-FFFFFF50,w-0.5,h-0.5,lx-0,ly-0,l-end", 400, 200, map[[2]int][]float64{{100, 50}: {255, 128, 128}}},
		{"l-image,i-logos@@logo.png,lm-multiply,lfo-top_left,l-end", 400, 200, map[[2]int][]float64{{5, 5}: black, {50, 5}: red}},
	}
	for _, tt := range tests {
		t.Run(tt.chain, func(t *testing.T) {
			res, err := processWith(t, src, tt.chain, PNG, srcs)
			if err != nil {
				t.Fatal(err)
			}
			if res.Width != tt.w || res.Height != tt.h {
				t.Errorf("%dx%d, want %dx%d", res.Width, res.Height, tt.w, tt.h)
			}
			d := decode(t, res.Body)
			for p, c := range tt.pixels {
				pixelNear(t, d.img, p[0], p[1], c, 3)
			}
		})
	}
}

// TestLayerModes: cutout punches the layer's shape out of the image,
// cutter keeps only the layer's shape and box.
func TestLayerModes(t *testing.T) {
	src := encodeWith(t, quadrants(t, 400, 200), PNG)
	srcs := &memSources{files: map[string][]byte{"dot.png": solidPNG(t, 40, 40, rgba{0, 0, 0, 255})}}
	res, err := processWith(t, src, "l-image,i-dot.png,lx-0,ly-0,lm-cutout,l-end", PNG, srcs)
	must(t, err)
	d := decode(t, res.Body)
	if p, _ := d.img.GetPoint(10, 10); len(p) < 4 || p[3] != 0 {
		t.Errorf("cutout: pixel under the layer = %v, want transparent", p)
	}
	pixelNear(t, d.img, 60, 10, []float64{255, 0, 0, 255}, 2)
	res, err = processWith(t, src, "l-image,i-dot.png,lx-380,ly-0,lm-cutter,l-end", PNG, srcs)
	must(t, err)
	if res.Width != 20 || res.Height != 40 {
		t.Errorf("cutter: %dx%d, want the layer's box inside the image, 20x40", res.Width, res.Height)
	}
	d = decode(t, res.Body)
	pixelNear(t, d.img, 5, 5, green, 2)
}

// TestLayerErrors: a missing source is a 400 naming the layer; layer
// sources need Sources; per-request placement errors name the parameter.
func TestLayerErrors(t *testing.T) {
	src := encodeWith(t, quadrants(t, 100, 100), PNG)
	srcs := &memSources{files: map[string][]byte{"a.png": solidPNG(t, 10, 10, rgba{0, 0, 0, 255}), "junk.png": []byte("not an image")}}
	for _, tt := range []struct {
		chain   string
		sources Sources
		kind    Kind
		param   string
	}{
		{"l-image,i-missing.png,l-end", srcs, Invalid, "l-image"},
		{"l-image,i-a.png,l-end", nil, Invalid, "l-image"},
		{"l-image,i-junk.png,l-end", srcs, Unsupported, "l-image"},
		{"l-image,i-a.png,lx-bw_div_0,l-end", srcs, Invalid, "lx"},
		{"l-image,i-a.png,w-cw_sub_100,l-end", srcs, Invalid, "w"},
		{"l-image,i-a.png,lm-displace,l-end", srcs, Invalid, "lm"},
	} {
		_, err := processWith(t, src, tt.chain, PNG, tt.sources)
		if !IsKind(err, tt.kind) || !strings.Contains(err.Error(), tt.param+":") {
			t.Errorf("%s: %v, want %v naming %s", tt.chain, err, tt.kind, tt.param)
		}
	}
}

// TestTextLayers: text is drawn in co (black by default) at fs pixels,
// wraps at w, sits on bg with pa padding; ie- carries base64 text.
func TestTextLayers(t *testing.T) {
	src := solidPNG(t, 600, 300, rgba{255, 255, 255, 255})
	bbox := func(chain string) (x0, y0, x1, y1 int, d decoded) {
		t.Helper()
		res, err := processWith(t, src, chain, PNG, nil)
		must(t, err)
		d = decode(t, res.Body)
		// The box of non-white pixels.
		x0, y0, x1, y1 = 600, 300, -1, -1
		flat, err := d.img.Copy()
		must(t, err)
		defer flat.Close()
		must(t, flat.ExtractBand(0, 1))
		px, err := flat.ToBytes()
		must(t, err)
		for y := 0; y < 300; y++ {
			for x := 0; x < 600; x++ {
				if px[y*600+x] < 200 {
					x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
				}
			}
		}
		return x0, y0, x1, y1, d
	}
	x0, y0, x1, y1, _ := bbox("l-text,i-Hello,fs-40,lx-10,ly-20,l-end")
	if x0 < 10 || x0 > 16 || y0 < 20 || y0 > 26 || y1-y0 < 24 || y1-y0 > 45 {
		t.Errorf("fs-40 at 10,20: ink box %d,%d-%d,%d", x0, y0, x1, y1)
	}
	_, _, x1b, _, _ := bbox("l-text,i-Hello,fs-80,lx-10,ly-20,l-end")
	if w40, w80 := x1-x0, x1b-x0; w80 < 2*w40-8 || w80 > 2*w40+8 {
		t.Errorf("fs-80 is %d px wide, fs-40 %d: the width does not follow fs", w80, w40)
	}
	_, y0w, _, y1w, _ := bbox("l-text,i-Hello Hello Hello,fs-40,w-150,lx-0,ly-0,l-end")
	if y1w-y0w < 80 {
		t.Errorf("w-150 did not wrap: %d px high", y1w-y0w)
	}
	_, _, _, _, d := bbox("l-text,ie-" + base64.StdEncoding.EncodeToString([]byte("Hi, there: <b>")) + ",fs-30,co-FF0000,bg-0000FF,pa-20,lfo-top_left,l-end")
	pixelNear(t, d.img, 5, 5, blue, 2) // padding on the background
	red := false
	for x := 20; x < 200 && !red; x++ {
		for y := 20; y < 60; y++ {
			if p, _ := d.img.GetPoint(x, y); p[0] > 200 && p[1] < 60 && p[2] < 60 {
				red = true
				break
			}
		}
	}
	if !red {
		t.Error("co-FF0000: no red text found")
	}
	if _, err := processWith(t, src, "l-text,i-x,fs-1000,lx-0,l-text,i-y,l-end,l-end", PNG, nil); err != nil {
		t.Errorf("nested text: %v", err)
	}
}

// TestFontFromOrigin: ff- with a .ttf path renders with that font, read
// through Sources; a file that is not a font is a 400 naming ff.
func TestFontFromOrigin(t *testing.T) {
	ttf := testenv.File(t, "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf", "fonts-dejavu-core")
	if fam, ok := fontFamilyName(ttf); !ok || fam != "DejaVu Serif" {
		t.Errorf("family %q, %v; want DejaVu Serif", fam, ok)
	}
	src := solidPNG(t, 300, 100, rgba{255, 255, 255, 255})
	srcs := &memSources{files: map[string][]byte{"fonts/serif.ttf": ttf, "fonts/bad.ttf": []byte("not a font")}}
	res, err := processWith(t, src, "l-text,i-Hello,fs-40,ff-fonts@@serif.ttf,l-end", PNG, srcs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Width != 300 || len(srcs.fetched) != 1 || srcs.fetched[0] != "fonts/serif.ttf" {
		t.Errorf("fetched %v", srcs.fetched)
	}
	_, err = processWith(t, src, "l-text,i-Hello,ff-fonts@@bad.ttf,l-end", PNG, srcs)
	if !IsKind(err, Invalid) || !strings.Contains(err.Error(), "ff:") {
		t.Errorf("bad font: %v, want Invalid naming ff", err)
	}
	_, err = processWith(t, src, "l-text,i-Hello,ff-fonts@@none.ttf,l-end", PNG, srcs)
	if !IsKind(err, Invalid) || !strings.Contains(err.Error(), "ff:") {
		t.Errorf("missing font: %v, want Invalid naming ff", err)
	}
}

// TestDisplaceAndBudget: lm-displace moves the parent's pixels by the
// layer's red and green (255 red: lx pixels); layers and branches count
// against the step budget.
func TestDisplaceAndBudget(t *testing.T) {
	src := encodeWith(t, quadrants(t, 200, 100), PNG)
	srcs := &memSources{files: map[string][]byte{"map.png": solidPNG(t, 200, 100, rgba{255, 128, 0, 255})}}
	res, err := processWith(t, src, "l-image,i-map.png,t-false,lm-displace,lx-20,l-end", PNG, srcs)
	must(t, err)
	d := decode(t, res.Body)
	// Each pixel now shows the one about 20 px to its right: red gives way to green at about x = 80.
	pixelNear(t, d.img, 75, 20, red, 2)
	pixelNear(t, d.img, 85, 20, green, 2)
	c, err := Parse("w-10:"+strings.Repeat("l-image,i-ik_canvas,w-1,h-1,bg-red:rt-90:rt-90:rt-90:rt-90,l-end,", 4)+"w-5", "", ParseOptions{})
	must(t, err)
	if err := CheckBudget(c, Limits{MaxSteps: 20}); !IsKind(err, Limit) {
		t.Errorf("22 steps in layers: %v, want a max_steps Limit", err)
	}
}
