// Command worstcase measures the worst cases docs/limits.md quotes: the
// time, the outcome and the process's peak RSS (getrusage) of one
// transformation, one case per process so that each peak is its own. It
// uses the transform package as the module does. Not part of the module,
// and not a test: it only reports.
//
//	go build -o /tmp/worstcase ./bench/worstcase # run it from the repository root
//	for c in sharpen150 blur300 photo150 budgetmax avif81 avifout; do /tmp/worstcase $c; done
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/image-cdn/image_cdn/transform"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: worstcase sharpen150|blur300|photo150|budgetmax|avif81|avifout")
		os.Exit(2)
	}
	transform.Startup()
	repeat := func(step string, n int) string { return strings.TrimSuffix(strings.Repeat(step+":", n), ":") }
	raised := transform.Limits{MaxSteps: 1000, MaxCost: 100000}
	cases := map[string]struct {
		src     func() ([]byte, error)
		chain   string
		limits  transform.Limits
		timeout time.Duration
		format  transform.Format // JPEG when empty
	}{
		"sharpen150": {func() ([]byte, error) { return image(640, 480, png) }, repeat("e-sharpen", 150), raised, time.Minute, ""},
		"blur300":    {func() ([]byte, error) { return image(640, 480, png) }, repeat("bl-9", 300), raised, time.Minute, ""},
		"photo150":   {func() ([]byte, error) { return image(5472, 3648, jpeg) }, repeat("e-sharpen", 150), raised, 2 * time.Second, ""},
		"budgetmax":  {func() ([]byte, error) { return image(5472, 3648, jpeg) }, repeat("e-sharpen-100", 10) + ":" + repeat("w-5000", 10), transform.Limits{}, 30 * time.Second, ""},
		// A whole-frame decoder: libheif decodes all 81 MP for a 100 px answer.
		// (The hostile corpus's file: encoding one here would count in the peak.)
		"avif81": {func() ([]byte, error) { return os.ReadFile("internal/hostile/testdata/flat-81mp.avif") }, "w-100", transform.Limits{}, 30 * time.Second, ""},
		// About the largest AVIF output the default memory budget admits.
		"avifout": {func() ([]byte, error) { return image(640, 480, png) }, "w-6600,h-6600,c-force", transform.Limits{}, time.Minute, transform.AVIF},
	}
	name := os.Args[1]
	tc, ok := cases[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "worstcase: no case %q\n", name)
		os.Exit(2)
	}
	src, err := tc.src()
	if err != nil {
		fmt.Fprintln(os.Stderr, "worstcase: source:", err)
		os.Exit(1)
	}
	c, err := transform.Parse(tc.chain, "", transform.ParseOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worstcase: chain:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
	defer cancel()
	start := time.Now()
	f := tc.format
	if f == "" {
		f = transform.JPEG
	}
	_, err = transform.NewProcessor(transform.Config{Workers: 1, Limits: tc.limits}).Process(ctx, src, c, f)
	took := time.Since(start).Round(time.Millisecond)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("%s: %v, err=%v, peak RSS %d MB\n", name, took, err, ru.Maxrss>>10)
}

type encoding int

const (
	png encoding = iota
	jpeg
)

// image is a w×h sRGB image, encoded.
func image(w, h int, e encoding) ([]byte, error) {
	img, err := vips.Black(w, h)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
		return nil, err
	}
	if err := img.Cast(vips.BandFormatUchar); err != nil {
		return nil, err
	}
	if e == png {
		b, _, err := img.ExportPng(vips.NewPngExportParams())
		return b, err
	}
	b, _, err := img.ExportJpeg(vips.NewJpegExportParams())
	return b, err
}
