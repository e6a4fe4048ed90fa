package transform

import (
	"context"
	"fmt"

	"github.com/davidbyttow/govips/v2/vips"
)

// job is the state one transformation carries through the pipeline.
type job struct {
	ctx    context.Context
	src    []byte
	chain  *Chain
	format Format
	limits Limits

	srcType       vips.ImageType
	width, height int  // source size of one frame, after EXIF orientation
	frames        int  // frames in the source
	animate       bool // keep every frame in the output

	img        *vips.ImageRef
	shrunk     bool // the loader already did the first step's resize
	shrunkCrop bool // ... and its smart crop
	out        []byte
}

// pipeline is the whole transformation as an ordered list of named steps.
// Each is small and lives in a steps_*.go file by concern.
var pipeline = []struct {
	name string
	run  func(*job) error
}{
	{"inspect source", inspectSource}, // limits on bytes, type, pixels, frames: before any decode
	{"load", load},                    // the only decode; shrink-on-load when the chain starts with a resize
	{"convert to sRGB", toSRGB},       // profiles, CMYK, 16-bit and grey all become 8-bit sRGB
	{"apply chain", applyChain},       // the user's steps, per frame when animated
	{"flatten", flatten},              // formats without alpha get the background colour
	{"save", save},                    // encode, metadata stripped unless asked
}

// run executes the pipeline. The Processor bounds how many run at once.
func run(ctx context.Context, src []byte, c *Chain, f Format, l Limits) (*Result, error) {
	if c == nil {
		c = &Chain{}
	}
	j := &job{ctx: ctx, src: src, chain: c, format: f, limits: l}
	defer func() {
		if j.img != nil {
			j.img.Close()
		}
	}()
	for _, st := range pipeline {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := st.run(j); err != nil {
			return nil, fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return &Result{Body: j.out, Format: f, Width: j.img.Width(), Height: j.img.PageHeight()}, nil
}
