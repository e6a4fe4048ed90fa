package hostile

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/image-cdn/image_cdn/internal/s3test"
)

// BenchmarkSoak is the soak row of issue 10: the cold workload (distinct
// variants of photos, negotiated WebP, 8 connections) first clean, then
// with a share of hostile requests mixed in, against Caddy running as its
// own process under GOTRACEBACK=crash. It reports the legitimate
// throughput of both runs and their ratio, the hostile answers outside
// their documented statuses, the peak RSS, and whether RSS stays flat:
// each run's highest RSS in its middle and in its last third (sampled every
// second; SOAK_RSS_TRACE=<file> writes the samples). It fails on a crash.
//
//	SOAK_DURATION=3m SOAK_PHOTOS=/usr/share/backgrounds \
//	  go test -run x -bench Soak -benchtime 1x ./internal/hostile/
//
// bench/run.sh runs it as its "soak" phase.
func BenchmarkSoak(b *testing.B) {
	dur := 60 * time.Second
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("SOAK_DURATION: %v", err)
		}
		dur = d
	}
	conns := 8
	if v := os.Getenv("SOAK_CONNECTIONS"); v != "" {
		conns, _ = strconv.Atoi(v)
	}
	hostileShare := 0.2

	s3 := s3test.Start(b, s3test.Options{Buckets: []string{"hostile"}})
	callback, _ := listenForCallbacks(b)
	srv := startCaddy(b, s3)
	photos := soakPhotos(b, s3)
	small := smallJPEG(64, 48)
	s3.Put(b, "hostile", "ok/small.jpg", small, "image/jpeg")
	seeds := Seeds{WebP: srv.mustGet(b, "/tr:f-webp/ok/small.jpg", "image/webp")}
	var hostile []Case
	for _, c := range Cases(seeds, Callback(callback)) {
		if c.Key != "" && c.Body != nil {
			s3.Put(b, "hostile", c.Key, c.Body, c.ContentType)
		}
		hostile = append(hostile, c)
	}

	var variant atomic.Int64
	legit := func() Case {
		n := variant.Add(1)
		// Distinct variants: every request is cold.
		w, h := 200+int(n%600), 150+int((n/600)%450)
		return Case{Path: fmt.Sprintf("/tr:w-%d,h-%d/%s", w, h, photos[int(n)%len(photos)]), Want: []int{http.StatusOK}}
	}
	run := func(share float64) (okPerSec float64, outside, overloaded int64, rss []rssSample) {
		var ok, bad, shed atomic.Int64
		deadline := time.Now().Add(dur)
		stopSampling := make(chan struct{})
		sampled := make(chan []rssSample)
		go func() { sampled <- sampleRSS(srv, rssEvery, stopSampling) }()
		var wg sync.WaitGroup
		for i := range conns {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, 7))
				for time.Now().Before(deadline) {
					c, isLegit := legit(), true
					if rng.Float64() < share {
						c, isLegit = hostile[rng.IntN(len(hostile))], false
					}
					status, _, _, err := srv.send(c)
					switch {
					case err == nil && isLegit && status == http.StatusOK:
						ok.Add(1)
					case err == nil && status == http.StatusServiceUnavailable:
						shed.Add(1)
					case err != nil || !slices.Contains(c.Want, status):
						bad.Add(1)
					}
					if !srv.Alive() {
						return
					}
				}
			}(uint64(i))
		}
		wg.Wait()
		close(stopSampling)
		return float64(ok.Load()) / dur.Seconds(), bad.Load(), shed.Load(), <-sampled
	}

	b.ResetTimer()
	for range b.N {
		clean, _, cleanShed, cleanRSS := run(0)
		mixed, outside, mixedShed, mixedRSS := run(hostileShare)
		if !srv.Alive() {
			b.Fatalf("the server crashed during the soak; its output:\n%s", srv.Output())
		}
		peak := srv.PeakRSS(b)
		if path := os.Getenv("SOAK_RSS_TRACE"); path != "" {
			writeRSSTrace(b, path, cleanRSS, mixedRSS)
		}
		// Flat memory under a steady load (issue 15): the highest RSS of
		// each run's last third against that of its middle third (the first
		// third is warm-up: caches, malloc's arena and Go's heap filling).
		for _, r := range []struct {
			name    string
			samples []rssSample
		}{{"clean", cleanRSS}, {"mixed", mixedRSS}} {
			mid, last := thirdsPeak(r.samples)
			b.ReportMetric(float64(mid>>20), r.name+"-rss-mid-MiB")
			b.ReportMetric(float64(last>>20), r.name+"-rss-last-MiB")
		}
		b.ReportMetric(clean, "clean-ok/s")
		b.ReportMetric(mixed, "mixed-ok/s")
		// The bar: legitimate throughput with hostile requests
		// mixed in at least 0.8× the clean run's, both as measured (the
		// mixed run spends a share of its requests on hostile ones).
		b.ReportMetric(mixed/clean, "legit-ratio")
		b.ReportMetric(float64(outside), "outside-contract")
		b.ReportMetric(float64(cleanShed+mixedShed), "503s")
		b.ReportMetric(float64(peak>>20), "peak-RSS-MiB")
		if outside > 0 {
			b.Errorf("%d answers were outside their documented statuses", outside)
		}
		if peak > peakRSSBudget {
			b.Errorf("peak RSS %d MiB is over the %d MiB budget", peak>>20, peakRSSBudget>>20)
		}
	}
}

