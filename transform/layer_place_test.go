package transform

import "testing"

// TestLayerPosition follows ImageKit's placement rules for a 100×50
// layer on a 400×300 parent.
func TestLayerPosition(t *testing.T) {
	set := func(v int) optInt { return optInt{v, true} }
	tests := []struct {
		name string
		ls   layerSpec
		x, y int
	}{
		{"default centre", layerSpec{}, 150, 125},
		{"lx ly top-left", layerSpec{lx: set(10), ly: set(20)}, 10, 20},
		{"negative from the far edges", layerSpec{lx: set(-10), ly: set(-20)}, 290, 230},
		{"centre at lxc lyc", layerSpec{lxc: set(200), lyc: set(100)}, 150, 75},
		{"lfo corner", layerSpec{lfo: "bottom_right"}, 300, 250},
		{"lfo top, lx wins on x", layerSpec{lfo: "top", lx: set(5)}, 5, 0},
		{"lap centre at lx ly", layerSpec{lap: "center", lx: set(200), ly: set(150)}, 150, 125},
		{"lap bottom_right with negatives", layerSpec{lap: "bottom_right", lx: set(-10), ly: set(-10)}, 290, 240},
	}
	for _, tt := range tests {
		x, y := tt.ls.position(400, 300, 100, 50)
		if x != tt.x || y != tt.y {
			t.Errorf("%s: %d,%d, want %d,%d", tt.name, x, y, tt.x, tt.y)
		}
	}
}
