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
	"time"

	"github.com/image-cdn/image_cdn/bench/internal/loadrun"
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

	loadrun.Run("TRANSFORMRATE", *conc, *dur, func(i int) error {
		s := srcs[i%len(srcs)]
		_, err := p.Process(ctx, s.body, chain, s.f)
		return err
	})
}
