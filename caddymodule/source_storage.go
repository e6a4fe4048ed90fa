package caddymodule

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/resultstore"
)

func init() {
	caddy.RegisterModule(FileSourceStorage{})
	caddy.RegisterModule(S3SourceStorage{})
}

// FileSourceStorage keeps originals fetched from remote origins in a local
// directory: `source_storage file <dir>`. Same settings as result_storage
// file.
type FileSourceStorage struct{ FileResultStorage }

// CaddyModule returns the Caddy module information.
func (FileSourceStorage) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn.source_storage.file",
		New: func() caddy.Module { return new(FileSourceStorage) },
	}
}

// S3SourceStorage keeps originals fetched from remote origins in an
// S3-compatible bucket (imagor's S3_STORAGE_*): `source_storage s3 { … }`,
// with the settings of result_storage s3 (bucket or *, folder, acl,
// endpoint, region, credentials).
type S3SourceStorage struct{ S3ResultStorage }

// CaddyModule returns the Caddy module information.
func (S3SourceStorage) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn.source_storage.s3",
		New: func() caddy.Module { return new(S3SourceStorage) },
	}
}

// sourceKey is where an original is kept: beside its variants' keys in
// resultstore's scheme (so a purge of the object's prefix drops it too),
// under a chain no transformation can spell.
func sourceKey(objectPath string) string {
	return resultstore.Key(objectPath, "", "original")
}

// sourceStore is source storage seen as the first origin of the
// preference list. It never fails a request: a missing, unreadable or
// failing store is a miss, and the next origins are asked.
type sourceStore struct {
	store  resultstore.Store
	logger *zap.Logger
	// held bounds the bytes of originals waiting to be written (copied
	// from a stream, or queued): past it, an original is not kept.
	held byteBudget
}

// sourceBufferBytes is how many bytes of originals a handler holds for
// source storage at once, whatever the number of requests.
const sourceBufferBytes = 256 << 20

// byteBudget is a non-blocking counting limit.
type byteBudget struct {
	max  int64
	used atomic.Int64
}

