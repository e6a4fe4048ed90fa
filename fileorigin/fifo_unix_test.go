//go:build unix

package fileorigin

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/image-cdn/image_cdn/origin"
)

// TestFolderFIFOIsNotFound: a FIFO in the folder is not an object, and
// asking for it answers at once instead of waiting for a writer.
func TestFolderFIFOIsNotFound(t *testing.T) {
	root := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(root, "pipe.jpg"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	done := make(chan error, 2)
	go func() { _, err := f.Stat(context.Background(), "pipe.jpg"); done <- err }()
	go func() { _, err := f.Get(context.Background(), "pipe.jpg", origin.GetOptions{}); done <- err }()
	for range 2 {
		select {
		case err := <-done:
			var oe *origin.Error
			if !errors.As(err, &oe) || oe.Kind != origin.NotFound {
				t.Errorf("FIFO: %v, want not found", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("asking for a FIFO blocked")
		}
	}
}
