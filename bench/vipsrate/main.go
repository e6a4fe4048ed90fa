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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
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

	// The same start-up as transform.Startup: libvips' own thread pool at 1
	// (parallelism comes from the goroutines, as it comes from the module's
	// workers), operation cache off. Every field is set on purpose.
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
				StripMetadata: true, Quality: *quality, Lossless: false, Bitdepth: 8, Effort: 2,
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

	var (
		ops, errs atomic.Int64
		mu        sync.Mutex
		lat       []time.Duration
		wg        sync.WaitGroup
	)
	cpu0 := cpuTime()
	start := time.Now()
	deadline := start.Add(*dur)
	for g := 0; g < *conc; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var mine []time.Duration
			for i := g; time.Now().Before(deadline); i++ {
				t := time.Now()
				if err := one(srcs[i%len(srcs)]); err != nil {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(t))
				ops.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	cpuMs := float64((cpuTime() - cpu0).Microseconds()) / 1000
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	fmt.Printf("VIPSRATE ops=%d secs=%.2f rate=%.2f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f errors=%d cpu_ms_per_op=%.1f peak_rss_mb=%d\n",
		ops.Load(), secs, float64(ops.Load())/secs, pct(0.50), pct(0.99), pct(1), errs.Load(),
		cpuMs/float64(max(ops.Load(), 1)), peakRSSMiB())
}

// cpuTime is the user+system CPU time of the whole process so far: on a
// shared machine, CPU per transform is steadier than transforms per second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMiB is the process's peak resident set (VmHWM), to set beside
// Caddy's.
func peakRSSMiB() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb / 1024
		}
	}
	return 0
}
