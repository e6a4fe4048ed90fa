package transform

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include <vips/vips.h>

static int icdn_is_image(void *p) { return p != NULL && VIPS_IS_IMAGE(p); }
static void icdn_unref(VipsImage *im) { g_object_unref(im); }
static int icdn_width(VipsImage *im) { return im->Xsize; }
*/
import "C"

import (
	"errors"
	"reflect"
	"sync"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

// govips keeps the libvips image of an ImageRef in an unexported field and
// has no public way to wrap a libvips image, to copy one to memory or to
// stop a computation. This file reaches that field, found by name and
// checked by type at start-up (imageRefLayout), so that a govips release
// that changes it disables these features and fails the tests instead of
// corrupting memory. The rest of the package goes through the helpers
// below and never touches the field itself.
type imageRefLayout struct {
	image, lock uintptr // field offsets
	ok          bool
}

var layout = sync.OnceValue(func() imageRefLayout {
	t := reflect.TypeOf(vips.ImageRef{})
	img, ok1 := t.FieldByName("image")
	lock, ok2 := t.FieldByName("lock")
	if !ok1 || !ok2 || img.Type.Kind() != reflect.Pointer || img.Type.Elem().Name() != "_Ctype_struct__VipsImage" ||
		lock.Type != reflect.TypeOf(sync.Mutex{}) {
		return imageRefLayout{}
	}
	return imageRefLayout{image: img.Offset, lock: lock.Offset, ok: true}
})

// errLayout means the installed govips does not have the ImageRef layout
// this package was written against.
var errLayout = errors.New("transform: govips ImageRef layout not recognised")

// cImage is the libvips image behind r (borrowed: no reference taken).
func cImage(r *vips.ImageRef) *C.VipsImage {
	l := layout()
	if !l.ok || r == nil {
		return nil
	}
	return *(**C.VipsImage)(unsafe.Add(unsafe.Pointer(r), l.image))
}

// setCImage makes r own im (the caller's reference passes to r) and drops
// r's previous image, as govips does after each operation.
func setCImage(r *vips.ImageRef, im *C.VipsImage) {
	l := layout()
	mu := (*sync.Mutex)(unsafe.Add(unsafe.Pointer(r), l.lock))
	mu.Lock()
	p := (**C.VipsImage)(unsafe.Add(unsafe.Pointer(r), l.image))
	old := *p
	*p = im
	mu.Unlock()
	if old != nil {
		C.icdn_unref(old)
	}
}

// wrap gives a libvips image (whose reference passes to the result) a
// govips ImageRef, so the govips operations can run on it.
func wrap(im *C.VipsImage) (*vips.ImageRef, error) {
	if !layout().ok {
		C.icdn_unref(im)
		return nil, errLayout
	}
	ref, err := vips.Black(1, 1) // a placeholder; its image is replaced at once
	if err != nil {
		C.icdn_unref(im)
		return nil, err
	}
	setCImage(ref, im)
	return ref, nil
}

// checkLayout verifies at run time what layout() verified by type: the
// field holds the image govips works on.
func checkLayout() error {
	ref, err := vips.Black(3, 1)
	if err != nil {
		return err
	}
	defer ref.Close()
	im := cImage(ref)
	if im == nil || C.icdn_is_image(unsafe.Pointer(im)) == 0 || int(C.icdn_width(im)) != ref.Width() {
		return errLayout
	}
	return nil
}

// vipsError takes libvips' error buffer. It is process-wide, so its text
// may mix in other requests' messages: it goes to logs (as a Cause), never
// to a client.
func vipsError() error {
	msg := C.GoString(C.vips_error_buffer())
	C.vips_error_clear()
	if msg == "" {
		msg = "libvips failed without a message"
	}
	return errors.New(msg)
}
