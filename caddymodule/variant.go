package caddymodule

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/resultstore"
	"github.com/image-cdn/image_cdn/transform"
)

// processors shares transformation pools between handlers with the same
// sizing and across config reloads, so that reloading does not briefly
// double the number of libvips workers.
var processors = caddy.NewUsagePool()

type pooledProcessor struct{ *transform.Processor }

func (pooledProcessor) Destruct() error { return nil }

// sharedProcessor returns the pool for cfg and the key to release it
// with. The key is the configuration as written: two handlers share a
// pool exactly when they ask for the same one.
func sharedProcessor(cfg transform.Config) (*transform.Processor, string, error) {
	key := fmt.Sprintf("processor:%+v", cfg)
	v, _, err := processors.LoadOrNew(key, func() (caddy.Destructor, error) {
		return pooledProcessor{transform.NewProcessor(cfg)}, nil
	})
	if err != nil {
		return nil, "", err
	}
	return v.(pooledProcessor).Processor, key, nil
}

// parseChain reads the path and query chains and checks them against the
// request budget; nil means no transformation.
func (h *Handler) parseChain(req *request) (*transform.Chain, error) {
	if !req.hasTransform() {
		return nil, nil
	}
	if req.hasPathChain && req.pathChain == "" || req.hasQueryChain && req.queryChain == "" {
		return nil, badRequest("ETRANSFORM", errors.New("empty transformation: give at least one parameter, e.g. tr:w-300"))
	}
	chain, err := transform.Parse(req.pathChain, req.queryChain, transform.ParseOptions{Named: h.Named, RestrictUnnamed: h.RestrictUnnamed})
	if err != nil {
		return nil, fromTransform(err)
	}
	// The request budget (max_steps, max_cost) is decided here, before
	// anything is fetched.
	if err := transform.CheckBudget(chain, h.processor.Limits()); err != nil {
		return nil, fromTransform(err)
	}
	return chain, nil
}

// variant is one requested output: the object, the chain and the format.
type variant struct {
	req        *request
	chain      *transform.Chain
	canonical  string
	format     transform.Format
	negotiated bool
	// storeKey names the variant in memory and result storage.
	storeKey string
	// source is the object's metadata when it was stat'ed, and from is the
	// index of the origin that has it.
	source *origin.Info
	from   int
}

// notModifiedAtSource answers a conditional request that no cache could
// answer from the source's metadata alone: a 304 needs no download and no
// transformation. It reports whether it answered.
func (h *Handler) notModifiedAtSource(w http.ResponseWriter, r *http.Request, v *variant) (bool, error) {
	if v.source == nil && hasConditions(r) {
		info, i, err := h.stat(r.Context(), v.req.key)
		if err != nil {
			return false, err
		}
		v.source, v.from = &info, i
	}
	if v.source == nil {
		return false, nil
	}
	etag := variantETag(v.source.ETag, v.canonical, v.format)
	if evaluate(r, etag, v.source.LastModified) != notModified {
		return false, nil
	}
	h.setVariantHeaders(w, v, &resultstore.Entry{ETag: etag, LastModified: v.source.LastModified}, "fwd=miss")
	writeNotModified(w)
	return true, nil
}

// missStatus is the Cache-Status of a variant made for this request.
func (h *Handler) missStatus() string {
	if h.storage != nil || h.memory != nil {
		return "fwd=miss; stored"
	}
	return "fwd=miss"
}

// resolveVariant decides the output format and the storage key. The source
// is stat'ed first only when something needs its metadata before the
// caches are asked: check_source, a name without a known image extension,
// or a conditional request with no cache to answer it.
func (h *Handler) resolveVariant(r *http.Request, req *request, chain *transform.Chain) (*variant, error) {
	v := &variant{req: req, chain: chain, canonical: chain.Canonical()}
	sourceType := startType(req, "")
	if h.CheckSource || !transform.IsImageType(sourceType) || (h.storage == nil && h.memory == nil && hasConditions(r)) {
		info, i, err := h.stat(r.Context(), req.key)
		if err != nil {
			return nil, err
		}
		v.source, v.from = &info, i
		sourceType = startType(req, info.ContentType)
		if !transform.IsImageType(sourceType) {
			return nil, notAnImage(sourceType)
		}
	}
	f, negotiated, err := chain.OutputFormat(sourceType, r.Header.Get("Accept"), h.AVIF)
	if err != nil {
		return nil, fromTransform(err)
	}
	v.format, v.negotiated = f, negotiated
	v.storeKey = resultstore.Key(req.key, v.canonical, strings.TrimPrefix(f.Ext(), "."))
	return v, nil
}

