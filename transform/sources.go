package transform

// Layer images (l-image,i-<path>) and font files (ff-<path>.ttf) are read
// from the endpoint's origins through the caller's Sources, all of them
// before any decode, concurrently with bounded fan-out, each inspected
// like a source (bytes, format, pixels) and counted in the memory estimate.

import (
	"context"
	"errors"
	"fmt"

	"github.com/davidbyttow/govips/v2/vips"
	"golang.org/x/sync/errgroup"
)

// Sources reads what layers need from the endpoint's origins. path is an
// origin path without a leading '/', as the layer names it (@@ already
// turned into /). An implementation returns an error wrapping
// ErrSourceNotFound when nothing is at path; any other error is an
// internal failure. It must honour ctx and bound what it reads (at most
// Limits.MaxSourceBytes).
type Sources interface {
	Fetch(ctx context.Context, path string) ([]byte, error)
}

// ErrSourceNotFound is what Sources wraps for a missing path.
var ErrSourceNotFound = errors.New("transform: layer source not found")

// Options are per-request inputs of Process.
type Options struct {
	// Sources reads layer images and font files; nil refuses chains that
	// need them (Invalid, naming the layer).
	Sources Sources
}

// maxFetches bounds the layer sources fetched at once for one request.
const maxFetches = 4

// Inputs lists the origin paths the chain's layers read (images, then font
// files), each once, so the caller can check or prefetch them.
func (c *Chain) Inputs() []string {
	if c == nil {
		return nil
	}
	seen := map[string]bool{}
	var paths []string
	walkLayers(c.steps, func(l *layer) {
		for _, p := range l.inputs() {
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	})
	return paths
}

// inputs are the origin paths one layer reads.
func (l *layer) inputs() []string {
	var p []string
	if l.kind == layerImage && !l.canvas {
		p = append(p, l.input)
	}
	for _, prm := range l.place {
		if prm.Key.Name == "ff" {
			if f, ok := fontFile(prm.Value); ok {
				p = append(p, f)
			}
		}
	}
	return p
}

// walkLayers calls fn for every layer in steps, branches and nested
// layers included.
func walkLayers(steps []step, fn func(*layer)) {
	for i := range steps {
		s := &steps[i]
		if s.cond != nil {
			walkLayers(s.cond.then, fn)
			walkLayers(s.cond.els, fn)
		}
		for k := range s.layers {
			fn(&s.layers[k])
			walkLayers(s.layers[k].steps, fn)
		}
	}
}

// fetchInputs fetches every layer input concurrently, at most maxFetches
// at a time, and inspects each. A missing one is Invalid naming the layer.
func fetchInputs(j *job) error {
	paths := j.chain.Inputs()
	if len(paths) == 0 {
		return nil
	}
	if j.sources == nil {
		return invalidf("l-image", "layers that read images or fonts from the origin are not available on this endpoint")
	}
	got := make([][]byte, len(paths))
	g, ctx := errgroup.WithContext(j.ctx)
	g.SetLimit(maxFetches)
	for i, p := range paths {
		g.Go(func() error {
			b, err := j.sources.Fetch(ctx, p)
			switch {
			case errors.Is(err, ErrSourceNotFound):
				return invalidf(layerParam(p), "%q was not found", p)
			case err != nil:
				return fmt.Errorf("fetching layer source: %w", err)
			}
			got[i] = b
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	j.inputs = make(map[string][]byte, len(paths))
	total := 0
	for i, p := range paths {
		total += len(got[i])
		if err := j.limits.checkBytes(total); err != nil {
			return limitf(layerParam(p), "the layer sources together are over the %d byte source limit", j.limits.MaxSourceBytes)
		}
		j.inputMem += 2 * int64(len(got[i])) // held here and copied once for libvips
		if _, isFont := fontFile(p); !isFont {
			_, w, h, err := inspectLayer(got[i], j.limits)
			if err != nil {
				return err
			}
			j.inputMem += int64(w) * int64(h) * bytesPerPixel
		}
		j.inputs[p] = got[i]
	}
	return nil
}

func layerParam(path string) string {
	if _, ok := fontFile(path); ok {
		return "ff"
	}
	return "l-image"
}

// checkEncoded makes the checks on the encoded bytes that must come before
// libvips opens them, because opening alone would cost what they bound:
// a JPEG's progressive scans, a PNG's compressed metadata. Sources and
// layers both go through it.
func checkEncoded(t vips.ImageType, b []byte) error {
	switch t {
	case vips.ImageTypeJPEG:
		return checkJPEGScans(b)
	case vips.ImageTypePNG:
		return checkPNGMetadata(b)
	}
	return nil
}

// inspectLayer applies the source checks to a layer image, from its header.
func inspectLayer(b []byte, l Limits) (t vips.ImageType, w, h int, err error) {
	t = vips.DetermineImageType(b)
	if !decodable[t] || t == vips.ImageTypeBMP {
		return t, 0, 0, &Error{Kind: Unsupported, Param: "l-image", Msg: "the layer image is not a format that can be transformed"}
	}
	switch t {
	case vips.ImageTypeSVG:
		st, err := scanSVG(b)
		if err != nil {
			return t, 0, 0, err
		}
		defer func() {
			if err == nil {
				err = st.checkFilterWork(w, h)
			}
		}()
	}
	if err := checkEncoded(t, b); err != nil {
		return t, 0, 0, err
	}
	hdr, err := openImage(t, b, loadOptions{sequential: true})
	if err != nil {
		return t, 0, 0, err
	}
	defer hdr.Close()
	w, h = hdr.Width(), hdr.PageHeight()
	return t, w, h, l.checkPixels(w, h, 1)
}
