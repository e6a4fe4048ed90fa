package hostile

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
// their documented statuses, and the peak RSS; it fails on a crash.
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
	run := func(share float64) (okPerSec float64, outside, overloaded int64) {
		var ok, bad, shed atomic.Int64
		deadline := time.Now().Add(dur)
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
		return float64(ok.Load()) / dur.Seconds(), bad.Load(), shed.Load()
	}

	b.ResetTimer()
	for range b.N {
		clean, _, cleanShed := run(0)
		mixed, outside, mixedShed := run(hostileShare)
		if !srv.Alive() {
			b.Fatalf("the server crashed during the soak; its output:\n%s", srv.Output())
		}
		peak := srv.PeakRSS(b)
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
