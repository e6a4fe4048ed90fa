// Package resultstore keeps transformed variants so that each is computed
// once: a file store (Dir), an S3 store (S3), a bounded in-memory LRU for
// hot variants (Memory), the Store interface they implement, the key scheme
// (Key) shared by all of them, request coalescing (Group), and the bounded
// queue that runs writes after the response (WriteQueue).
//
// Typical use in a handler, after parsing and signature checks:
//
//	key := resultstore.Key(objectPath, canonicalChain, ext)
//	if e, err := memory.Get(ctx, key); err == nil { … serve, "hit; detail=memory" }
//	if e, err := store.Get(ctx, key); err == nil { memory.Put(…); … "hit; detail=storage" }
//	e, _, err := group.Do(ctx, key, func(ctx context.Context) (*resultstore.Entry, error) {
//		e, err := fetchAndTransform(ctx)          // one caller does the work
//		if err == nil {
//			writes.Enqueue(key, func(ctx context.Context) error { return store.Put(ctx, key, e) })
//		}
//		return e, err
//	})
//
// For If-None-Match, Stat answers from metadata without reading the body.
// Errors other than ErrNotFound mean the store is unhealthy: log them and go
// on as on a miss, the request must still succeed.
package resultstore

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Get and Stat when no variant is stored under the
// key (or the stored one is unreadable and must be made again).
var ErrNotFound = errors.New("resultstore: not found")

// Entry is a stored variant and the metadata that serves it without the
// source: Content-Type, the variant's strong ETag, Last-Modified of the
// source, and the source ETag that check_source compares with a fresh stat.
//
// Body is shared, not copied, by the stores in this package: callers must not
// modify it after Put nor modify what Get returns.
type Entry struct {
	Body         []byte
	ContentType  string
	ETag         string // the variant's strong ETag, quoted as sent in headers
	SourceETag   string
	LastModified time.Time
	// Size is the body's length in bytes, so that Stat (which leaves Body
	// nil) can tell it; -1 when the store could not say.
	Size int64
}

// A Store keeps variants under keys made by Key.
type Store interface {
	// Get returns the variant with its body, or an error wrapping
	// ErrNotFound when absent.
	Get(ctx context.Context, key string) (*Entry, error)
	// Stat returns the metadata only (Body nil), so that If-None-Match and
	// check_source are answered without reading the body.
	Stat(ctx context.Context, key string) (*Entry, error)
	// Put stores e under key, replacing any previous variant atomically:
	// readers see the old entry or the new one, never a mix.
	Put(ctx context.Context, key string, e *Entry) error
}

var (
	_ Store = (*Dir)(nil)
	_ Store = (*Memory)(nil)
	_ Store = (*S3)(nil)
)
