package transform

import (
	"github.com/davidbyttow/govips/v2/vips"

	"github.com/image-cdn/image_cdn/transform/grammar"
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
	rotateAny,
	flip,
	distort,
	colourReplace,
	grayscale,
	contrast,
	sharpen,
	unsharpMask,
	blur,
	gradient,
	shadow,
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
	depth := loadDepth
	return j.runSteps(img, j.chain.steps, j.chain.firstStep(), stepEnv{iw: j.width, ih: j.height}, &depth)
}

// stepEnv is what per-request values refer to besides the current image:
// the source size (iw, ih) and, inside a layer, the size of the image the
// layer goes on (bw, bh).
type stepEnv struct{ iw, ih, bw, bh int }

func (e stepEnv) at(img *vips.ImageRef) grammar.Env {
	return imageEnv(e.iw, e.ih, img.Width(), img.Height(), e.bw, e.bh)
}

// runSteps runs steps on img: an if block runs the branch its condition
// chooses for the image so far, a step with per-request values is compiled
// for the image so far, and a step's layers go on after its parameters.
func (j *job) runSteps(img *vips.ImageRef, steps []step, first *step, env stepEnv, depth *int) (*vips.ImageRef, error) {
	for i := range steps {
		s := &steps[i]
		if s.cond != nil {
			branch, err := s.cond.choose(env.at(img))
			if err != nil {
				return img, err
			}
			if img, err = j.runSteps(img, branch, nil, env, depth); err != nil {
				return img, err
			}
			continue
		}
		rs, err := s.resolve(env.at(img))
		if err != nil {
			return img, err
		}
		if d := depthOf(rs); *depth+d > maxDepth {
			if err := j.materialise(img); err != nil {
				return img, err
			}
			*depth = d
		} else {
			*depth += d
		}
		for _, op := range stepOps {
			if err := j.ctx.Err(); err != nil {
				return img, err
			}
			if img, err = op(j, img, rs, s == first); err != nil {
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
		if len(rs.layers) > 0 {
			if img, err = j.applyLayers(img, rs.layers); err != nil {
				return img, err
			}
			*depth = maxDepth // a layer's composite is deep: copy before the next step
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
