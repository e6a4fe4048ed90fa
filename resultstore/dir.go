package resultstore

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// fileMagic starts every file Dir writes, and names the format version.
const fileMagic = "image_cdn-variant-v1\n"

// maxHeaderBytes bounds the metadata line read before the body.
const maxHeaderBytes = 4 << 10

// Dir stores variants as files under a root directory: the file for key k is
// <root>/k. Each file holds a one-line header, the metadata as one line of
// JSON, then the body, so that body and metadata are replaced together by one
// rename and Stat reads only the first few hundred bytes.
//
// All access goes through an os.Root, so no key and no symbolic link inside
// the tree can reach outside root. Keys must be relative, clean, slash
// separated paths (what Key returns); others are refused with an error.
//
// Writes go to a temporary file beside the target, then are renamed over it.
// They are not fsynced: after a crash a file may be empty or short, which the
// length in the header detects; such a file reads as ErrNotFound and is made
// again.
type Dir struct {
	root  *os.Root
	reads *beneath // the fast path for reads (beneath_linux.go)
}

// NewDir opens (creating it 0o755 if needed) the directory root as a Store.
// Close releases it.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("resultstore: create %s: %w", root, err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("resultstore: open %s: %w", root, err)
	}
	return &Dir{root: r, reads: openBeneath(root)}, nil
}

// Close releases the root directory. The Dir must not be used afterwards.
func (d *Dir) Close() error {
	d.reads.close()
	return d.root.Close()
}

// readFile reads the file n under the root: in one system call where the
// kernel can confine it, through os.Root otherwise.
func (d *Dir) readFile(n string) ([]byte, error) {
	data, err := d.reads.readFile(n)
	if !errors.Is(err, errUnavailable) {
		return data, err
	}
	f, fi, err := d.openRegular(n)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data = make([]byte, fi.Size())
	n2, err := io.ReadFull(f, data)
	if errors.Is(err, io.ErrUnexpectedEOF) { // shorter than it was a moment ago: the header check will say so
		err = nil
	}
	return data[:n2], err
}

