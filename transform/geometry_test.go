package transform

import "testing"

func TestPlanGeometry(t *testing.T) {
	l := Limits{}.WithDefaults()
	tests := []struct {
		chain string
		w, h  int // source
		want  geometry
	}{
		{"w-300", 1200, 800, geometry{resizeW: 300, resizeH: 200}},
		{"h-200", 1200, 800, geometry{resizeW: 300, resizeH: 200}},
		{"w-0.5", 1200, 800, geometry{resizeW: 600, resizeH: 400}},
		{"w-300,dpr-2", 1200, 800, geometry{resizeW: 600, resizeH: 400}},
		{"w-300,ar-1-1", 1200, 800, geometry{resizeW: 450, resizeH: 300, crop: rect{75, 0, 300, 300}}},
		{"w-2400", 1200, 800, geometry{resizeW: 2400, resizeH: 1600}}, // maintain_ratio enlarges
		{"w-2400,c-at_max", 1200, 800, geometry{}},                    // at_max never does
		{"w-1200", 1200, 800, geometry{}},                             // same size: nothing to do
		// maintain_ratio with both: cover, then cut at fo.
		{"w-300,h-300", 1200, 800, geometry{resizeW: 450, resizeH: 300, crop: rect{75, 0, 300, 300}}},
		{"w-300,h-300,fo-left", 1200, 800, geometry{resizeW: 450, resizeH: 300, crop: rect{0, 0, 300, 300}}},
		{"w-300,h-300,fo-right", 1200, 800, geometry{resizeW: 450, resizeH: 300, crop: rect{150, 0, 300, 300}}},
		{"w-300,h-300,fo-top", 800, 1200, geometry{resizeW: 300, resizeH: 450, crop: rect{0, 0, 300, 300}}},
		{"w-300,h-300,fo-bottom_right", 800, 1200, geometry{resizeW: 300, resizeH: 450, crop: rect{0, 150, 300, 300}}},
		{"w-300,h-300,fo-auto", 1200, 800, geometry{resizeW: 450, resizeH: 300, crop: rect{75, 0, 300, 300}, smart: true}},
		{"w-300,h-200", 1200, 800, geometry{resizeW: 300, resizeH: 200}},
		{"w-300,h-300,c-force", 1200, 800, geometry{resizeW: 300, resizeH: 300}},
		{"w-300,h-300,c-at_max", 1200, 800, geometry{resizeW: 300, resizeH: 200}},
		{"w-3000,h-3000,c-at_max", 1200, 800, geometry{}},
		{"w-3000,h-3000,c-at_max_enlarge", 1200, 800, geometry{resizeW: 3000, resizeH: 2000}},
		{"w-300,h-300,c-at_least", 1200, 800, geometry{resizeW: 450, resizeH: 300}},
		{"w-300,h-300,cm-pad_resize", 1200, 800, geometry{resizeW: 300, resizeH: 200, padW: 300, padH: 300, padX: 0, padY: 50}},
		{"w-300,h-300,cm-pad_resize,fo-top", 1200, 800, geometry{resizeW: 300, resizeH: 200, padW: 300, padH: 300, padX: 0, padY: 0}},
		{"w-300,h-300,cm-pad_resize,fo-bottom", 1200, 800, geometry{resizeW: 300, resizeH: 200, padW: 300, padH: 300, padX: 0, padY: 100}},
		{"w-100,h-100,cm-extract", 1200, 800, geometry{extract: rect{550, 350, 100, 100}}},
		{"w-100,h-100,cm-extract,fo-top_left", 1200, 800, geometry{extract: rect{0, 0, 100, 100}}},
		{"w-100,h-100,cm-extract,x-10,y-20", 1200, 800, geometry{extract: rect{10, 20, 100, 100}}},
		{"w-100,h-100,cm-extract,xc-10,yc-700", 1200, 800, geometry{extract: rect{0, 650, 100, 100}}}, // clamped inside
		{"w-100,h-100,cm-extract,x-5000", 1200, 800, geometry{extract: rect{1100, 350, 100, 100}}},
		{"w-2000,h-100,cm-extract", 1200, 800, geometry{extract: rect{0, 350, 1200, 100}}},
		{"w-100,h-100,cm-extract,fo-auto", 1200, 800, geometry{extract: rect{550, 350, 100, 100}, smart: true}},
		{"w-2000,h-1000,cm-pad_extract", 1200, 800, geometry{extract: rect{0, 0, 1200, 800}, padW: 2000, padH: 1000, padX: 400, padY: 100}},
		{"w-100,h-100,cm-pad_extract", 1200, 800, geometry{extract: rect{550, 350, 100, 100}}},
	}
	for _, tt := range tests {
		c, err := Parse(tt.chain, "", ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tt.chain, err)
		}
		got, err := planGeometry(tt.w, tt.h, &c.steps[0], l)
		if err != nil {
			t.Errorf("%s: %v", tt.chain, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s on %dx%d:\n got %+v\nwant %+v", tt.chain, tt.w, tt.h, got, tt.want)
		}
	}
}

func TestPlanGeometryLimits(t *testing.T) {
	l := Limits{MaxOutputDimension: 1000}.WithDefaults()
	for _, chain := range []string{"w-1001", "h-5000", "w-900,dpr-2", "w-1000,h-10,c-at_least", "w-500,ar-1-3"} {
		c, err := Parse(chain, "", ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := planGeometry(100, 200, &c.steps[0], l); !IsKind(err, Limit) {
			t.Errorf("%s: %v, want Limit", chain, err)
		}
	}
}

// TestPlanFaceGeometry: fo-face centres the cut on the faces (clamped to
// the image); with z the region around them is cut first, its height the
// faces' box divided by z.
func TestPlanFaceGeometry(t *testing.T) {
	l := Limits{}.WithDefaults()
	tests := []struct {
		chain string
		face  faceFocus
		want  geometry
	}{
		// 1200×800 covered to 450×300, a face at 80% across: the cut's
		// centre is at 360, clamped so the cut stays inside.
		{"w-300,h-300,fo-face", faceFocus{0.8, 0.5, 0.1}, geometry{resizeW: 450, resizeH: 300, crop: rect{150, 0, 300, 300}}},
		{"w-300,h-300,fo-face", faceFocus{0.4, 0.5, 0.1}, geometry{resizeW: 450, resizeH: 300, crop: rect{30, 0, 300, 300}}},
		// z-0.5: a 200 px face box (0.25 of 800) gives a 400 px square region around (600,400).
		{"w-100,h-100,fo-face,z-0.5", faceFocus{0.5, 0.5, 0.25}, geometry{extract: rect{400, 200, 400, 400}, resizeW: 100, resizeH: 100}},
		// z-1 with a 2:1 output: the region is as high as the face box (200) and twice as wide.
		{"w-200,h-100,fo-face,z-1", faceFocus{0.5, 0.5, 0.25}, geometry{extract: rect{400, 300, 400, 200}, resizeW: 200, resizeH: 100}},
		// the region is clamped to the image edge.
		{"w-100,h-100,fo-face,z-0.5", faceFocus{0.05, 0.05, 0.25}, geometry{extract: rect{0, 0, 400, 400}, resizeW: 100, resizeH: 100}},
	}
	for _, tt := range tests {
		c, err := compiled(t, tt.chain)
		if err != nil {
			t.Fatal(err)
		}
		s := c.steps[0]
		f := tt.face
		s.face = &f
		g, err := planGeometry(1200, 800, &s, l)
		if err != nil || g != tt.want {
			t.Errorf("%s with a face at %+v: %+v, %v; want %+v", tt.chain, tt.face, g, err, tt.want)
		}
	}
}
