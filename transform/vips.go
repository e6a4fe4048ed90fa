package transform

// #cgo pkg-config: vips
// #include <stdlib.h>
// #include <vips/vips.h>
import "C"

import (
	"sync"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

var startOnce sync.Once

// Startup starts libvips once per process. Parallelism comes from the
// Processor's workers, so libvips' own thread pool is 1; its operation
// cache is off because every request decodes a different buffer and the
// cache would only hold memory. Every Config field is set: a zero value
// does not mean "default" everywhere in govips.
//
// The ImageMagick loader, which would accept hundreds of rarely fuzzed
// formats, is blocked for the whole process: sources are untrusted input,
// and inspectSource only admits the formats we promise. (libvips'
// "block untrusted" switch would also block SVG, PDF and JPEG XL here.)
func Startup() {
	startOnce.Do(func() {
		limitMallocArenas()
		vips.LoggingSettings(nil, vips.LogLevelError)
		vips.Startup(&vips.Config{
			ConcurrencyLevel: 1,
			MaxCacheFiles:    0,
			MaxCacheMem:      0,
			MaxCacheSize:     0,
			ReportLeaks:      false,
			CacheTrace:       false,
			CollectStats:     false,
		})
		name := C.CString("VipsForeignLoadMagick")
		defer C.free(unsafe.Pointer(name))
		C.vips_operation_block_set(name, C.TRUE)
	})
}
