package transform

/*
#include <stdlib.h>

// icdn_src_alloc is malloc as C has it: cgo's C.malloc never returns NULL
// but ends the process when memory runs out.
static void *icdn_src_alloc(size_t n) { return malloc(n); }
*/
import "C"

import (
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A SourceBuffer holds a downloaded source in C memory, outside the Go heap.
//
// Why: a source is most of what a request holds while it waits for a
// worker and while it decodes. On the Go heap it counts as live data, and
// the garbage collector lets the heap grow to twice the live data before it
// collects, so every source in flight costs about twice its size in RSS,
// plus the runtime's zeroing of each new slice. In C memory it costs its
// size; glibc reuses a freed source's chunk for the next one (malloc.go
// fixes its thresholds for that) and hands free pages back at the periodic
// malloc_trim. Measured against versitygw (bench/findings.md): peak RSS
// 7-10 MB lower at 2 and at 8 connections. (Pooling Go slices instead
// raised peak RSS by 45 MB: the pooled slices stayed live.)
//
// The buffer is counted: its owner holds one reference, and every libvips
// source made from it holds another until libvips frees it, possibly on one
// of its own threads after Process returned. The memory is freed when the
// last goes, so the owner may Release as soon as it no longer reads Bytes.
type SourceBuffer struct {
	ptr  unsafe.Pointer
	n    int
	refs atomic.Int32
}

// NewSourceBuffer allocates n bytes (n > 0) outside the Go heap. The caller
// must Release it. When malloc fails the error is an *Error of Kind
// Overloaded.
func NewSourceBuffer(n int64) (*SourceBuffer, error) {
	if n <= 0 || uint64(n) > math.MaxInt {
		return nil, errors.New("transform: source buffer size out of range")
	}
	p := C.icdn_src_alloc(C.size_t(n))
	if p == nil {
		// The machine is out of memory now, not the request at fault.
		return nil, &Error{Kind: Overloaded, Msg: "no memory for the source image now, retry later"}
	}
	b := &SourceBuffer{ptr: p, n: int(n)}
	b.refs.Store(1)
	offHeap.add(b)
	return b, nil
}

// Bytes is the buffer's memory. It is valid until the owner's Release; a
// slice of it passed to Process stays readable by libvips for as long as
// libvips needs it.
func (b *SourceBuffer) Bytes() []byte { return unsafe.Slice((*byte)(b.ptr), b.n) }

// Release drops the owner's reference; calling it twice is a bug.
func (b *SourceBuffer) Release() { b.unref() }

func (b *SourceBuffer) ref() { b.refs.Add(1) }

func (b *SourceBuffer) unref() {
	switch n := b.refs.Add(-1); {
	case n == 0:
		offHeap.remove(b)
		C.free(b.ptr)
		b.ptr = nil
	case n < 0:
		panic("transform: SourceBuffer released twice")
	}
}

// offHeap lists the live buffers so that newSource can tell a slice of one
// (which it must reference) from Go memory (which it must pin). There are
// at most as many as sources in flight (workers + queue), so a scan is
// cheaper than anything cleverer.
var offHeap liveBuffers

type liveBuffers struct {
	mu   sync.Mutex
	bufs []*SourceBuffer
}

func (l *liveBuffers) add(b *SourceBuffer) {
	l.mu.Lock()
	l.bufs = append(l.bufs, b)
	l.mu.Unlock()
}

func (l *liveBuffers) remove(b *SourceBuffer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.bufs {
		if x == b {
			last := len(l.bufs) - 1
			l.bufs[i], l.bufs[last] = l.bufs[last], nil
			l.bufs = l.bufs[:last]
			return
		}
	}
}

// holding returns the live buffer whose memory contains p with another
// reference taken, or nil when p is not in one.
func (l *liveBuffers) holding(p unsafe.Pointer) *SourceBuffer {
	a := uintptr(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range l.bufs {
		if base := uintptr(b.ptr); a >= base && a < base+uintptr(b.n) {
			b.ref()
			return b
		}
	}
	return nil
}

// LiveSourceBuffers is the number of SourceBuffers not yet freed; the
// tests of every caller check that none is leaked.
func LiveSourceBuffers() int { return offHeap.count() }

func (l *liveBuffers) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.bufs)
}
