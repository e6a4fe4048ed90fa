package transform

// The request budget: what a chain may cost, decided from the parsed chain
// alone, before the source is fetched; and what a job will hold in memory,
// estimated from the source header and the chain before any pixel is
// decoded.

import "github.com/davidbyttow/govips/v2/vips"

// Default request budget. imagor stops after VIPS_MAX_FILTER_OPS filters
// (10 by default) and imgproxy leaves MAX_CHAINED_PIPELINES unlimited (0),
// where each of its pipelines is a whole resize-crop-effects pass, about
// one of our steps. Real ImageKit chains have one to three steps. Twice
// imagor's count leaves room for named transformations that expand into
// several steps; the cost default admits ten of the heaviest effects
// (bl-100, e-sharpen-100) or twenty steps of ordinary ones, and refuses
// the chains that used to crash or stall the server (300× bl-9,
// 150× e-sharpen).
const (
	DefaultMaxSteps = 20
	DefaultMaxCost  = 80
)

// CheckBudget refuses a chain over the step or cost budget. It is pure and
// cheap: call it right after Parse, before fetching the source. The error
// is a Limit *Error whose Param is "max_steps" or "max_cost". A nil chain
// (no transformation) is always within budget.
func CheckBudget(c *Chain, l Limits) error {
	if c == nil {
		return nil
	}
	l = l.WithDefaults()
	if n := stepCount(c.steps); n > l.MaxSteps {
		return limitf("max_steps", "the transformation has %d steps, over the limit of %d", n, l.MaxSteps)
	}
	if cost := c.Cost(); cost > l.MaxCost {
		return limitf("max_cost", "the transformation costs %d, over the limit of %d", cost, l.MaxCost)
	}
	return nil
}

// Cost is the chain's estimated cost: the sum of its operations' weights
// (see stepCost). Steps that only set output options cost nothing.
func (c *Chain) Cost() int {
	if c == nil {
		return 0
	}
	return stepsCost(c.steps)
}

// stepCount counts the steps a chain may run: an if block's longer branch,
// and the steps of its layers.
func stepCount(steps []step) int {
	n := 0
	for i := range steps {
		s := &steps[i]
		if s.cond != nil {
			n += max(stepCount(s.cond.then), stepCount(s.cond.els))
			continue
		}
		n++
		for k := range s.layers {
			n += stepCount(s.layers[k].steps)
		}
	}
	return n
}

func stepsCost(steps []step) int {
	total := 0
	for i := range steps {
		total += stepCost(&steps[i])
	}
	return total
}

// stepCost weighs one step's operations by how much work libvips does per
// output pixel. Resizing, cropping, flipping and colour tweaks are one pass
// (1). Rotation reads out of order (2). A rounded-corner mask renders an
// SVG and composites (2). Trim and smart crop analyse the whole image
// first (3). Sharpening converts to Lab and convolves (4). A blur's mask
// grows with sigma, so bl-N costs 2 plus N/20. A blurred background
// resizes, blurs and composites (4).
//
// ImageKit's additions: face detection scans a small copy (3); a contrast
// stretch or a dominant colour reads the image for statistics first (2);
// an arbitrary rotation resamples (3); a shadow blurs and composites (4),
// a gradient composites (1); a colour replacement computes a distance and
// a mask (2); a distortion resamples through a map (4). A step whose
// values are per request is weighed as if it resized (1) besides what it
// holds for sure; an if block weighs as its heavier branch; a layer costs
// its decode or rendering and composite (3) plus its own steps.
func stepCost(s *step) int {
	cost := 0
	add := func(on bool, w int) {
		if on {
			cost += w
		}
	}
	if s.cond != nil {
		return max(stepsCost(s.cond.then), stepsCost(s.cond.els))
	}
	for i := range s.layers {
		cost += 3 + stepsCost(s.layers[i].steps)
	}
	add(s.tree != nil, 1)
	add(s.focus == focusFace, 3)
	add(s.rotate%90 != 0, 1) // on top of a right-angle rotation's 2 below
	add(s.contrast, 2)
	add(s.bgDominant || s.bgGradient, 2)
	add(s.shadow != nil, 4)
	add(s.gradient != nil, 1)
	add(s.replace != nil, 2)
	add(s.distort != nil, 4)
	add(s.width > 0 || s.height > 0 || s.mode != "", 1)
	add(s.focus == focusAuto, 3)
	add(s.trim > 0, 3)
	add(s.rotate != 0, 2)
	add(s.flip != "", 1)
	add(s.grayscale, 1)
	add(s.sharpen > 0, 4)
	add(s.hasUSM, 4)
	add(s.blur > 0, 2+s.blur/20)
	add(s.radius != 0, 2)
	add(s.bgBlurred, 4)
	add(s.borderWidth > 0, 1)
	add(s.opacity.set, 1)
	return cost
}

