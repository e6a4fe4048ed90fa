package transform

import (
	"context"
	"errors"
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
	bmp           *bmpHeader // set for BMP sources, which this package decodes
	svg           *svgStats  // set for SVG sources, which this package scans
	width, height int        // source size of one frame, after EXIF orientation
	frames        int        // frames in the source
	animate       bool       // keep every frame in the output
	page          int        // 1-based page or frame to decode (pg-), one frame then; 0 = unset

	sources       Sources           // the origins layers and fonts are read from (Options)
	inputs        map[string][]byte // fetched layer images and font files, by origin path
	inputMem      int64             // their bytes and decoded pixels, for the memory estimate
	jpegCoefBytes int64             // per source pixel, libjpeg's buffer for a progressive file

	roots      roots // images the deadline kills (roots.go)
	img        *vips.ImageRef
	shrunk     bool // the loader already did the first step's resize
	shrunkCrop bool // ... and its smart crop
	out        []byte
}

// pipeline is the whole transformation as an ordered list of named steps.
// Each is small and lives in a steps_*.go file by concern. admit, between
// the header and the decode, is the Processor's memory admission.
type stage struct {
	name string
	run  func(*job) error
}

var (
	inspectStage = stage{"inspect source", inspectSource} // limits on bytes, type, pixels, frames: before any decode
	fetchStage   = stage{"fetch layers", fetchInputs}     // layer images and font files, concurrently, each inspected like the source
	decodeStages = []stage{
		{"load", load},              // the only decode; shrink-on-load when the chain starts with a resize
		{"convert to sRGB", toSRGB}, // profiles, CMYK, 16-bit and grey all become 8-bit sRGB
		{"apply chain", applyChain}, // the user's steps, per frame when animated
		{"flatten", flatten},        // formats without alpha get the background colour
		{"save", save},              // encode, metadata stripped unless asked
	}
)

// run executes the pipeline. The Processor bounds how many run at once and
// how much memory they hold (admit). A panic becomes an internal error:
// a safety net only, since every input is checked before it is decoded.
func run(ctx context.Context, src []byte, c *Chain, f Format, l Limits, opts Options, admit func(*job) (release func(), err error)) (res *Result, err error) {
	if c == nil {
		c = &Chain{}
	}
	if err := CheckBudget(c, l); err != nil {
		return nil, err
	}
	j := &job{ctx: ctx, src: src, chain: c, format: f, limits: l, sources: opts.Sources, page: c.out.page}
	stop := j.roots.watch(ctx)
	loaded := false
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("transform: internal failure: %v", r)
		}
		if err != nil {
			res, err = nil, j.classify(err, loaded) // may decode again: the roots still watch
		}
		stop()
		j.roots.release()
		if j.img != nil {
			j.img.Close()
		}
		worked.Store(true)
	}()
	if err := j.stage(inspectStage); err != nil {
		return nil, err
	}
	if err := j.stage(fetchStage); err != nil {
		return nil, err
	}
	release, err := admit(j)
	if err != nil {
		return nil, err
	}
	defer release()
	for _, st := range decodeStages {
		if err := j.stage(st); err != nil {
			return nil, err
		}
		loaded = true
	}
	return &Result{Body: j.out, Format: f, Width: j.img.Width(), Height: j.img.PageHeight()}, nil
}

func (j *job) stage(st stage) error {
	if err := j.ctx.Err(); err != nil {
		return err
	}
	if err := st.run(j); err != nil {
		return fmt.Errorf("%s: %w", st.name, err)
	}
	return nil
}

// classify turns a failure into what the caller may act on: the context's
// own error when the deadline passed or the client left (libvips was
// stopped, and its report of that is noise), an *Error as it is, Corrupt
// when the source itself does not decode, and otherwise an internal error
// whose text (library detail) is for logs only.
func (j *job) classify(err error, loaded bool) error {
	if ctxErr := j.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var e *Error
	if errors.As(err, &e) {
		return fmt.Errorf("transform: %w", err)
	}
	if loaded && j.bmp == nil && !j.decodesCleanly() {
		return fmt.Errorf("transform: %w", corrupt("the source image is damaged or truncated", err))
	}
	if j.ctx.Err() != nil {
		return j.ctx.Err()
	}
	return fmt.Errorf("transform: %w", err)
}