// take reserves n bytes, or reports false when that would pass max.
func (b *byteBudget) take(n int64) bool {
	for {
		u := b.used.Load()
		if n < 0 || u+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

func (b *byteBudget) give(n int64) { b.used.Add(-n) }

func (s *sourceStore) Name() string { return "source_storage" }

// Stat asks the store for the copy's metadata only (a HEAD on S3, a
// header read on a folder): a stat never reads the stored original.
func (s *sourceStore) Stat(ctx context.Context, key string) (origin.Info, error) {
	e, err := s.store.Stat(ctx, sourceKey(key))
	if err != nil {
		return origin.Info{}, s.miss(key, err)
	}
	return origin.Info{Size: e.Size, ContentType: e.ContentType, ETag: e.ETag, LastModified: e.LastModified}, nil
}

// miss turns a store failure into the not-found that sends the request on
// to the origins; a failure other than absence is logged.
func (s *sourceStore) miss(key string, err error) error {
	if !errors.Is(err, resultstore.ErrNotFound) {
		s.logger.Warn("source storage read failed; asking the origins", zap.String("key", key), zap.Error(err))
	}
	return &origin.Error{Kind: origin.NotFound, Code: "ENOENT", Err: err}
}

func (s *sourceStore) Get(ctx context.Context, key string, opts origin.GetOptions) (*origin.Object, error) {
	e, err := s.store.Get(ctx, sourceKey(key))
	if err != nil {
		return nil, s.miss(key, err)
	}
	size := int64(len(e.Body))
	obj := &origin.Object{Info: origin.Info{Size: size, ContentType: e.ContentType, ETag: e.ETag, LastModified: e.LastModified}}
	body := e.Body
	if opts.Range != nil {
		span, ok := opts.Range.Resolve(size)
		if !ok {
			return nil, &origin.Error{Kind: origin.RangeNotSatisfiable, Code: "InvalidRange", Err: errors.New("range outside the object")}
		}
		obj.Partial, body = &span, body[span.Start:span.End+1]
	}
	obj.Body = io.NopCloser(bytes.NewReader(body))
	return obj, nil
}

// provisionSourceStorage loads source_storage and puts it first in the
// preference list.
func (h *Handler) provisionSourceStorage(ctx caddy.Context) error {
	if h.SourceStorageRaw == nil {
		return nil
	}
	mod, err := ctx.LoadModule(h, "SourceStorageRaw")
	if err != nil {
		return fmt.Errorf("loading source_storage: %w", err)
	}
	store, ok := mod.(resultstore.Store)
	if !ok {
		return fmt.Errorf("source_storage: module %T is not a store", mod)
	}
	h.sources = &sourceStore{store: store, logger: h.logger, held: byteBudget{max: sourceBufferBytes}}
	h.origins = append([]Origin{h.sources}, h.origins...)
	return nil
}

// keepsSource reports whether an object served by origin i should be
// copied into source storage: it came from a remote origin.
func (h *Handler) keepsSource(i int) bool {
	return h.sources != nil && i < len(h.origins) && isRemote(h.origins[i])
}

// keepable says whether an original of n bytes may be kept: at most
// max_source_bytes, and at most what a store reads back
// (resultstore.MaxS3Variant); a larger copy would be written again on
// every request and never read.
func (h *Handler) keepable(n int64) bool {
	return n <= h.processor.Limits().MaxSourceBytes && n <= resultstore.MaxS3Variant
}

// keepSource writes an original into source storage after the response,
// through the bounded write queue, when the bytes it holds fit the
// handler's buffer; a failure is only logged.
func (h *Handler) keepSource(key string, info origin.Info, body []byte) {
	if n := int64(len(body)); h.keepable(n) && h.sources.held.take(n) {
		h.keepReserved(key, info, body, n)
	}
}

// keepReserved is keepSource for n bytes already taken from the buffer;
// they are given back once written or dropped.
func (h *Handler) keepReserved(key string, info origin.Info, body []byte, n int64) {
	e := &resultstore.Entry{Body: body, ContentType: info.ContentType, ETag: info.ETag, SourceETag: info.ETag, LastModified: info.LastModified}
	k := sourceKey(key)
	queued := h.writes.Enqueue(k, func(ctx context.Context) error {
		defer h.sources.held.give(n)
		return h.sources.store.Put(ctx, k, e)
	})
	if !queued {
		h.sources.held.give(n)
	}
}

// sourceCopy collects a streamed original for source storage, within the
// bytes reserved for it.
type sourceCopy struct {
	buf   bytes.Buffer
	limit int64
	over  bool
}

func (c *sourceCopy) Write(p []byte) (int, error) {
	if !c.over && int64(c.buf.Len()+len(p)) <= c.limit {
		c.buf.Write(p)
	} else {
		c.over = true
		c.buf = bytes.Buffer{}
	}
	return len(p), nil
}

// streamKeeping streams a whole original from a remote origin to the
// client and keeps a copy for source storage on the way, when its length
// is known, within max_source_bytes and the handler's buffer; otherwise
// it only streams.
func (h *Handler) streamKeeping(w http.ResponseWriter, key string, obj *origin.Object) {
	size := obj.Size
	if size < 0 || !h.keepable(size) || !h.sources.held.take(size) {
		h.stream(w, obj.Body, size, key)
		return
	}
	c := &sourceCopy{limit: size}
	c.buf.Grow(int(size))
	if h.stream(w, io.TeeReader(obj.Body, c), size, key) && !c.over && int64(c.buf.Len()) == size {
		h.keepReserved(key, obj.Info, c.buf.Bytes(), size)
		return
	}
	h.sources.held.give(size)
}

// Interface guard: source storage is an origin (the first one).
var _ Origin = (*sourceStore)(nil)
