package resultstore

import (
	"container/list"
	"context"
	"fmt"
	"sync"
)

// Memory is a bounded in-memory LRU of variants for hot keys, safe for
// concurrent use. The budget counts body bytes only: metadata is small and
// constant per entry. An entry whose body alone exceeds the budget is not
// kept, and a budget of zero or less keeps nothing (the cache is off).
type Memory struct {
	mu       sync.Mutex
	maxBytes int64
	size     int64                    // sum of len(Body) of the entries kept
	order    *list.List               // front = most recently used; values are *memEntry
	byKey    map[string]*list.Element // key → element of order
}

type memEntry struct {
	key   string
	entry Entry
}

// NewMemory returns an empty cache that keeps at most maxBytes of bodies.
func NewMemory(maxBytes int64) *Memory {
	return &Memory{maxBytes: maxBytes, order: list.New(), byKey: map[string]*list.Element{}}
}

// Get implements Store. The returned Body is shared with the cache: do not
// modify it.
func (m *Memory) Get(ctx context.Context, key string) (*Entry, error) {
	return m.get(ctx, key, true)
}

// Stat implements Store; it counts as a use for the LRU order.
func (m *Memory) Stat(ctx context.Context, key string) (*Entry, error) {
	return m.get(ctx, key, false)
}

func (m *Memory) get(ctx context.Context, key string, withBody bool) (*Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("resultstore: %s: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.byKey[key]
	if !ok {
		return nil, fmt.Errorf("resultstore: %s: %w", key, ErrNotFound)
	}
	m.order.MoveToFront(el)
	e := el.Value.(*memEntry).entry // a copy: callers cannot change our metadata
	if !withBody {
		e.Body = nil
	}
	return &e, nil
}

// Put implements Store. The cache keeps e.Body without copying it: the
// caller must not modify it afterwards.
func (m *Memory) Put(ctx context.Context, key string, e *Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("resultstore: %s: %w", key, err)
	}
	n := int64(len(e.Body))
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.byKey[key]; ok {
		// Replaced, or dropped if the new one does not fit: never stale.
		m.remove(el)
	}
	if n > m.maxBytes || m.maxBytes <= 0 {
		return nil
	}
	for m.size+n > m.maxBytes {
		m.remove(m.order.Back())
	}
	m.byKey[key] = m.order.PushFront(&memEntry{key: key, entry: *e})
	m.size += n
	return nil
}

func (m *Memory) remove(el *list.Element) {
	me := m.order.Remove(el).(*memEntry)
	delete(m.byKey, me.key)
	m.size -= int64(len(me.entry.Body))
}

// Len returns the number of entries kept and their total body bytes, for
// metrics.
func (m *Memory) Len() (entries int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len(), m.size
}
