package transform

/*
#define _GNU_SOURCE // RUSAGE_THREAD
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// operator_chose says whether the operator set a malloc parameter, by its
// environment variable or in GLIBC_TUNABLES; theirs wins over ours.
static int operator_chose(const char *env, const char *tunable) {
	const char *t = getenv("GLIBC_TUNABLES");
	return getenv(env) != NULL || (t != NULL && strstr(t, tunable) != NULL);
}

// tune_malloc sets glibc's malloc for libvips and for sources
// (sourcebuf.go). It runs as the program is loaded, before the Go runtime
// starts a thread.
//
// One arena: without a cap every libvips worker thread grows an arena of
// its own that glibc rarely gives back, and RSS settles far above what the
// transforms hold (measured in bench/: 618 MB against 368 MB at 8
// concurrent cold requests, the same throughput). One arena rather than
// two saved 3-6 MB of peak RSS at 2 and 8 connections for 0-5 % of cold
// throughput, within the machine's noise; libaom's encoder threads are
// where one arena's lock is seen waiting. glibc fixes its arena limit the
// first time a thread needs an arena of its own, so a mallopt from Go,
// once Caddy has made cgo calls (name lookups) on other threads, would
// come too late (measured: 146 MB peak against 132 MB with the variable
// set).
//
// Fixed thresholds: by default glibc maps each chunk over a threshold that
// follows the largest chunk freed so far, and gives the heap's top back
// whenever more than twice that is free, so whether a freed source's pages
// are reused or faulted in again depends on the order of past requests. A
// cold JPEG run took 110-125 thousand page faults in 20 s, and its system
// time was 15 % of its CPU. Chunks under 32 MiB (glibc's own ceiling for
// the moving threshold) now come from the heap, and up to 64 MiB of free
// top stays until the periodic malloc_trim: 7-12 thousand faults, 6-7 %
// more requests per second at 8 connections and 0-14 % at 2 (three
// alternating pairs each), the same peak RSS (bench/findings.md). Larger
// chunks (a 100 MP decode) are still mapped and unmapped at once.
__attribute__((constructor)) static void tune_malloc(void) {
#if defined(__GLIBC__)
	if (!operator_chose("MALLOC_ARENA_MAX", "glibc.malloc.arena_max"))
		mallopt(M_ARENA_MAX, 1);
	// Setting either threshold stops glibc moving the other: both or none.
	if (!operator_chose("MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold") &&
		!operator_chose("MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold")) {
		mallopt(M_MMAP_THRESHOLD, 32 << 20);
		mallopt(M_TRIM_THRESHOLD, 64 << 20);
	}
#endif
}

// refault_pages allocates and writes n bytes twice, freeing in between,
// and returns the page faults of the second write: none when malloc reuses
// the memory it kept. For the tests. The writes go through a volatile
// pointer: a memset before free is a dead store the compiler may drop.
static long refault_pages(size_t n) {
#ifndef RUSAGE_THREAD
#define RUSAGE_THREAD RUSAGE_SELF
#endif
	struct rusage a, b;
	volatile char *p = malloc(n);
	if (!p)
		return -1;
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	free((void *) p);
	p = malloc(n);
	if (!p)
		return -1;
	getrusage(RUSAGE_THREAD, &a);
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 2;
	getrusage(RUSAGE_THREAD, &b);
	free((void *) p);
	return b.ru_minflt - a.ru_minflt;
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

// refaultedPages is refault_pages for the tests.
func refaultedPages(n int) int { return int(C.refault_pages(C.size_t(n))) }

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
