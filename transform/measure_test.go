//go:build tools

package transform

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
)

// TestMeasureWorstCases reports the time, outcome and process peak RSS
// (getrusage) of the worst cases docs/limits.md quotes. It runs only with
// MEASURE=<case>, one case per process so that each peak is its own:
//
//	go test -tags tools -c -o /tmp/t.test ./transform/
//	for c in sharpen150 blur300 photo150 budgetmax; do MEASURE=$c /tmp/t.test -test.run TestMeasureWorstCases -test.v; done
func TestMeasureWorstCases(t *testing.T) {
	name := os.Getenv("MEASURE")
	if name == "" {
		t.Skip("set MEASURE=<case> to measure")
	}
	Startup()
	photo := func(w, h int) []byte {
		img, err := vips.Black(w, h)
		must(t, err)
		must(t, img.ToColorSpace(vips.InterpretationSRGB))
		must(t, img.Cast(vips.BandFormatUchar))
		return encodeWith(t, img, JPEG)
	}
	repeat := func(step string, n int) string { return strings.TrimSuffix(strings.Repeat(step+":", n), ":") }
	raised := Limits{MaxSteps: 1000, MaxCost: 100000}
	cases := map[string]struct {
		src     []byte
		chain   string
		limits  Limits
		timeout time.Duration
	}{
		"sharpen150": {encodeWith(t, quadrants(t, 640, 480), PNG), repeat("e-sharpen", 150), raised, time.Minute},
		"blur300":    {encodeWith(t, quadrants(t, 640, 480), PNG), repeat("bl-9", 300), raised, time.Minute},
		"photo150":   {photo(5472, 3648), repeat("e-sharpen", 150), raised, 2 * time.Second},
		"budgetmax":  {photo(5472, 3648), repeat("e-sharpen-100", 10) + ":" + repeat("w-5000", 10), Limits{}, 30 * time.Second},
	}
	tc, ok := cases[name]
	if !ok {
		t.Fatalf("no case %q", name)
	}
	c, err := Parse(tc.chain, "", ParseOptions{})
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
	defer cancel()
	start := time.Now()
	_, err = NewProcessor(Config{Workers: 1, Limits: tc.limits}).Process(ctx, tc.src, c, JPEG)
	var ru syscall.Rusage
	must(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	t.Logf("%s: %d steps, %v, err=%v, peak RSS %d MB", name, len(c.steps), time.Since(start).Round(time.Millisecond), err, ru.Maxrss>>10)
}