// lookup asks the memory cache, then result storage, and says which
// answered. A conditional request that storage can answer from metadata
// never reads the stored body. A failing store reads as a miss.
func (h *Handler) lookup(r *http.Request, v *variant) (*resultstore.Entry, source) {
	ctx := r.Context()
	fresh := func(e *resultstore.Entry) bool {
		return !h.CheckSource || v.source == nil || e.SourceETag == v.source.ETag
	}
	if h.memory != nil {
		e, err := h.memory.Get(ctx, v.storeKey)
		hit := err == nil && fresh(e)
		h.metrics.lookedUp(sourceMemory, hit)
		if hit {
			return e, sourceMemory
		}
	}
	if h.storage == nil {
		return nil, sourceNone
	}
	if r.Header.Get("If-None-Match") != "" {
		e, err := h.storage.Stat(ctx, v.storeKey)
		if err == nil && fresh(e) && evaluate(r, e.ETag, e.LastModified) == notModified {
			h.metrics.lookedUp(sourceStorage, true)
			return e, sourceStorage
		}
		h.logStoreError("stat", v.storeKey, err)
		if err != nil || !fresh(e) {
			// Absent, stale or unreadable: a Get could only miss too.
			h.metrics.lookedUp(sourceStorage, false)
			return nil, sourceNone
		}
	}
	e, err := h.storage.Get(ctx, v.storeKey)
	h.metrics.lookedUp(sourceStorage, err == nil && fresh(e))
	if err != nil {
		h.logStoreError("get", v.storeKey, err)
		return nil, sourceNone
	}
	if !fresh(e) {
		return nil, sourceNone
	}
	if h.memory != nil {
		_ = h.memory.Put(ctx, v.storeKey, e)
	}
	return e, sourceStorage
}

// render fetches the source and transforms it. It runs once per variant
// however many requests wait for it (resultstore.Group), and stores the
// result in memory now and, through the bounded write queue, in result
// storage after the response.
func (h *Handler) render(ctx context.Context, v *variant) (*resultstore.Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, h.transformTimeout())
	defer cancel()
	// A queue place before the download: under a flood, memory holds at
	// most workers + queue sources, and the rest get 503 at once.
	slot, err := h.processor.Reserve()
	if err != nil {
		return nil, fromTransform(err)
	}
	defer slot.Release()

	var src sourceBytes
	defer func() { src.release() }()
	var info origin.Info
	var fetchErr error
	fetchStart := time.Now()
	if err := slot.Fetch(ctx, func(ctx context.Context) error {
		src, info, fetchErr = h.fetchSource(ctx, v)
		return fetchErr
	}); err != nil {
		if fetchErr != nil {
			return nil, fetchFailure(fetchErr, ctx.Err(), slot.Waited(), time.Since(fetchStart))
		}
		return nil, fromTransform(err) // waited past transform_timeout for a turn, or the client left
	}
	waitedToFetch, start := slot.Waited(), time.Now()
	res, err := slot.ProcessWith(ctx, src.body, v.chain, v.format, transform.Options{Sources: layerSources{h, v.req}})
	waited := slot.Waited() // the fetch-ahead window's wait and the worker's
	h.metrics.transformed(v.format, time.Since(start)-(waited-waitedToFetch), waited, err)
	if err != nil {
		return nil, fromTransform(err)
	}
	e := &resultstore.Entry{
		Body:         res.Body,
		ContentType:  v.format.ContentType(),
		ETag:         variantETag(info.ETag, v.canonical, v.format),
		SourceETag:   info.ETag,
		LastModified: info.LastModified,
	}
	if isPrivate(info) {
		// Never cached: a cache hit is served before any origin is asked,
		// so it could not tell a private source from a public one.
		return e, nil
	}
	if h.memory != nil {
		_ = h.memory.Put(ctx, v.storeKey, e)
	}
	if h.storage != nil {
		// After the response, never before it; a failing store only logs,
		// a full queue only counts a drop.
		h.writes.Enqueue(v.storeKey, func(ctx context.Context) error {
			return h.metrics.stored(len(e.Body), h.storage.Put(ctx, v.storeKey, e))
		})
	}
	return e, nil
}

