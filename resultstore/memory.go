package resultstore

import (
	"container/list"
	"context"
	"fmt"
	"sync"
)

// Memory is a bounded in-memory LRU of variants for hot keys, safe for
// concurrent use. The budget is charged each entry's full cost (see
// entryCost): body, metadata, key and bookkeeping, so that a flood of tiny
// variants cannot hold more memory than the budget says. An entry that
// alone exceeds the budget is not kept, and a budget of zero or less keeps
// nothing (the cache is off).
type Memory struct {
	mu       sync.Mutex
	maxBytes int64
	size     int64                    // sum of entryCost of the entries kept
	order    *list.List               // front = most recently used; values are *memEntry
	byKey    map[string]*list.Element // key → element of order

	// OnEvict, when set before the cache is used, is called for each entry
	// dropped to make room (for metrics). It runs under the cache's lock.
	OnEvict func()
}

type memEntry struct {
	key   string
	entry Entry
}

// entryOverhead approximates what keeping one entry costs beyond its
// strings and body: the list element, the memEntry with its Entry, the
// map slot and the string and slice headers (measured on amd64, rounded
// up).
const entryOverhead = 256

// entryCost is what an entry is charged against the budget.
func entryCost(key string, e *Entry) int64 {
	return int64(len(key)+len(e.Body)+len(e.ContentType)+len(e.ETag)+len(e.SourceETag)) + entryOverhead
}

// NewMemory returns an empty cache whose entries cost at most maxBytes.
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
	e.Size = int64(len(e.Body))
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
	n := entryCost(key, e)
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
		if m.OnEvict != nil {
			m.OnEvict()
		}
	}
	m.byKey[key] = m.order.PushFront(&memEntry{key: key, entry: *e})
	m.size += n
	return nil
}

// Size is the cost of the entries kept, in bytes.
func (m *Memory) Size() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.size
}

func (m *Memory) remove(el *list.Element) {
	me := m.order.Remove(el).(*memEntry)
	delete(m.byKey, me.key)
	m.size -= entryCost(me.key, &me.entry)
}
