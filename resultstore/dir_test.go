package resultstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newDir(t *testing.T) (*Dir, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "results") // created by NewDir
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, root
}

func TestDirRefusesEscapingKeys(t *testing.T) {
	d, root := newDir(t)
	outside := filepath.Dir(root)
	ctx := context.Background()
	for _, key := range []string{
		"", ".", "..", "../x", "a/../../x", "/etc/x", "a//b", "a/./b", "a/", "./a", `..\x`, "a\x00b",
	} {
		if err := d.Put(ctx, key, &Entry{Body: []byte("x")}); err == nil {
			t.Errorf("Put(%q) succeeded, want an error", key)
		}
		if _, err := d.Get(ctx, key); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) = %v, want a key error", key, err)
		}
	}
	// Nothing was written beside the root.
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		t.Errorf("files appeared outside the root: %v", entries)
	}
}

func TestDirDoesNotFollowSymlinksOut(t *testing.T) {
	d, root := newDir(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatalf("making the symlink fixture: %v", err) // Linux temp dirs always allow symlinks
	}
	if err := d.Put(context.Background(), "link/x.webp", &Entry{Body: []byte("x")}); err == nil {
		t.Error("Put through a symlink leaving the root succeeded")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("wrote outside the root: %v", entries)
	}

	// Reads too: a valid variant file outside, behind the link, is a miss;
	// a link that stays inside the root is followed.
	other, otherRoot := newDir(t)
	ctx := context.Background()
	if err := other.Put(ctx, "x.webp", &Entry{Body: []byte("outside"), ContentType: "image/webp"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(otherRoot, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, read := range []func(context.Context, string) (*Entry, error){d.Get, d.Stat} {
		if e, err := read(ctx, "link/x.webp"); err == nil {
			t.Errorf("read through a symlink leaving the root: %+v, want an error", e)
		}
	}
	if err := d.Put(ctx, "in/x.webp", &Entry{Body: []byte("inside")}); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("in", filepath.Join(root, "inlink")); err != nil {
		t.Fatal(err)
	}
	if e, err := d.Get(ctx, "inlink/x.webp"); err != nil || string(e.Body) != "inside" {
		t.Errorf("read through a symlink inside the root: %v, %v", e, err)
	}
}

func TestDirLayout(t *testing.T) {
	d, root := newDir(t)
	key := Key("images/red dress.jpg", "w-300,h-300", "webp")
	if err := d.Put(context.Background(), key, &Entry{Body: []byte("body"), ContentType: "image/webp"}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "images", "red dress.jpg", "w-300,h-300.webp")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatalf("variant not at the readable path: %v", err)
	}
	umask := os.FileMode(0o022) // the usual umask; stricter ones only remove bits
	if fi.Mode().Perm()|umask != 0o644|umask {
		t.Errorf("file mode %v, want 0644", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(file))
	if di.Mode().Perm()|umask != 0o755|umask {
		t.Errorf("directory mode %v, want 0755", di.Mode().Perm())
	}
	data, _ := os.ReadFile(file)
	if !strings.HasPrefix(string(data), fileMagic) || !strings.HasSuffix(string(data), "\nbody") {
		t.Errorf("file = %q, want magic, metadata line, body", data)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("directory holds %v, want only the variant", entries)
	}
}

func TestDirCorruptFilesAreMisses(t *testing.T) {
	d, root := newDir(t)
	ctx := context.Background()
	key := "a.jpg/w-1.webp"
	if err := d.Put(ctx, key, &Entry{Body: []byte("0123456789")}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "a.jpg", "w-1.webp")
	good, _ := os.ReadFile(file)
	for name, content := range map[string]string{
		"empty":          "",
		"truncated body": string(good[:len(good)-1]),
		"longer body":    string(good) + "x",
		"no metadata":    fileMagic,
		"bad json":       fileMagic + "{\n",
		"foreign file":   "GIF89a...",
	} {
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Get(ctx, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: Get = %v, want ErrNotFound", name, err)
		}
		if _, err := d.Stat(ctx, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: Stat = %v, want ErrNotFound", name, err)
		}
	}
	// Storing again repairs it.
	if err := d.Put(ctx, key, &Entry{Body: []byte("ok")}); err != nil {
		t.Fatal(err)
	}
	if e, err := d.Get(ctx, key); err != nil || string(e.Body) != "ok" {
		t.Fatalf("after repair Get = %v, %v", e, err)
	}
}

// An object "x" and an object "x/a.jpg" can coexist in a bucket; on disk the
// variant file of one may sit where the other needs a directory. That Put
// fails (the request still succeeds) and reads are misses, never wrong data.
func TestDirFileDirectoryConflict(t *testing.T) {
	d, _ := newDir(t)
	ctx := context.Background()
	fileKey := Key("x", "a", "jpg") // x/a.jpg
	dirKey := Key("x/a.jpg", "w-1", "webp")
	if err := d.Put(ctx, fileKey, &Entry{Body: []byte("f")}); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, dirKey, &Entry{Body: []byte("d")}); err == nil {
		t.Error("Put under a file succeeded")
	}
	for _, get := range []func(context.Context, string) (*Entry, error){d.Get, d.Stat} {
		if _, err := get(ctx, dirKey); !errors.Is(err, ErrNotFound) {
			t.Errorf("read under a file = %v, want ErrNotFound", err)
		}
		if _, err := get(ctx, "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("read of a directory = %v, want ErrNotFound", err)
		}
	}
}
