package resultstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestGroupCoalesces runs in a synctest bubble: synctest.Wait returns once
// every caller is blocked inside Do, so the work is released only when all
// of them are waiting on it, with no sleep.
func TestGroupCoalesces(t *testing.T) {
	synctest.Test(t, testGroupCoalesces)
}

func testGroupCoalesces(t *testing.T) {
	var g Group
	var calls atomic.Int32
	release := make(chan struct{})
	fn := func(ctx context.Context) (*Entry, error) {
		calls.Add(1)
		<-release
		return &Entry{Body: []byte("v")}, nil
	}
	const n = 10
	var wg sync.WaitGroup
	results := make(chan *Entry, n)
	for range n {
		wg.Go(func() {
			e, _, err := g.Do(context.Background(), "k", fn)
			if err != nil {
				t.Error(err)
			}
			results <- e
		})
	}
	synctest.Wait() // every caller is in Do, blocked on the one running fn
	close(release)
	wg.Wait()
	close(results)
	if c := calls.Load(); c != 1 {
		t.Errorf("fn ran %d times, want 1", c)
	}
	for e := range results {
		if e == nil || string(e.Body) != "v" {
			t.Errorf("caller got %+v", e)
		}
	}
}

// A caller that gives up does not cancel the work the others wait for.
func TestGroupCallerCancel(t *testing.T) {
	var g Group
	release, entered := make(chan struct{}), make(chan struct{})
	var enterOnce sync.Once
	var workCtxErr atomic.Value
	fn := func(ctx context.Context) (*Entry, error) {
		enterOnce.Do(func() { close(entered) })
		<-release
		workCtxErr.Store(ctx.Err() == nil)
		return &Entry{ETag: "x"}, nil
	}
	first, cancel := context.WithCancel(context.Background())
	firstDone := make(chan error)
	go func() { _, _, err := g.Do(first, "k", fn); firstDone <- err }()
	<-entered // the work runs, for the first caller

	secondDone := make(chan *Entry)
	// Whether the second caller joins the running work or starts its own
	// after the release, it must get the entry, and the work must not see
	// the first caller's cancellation.
	go func() { e, _, _ := g.Do(context.Background(), "k", fn); secondDone <- e }()

	cancel()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller got %v, want context.Canceled", err)
	}
	close(release)
	if e := <-secondDone; e == nil || e.ETag != "x" {
		t.Errorf("waiting caller got %+v", e)
	}
	if ok, _ := workCtxErr.Load().(bool); !ok {
		t.Error("the work saw the first caller's cancellation")
	}
}

func TestGroupRecoversPanic(t *testing.T) {
	var g Group
	_, _, err := g.Do(context.Background(), "k", func(context.Context) (*Entry, error) { panic("libvips") })
	if err == nil || !strings.Contains(err.Error(), "panic: libvips") {
		t.Fatalf("Do = %v, want the panic as an error", err)
	}
	// The key is free again afterwards.
	e, _, err := g.Do(context.Background(), "k", func(context.Context) (*Entry, error) { return &Entry{}, nil })
	if err != nil || e == nil {
		t.Fatalf("Do after panic = %v, %v", e, err)
	}
}

func TestGroupError(t *testing.T) {
	var g Group
	boom := errors.New("origin down")
	if _, _, err := g.Do(context.Background(), "k", func(context.Context) (*Entry, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("Do = %v, want %v", err, boom)
	}
}
