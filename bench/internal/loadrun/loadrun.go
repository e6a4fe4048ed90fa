// Package loadrun is the in-process load loop the benchmark's baselines
// share (vipsrate, transformrate): goroutines call one operation until a
// deadline, and one line reports rate, latency percentiles, CPU per
// operation and peak RSS in the form run.sh parses.
package loadrun

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Run calls op(i) from conc goroutines for d (i counts the calls of one
// goroutine, offset by its number, so goroutines start on different
// inputs) and prints
//
//	<NAME> ops=<n> secs=<s> rate=<ops/s> p50_ms=<ms> p99_ms=<ms> max_ms=<ms> errors=<n> cpu_ms_per_op=<ms> peak_rss_mb=<MiB>
func Run(name string, conc int, d time.Duration, op func(i int) error) {
	var (
		ops, errs atomic.Int64
		mu        sync.Mutex
		lat       []time.Duration
		wg        sync.WaitGroup
	)
	cpu0 := cpuTime()
	start := time.Now()
	deadline := start.Add(d)
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var mine []time.Duration
			for i := g; time.Now().Before(deadline); i++ {
				t := time.Now()
				if err := op(i); err != nil {
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
	fmt.Printf("%s ops=%d secs=%.2f rate=%.2f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f errors=%d cpu_ms_per_op=%.1f peak_rss_mb=%d\n",
		name, ops.Load(), secs, float64(ops.Load())/secs, pct(0.50), pct(0.99), pct(1), errs.Load(),
		cpuMs/float64(max(ops.Load(), 1)), peakRSSMiB())
}

// cpuTime is the user+system CPU time of the whole process so far: on a
// shared machine, CPU per operation is steadier than operations per second.
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
