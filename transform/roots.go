package transform

/*
#cgo pkg-config: vips
#include <vips/vips.h>

static void icdn_root_kill(VipsImage *im) { vips_image_set_kill(im, TRUE); }
static void icdn_root_ref(VipsImage *im) { g_object_ref(im); }
static void icdn_root_unref(VipsImage *im) { g_object_unref(im); }
static VipsImage *icdn_copy_memory(VipsImage *in) { return vips_image_copy_memory(in); }
*/
import "C"

import (
	"context"
	"sync"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
)

// roots are the images at the bottom of a job's lazy libvips pipeline: the
// loaded source and every image copied to memory since. Every pixel any
// later operation computes is read from one of them, and libvips checks an
// image's kill flag each time a region of it is prepared (region.c,
// vips_region_prepare) and after each tile a sink computes (sink.c). So
// setting the flag on the roots stops whatever is computing, at the next
// tile, wherever it is in the pipeline.
//
// libvips clears the flag once it has reported it (vips_image_iskilled),
// and a sink clears its own image's flag when it starts, so the flag is set
// again every killEvery until the job ends.
type roots struct {
	mu     sync.Mutex
	ims    []*C.VipsImage // each holds a reference of ours
	killed bool
	done   bool
}

const killEvery = 20 * time.Millisecond

// watch kills the roots when ctx ends (deadline or client gone) until
// release. It returns the function that stops watching.
func (r *roots) watch(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		t := time.NewTicker(killEvery)
		defer t.Stop()
		for r.kill() {
			<-t.C
		}
	})
}

// add makes img's current libvips image a root.
func (r *roots) add(img *vips.ImageRef) {
	im := cImage(img)
	if im == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	C.icdn_root_ref(im)
	r.ims = append(r.ims, im)
	if r.killed {
		C.icdn_root_kill(im)
	}
}

// drop releases every root but the last, once a copy to memory has made
// them unreachable from the pipeline.
func (r *roots) dropAllButLast() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ims) < 2 {
		return
	}
	for _, im := range r.ims[:len(r.ims)-1] {
		C.icdn_root_unref(im)
	}
	r.ims = append(r.ims[:0], r.ims[len(r.ims)-1])
}

// kill sets the flag on every root; false once the job has ended.
func (r *roots) kill() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return false
	}
	r.killed = true
	for _, im := range r.ims {
		C.icdn_root_kill(im)
	}
	return true
}

// release ends the job's hold on its roots.
func (r *roots) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = true
	for _, im := range r.ims {
		C.icdn_root_unref(im)
	}
	r.ims = nil
}

// materialise computes img into memory and makes that copy the image img
// refers to, cutting it from the lazy pipeline behind it. A deep pipeline
// otherwise recurses through every operation for every tile, on the C
// stack of the thread that computes it, and holds every operation's
// buffers at once. The copy becomes a root; earlier roots are released.
func (j *job) materialise(img *vips.ImageRef) error {
	in := cImage(img)
	if in == nil {
		return errLayout
	}
	out := C.icdn_copy_memory(in)
	if out == nil {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		return vipsError()
	}
	setCImage(img, out)
	j.roots.add(img)
	if !j.animate { // frames share the strip they were cut from
		j.roots.dropAllButLast()
	}
	return nil
}
