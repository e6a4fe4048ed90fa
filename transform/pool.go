package transform

import (
	"context"
	"errors"
	"runtime"
	"time"

	"golang.org/x/sync/semaphore"
)

// Config sizes a Processor.
type Config struct {
	Workers     int // transforms running at once; default runtime.NumCPU()
	QueueLength int // requests waiting for a worker before Process answers Overloaded; default 4×Workers, negative for none
	// MemoryBudget is the bytes that running transformations may hold
	// together, by their estimate from the source header and the chain
	// (job.estimateMemory); default DefaultMemoryBudget. A job waits (up
	// to its context) until its estimate fits; one whose estimate exceeds
	// the whole budget is a Limit error.
	MemoryBudget int64
	Limits       Limits
}

// DefaultMemoryBudget is 1 GiB: a source at the default pixel limit
// (100 MP) decoded for random access is 400 MB, so two such jobs, or a
// large one beside many ordinary ones (a 12 MP photo resized is about
// 60 MB), fit; the default worker count rarely reaches it with ordinary
// traffic. It is fixed rather than a share of the machine's memory so that
// the same configuration behaves the same everywhere; raise it on large
// hosts.
const DefaultMemoryBudget = 1 << 30

// Processor runs transformations on a bounded pool: at most Workers at a
// time, at most QueueLength more waiting, everything beyond refused at once
// so memory stays bounded under a flood.
type Processor struct {
	limits  Limits
	running chan struct{} // a token per running transform
	admit   chan struct{} // a token per running or waiting transform
	ahead   *fetchAhead   // how many slots may hold a source at once
	budget  int64
	memory  *semaphore.Weighted // bytes of MemoryBudget held by running jobs
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
	budget := cfg.MemoryBudget
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	return &Processor{
		limits:  cfg.Limits.WithDefaults(),
		running: make(chan struct{}, workers),
		admit:   make(chan struct{}, workers+queue),
		ahead:   newFetchAhead(workers, workers+queue),
		budget:  budget,
		memory:  semaphore.NewWeighted(budget),
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
// are *Error (Invalid, Limit, Unsupported, Overloaded, Corrupt), ctx.Err()
// (the deadline passed or the caller left: libvips stopped computing), or
// an internal failure. It is Reserve followed by Slot.Process.
func (p *Processor) Process(ctx context.Context, src []byte, c *Chain, f Format) (*Result, error) {
	return p.ProcessWith(ctx, src, c, f, Options{})
}

// ProcessWith is Process with per-request options (the origins layers
// read from).
func (p *Processor) ProcessWith(ctx context.Context, src []byte, c *Chain, f Format, opts Options) (*Result, error) {
	s, err := p.Reserve()
	if err != nil {
		return nil, err
	}
	return s.ProcessWith(ctx, src, c, f, opts)
}

// Slot is a place in the Processor's queue. Taking it before fetching the
// source bounds memory under a flood: at most Workers+QueueLength sources
// are held at once, and the rest are refused before any download. Fetching
// through Slot.Fetch holds fewer when the origin is fast (fetchAhead).
type Slot struct {
	p        *Processor
	used     bool
	inWindow bool          // inside the fetch-ahead window, from Fetch to Release
	waited   time.Duration // for the fetch-ahead window, then for a worker
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
	if s.inWindow {
		s.inWindow = false
		s.p.ahead.leave()
	}
	if !s.used {
		s.used = true
		<-s.p.admit
	}
}

// Fetch runs get, the download of the slot's source, once the fetch-ahead
// window has room for it (first come, first served, honouring ctx). The
// source then counts as held until Release.
func (s *Slot) Fetch(ctx context.Context, get func(context.Context) error) error {
	if s.used || s.inWindow {
		return errors.New("transform: slot already fetched")
	}
	start := time.Now()
	err := s.p.ahead.enter(ctx)
	s.waited += time.Since(start)
	if err != nil {
		return err
	}
	s.inWindow = true
	start = time.Now()
	if err := get(ctx); err != nil {
		return err
	}
	s.p.ahead.fetched(time.Since(start))
	return nil
}

// Process waits for a worker (honouring ctx), transforms, and releases
// the slot. A slot processes once.
func (s *Slot) Process(ctx context.Context, src []byte, c *Chain, f Format) (*Result, error) {
	return s.ProcessWith(ctx, src, c, f, Options{})
}

// ProcessWith is Process with per-request options.
func (s *Slot) ProcessWith(ctx context.Context, src []byte, c *Chain, f Format, opts Options) (*Result, error) {
	if s.used {
		return nil, errors.New("transform: slot already used")
	}
	defer s.Release()
	start := time.Now()
	select {
	case s.p.running <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.waited += time.Since(start)
	defer func() { <-s.p.running }()

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	begin := time.Now()
	res, err := run(ctx, src, c, f, s.p.limits, opts, s.p.admitMemory)
	if err == nil {
		s.p.ahead.worked(time.Since(begin))
	}
	return res, err
}

// admitMemory holds the job's estimated memory until release: it waits
// while other jobs hold the budget (FIFO, so a large job is not starved),
// up to the job's context.
func (p *Processor) admitMemory(j *job) (release func(), err error) {
	est := j.estimateMemory()
	if est > p.budget {
		return nil, limitf("memory_budget", "the transformation would need about %d MB, over the %d MB memory budget", est>>20, p.budget>>20)
	}
	if err := p.memory.Acquire(j.ctx, est); err != nil {
		return nil, err
	}
	return func() { p.memory.Release(est) }, nil
}

// MemoryBudget is the effective memory budget in bytes.
func (p *Processor) MemoryBudget() int64 { return p.budget }

// Limits are the effective limits, defaults filled in: the caller can
// refuse a source over MaxSourceBytes before fetching it.
func (p *Processor) Limits() Limits { return p.limits }

// Queued is how many reserved transformations are not running yet: those
// fetching their source and those waiting for a worker.
func (p *Processor) Queued() int { return max(len(p.admit)-len(p.running), 0) }

// Running is how many transformations hold a worker now.
func (p *Processor) Running() int { return len(p.running) }

// Waited is how long the slot has waited for its turn so far: in Fetch,
// for the fetch-ahead window, and in Process, for a worker. Queued
// requests wait mostly in the first when the origin is fast.
func (s *Slot) Waited() time.Duration { return s.waited }