// fetchFailure is the answer to a failed source download. When the
// request's own deadline (transform_timeout) ended it, and most of that time
// went into waiting for a turn to fetch, the server was busy, not the
// origin slow: that is the deadline's 503 with Retry-After, not a 504 that
// blames the origin.
func fetchFailure(fetchErr, ctxErr error, waited, total time.Duration) error {
	if errors.Is(ctxErr, context.DeadlineExceeded) && waited > total-waited {
		return fromTransform(ctxErr)
	}
	return fetchErr
}

// sourceBytes is a downloaded source image: in a transform.SourceBuffer, off
// the Go heap, when buf is set, else in Go memory.
type sourceBytes struct {
	body []byte
	buf  *transform.SourceBuffer
}

// release gives back the memory held off the Go heap; libvips keeps its
// own reference for as long as it reads the bytes.
func (s sourceBytes) release() {
	if s.buf != nil {
		s.buf.Release()
	}
}

// fetchSource downloads the source into memory, within the byte limit.
func (h *Handler) fetchSource(ctx context.Context, v *variant) (sourceBytes, origin.Info, error) {
	if v.req.videoFrame {
		b, info, err := h.videoFrame(ctx, v)
		return sourceBytes{body: b}, info, err
	}
	return h.download(ctx, v.req, v.req.key, v.from, true)
}

// layerSources reads what a chain's layers name (image layers, font
// files) from the same origin list as the source, within the same byte
// limit; transform inspects them like sources. A private layer needs a
// signed request, as a private source does.
type layerSources struct {
	h   *Handler
	req *request
}

func (s layerSources) Fetch(ctx context.Context, path string) ([]byte, error) {
	src, _, err := s.h.download(ctx, s.req, path, 0, false)
	if asClientError(err).status == http.StatusNotFound {
		return nil, fmt.Errorf("layer %q: %w", path, transform.ErrSourceNotFound)
	}
	return src.body, err
}

