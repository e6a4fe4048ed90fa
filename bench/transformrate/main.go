// Command transformrate runs the module's own transform package in process
// (no HTTP, no S3) the way vipsrate runs bare govips: N goroutines looping
// over the same files with the same chain. Between the module over HTTP and
// bare libvips it tells where a gap comes from: the transform pipeline
// itself, or fetching and serving. Kept apart from vipsrate so that a change
// of the transform API only costs this column. Not part of the module.
//
//	transformrate -c 8 -d 10s -tr w-300,h-300,f-webp file.jpg ...
//
// It prints one line:
//
//	TRANSFORMRATE ops=<n> secs=<s> rate=<ops/s> p50_ms=<ms> p99_ms=<ms> max_ms=<ms> errors=<n> cpu_ms_per_op=<ms> peak_rss_mb=<MiB>
package main

import (
	"context"
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

	"github.com/image-cdn/image_cdn/transform"
)

func main() {
	conc := flag.Int("c", 2, "goroutines transforming at once (and the Processor's workers)")
	dur := flag.Duration("d", 10*time.Second, "how long to run")
	tr := flag.String("tr", "w-300,h-300", "transformation chain, as after tr:")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "transformrate: no input files")
		os.Exit(2)
	}
	type src struct {
		body []byte
		f    transform.Format
	}
	chain, err := transform.Parse(*tr, "", transform.ParseOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "transformrate:", err)
		os.Exit(2)
	}
	var srcs []src
	for _, name := range flag.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "transformrate:", err)
			os.Exit(1)
		}
		f, _, err := chain.OutputFormat(transform.SourceType("", name), "", true)
		if err != nil {
			fmt.Fprintln(os.Stderr, "transformrate:", name, err)
			os.Exit(1)
		}
		srcs = append(srcs, src{b, f})
	}
	p := transform.NewProcessor(transform.Config{Workers: *conc, QueueLength: *conc})
	ctx := context.Background()
	if _, err := p.Process(ctx, srcs[0].body, chain, srcs[0].f); err != nil { // warm-up
		fmt.Fprintln(os.Stderr, "transformrate: warm-up:", err)
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
				s := srcs[i%len(srcs)]
				t := time.Now()
				if _, err := p.Process(ctx, s.body, chain, s.f); err != nil {
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
	pct := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	fmt.Printf("TRANSFORMRATE ops=%d secs=%.2f rate=%.2f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f errors=%d cpu_ms_per_op=%.1f peak_rss_mb=%d\n",
		ops.Load(), secs, float64(ops.Load())/secs, pct(0.50), pct(0.99), pct(1), errs.Load(),
		cpuMs/float64(max(ops.Load(), 1)), peakRSSMiB())
}

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
