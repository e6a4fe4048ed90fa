package resultstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counted returns a config field for OnDrop and the count it keeps.
func counted() (func(), *atomic.Int64) {
	var n atomic.Int64
	return func() { n.Add(1) }, &n
}

func TestWriteQueueRunsEveryWrite(t *testing.T) {
	onDrop, dropped := counted()
	q := NewWriteQueue(WriteQueueConfig{Workers: 3, Backlog: 100, OnDrop: onDrop})
	var ran atomic.Int32
	for range 50 {
		if !q.Enqueue("w", func(context.Context) error { ran.Add(1); return nil }) {
			t.Fatal("Enqueue refused with room in the backlog")
		}
	}
	q.Close(time.Minute)
	if n := ran.Load(); n != 50 {
		t.Errorf("ran %d writes, want 50", n)
	}
	if d := dropped.Load(); d != 0 {
		t.Errorf("Dropped = %d", d)
	}
}

func TestWriteQueueBounded(t *testing.T) {
	onDrop, dropped := counted()
	q := NewWriteQueue(WriteQueueConfig{Workers: 1, Backlog: 2, OnDrop: onDrop})
	started, release := make(chan struct{}), make(chan struct{})
	q.Enqueue("holds the worker", func(context.Context) error { close(started); <-release; return nil })
	<-started
	noop := func(context.Context) error { return nil }
	for i := range 2 {
		if !q.Enqueue("waits", noop) {
			t.Fatalf("write %d refused with room in the backlog", i+1)
		}
	}
	if q.Enqueue("one too many", noop) {
		t.Error("a full backlog accepted a write")
	}
	if d := dropped.Load(); d != 1 {
		t.Errorf("Dropped = %d, want 1", d)
	}
	close(release)
	q.Close(time.Minute)
	if q.Enqueue("after close", noop) {
		t.Error("a closed queue accepted a write")
	}
	if d := dropped.Load(); d != 2 {
		t.Errorf("Dropped = %d, want 2", d)
	}
}

// Close waits at most its grace period: then the running write is
// cancelled and the waiting one is dropped, not run.
func TestWriteQueueCloseAbandons(t *testing.T) {
	onDrop, dropped := counted()
	q := NewWriteQueue(WriteQueueConfig{Workers: 1, Backlog: 1, OnDrop: onDrop})
	started := make(chan struct{})
	var cancelled atomic.Bool
	q.Enqueue("stuck", func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		cancelled.Store(true)
		return ctx.Err()
	})
	<-started
	var ranSecond atomic.Bool
	q.Enqueue("waiting", func(context.Context) error { ranSecond.Store(true); return nil })
	q.Close(time.Millisecond)
	if !cancelled.Load() {
		t.Error("Close returned before the running write was cancelled")
	}
	if ranSecond.Load() {
		t.Error("a waiting write ran after the grace period")
	}
	if d := dropped.Load(); d != 1 {
		t.Errorf("Dropped = %d, want 1", d)
	}
	q.Close(time.Millisecond) // twice is harmless
}

func TestWriteQueueReportsErrors(t *testing.T) {
	var mu sync.Mutex
	var got []string
	boom := errors.New("store down")
	q := NewWriteQueue(WriteQueueConfig{Workers: 1, OnError: func(name string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if errors.Is(err, boom) {
			got = append(got, name)
		}
	}})
	q.Enqueue("a/b.webp", func(context.Context) error { return boom })
	q.Enqueue("ok", func(context.Context) error { return nil })
	q.Close(time.Minute)
	if len(got) != 1 || got[0] != "a/b.webp" {
		t.Errorf("OnError saw %q", got)
	}
}

func TestWriteQueueTimeout(t *testing.T) {
	q := NewWriteQueue(WriteQueueConfig{Workers: 1, Timeout: time.Millisecond})
	errc := make(chan error, 1)
	q.Enqueue("slow", func(ctx context.Context) error { <-ctx.Done(); errc <- ctx.Err(); return nil })
	if err := <-errc; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("write ctx ended with %v, want its deadline", err)
	}
	q.Close(time.Minute)
}
