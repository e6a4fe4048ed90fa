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
// Every libvips loader but those of the formats we promise is blocked for
// the whole process: sources are untrusted input, and ImageMagick's loader
// alone would accept hundreds of rarely fuzzed formats; so would CSV,
// matrix, FITS, OpenEXR and the rest if libvips' own sniffing (in the
// thumbnail loader) chose them. (libvips' "block untrusted" switch would
// also block SVG, PDF and JPEG XL here.)
func Startup() {
	startOnce.Do(func() {
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
		block("VipsForeignLoad", true)
		for _, l := range allowedLoaders {
			block(l, false)
		}
		layoutErr = checkLayout()
		av1Err = registerAV1Decoder()
		go trimAfterWork()
	})
}

// allowedLoaders are the libvips loader classes (and their file, buffer and
// source variants below them) of the formats in decodable. BMP is decoded
// by this package.
var allowedLoaders = []string{
	"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadNsgif", "VipsForeignLoadWebp",
	"VipsForeignLoadTiff", "VipsForeignLoadHeif", "VipsForeignLoadSvg", "VipsForeignLoadPdf",
	"VipsForeignLoadJxl",
}

// layoutErr is checkLayout's verdict at start-up; the tests require nil.
var layoutErr error

// av1Err is registerAV1Decoder's; without the plugin, AVIF sources decode
// with libheif's own dav1d (threads per CPU), and the tests require nil.
var av1Err error

func block(class string, on bool) {
	name := C.CString(class)
	defer C.free(unsafe.Pointer(name))
	state := C.gboolean(C.FALSE)
	if on {
		state = C.TRUE
	}
	C.vips_operation_block_set(name, state)
}

// TrackedMemory is the memory libvips has allocated and still holds
// (vips_tracked_get_mem): pixel buffers of the images being processed.
func TrackedMemory() int64 { return int64(C.vips_tracked_get_mem()) }
