// Package fileorigin serves objects from a local folder, the origin for
// trying image_cdn without a cloud account. Every open goes through os.Root,
// so no request path can leave the folder: not with "..", not with encoded
// dots (the caller decodes once; what arrives here is taken literally), not
// through a symlink that points outside, not with a NUL byte.
package fileorigin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/image-cdn/image_cdn/origin"
)

// Folder is a local directory used as an origin.
type Folder struct {
	root *os.Root
}

// Open opens dir as an origin. The directory must exist.
func Open(dir string) (*Folder, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("file origin: %w", err)
	}
	return &Folder{root: r}, nil
}

// Close releases the directory handle.
func (f *Folder) Close() error { return f.root.Close() }

// Stat returns an object's metadata.
func (f *Folder) Stat(_ context.Context, key string) (origin.Info, error) {
	file, info, err := f.open(key)
	if err != nil {
		return origin.Info{}, err
	}
	file.Close()
	return info, nil
}

// Get opens an object, or the requested range of it.
func (f *Folder) Get(_ context.Context, key string, opts origin.GetOptions) (*origin.Object, error) {
	file, info, err := f.open(key)
	if err != nil {
		return nil, err
	}
	obj := &origin.Object{Info: info, Body: file}
	if opts.Range != nil {
		span, ok := opts.Range.Resolve(info.Size)
		if !ok {
			file.Close()
			return nil, &origin.Error{Kind: origin.RangeNotSatisfiable, Code: "InvalidRange",
				Err: fmt.Errorf("%s: range outside %d bytes", key, info.Size)}
		}
		if _, err := file.Seek(span.Start, io.SeekStart); err != nil {
			file.Close()
			return nil, &origin.Error{Kind: origin.Unavailable, Code: "EIO", Err: err}
		}
		obj.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(file, span.Length()), file}
		obj.Partial = &span
	}
	return obj, nil
}

func (f *Folder) open(key string) (*os.File, origin.Info, error) {
	name, ok := cleanKey(key)
	if !ok {
		return nil, origin.Info{}, notFound(key, errors.New("invalid path"))
	}
	// O_NONBLOCK: opening a FIFO for reading would wait for a writer and
	// hold the request; it is refused below as not a regular file. Reads
	// of a regular file ignore the flag.
	file, err := f.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || isEscape(err) {
			return nil, origin.Info{}, notFound(key, err)
		}
		if errors.Is(err, fs.ErrPermission) {
			return nil, origin.Info{}, &origin.Error{Kind: origin.Denied, Code: "EACCES", Err: err}
		}
		return nil, origin.Info{}, &origin.Error{Kind: origin.Unavailable, Code: "EIO", Err: err}
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, origin.Info{}, &origin.Error{Kind: origin.Unavailable, Code: "EIO", Err: err}
	}
	if !st.Mode().IsRegular() {
		// Directories and devices are not objects.
		file.Close()
		return nil, origin.Info{}, notFound(key, errors.New("not a regular file"))
	}
	return file, origin.Info{
		Size:         st.Size(),
		ContentType:  mime.TypeByExtension(path.Ext(name)),
		ETag:         etag(st),
		LastModified: st.ModTime().UTC().Truncate(1e9),
	}, nil
}

// cleanKey rejects keys that are not plain relative paths. os.Root would
// refuse an escape anyway; refusing early keeps "a/../b" from quietly
// meaning "b" and gives one answer (404) for every odd path.
func cleanKey(key string) (string, bool) {
	if key == "" || strings.ContainsRune(key, 0) || strings.Contains(key, "\\") {
		return "", false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	return key, true
}

// isEscape recognises os.Root's refusal of a path that leaves the root
// (through ".." or a symlink pointing outside).
func isEscape(err error) bool {
	return err != nil && strings.Contains(err.Error(), "escapes from parent")
}

func notFound(key string, err error) error {
	return &origin.Error{Kind: origin.NotFound, Code: "ENOENT", Err: fmt.Errorf("%s: %w", key, err)}
}

// etag mirrors Caddy's file_server: modification time and size in base 36,
// strong because the bytes cannot change without one of them changing.
func etag(st fs.FileInfo) string {
	return `"` + strconv.FormatInt(st.ModTime().UnixNano(), 36) + strconv.FormatInt(st.Size(), 36) + `"`
}
