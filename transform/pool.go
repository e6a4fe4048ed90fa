package transform

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// Config sizes a Processor.
type Config struct {
	Workers     int // transforms running at once; default runtime.NumCPU()
	QueueLength int // requests waiting for a worker before Process answers Overloaded; default 4×Workers, negative for none
	Limits      Limits
}

// Processor runs transformations on a bounded pool: at most Workers at a
// time, at most QueueLength more waiting, everything beyond refused at once
// so memory stays bounded under a flood.
type Processor struct {
	limits  Limits
	running chan struct{} // a token per running transform
	admit   chan struct{} // a token per running or waiting transform
}

// NewProcessor builds a Processor and starts libvips if needed.
func NewProcessor(cfg Config) *Processor {
	Startup()
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	queue := cfg.QueueLength
	switch {
	case queue == 0:
		queue = 4 * workers
	case queue < 0:
		queue = 0
	}
	return &Processor{
		limits:  cfg.Limits.WithDefaults(),
		running: make(chan struct{}, workers),
		admit:   make(chan struct{}, workers+queue),
	}
}

// Result is an encoded output image. Width and Height are those of one
// frame.
type Result struct {
	Body          []byte
	Format        Format
	Width, Height int
}

// Process transforms src by c into format f (from OutputFormat). Errors
// are *Error (Invalid, Limit, Unsupported, Overloaded), ctx.Err(), or an
// internal failure. It is Reserve followed by Slot.Process.
func (p *Processor) Process(ctx context.Context, src []byte, c *Chain, f Format) (*Result, error) {
	s, err := p.Reserve()
	if err != nil {
		return nil, err
	}
	return s.Process(ctx, src, c, f)
}

// Slot is a place in the Processor's queue. Taking it before fetching the
// source bounds memory under a flood: at most Workers+QueueLength sources
// are held at once, and the rest are refused before any download.
type Slot struct {
	p    *Processor
	used bool
}

// Reserve takes a queue place without waiting, or returns ErrOverloaded.
// The slot must be used by Slot.Process or given back with Release.
func (p *Processor) Reserve() (*Slot, error) {
	select {
	case p.admit <- struct{}{}:
		return &Slot{p: p}, nil
	default:
		return nil, ErrOverloaded
	}
}

// Release gives the place back unused; it is safe after Process.
func (s *Slot) Release() {
	if !s.used {
		s.used = true
		<-s.p.admit
	}
}

// Process waits for a worker (honouring ctx), transforms, and releases
// the slot. A slot processes once.
func (s *Slot) Process(ctx context.Context, src []byte, c *Chain, f Format) (*Result, error) {
	if s.used {
		return nil, errors.New("transform: slot already used")
	}
	defer s.Release()
	select {
	case s.p.running <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.p.running }()

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := run(ctx, src, c, f, s.p.limits)
	if err != nil {
		return nil, fmt.Errorf("transform: %w", err)
	}
	return res, nil
}

// Limits are the effective limits, defaults filled in: the caller can
// refuse a source over MaxSourceBytes before fetching it.
func (p *Processor) Limits() Limits { return p.limits }
