package transform

/*
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// limit_malloc_arenas caps glibc's per-thread malloc arenas at one. Without
// a cap every libvips worker thread grows an arena of its own that glibc
// rarely gives back, and RSS settles far above what the transforms hold
// (measured in bench/: 618 MB against 368 MB at 8 concurrent cold requests,
// the same throughput). One arena rather than two saved 3-6 MB of peak RSS
// at 2 and 8 connections for 0-5 % of cold throughput, within the
// machine's noise; libaom's encoder threads are where one arena's lock is
// seen waiting. Other C libraries have no such arenas.
//
// It runs as the program is loaded, before the Go runtime starts a thread:
// glibc fixes its arena limit the first time a thread needs an arena of
// its own, so a mallopt from Go, once Caddy has made cgo calls (name
// lookups) on other threads, would come too late (measured: 146 MB peak
// against 132 MB with the variable set). An operator's MALLOC_ARENA_MAX
// wins: glibc reads it.
__attribute__((constructor)) static void limit_malloc_arenas(void) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 1);
#endif
}

// trim_malloc gives the free pages of glibc's heaps back to the system,
// including those between chunks still in use, which free() alone keeps.
static void trim_malloc(void) {
#if defined(__GLIBC__)
	malloc_trim(0);
#endif
}
*/
import "C"

import (
	"sync/atomic"
	"time"
)

// trimInterval is how often freed C memory is handed back after work.
// malloc_trim walks the heap (a few ms); every 10 s, and only after a
// transformation ran, it costs nothing measurable and keeps RSS flat over a
// long run instead of at the high-water mark of the busiest moment.
const trimInterval = 10 * time.Second

// worked is set by every transformation and cleared by each trim.
var worked atomic.Bool

// trimAfterWork runs for the life of the process, like libvips itself
// (started once, by Startup).
func trimAfterWork() {
	trimLoop(time.Tick(trimInterval), func() { C.trim_malloc() })
}

// trimLoop trims at each tick that follows work.
func trimLoop(ticks <-chan time.Time, trim func()) {
	for range ticks {
		if worked.Swap(false) {
			trim()
		}
	}
}
