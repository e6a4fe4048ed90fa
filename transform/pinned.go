package transform

/*
#include <vips/vips.h>
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// Sources are read by libvips straight from the caller's Go memory, not
// from a copy: a copy of a 10 MB photo costs a memcpy and doubles the
// memory a request holds while it decodes. cgo allows C to keep a pointer
// to Go memory only while that memory is pinned, and libvips decides when
// it lets go of a source (its last image closed, possibly on one of its
// worker threads). So each source's blob is pinned when it is made and
// unpinned from the blob's free callback, whenever that comes.
//
// A source in a SourceBuffer (C memory) is not pinned but referenced, and
// the reference dropped from the same callback.
//
// The caller must not change the bytes while libvips may still read them;
// nothing in this module writes to a source after fetching it.

// pins holds, by blob address, what lets go of the memory of every blob
// libvips still has: a *pinned (Go memory) or a *SourceBuffer.
var pins sync.Map // unsafe.Pointer (*C.VipsBlob) -> releaser

type releaser interface{ release() }

type pinned struct{ runtime.Pinner }

func (p *pinned) release() { p.Unpin() }

// release drops the reference a libvips source held; the owner's is
// dropped by Release.
func (b *SourceBuffer) release() { b.unref() }

// pinnedSources counts the blobs libvips still has; the tests check that
// every transformation gives its sources back.
func pinnedSources() int {
	n := 0
	pins.Range(func(_, _ any) bool { n++; return true })
	return n
}

//export icdnReleasePinned
func icdnReleasePinned(blob unsafe.Pointer) {
	if p, ok := pins.LoadAndDelete(blob); ok {
		p.(releaser).release()
	}
}
