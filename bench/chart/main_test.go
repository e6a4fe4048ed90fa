package main

import (
	"slices"
	"testing"
)

func TestXTicks(t *testing.T) {
	set := func(xs ...float64) map[float64]bool {
		m := map[float64]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	var seconds []float64
	for s := 0.0; s <= 360; s += 5 {
		seconds = append(seconds, s)
	}
	tests := []struct {
		name        string
		xs          map[float64]bool
		xMax, xStep float64
		want        []float64
	}{
		{"measured values, sorted", set(16, 1, 8, 2, 4), 16, 5, []float64{1, 2, 4, 8, 16}},
		{"megapixels", set(1, 3, 9, 20, 35, 50), 50, 10, []float64{1, 3, 9, 20, 35, 50}},
		{"a time series gets round steps", set(seconds...), 400, 100, []float64{0, 100, 200, 300, 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := xTicks(tt.xs, tt.xMax, tt.xStep); !slices.Equal(got, tt.want) {
				t.Errorf("xTicks = %v, want %v", got, tt.want)
			}
		})
	}
}
