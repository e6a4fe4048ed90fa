package resultstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// testStore is the contract every Store implementation must pass (the S3
// store can run it too).
// A store may skip named subtests its test server cannot honour, saying
// why in the caller.
func testStore(t *testing.T, s Store, skip ...string) {
	run := func(name string, f func(t *testing.T)) {
		for _, n := range skip {
			if n == name {
				return
			}
		}
		t.Run(name, f)
	}
	ctx := context.Background()
	lm := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	entry := func(body string) *Entry {
		return &Entry{Body: []byte(body), ContentType: "image/webp", ETag: `"v-` + body + `"`, SourceETag: `"src"`, LastModified: lm}
	}
	keys := []string{
		Key("images/red dress.jpg", "w-300,h-300", "webp"),
		Key("images/red dress.jpg", "", "webp"),
		Key("../../etc/passwd", "w-1", "webp"),
		Key("/abs//x/", "w-1", "webp"),
		Key("нул\x00.jpg", "w-1", "avif"),
		Key(string(bytes.Repeat([]byte("z"), 2000)), "w-1", "png"),
	}

	run("missing", func(t *testing.T) {
		for _, get := range []func(context.Context, string) (*Entry, error){s.Get, s.Stat} {
			if _, err := get(ctx, "never/put.webp"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		}
	})
	run("round trip", func(t *testing.T) {
		for i, k := range keys {
			want := entry(fmt.Sprint("body", i))
			if err := s.Put(ctx, k, want); err != nil {
				t.Fatalf("Put(%q): %v", k, err)
			}
			got, err := s.Get(ctx, k)
			if err != nil {
				t.Fatalf("Get(%q): %v", k, err)
			}
			if !bytes.Equal(got.Body, want.Body) || got.ContentType != want.ContentType || got.ETag != want.ETag ||
				got.SourceETag != want.SourceETag || !got.LastModified.Equal(want.LastModified) {
				t.Fatalf("Get(%q) = %+v, want %+v", k, got, want)
			}
			st, err := s.Stat(ctx, k)
			if err != nil || st.Body != nil || st.ETag != want.ETag || st.SourceETag != want.SourceETag || st.Size != int64(len(want.Body)) {
				t.Fatalf("Stat(%q) = %+v, %v; want metadata and the size without body", k, st, err)
			}
		}
	})
	run("overwrite", func(t *testing.T) {
		k := keys[0]
		if err := s.Put(ctx, k, entry("new")); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, k); err != nil || string(got.Body) != "new" || got.ETag != `"v-new"` {
			t.Fatalf("after overwrite Get = %+v, %v", got, err)
		}
	})
	run("empty body", func(t *testing.T) {
		k := Key("empty.jpg", "", "webp")
		if err := s.Put(ctx, k, &Entry{ContentType: "image/webp", ETag: `"v-empty"`}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, k); err != nil || len(got.Body) != 0 {
			t.Fatalf("Get = %+v, %v", got, err)
		}
	})
	run("cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Put(cctx, keys[1], entry("x")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put = %v, want context.Canceled", err)
		}
		if _, err := s.Get(cctx, keys[1]); !errors.Is(err, context.Canceled) {
			t.Fatalf("Get = %v, want context.Canceled", err)
		}
	})
	run("concurrent writers and readers", func(t *testing.T) {
		k := Key("race.jpg", "w-1", "webp")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				body := bytes.Repeat([]byte{byte('a' + i)}, 1000)
				if err := s.Put(ctx, k, &Entry{Body: body, ETag: fmt.Sprint(i)}); err != nil {
					t.Error(err)
				}
				e, err := s.Get(ctx, k)
				if err != nil {
					t.Error(err)
					return
				}
				// Body and metadata always come from the same Put.
				if len(e.Body) != 1000 || fmt.Sprint(int(e.Body[0]-'a')) != e.ETag || !bytes.Equal(e.Body, bytes.Repeat(e.Body[:1], 1000)) {
					t.Errorf("torn read: etag %q, body %q…", e.ETag, e.Body[:1])
				}
			})
		}
		wg.Wait()
	})
}

func TestDirStore(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	testStore(t, d)
}

func TestMemoryStore(t *testing.T) {
	testStore(t, NewMemory(1<<20))
}