// depthOf is how deep one step makes the lazy libvips pipeline, counted in
// the images its operations create; sharpen builds about ten (Lab and back,
// the convolutions), a gaussian blur four. The job copies the image to
// memory before the depth since the last copy passes maxDepth.
func depthOf(s *step) int {
	d := 0
	add := func(on bool, w int) {
		if on {
			d += w
		}
	}
	add(s.width > 0 || s.height > 0 || s.mode != "", 3)
	add(s.trim > 0, 1)
	add(s.rotate != 0, 1)
	add(s.flip != "", 2)
	add(s.grayscale, 2)
	add(s.contrast, 2)
	add(s.sharpen > 0, 10)
	add(s.hasUSM, 10)
	add(s.blur > 0, 4)
	add(s.radius != 0, 4)
	add(s.bgBlurred, 6)
	add(s.borderWidth > 0, 2)
	add(s.opacity.set, 3)
	add(s.rotate%90 != 0, 2)
	add(s.shadow != nil, 10)
	add(s.gradient != nil, 6)
	add(s.replace != nil, 8)
	add(s.distort != nil, 8)
	add(s.bgDominant || s.bgGradient, 6)
	return d
}

// maxDepth bounds the lazy pipeline between copies to memory. libvips
// computes a tile by recursing through every operation between the output
// and the nearest image in memory, on the C stack of the computing thread;
// about 300 chained blurs (well over 1000 images) overflowed it. 60 is far
// below that and above any chain of ordinary length, so those never pay
// for a copy.
const maxDepth = 60

// loadDepth is the depth the decode, orientation and colour conversion
// leave before the first step.
const loadDepth = 8

// stepSize is the image size after step s, without running it: geometry
// (the same plan the step will use), then rotation and border. Trim can
// only shrink, so the size before it is an upper bound.
func stepSize(w, h int, s *step, l Limits) (int, int) {
	if g, err := planGeometry(w, h, s, l); err == nil {
		switch {
		case g.padW > 0:
			w, h = g.padW, g.padH
		case !g.crop.empty():
			w, h = g.crop.w, g.crop.h
		case g.resizeW > 0:
			w, h = g.resizeW, g.resizeH
		case !g.extract.empty():
			w, h = g.extract.w, g.extract.h
		}
	}
	if s.rotate == 90 || s.rotate == 270 {
		w, h = h, w
	}
	if s.borderWidth > 0 {
		w, h = w+2*s.borderWidth, h+2*s.borderWidth
	}
	return w, h
}

// Memory estimate constants.
const (
	bytesPerPixel = 4        // 8-bit RGBA: every image is brought to this or less
	jobOverhead   = 16 << 20 // libvips tile buffers, thread state, the encoder's own tables
)

