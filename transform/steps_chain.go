package transform

import (
	"github.com/davidbyttow/govips/v2/vips"
)

// stepOp is one parameter group's effect on an image. It may return the
// image it was given (most govips operations work in place) or a new one,
// in which case it owns closing the old one.
type stepOp func(j *job, img *vips.ImageRef, s *step, first bool) (*vips.ImageRef, error)

// stepOps is the fixed order in which one step's parameters act, whatever
// order the URL lists them in (which is why Canonical may sort them):
// trim, then size, then orientation, then effects, then decoration.
var stepOps = []stepOp{
	trim,
	applyGeometry,
	rotate,
	flip,
	grayscale,
	contrast,
	sharpen,
	unsharpMask,
	blur,
	roundCorners,
	border,
	opacity,
}

// applyChain runs every step. Animated images are cut into frames, each
// frame runs the chain as a still image, and the frames are joined again.
func applyChain(j *job) error {
	if !j.animate {
		img, err := j.applySteps(j.img)
		j.img = img
		return err
	}
	return j.eachFrame(j.applySteps)
}

// applySteps runs the chain on one image. When the lazy pipeline would get
// deeper than maxDepth, the image is first copied to memory (materialise),
// so that neither the C stack nor the operations' buffers grow with the
// length of the chain.
func (j *job) applySteps(img *vips.ImageRef) (*vips.ImageRef, error) {
	first := j.chain.firstStep()
	depth := loadDepth
	for i := range j.chain.steps {
		s := &j.chain.steps[i]
		if d := depthOf(s); depth+d > maxDepth {
			if err := j.materialise(img); err != nil {
				return img, err
			}
			depth = d
		} else {
			depth += d
		}
		for _, op := range stepOps {
			if err := j.ctx.Err(); err != nil {
				return img, err
			}
			var err error
			if img, err = op(j, img, s, s == first); err != nil {
				return img, err
			}
			// Operations carry the page-height field over even when they
			// change the height; govips' page-aware operations (extract,
			// embed, rotate) would then see several pages.
			if err := singlePage(img); err != nil {
				return img, err
			}
		}
		if err := j.limits.checkDimension("", img.Width(), img.Height()); err != nil {
			return img, err
		}
	}
	return img, nil
}

// eachFrame runs fn on every frame of the animation strip in j.img and
// rebuilds the strip. The first frame carries the delay and loop metadata
// into the result.
func (j *job) eachFrame(fn func(*vips.ImageRef) (*vips.ImageRef, error)) error {
	strip := j.img
	ph := strip.PageHeight()
	n := strip.Height() / ph
	frames := make([]*vips.ImageRef, 0, n)
	defer func() {
		for _, f := range frames {
			if f != j.img {
				f.Close()
			}
		}
	}()
	for i := 0; i < n; i++ {
		f, err := strip.Copy()
		if err != nil {
			return err
		}
		// Mark the copy as one tall page first, or govips' ExtractArea
		// would cut every page; then mark the frame as one page.
		err = singlePage(f)
		if err == nil {
			err = f.ExtractArea(0, i*ph, strip.Width(), ph)
		}
		if err == nil {
			err = singlePage(f)
		}
		if err != nil {
			f.Close()
			return err
		}
		f, err = fn(f)
		frames = append(frames, f)
		if err != nil {
			return err
		}
	}
	out := frames[0]
	fh := out.Height()
	for _, f := range frames[1:] {
		if f.Width() != out.Width() || f.Height() != fh {
			return unsupportedf("animation frames differ in size after this transformation")
		}
	}
	if err := out.ArrayJoin(frames[1:], 1); err != nil {
		return err
	}
	if err := out.SetPages(n); err != nil {
		return err
	}
	if err := out.SetPageHeight(fh); err != nil {
		return err
	}
	strip.Close()
	j.img = out
	return nil
}
