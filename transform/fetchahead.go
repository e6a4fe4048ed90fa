package transform

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// fetchAhead decides how many reserved slots may hold a source (fetching
// it, waiting for a worker with it, or being transformed) at once.
//
// Every source downloaded before a worker is free sits in memory until one
// is. Fetching far ahead only pays when the origin is slow: to keep the
// workers busy, the downloads in flight must cover a transform's length
// (Little's law: workers × fetch time / transform time of them). So the
// window is the workers, that many downloads, and one source ready, from
// the running averages of both times: a local S3 server whose fetches take
// a tenth of a transform keeps four sources for two workers where the queue
// would allow ten; a distant one that takes four times as long as a
// transform gets the whole queue. Before the first measurement, the window
// is the whole queue.
type fetchAhead struct {
	workers, most int

	mu      sync.Mutex
	held    int             // slots inside the window
	waiters []chan struct{} // FIFO; a waiter's place is taken for it before its channel is closed
	fetch   ewma            // seconds per source download
	work    ewma            // seconds per transform
}

func newFetchAhead(workers, most int) *fetchAhead {
	return &fetchAhead{workers: workers, most: max(most, workers+1)}
}

// ewma is an exponentially weighted mean; zero until the first sample.
type ewma struct {
	v float64
	n int
}

func (e *ewma) add(x float64) {
	const alpha = 0.1
	if e.n == 0 {
		e.v = x
	} else {
		e.v += alpha * (x - e.v)
	}
	e.n++
}

// window is how many slots may be inside now (under mu).
func (g *fetchAhead) window() int {
	if g.fetch.n == 0 || g.work.n == 0 || g.work.v <= 0 {
		return g.most
	}
	inFlight := math.Ceil(float64(g.workers) * g.fetch.v / g.work.v)
	if inFlight > float64(g.most) {
		return g.most
	}
	return min(g.workers+int(inFlight)+1, g.most)
}

// enter waits, first come first served, until the slot may start its
// download, or until ctx ends.
func (g *fetchAhead) enter(ctx context.Context) error {
	g.mu.Lock()
	if len(g.waiters) == 0 && g.held < g.window() {
		g.held++
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	g.waiters = append(g.waiters, ch)
	g.mu.Unlock()

	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		select {
		case <-ch: // admitted meanwhile: give the place on
			g.held--
			g.admitLocked()
		default:
			g.waiters = slices.DeleteFunc(g.waiters, func(c chan struct{}) bool { return c == ch })
		}
		return ctx.Err()
	}
}

// leave gives a place back.
func (g *fetchAhead) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.held--
	g.admitLocked()
}

// fetched and worked record how long a download and a transform took; a
// longer download may widen the window at once.
func (g *fetchAhead) fetched(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fetch.add(d.Seconds())
	g.admitLocked()
}

func (g *fetchAhead) worked(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.work.add(d.Seconds())
	g.admitLocked()
}

func (g *fetchAhead) admitLocked() {
	for len(g.waiters) > 0 && g.held < g.window() {
		ch := g.waiters[0]
		g.waiters = g.waiters[1:]
		g.held++
		close(ch)
	}
}