// estimateMemory is what the job will hold at its peak, from the header
// and the chain: the encoded source (held by the caller; libvips reads it
// in place, pinned.go), the decoded source when the decode is not a streaming
// thumbnail, the two largest images copied to memory at once when the
// pipeline is deep enough to be cut (the last copy and the one being
// made), and the output, per frame when animated. It errs on the high
// side: a request it admits cannot push the process past the budget.
func (j *job) estimateMemory() int64 {
	frames := int64(1)
	if j.animate {
		frames = int64(j.frames)
	}
	px := func(w, h int) int64 { return int64(w) * int64(h) * bytesPerPixel * frames }

	est := int64(len(j.src)) + jobOverhead + j.inputMem
	_, resizeFirst := j.firstResize()
	thumbnail := !j.animate && j.bmp == nil && resizeFirst && !j.chain.needsRandomAccess()
	if !thumbnail {
		est += px(j.width, j.height)
	}
	// Some decoders hold the whole frame whatever the shrink; so does
	// libjpeg, in coefficients, for a progressive file.
	est += int64(j.width) * int64(j.height) * (wholeFrameDecoderBytesPerPixel(j.srcType) + j.jpegCoefBytes)
	if j.bmp != nil {
		est += px(j.width, j.height) // the Go buffer the rows are decoded into
	}

	w, h := j.width, j.height
	biggest, second, depth := int64(0), int64(0), loadDepth
	cuts := false
	for i := range j.chain.steps {
		s := &j.chain.steps[i]
		w, h = stepSize(w, h, s, j.limits)
		if n := px(w, h); n > biggest {
			biggest, second = n, biggest
		} else if n > second {
			second = n
		}
		if d := depthOf(s); depth+d > maxDepth {
			cuts, depth = true, d
		} else {
			depth += d
		}
	}
	if cuts {
		est += biggest + second
	}
	est += px(w, h) // the raw output, every frame; the encoded file is at most about as large
	if extra := encoderBytesPerPixel(j.format, j.chain.out.lossless) - bytesPerPixel; extra > 0 {
		est += int64(w) * int64(h) * extra // the encoder's own buffers, one frame at a time
	}
	return est
}

// wholeFrameDecoderBytesPerPixel is what a decoder that cannot shrink on
// load holds at its peak per source pixel, beyond the image libvips is
// given: libheif (HEIC, AVIF) and libjxl decode the whole frame into
// their own planes, nsgif into a frame buffer. Measured with
// bench/transformrate (peak RSS of a 300 px thumbnail from 5 and 20 MP
// sources, and from flat 49 MP ones of a few KB): HEIF 7.7–9.7 bytes,
// JPEG XL 6.3–6.8, GIF 4.6–5.0. PNG, WebP, TIFF and sequential JPEG shrink
// or stream on load and hold no more than the estimate's other terms; a
// progressive JPEG is counted apart (progressiveJPEGBytesPerPixel).
func wholeFrameDecoderBytesPerPixel(t vips.ImageType) int64 {
	switch t {
	case vips.ImageTypeHEIF, vips.ImageTypeAVIF:
		return 10
	case vips.ImageTypeJXL:
		return 8
	case vips.ImageTypeGIF:
		return 6
	}
	return 0
}

// encoderBytesPerPixel is what an encoder holds at its peak per pixel of
// one output frame, the output image included. Measured with
// bench/transformrate (peak RSS above a 300 px transform's, 1 to 64 MP
// outputs, libvips 8.14): AVIF 19–22 bytes, JPEG XL 41–54 (lossless 61–67),
// WebP 5–7 (lossless 25–33), GIF 6.5–34, the most at the smallest sizes;
// JPEG and PNG stream strips. Rounded up: an estimate that errs low lets a
// request hold several times what admission counted.
func encoderBytesPerPixel(f Format, lossless bool) int64 {
	switch {
	case f == AVIF:
		return 24
	case f == JXL && lossless:
		return 72
	case f == JXL:
		return 56
	case f == WebP && lossless:
		return 36
	case f == WebP:
		return 8
	case f == GIF:
		return 36
	}
	return bytesPerPixel
}
