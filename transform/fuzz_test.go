package transform

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes through the decode path: inspection,
// load and a small resize, under small limits. Every input must end in a
// result or a typed error; a panic (which Process turns into an
// "internal failure") or a crash of the process is a finding. The seeds in
// testdata/fuzz/FuzzDecode (every accepted format, whole, truncated, cut
// after the header, bit-flipped) run with every `go test`; run it long
// with
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 10m ./transform/
func FuzzDecode(f *testing.F) {
	// Small limits keep each input well under the fuzzer's 10 s hang
	// detector on a loaded machine: a 3 MP garbage GIF took 3 s to decode.
	l := Limits{MaxSourcePixels: 1 << 18, MaxSourceBytes: 1 << 20, MaxOutputDimension: 2048, MaxFrames: 16}
	chains := make([]*Chain, 0, 3)
	for _, s := range []string{"w-16", "rt-90,w-8", "f-png"} {
		c, err := Parse(s, "", ParseOptions{})
		if err != nil {
			f.Fatal(err)
		}
		chains = append(chains, c)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		Startup()
		p := NewProcessor(Config{Workers: 1, Limits: l})
		for i, c := range chains {
			format := PNG
			if i == 2 {
				format = GIF // keeps animations
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := p.Process(ctx, src, c, format)
			cancel()
			var e *Error
			switch {
			case err == nil, errors.Is(err, context.DeadlineExceeded):
			case errors.As(err, &e):
				if e.Kind == Invalid || e.Kind == Overloaded {
					t.Fatalf("unexpected kind: %v", err)
				}
			case strings.Contains(err.Error(), "internal failure"):
				t.Fatalf("panic: %v", err)
			}
		}
	})
}