// openRegular opens n through the root, refusing anything but a regular
// file. O_NONBLOCK: a FIFO planted in the tree must not hold the request
// at open (reads of a regular file ignore the flag).
func (d *Dir) openRegular(n string) (*os.File, fs.FileInfo, error) {
	f, err := d.root.OpenFile(n, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a regular file: %w", n, fs.ErrNotExist)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// header is the JSON metadata line of a file.
type header struct {
	ContentType  string    `json:"content_type"`
	ETag         string    `json:"etag"`
	SourceETag   string    `json:"source_etag"`
	LastModified time.Time `json:"last_modified"`
	Size         int       `json:"size"`
}

// name validates key and returns it as a path relative to the root.
func name(key string) (string, error) {
	if key == "" || key == "." || strings.IndexByte(key, 0) >= 0 || !filepath.IsLocal(key) ||
		path.Clean(key) != key || strings.Contains(key, `\`) {
		return "", fmt.Errorf("resultstore: key %q is not a clean relative path", key)
	}
	return filepath.FromSlash(key), nil
}

// Get implements Store.
func (d *Dir) Get(ctx context.Context, key string) (*Entry, error) {
	n, err := d.open(ctx, key)
	if err != nil {
		return nil, err
	}
	data, err := d.readFile(n)
	if err != nil {
		return nil, notFound(key, err)
	}
	h, off, err := parseHeader(data)
	if err == nil && len(data)-off != h.Size {
		err = errors.New("truncated body")
	}
	if err != nil {
		return nil, corrupt(key, err)
	}
	e := h.entry()
	e.Body = data[off:]
	return e, nil
}

// Stat implements Store; it reads the header only.
func (d *Dir) Stat(ctx context.Context, key string) (*Entry, error) {
	n, err := d.open(ctx, key)
	if err != nil {
		return nil, err
	}
	f, fi, err := d.openRegular(n)
	if err != nil {
		return nil, notFound(key, err)
	}
	defer f.Close()
	buf := make([]byte, min(fi.Size(), int64(headerBuf)))
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, corrupt(key, err)
	}
	h, off, err := parseHeader(buf)
	if err == nil && fi.Size()-int64(off) != int64(h.Size) {
		err = errors.New("truncated body")
	}
	if err != nil {
		return nil, corrupt(key, err)
	}
	return h.entry(), nil
}

// Put implements Store. It creates the directories of key as needed (0o755)
// and the file 0o644, both subject to the umask.
func (d *Dir) Put(ctx context.Context, key string, e *Entry) error {
	n, err := d.open(ctx, key)
	if err != nil {
		return err
	}
	hdr, err := json.Marshal(header{
		ContentType:  e.ContentType,
		ETag:         e.ETag,
		SourceETag:   e.SourceETag,
		LastModified: e.LastModified,
		Size:         len(e.Body),
	})
	if err != nil {
		return fmt.Errorf("resultstore: encode metadata of %s: %w", key, err)
	}
	if len(hdr) >= maxHeaderBytes {
		return fmt.Errorf("resultstore: metadata of %s is over %d bytes", key, maxHeaderBytes)
	}
	if dir := filepath.Dir(n); dir != "." {
		if err := d.root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("resultstore: create directory for %s: %w", key, err)
		}
	}

	// The temporary name stays in the same directory so the rename is atomic,
	// starts with "." so listings skip it, and fits the 255-byte name limit
	// because Key keeps segments to 200 bytes.
	var rnd [8]byte
	_, _ = rand.Read(rnd[:]) // crypto/rand.Read never fails
	tmp := filepath.Join(filepath.Dir(n), "."+filepath.Base(n)+"."+hex.EncodeToString(rnd[:])+".tmp")
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("resultstore: create temporary file for %s: %w", key, err)
	}
	werr := writeFile(f, hdr, e.Body)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = d.root.Rename(tmp, n)
	}
	if werr != nil {
		_ = d.root.Remove(tmp)
		return fmt.Errorf("resultstore: write %s: %w", key, werr)
	}
	return nil
}

func writeFile(w io.Writer, hdr, body []byte) error {
	bw := bufio.NewWriterSize(w, headerBuf)
	bw.WriteString(fileMagic)
	bw.Write(hdr)
	bw.WriteByte('\n')
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(body)
	return err
}

// open checks the context and maps key to a name under the root.
func (d *Dir) open(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("resultstore: %s: %w", key, err)
	}
	return name(key)
}

// headerBuf holds the magic and the longest metadata line.
const headerBuf = len(fileMagic) + maxHeaderBytes

// parseHeader reads the magic and the metadata line at the start of b
// (the whole file, or at least its first headerBuf bytes), and returns how
// many bytes they took: the body starts there.
func parseHeader(b []byte) (header, int, error) {
	var h header
	rest, ok := bytes.CutPrefix(b, []byte(fileMagic))
	if !ok {
		return h, 0, errors.New("not a variant file")
	}
	end := bytes.IndexByte(rest[:min(len(rest), maxHeaderBytes)], '\n')
	if end < 0 {
		return h, 0, errors.New("metadata line: no end within the limit")
	}
	line := rest[:end+1]
	if err := json.Unmarshal(line, &h); err != nil {
		return h, 0, fmt.Errorf("metadata: %w", err)
	}
	if h.Size < 0 {
		return h, 0, errors.New("negative size")
	}
	return h, len(fileMagic) + len(line), nil
}

func (h *header) entry() *Entry {
	return &Entry{
		ContentType:  h.ContentType,
		ETag:         h.ETag,
		SourceETag:   h.SourceETag,
		LastModified: h.LastModified,
		Size:         int64(h.Size),
	}
}

// corrupt reports an unreadable file as a miss so that the variant is made
// and stored again, which repairs it.
func corrupt(key string, err error) error {
	return fmt.Errorf("resultstore: %s: corrupt entry (%v): %w", key, err, ErrNotFound)
}

// notFound maps the errors of a missing file (including a file where a
// directory of the key was expected, and the reverse) to ErrNotFound.
func notFound(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return fmt.Errorf("resultstore: %s: %w", key, ErrNotFound)
	}
	return fmt.Errorf("resultstore: read %s: %w", key, err)
}