// download reads one object into memory, within the byte limit, trying the
// origins from index from; image says it is the source image of a
// transformation, not a layer or a font. An object from a remote origin is
// kept in source storage.
//
// A source image whose size is known, and that is not kept, is read off
// the Go heap (transform.SourceBuffer): it dies with the request. Layers
// and fonts are handed to transform as Go memory (transform.Sources), and
// a kept source lives on in the write queue.
func (h *Handler) download(ctx context.Context, req *request, key string, from int, image bool) (sourceBytes, origin.Info, error) {
	obj, from, err := h.open(ctx, key, origin.GetOptions{}, from)
	if err != nil {
		return sourceBytes{}, origin.Info{}, err
	}
	defer obj.Body.Close()
	if err := checkPrivate(req, obj.Info); err != nil {
		return sourceBytes{}, origin.Info{}, err
	}
	if t := transform.SourceType(obj.ContentType, key); image && !transform.IsImageType(t) {
		return sourceBytes{}, origin.Info{}, notAnImage(t)
	}
	limit := h.processor.Limits().MaxSourceBytes
	if obj.Size > limit {
		return sourceBytes{}, origin.Info{}, limitError(fmt.Errorf("the source is %d bytes, over the %d-byte limit", obj.Size, limit))
	}
	kept := h.keepsSource(from)
	if image && obj.Size > 0 && !kept {
		src, err := readOffHeap(ctx, obj)
		return src, obj.Info, err
	}
	buf := bytes.NewBuffer(make([]byte, 0, obj.Size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(obj.Body, limit+1)); err != nil {
		return sourceBytes{}, origin.Info{}, readError(ctx, err)
	}
	if int64(buf.Len()) > limit {
		return sourceBytes{}, origin.Info{}, limitError(fmt.Errorf("the source is over the %d-byte limit", limit))
	}
	if kept {
		h.keepSource(key, obj.Info, buf.Bytes())
	}
	return sourceBytes{body: buf.Bytes()}, obj.Info, nil
}

// readOffHeap reads an object of known size into a SourceBuffer. A body
// shorter than its size is a failed read (502). None is longer: every
// origin's body ends at its size (HTTP framing, the file origin's limit).
func readOffHeap(ctx context.Context, obj *origin.Object) (sourceBytes, error) {
	buf, err := transform.NewSourceBuffer(obj.Size)
	if err != nil {
		return sourceBytes{}, fromTransform(fmt.Errorf("allocating %d bytes for the source: %w", obj.Size, err)) // 503 when malloc failed
	}
	if _, err := io.ReadFull(obj.Body, buf.Bytes()); err != nil {
		buf.Release()
		return sourceBytes{}, readError(ctx, err)
	}
	return sourceBytes{body: buf.Bytes(), buf: buf}, nil
}

// readError classifies a failure while reading a body.
func readError(ctx context.Context, err error) error {
	var oe *origin.Error
	if errors.As(err, &oe) { // the origin's own verdict, e.g. over a web origin's max_size
		return fromOrigin("", err)
	}
	if ctx.Err() != nil {
		return fromOrigin("", &origin.Error{Kind: origin.Timeout, Code: "Timeout", Err: err})
	}
	return fromOrigin("", &origin.Error{Kind: origin.Unavailable, Code: "ReadError", Err: err})
}

// variantETag is strong and specific to the variant: the same source,
// chain and format give the same tag on every instance, after restarts.
func variantETag(sourceETag, canonical string, f transform.Format) string {
	sum := sha256.Sum256([]byte(sourceETag + "\x00" + canonical + "\x00" + string(f)))
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// writeVariant sends a variant; http.ServeContent answers conditional,
// HEAD and Range requests (a multi-range request gets a 206
// multipart/byteranges, as file_server answers) from the headers set here.
func (h *Handler) writeVariant(w http.ResponseWriter, r *http.Request, v *variant, e *resultstore.Entry, cacheStatus string) {
	h.setVariantHeaders(w, v, e, cacheStatus)
	http.ServeContent(bodyWriter{w}, r, "", e.LastModified, bytes.NewReader(e.Body))
}

// bodyWriter gives ServeContent a ReadFrom that copies through a pooled
// buffer. Without one, its io.CopyN allocated a buffer the size of the body
// (up to 32 KiB) on every hit: 30 % of the bytes a storage-hit benchmark
// allocated, and the garbage collector's work with them.
type bodyWriter struct{ http.ResponseWriter }

func (w bodyWriter) ReadFrom(r io.Reader) (int64, error) {
	buf, giveBack := copyBuffer(0)
	defer giveBack()
	return io.CopyBuffer(struct{ io.Writer }{w.ResponseWriter}, r, *buf)
}

func (h *Handler) setVariantHeaders(w http.ResponseWriter, v *variant, e *resultstore.Entry, cacheStatus string) {
	hdr := w.Header()
	if e.ContentType != "" {
		hdr.Set("Content-Type", e.ContentType)
	}
	hdr.Set("ETag", e.ETag)
	hdr.Set("Cache-Control", h.CacheControl)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Status", "image_cdn; "+cacheStatus)
	attachment(hdr, v.req)
	setHintHeaders(hdr, v.req)
	if v.negotiated {
		hdr.Add("Vary", "Accept")
	}
	if u := h.canonicalURL(v); u != "" {
		hdr.Set("Link", "<"+u+`>; rel="canonical"`)
	}
}

// canonicalURL uses the origin known to hold the source, or, when the
// variant came from a cache without asking any origin, the first origin
// that has a canonical base.
func (h *Handler) canonicalURL(v *variant) string {
	if v.source != nil {
		if c, ok := h.origins[v.from].(canonicaler); ok {
			return c.CanonicalURL(v.req.escapedPath)
		}
		return ""
	}
	for _, o := range h.origins {
		if c, ok := o.(canonicaler); ok {
			if u := c.CanonicalURL(v.req.escapedPath); u != "" {
				return u
			}
		}
	}
	return ""
}

func (h *Handler) logStoreError(op, key string, err error) {
	if err == nil || errors.Is(err, resultstore.ErrNotFound) {
		return
	}
	h.logger.Warn("result storage "+op+" failed; serving as a miss", zap.String("key", key), zap.Error(err))
}

// notAnImage refuses a transformation of an object that is not an image,
// or is one in a format this module does not decode (JPEG 2000, PSD, …).
func notAnImage(mediaType string) error {
	what := "not an image"
	switch {
	case mediaType == "":
		mediaType = "of unknown type"
	case strings.HasPrefix(mediaType, "image/"):
		what = "not a format image_cdn transforms"
	}
	return badRequest("EUNSUPPORTED", fmt.Errorf("the object is %s, %s: it can only be delivered as is (without tr)", mediaType, what))
}