// soakPhotos uploads the photos of SOAK_PHOTOS (a directory of JPEGs; by
// default /usr/share/backgrounds, where bench/run.sh installs Debian's
// lomiri wallpapers), or generated 6 MP images when there are none, and
// returns their keys.
func soakPhotos(b *testing.B, s3 *s3test.Server) []string {
	dir := os.Getenv("SOAK_PHOTOS")
	if dir == "" {
		dir = "/usr/share/backgrounds"
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	var keys []string
	for i, f := range files {
		key := fmt.Sprintf("photos/%d.jpg", i)
		s3.PutFile(b, "hostile", key, f, "image/jpeg")
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		for i := range 4 {
			key := fmt.Sprintf("photos/gen%d.jpg", i)
			s3.Put(b, "hostile", key, smallJPEG(3000, 2000), "image/jpeg")
			keys = append(keys, key)
		}
	}
	return keys
}

// rssEvery is how often the soak samples the server's resident memory.
const rssEvery = time.Second

type rssSample struct {
	at  time.Duration // since the run started
	rss int64         // bytes
}

// sampleRSS reads the server's VmRSS every interval until stop is closed.
// A failed read (the process is gone) ends the trace; the soak reports the
// crash itself.
func sampleRSS(srv *caddy, every time.Duration, stop <-chan struct{}) []rssSample {
	start := time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	var out []rssSample
	for {
		n, err := srv.RSS()
		if err != nil {
			return out
		}
		out = append(out, rssSample{time.Since(start), n})
		select {
		case <-stop:
			return out
		case <-t.C:
		}
	}
}

// thirdsPeak is the highest RSS in the middle and in the last third of a
// run's samples (by time).
func thirdsPeak(samples []rssSample) (mid, last int64) {
	if len(samples) == 0 {
		return 0, 0
	}
	end := samples[len(samples)-1].at
	for _, s := range samples {
		switch {
		case s.at >= end*2/3:
			last = max(last, s.rss)
		case s.at >= end/3:
			mid = max(mid, s.rss)
		}
	}
	return mid, last
}

// writeRSSTrace writes the runs' samples as tab-separated lines: run,
// seconds since the soak started, RSS in MiB. The mixed run's times
// continue from the clean run's end.
func writeRSSTrace(b *testing.B, path string, clean, mixed []rssSample) {
	var sb strings.Builder
	var offset time.Duration
	for _, run := range []struct {
		name    string
		samples []rssSample
	}{{"clean", clean}, {"mixed", mixed}} {
		for _, s := range run.samples {
			fmt.Fprintf(&sb, "%s\t%.0f\t%.1f\n", run.name, (offset + s.at).Seconds(), float64(s.rss)/(1<<20))
		}
		if len(run.samples) > 0 {
			offset += run.samples[len(run.samples)-1].at
		}
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Errorf("SOAK_RSS_TRACE: %v", err)
	}
}

func TestThirdsPeak(t *testing.T) {
	at := func(sec int, mib int64) rssSample { return rssSample{time.Duration(sec) * time.Second, mib << 20} }
	tests := []struct {
		name      string
		samples   []rssSample
		mid, last int64 // MiB
	}{
		{"none", nil, 0, 0},
		{"flat after warm-up", []rssSample{at(0, 50), at(1, 200), at(2, 120), at(3, 121), at(4, 120), at(5, 119), at(6, 121), at(7, 120), at(8, 120), at(9, 119)}, 121, 121},
		{"growing", []rssSample{at(0, 100), at(3, 110), at(4, 120), at(5, 130), at(6, 140), at(9, 170)}, 130, 170},
		{"one sample", []rssSample{at(0, 80)}, 0, 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mid, last := thirdsPeak(tt.samples)
			if mid>>20 != tt.mid || last>>20 != tt.last {
				t.Errorf("thirdsPeak = %d, %d MiB; want %d, %d", mid>>20, last>>20, tt.mid, tt.last)
			}
		})
	}
}
