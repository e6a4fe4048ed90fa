package resultstore

import (
	"context"
	"fmt"

	"golang.org/x/sync/singleflight"
)

// Group coalesces concurrent work for the same variant: while one call for a
// key is running, later calls for that key wait for its result instead of
// fetching and transforming the source again. The zero value is ready to use.
//
// Keyed by the storage key (Key), so two requests coalesce exactly when they
// would store the same object. Put the whole miss path inside fn: fetch,
// transform, and start the (asynchronous) Put to the result store, so that it
// happens once per variant too.
type Group struct {
	sf singleflight.Group
}

// Do runs fn once for all concurrent callers with the same key and returns
// its result to each of them; shared reports whether the result went to more
// than one caller.
//
// fn receives a context that keeps the values of the first caller's ctx but
// not its cancellation: one client going away must not fail the others that
// wait on the same work. fn must bound its own run time (a timeout from the
// handler's configuration). A caller whose own ctx ends stops waiting and gets
// ctx's error; the work goes on for the others.
//
// A panic in fn is recovered and returned as an error to every caller,
// rather than crashing the process from singleflight's goroutine.
//
// The Entry is shared by all callers: none may modify it.
func (g *Group) Do(ctx context.Context, key string, fn func(ctx context.Context) (*Entry, error)) (e *Entry, shared bool, err error) {
	work := context.WithoutCancel(ctx)
	ch := g.sf.DoChan(key, func() (v any, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("resultstore: making %s: panic: %v", key, r)
			}
		}()
		return fn(work)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Shared, res.Err
		}
		e, _ := res.Val.(*Entry)
		return e, res.Shared, nil
	case <-ctx.Done():
		return nil, false, fmt.Errorf("resultstore: waiting for %s: %w", key, ctx.Err())
	}
}
