package resultstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDirStoreWithoutOpenat2: where the kernel or a seccomp filter has no
// openat2, reads go through os.Root and the store behaves the same.
func TestDirStoreWithoutOpenat2(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.reads.off.Store(true)
	testStore(t, d)
}

// TestDirFIFOIsNotRead: a FIFO where a variant file should be is a miss
// at once, not a request held open until something writes to it, on the
// openat2 path and through os.Root, for Get and for Stat.
func TestDirFIFOIsNotRead(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		d, root := newDir(t)
		d.reads.off.Store(fallback)
		if err := unix.Mkfifo(filepath.Join(root, "x.webp"), 0o644); err != nil {
			t.Fatal(err)
		}
		for name, read := range map[string]func(context.Context, string) (*Entry, error){"Get": d.Get, "Stat": d.Stat} {
			done := make(chan error, 1)
			go func() { _, err := read(context.Background(), "x.webp"); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("%s (fallback %v) of a FIFO: %v, want ErrNotFound", name, fallback, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s (fallback %v) blocked on a FIFO", name, fallback)
			}
		}
	}
}
