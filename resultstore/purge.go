package resultstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"
)

// PrefixDeleter is a Store whose variants can be dropped by key prefix:
// what a purge needs. Memory, Dir and S3 implement it.
type PrefixDeleter interface {
	// DeletePrefix removes every variant whose key starts with prefix and
	// reports how many it removed. The empty prefix removes everything.
	DeletePrefix(ctx context.Context, prefix string) (int, error)
}

// SourcePrefixes are the key prefixes that cover every variant of one
// source, whatever its chain and format: "<escaped path>/", and, for a
// path so long that Key hashes its variants' keys, the directory part
// those hashed keys keep followed by the hashed marker. The second may
// also cover hashed variants of other long paths in the same directory:
// purging them too is harmless, they are made again on the next miss.
func SourcePrefixes(objectPath string) []string {
	var b strings.Builder
	escapePath(&b, objectPath)
	escaped := b.String()
	prefixes := []string{escaped + "/"}
	var h strings.Builder
	writeHashedDir(&h, escaped, objectPath)
	h.WriteString(hashedMarker)
	if hashed := h.String(); !strings.HasPrefix(hashed, prefixes[0]) {
		prefixes = append(prefixes, hashed)
	}
	return prefixes
}

// PathPrefix is the key prefix that covers the variants of every source
// whose path starts with prefix ("photos/" or "photos/2024-"). Variants
// whose keys were hashed are covered when prefix lies within the leading
// segments those keys keep (the first 512 bytes of the path).
func PathPrefix(prefix string) string {
	if prefix == "" {
		return ""
	}
	dir := strings.HasSuffix(prefix, "/")
	var b strings.Builder
	escapePath(&b, strings.TrimSuffix(prefix, "/"))
	if dir {
		b.WriteByte('/')
	}
	return b.String()
}

// DeletePrefix implements PrefixDeleter.
func (m *Memory) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for key, el := range m.byKey {
		if strings.HasPrefix(key, prefix) {
			m.remove(el)
			n++
		}
	}
	return n, nil
}

// DeletePrefix implements PrefixDeleter. It walks only the directories
// that can hold matching keys, removes the matching files (temporary files
// of writes in progress included, uncounted), then the directories left
// empty.
func (d *Dir) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		start = prefix[:i]
	}
	if _, err := name(start); start != "." && err != nil {
		return 0, err
	}
	var files, dirs []string
	err := fs.WalkDir(d.root.FS(), start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errNotExist(err) {
				return fs.SkipAll // nothing stored under the prefix
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "./")
		if e.IsDir() {
			if p == start || strings.HasPrefix(rel+"/", prefix) || strings.HasPrefix(prefix, rel+"/") {
				if p != "." {
					dirs = append(dirs, p)
				}
				return nil
			}
			return fs.SkipDir
		}
		if inPrefix(rel, prefix) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("resultstore: listing %q: %w", prefix, err)
	}
	n := 0
	for _, f := range files {
		if err := d.root.Remove(f); err != nil && !errNotExist(err) {
			return n, fmt.Errorf("resultstore: removing %s: %w", f, err)
		}
		if !isTemp(path.Base(f)) {
			n++
		}
	}
	// Deepest first; a directory that still holds other keys stays.
	slices.Reverse(dirs)
	for _, dir := range dirs {
		_ = d.root.Remove(dir)
	}
	return n, nil
}

// inPrefix matches a stored file against a key prefix; a temporary file
// matches when the key it is being written under does.
func inPrefix(rel, prefix string) bool {
	if strings.HasPrefix(rel, prefix) {
		return true
	}
	base := path.Base(rel)
	if !isTemp(base) {
		return false
	}
	// ".<name>.<16 hex>.tmp" is being written as <name>.
	target := path.Join(path.Dir(rel), base[1:len(base)-len(".0123456789abcdef.tmp")])
	return strings.HasPrefix(target, prefix)
}

func isTemp(base string) bool {
	return strings.HasPrefix(base, ".") && strings.HasSuffix(base, ".tmp") && len(base) > len("..0123456789abcdef.tmp")
}

func errNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ENAMETOOLONG)
}

// DeletePrefix implements PrefixDeleter: it lists the keys under the
// store's folder and prefix and deletes them in batches. With the wildcard
// bucket ("*"), prefix must start with a bucket name and a "/".
func (s *S3) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	bucket, rest := s.Bucket, prefix
	if s.Bucket == "*" {
		var ok bool
		if bucket, rest, ok = strings.Cut(prefix, "/"); !ok || bucket == "" {
			return 0, fmt.Errorf("resultstore: purging %q from the wildcard bucket needs a path that starts with the bucket", prefix)
		}
	}
	n, err := s.Client.DeletePrefix(ctx, bucket, s.Folder+rest)
	if err != nil {
		return n, fmt.Errorf("resultstore: purging %s/%s: %w", bucket, s.Folder+rest, err)
	}
	return n, nil
}

var (
	_ PrefixDeleter = (*Memory)(nil)
	_ PrefixDeleter = (*Dir)(nil)
	_ PrefixDeleter = (*S3)(nil)
)
