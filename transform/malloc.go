package transform

/*
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// limit_malloc_arenas caps glibc's per-thread malloc arenas. Without it,
// every libvips worker thread grows an arena of its own that glibc rarely
// gives back, and RSS settles far above what the transforms hold (measured
// in bench/: 618 MB against 368 MB at 8 concurrent cold requests, the same
// throughput). Other C libraries have no such arenas: nothing to do.
static void limit_malloc_arenas(void) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
	mallopt(M_ARENA_MAX, 2);
#endif
}
*/
import "C"

import "os"

// limitMallocArenas applies the cap unless the operator chose one with
// MALLOC_ARENA_MAX, which glibc reads itself.
func limitMallocArenas() {
	if os.Getenv("MALLOC_ARENA_MAX") == "" {
		C.limit_malloc_arenas()
	}
}
