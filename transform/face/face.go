// Package face finds faces in a greyscale image, in process, with pigo
// (github.com/esimov/pigo, pure Go). The cascade, facefinder, is pigo's
// own file from its v1.4.6 module, shipped here under its MIT licence
// (facefinder.LICENSE).
package face

import (
	_ "embed"
	"fmt"
	"sort"
	"sync"

	pigo "github.com/esimov/pigo/core"
)

//go:embed facefinder
var cascade []byte

var classifier = sync.OnceValues(func() (*pigo.Pigo, error) {
	c, err := pigo.NewPigo().Unpack(cascade)
	if err != nil {
		return nil, fmt.Errorf("face: unpacking the cascade: %w", err)
	}
	return c, nil
})

// Box is a face: its centre and side, in pixels, and the detector's score.
type Box struct {
	X, Y, Size int
	Score      float32
}

// minScore is the detection score a face must reach; pigo's examples use
// 5 for frontal faces, and lower scores are mostly texture.
const minScore = 5

// Detect returns the faces in a rows×cols greyscale image (one byte per
// pixel, row after row), strongest first. The image should be small
// (a few hundred pixels a side): the scan is quadratic in the size.
func Detect(gray []byte, rows, cols int) ([]Box, error) {
	if rows <= 0 || cols <= 0 || len(gray) < rows*cols {
		return nil, fmt.Errorf("face: %d bytes for a %dx%d image", len(gray), cols, rows)
	}
	c, err := classifier()
	if err != nil {
		return nil, err
	}
	dets := c.RunCascade(pigo.CascadeParams{
		MinSize:     max(20, min(rows, cols)/20),
		MaxSize:     min(rows, cols),
		ShiftFactor: 0.1,
		ScaleFactor: 1.1,
		ImageParams: pigo.ImageParams{Pixels: gray, Rows: rows, Cols: cols, Dim: cols},
	}, 0)
	dets = c.ClusterDetections(dets, 0.2)
	var out []Box
	for _, d := range dets {
		if d.Q >= minScore {
			out = append(out, Box{X: d.Col, Y: d.Row, Size: d.Scale, Score: d.Q})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out, nil
}
