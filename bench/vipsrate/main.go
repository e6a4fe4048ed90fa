// Command vipsrate measures what libvips itself can do on this machine, in
// process, with no HTTP and no S3: N goroutines each loop over the same
// source files the load test uses, calling govips' thumbnail-from-buffer
// (w×h, centre crop, shrink-on-load) and exporting with the same encoder
// settings as transform/steps_save.go. It is the baseline of the "cold
// transforms" rows in bench/RESULTS.md. Not part of the module.
//
//	vipsrate -c 8 -d 10s -w 300 -h 300 -format webp -q 80 file.jpg ...
//
// It prints one line:
//
//	VIPSRATE ops=<n> secs=<s> rate=<ops/s> p50_ms=<ms> p99_ms=<ms> max_ms=<ms> errors=<n> cpu_ms_per_op=<ms> peak_rss_mb=<MiB>
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/image-cdn/image_cdn/bench/internal/loadrun"
	"github.com/image-cdn/image_cdn/transform"
)

func main() {
	conc := flag.Int("c", 2, "goroutines transforming at once")
	dur := flag.Duration("d", 10*time.Second, "how long to run")
	width := flag.Int("w", 300, "thumbnail width")
	height := flag.Int("h", 300, "thumbnail height")
	format := flag.String("format", "jpeg", "output format: jpeg, webp or avif")
	quality := flag.Int("q", 80, "encoder quality (transform's default is 80)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "vipsrate: no input files")
		os.Exit(2)
	}
	srcs := make([][]byte, 0, flag.NArg())
	for _, name := range flag.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vipsrate:", err)
			os.Exit(1)
		}
		srcs = append(srcs, b)
	}

	// The module's own libvips start-up (thread pool 1, operation cache
	// off, malloc arenas capped), so that only the pipeline differs.
	transform.Startup()
	defer vips.Shutdown()

	one := func(src []byte) error {
		p := vips.NewImportParams()
		p.FailOnError.Set(false)
		img, err := vips.LoadThumbnailFromBuffer(src, *width, *height, vips.InterestingCentre, vips.SizeBoth, p)
		if err != nil {
			return err
		}
		defer img.Close()
		switch *format {
		case "jpeg", "jpg":
			_, _, err = img.ExportJpeg(&vips.JpegExportParams{
				StripMetadata: true, Quality: *quality, Interlace: false, OptimizeCoding: true,
				SubsampleMode: vips.VipsForeignSubsampleAuto,
			})
		case "webp":
			_, _, err = img.ExportWebp(&vips.WebpExportParams{
				StripMetadata: true, Quality: *quality, Lossless: false, ReductionEffort: 4,
			})
		case "avif":
			_, _, err = img.ExportAvif(&vips.AvifExportParams{
				StripMetadata: true, Quality: *quality, Lossless: false, Bitdepth: 8, Effort: 1,
			})
		default:
			err = fmt.Errorf("unknown format %q", *format)
		}
		return err
	}

	// Warm-up outside the measurement: the first call loads codecs.
	if err := one(srcs[0]); err != nil {
		fmt.Fprintln(os.Stderr, "vipsrate: warm-up:", err)
		os.Exit(1)
	}

	loadrun.Run("VIPSRATE", *conc, *dur, func(i int) error { return one(srcs[i%len(srcs)]) })
}
