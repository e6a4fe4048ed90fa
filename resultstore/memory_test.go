package resultstore

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMemoryLRU(t *testing.T) {
	ctx := context.Background()
	body := func(n int) *Entry { return &Entry{Body: []byte(strings.Repeat("x", n))} }
	// c is the cost of an entry with a one-letter key and an n-byte body.
	c := func(n int64) int64 { return entryOverhead + 1 + n }
	has := func(m *Memory, key string) bool {
		_, err := m.Get(ctx, key)
		return !errors.Is(err, ErrNotFound)
	}

	tests := []struct {
		name     string
		max      int64
		run      func(m *Memory)
		present  []string
		absent   []string
		wantSize int64
	}{
		{
			name: "evicts least recently used",
			max:  3 * c(10),
			run: func(m *Memory) {
				m.Put(ctx, "a", body(10))
				m.Put(ctx, "b", body(10))
				m.Put(ctx, "c", body(10))
				m.Get(ctx, "a") // a is now newer than b
				m.Put(ctx, "d", body(10))
			},
			present: []string{"a", "c", "d"}, absent: []string{"b"}, wantSize: 3 * c(10),
		},
		{
			name: "stat counts as a use",
			max:  2 * c(10),
			run: func(m *Memory) {
				m.Put(ctx, "a", body(10))
				m.Put(ctx, "b", body(10))
				m.Stat(ctx, "a")
				m.Put(ctx, "c", body(10))
			},
			present: []string{"a", "c"}, absent: []string{"b"}, wantSize: 2 * c(10),
		},
		{
			name: "evicts as many as needed",
			max:  c(10) + c(25) - 1,
			run: func(m *Memory) {
				m.Put(ctx, "a", body(10))
				m.Put(ctx, "b", body(10))
				m.Put(ctx, "c", body(25))
			},
			present: []string{"c"}, absent: []string{"a", "b"}, wantSize: c(25),
		},
		{
			name:    "bigger than the budget is not kept",
			max:     c(10),
			run:     func(m *Memory) { m.Put(ctx, "a", body(5)); m.Put(ctx, "big", body(11)) },
			present: []string{"a"}, absent: []string{"big"}, wantSize: c(5),
		},
		{
			name:    "replacing by a too big entry drops the old one",
			max:     c(10),
			run:     func(m *Memory) { m.Put(ctx, "a", body(5)); m.Put(ctx, "a", body(11)) },
			present: nil, absent: []string{"a"}, wantSize: 0,
		},
		{
			name:    "replacing updates the size",
			max:     c(10),
			run:     func(m *Memory) { m.Put(ctx, "a", body(5)); m.Put(ctx, "a", body(8)) },
			present: []string{"a"}, wantSize: c(8),
		},
		{
			name:    "zero budget keeps nothing",
			max:     0,
			run:     func(m *Memory) { m.Put(ctx, "a", body(0)) },
			present: nil, absent: []string{"a"}, wantSize: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory(tt.max)
			tt.run(m)
			if size := m.size; size != tt.wantSize {
				t.Errorf("size = %d, want %d", size, tt.wantSize)
			}
			for _, k := range tt.present {
				if !has(m, k) {
					t.Errorf("%q evicted, want kept", k)
				}
			}
			for _, k := range tt.absent {
				if has(m, k) {
					t.Errorf("%q kept, want evicted", k)
				}
			}
		})
	}
}

func TestMemoryReturnsCopies(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(1 << 10)
	m.Put(ctx, "a", &Entry{Body: []byte("x"), ETag: "1"})
	e, _ := m.Get(ctx, "a")
	e.ETag = "changed"
	if again, _ := m.Get(ctx, "a"); again.ETag != "1" {
		t.Errorf("metadata changed through a returned entry: %q", again.ETag)
	}
}

// TestMemoryChargesMetadata checks that a flood of tiny variants with long
// keys and tags is bounded by the budget too, not only their bodies.
func TestMemoryChargesMetadata(t *testing.T) {
	ctx := context.Background()
	const budget = 64 << 10
	m := NewMemory(budget)
	long := strings.Repeat("k", 900)
	for i := range 1000 {
		e := &Entry{Body: []byte("x"), ContentType: "image/webp", ETag: `"` + strings.Repeat("e", 32) + `"`, SourceETag: `"src"`}
		m.Put(ctx, long+string(rune('a'+i%26))+strings.Repeat("z", i/26), e)
	}
	if m.size > budget {
		t.Errorf("charged %d bytes, over the %d budget", m.size, budget)
	}
	if n := m.order.Len(); n*(900+1+entryOverhead) > budget {
		t.Errorf("kept %d entries of ~%d bytes each in a %d budget", n, 900+entryOverhead, budget)
	}
}
