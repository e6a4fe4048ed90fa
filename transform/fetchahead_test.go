package transform

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFetchAheadWindow(t *testing.T) {
	for _, c := range []struct {
		name          string
		workers, most int
		fetch, work   time.Duration // zero: no sample
		want          int
	}{
		{"no measurement yet: the whole queue", 2, 10, 0, 0, 10},
		{"only fetches measured", 2, 10, time.Millisecond, 0, 10},
		{"fast origin: the workers, one download, one ready", 2, 10, 4 * time.Millisecond, 40 * time.Millisecond, 4},
		{"instant origin", 2, 10, time.Nanosecond, time.Second, 4},
		{"origin as slow as a transform", 2, 10, 40 * time.Millisecond, 40 * time.Millisecond, 5},
		{"slow origin: downloads cover four transforms", 2, 20, 160 * time.Millisecond, 40 * time.Millisecond, 11},
		{"slow origin beyond the queue", 2, 10, time.Second, 40 * time.Millisecond, 10},
		{"no queue", 4, 4, time.Millisecond, time.Second, 5},
		{"one worker", 1, 5, time.Millisecond, 50 * time.Millisecond, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := newFetchAhead(c.workers, c.most)
			if c.fetch > 0 {
				g.fetched(c.fetch)
			}
			if c.work > 0 {
				g.worked(c.work)
			}
			if got := g.window(); got != c.want {
				t.Errorf("window = %d, want %d", got, c.want)
			}
		})
	}
}

// TestFetchAheadWaits: past the window a download waits, in arrival
// order, until a place is given back; a waiter that gives up leaves no
// place taken.
func TestFetchAheadWaits(t *testing.T) {
	g := newFetchAhead(1, 10)
	g.fetched(time.Millisecond)
	g.worked(100 * time.Millisecond) // window 3
	ctx := context.Background()
	for range 3 {
		if err := g.enter(ctx); err != nil {
			t.Fatal(err)
		}
	}

	gaveUp, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := g.enter(gaveUp); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a fourth enter = %v, want it to wait until its deadline", err)
	}

	order := make(chan int, 2)
	for i := range 2 {
		go func() {
			if err := g.enter(ctx); err == nil {
				order <- i
			}
		}()
		waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.waiters) == i+1 })
	}
	select {
	case i := <-order:
		t.Fatalf("waiter %d entered with the window full", i)
	case <-time.After(20 * time.Millisecond):
	}
	g.leave()
	if i := <-order; i != 0 {
		t.Errorf("waiter %d entered first, want the first to come", i)
	}
	g.leave()
	if i := <-order; i != 1 {
		t.Errorf("waiter %d entered second", i)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held != 3 || len(g.waiters) != 0 {
		t.Errorf("held %d with %d waiters, want 3 and none", g.held, len(g.waiters))
	}
}

// TestFetchAheadWidens: a slower origin widens the window at once, and the
// waiters it now covers go in.
func TestFetchAheadWidens(t *testing.T) {
	g := newFetchAhead(1, 10)
	g.fetched(time.Millisecond)
	g.worked(100 * time.Millisecond)
	ctx := context.Background()
	for range 3 {
		if err := g.enter(ctx); err != nil {
			t.Fatal(err)
		}
	}
	entered := make(chan struct{})
	go func() {
		if g.enter(ctx) == nil {
			close(entered)
		}
	}()
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.waiters) == 1 })
	for range 30 {
		g.fetched(time.Second) // the origin became ten times slower than a transform
	}
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatalf("the waiter did not enter after the window widened to %d", g.window())
	}
}

// TestSlotFetchHoldsTheWindow: through Processor slots, a fast origin
// lets workers + 2 sources be held, the next download waits for a
// Release, and a slot released without a fetch never touches the window.
func TestSlotFetchHoldsTheWindow(t *testing.T) {
	p := NewProcessor(Config{Workers: 1, QueueLength: 8})
	p.ahead.fetched(time.Millisecond)
	p.ahead.worked(100 * time.Millisecond) // window 3 of 9
	ctx := context.Background()
	var held []*Slot
	for range 3 {
		s, err := p.Reserve()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Fetch(ctx, func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
		held = append(held, s)
	}
	unused, err := p.Reserve()
	if err != nil {
		t.Fatal(err)
	}
	unused.Release()

	s, err := p.Reserve()
	if err != nil {
		t.Fatal(err)
	}
	fetched := make(chan error, 1)
	go func() { fetched <- s.Fetch(ctx, func(context.Context) error { return nil }) }()
	select {
	case err := <-fetched:
		t.Fatalf("a fourth download started with three held: %v", err)
	case <-time.After(30 * time.Millisecond):
	}
	held[0].Release()
	if err := <-fetched; err != nil {
		t.Fatal(err)
	}
	// The wait for the window is a queue wait too (the queue_wait metric).
	if w := s.Waited(); w < 30*time.Millisecond {
		t.Errorf("Waited = %v after waiting 30 ms for the window", w)
	}
	s.Release()
	for _, h := range held[1:] {
		h.Release()
	}
	if p.ahead.held != 0 || len(p.admit) != 0 {
		t.Errorf("after every release: %d in the window, %d slots taken", p.ahead.held, len(p.admit))
	}

	// A failed download keeps its place until Release, like a held source.
	s, _ = p.Reserve()
	boom := errors.New("origin down")
	if err := s.Fetch(ctx, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Fetch = %v, want the download's error", err)
	}
	s.Release()
	if p.ahead.held != 0 {
		t.Errorf("a failed fetch left %d in the window", p.ahead.held)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}
