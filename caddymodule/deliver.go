package caddymodule

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/image-cdn/image_cdn/origin"
)

// deliver streams an object as it is stored: no transformation. Conditional
// requests and HEAD are answered from a HEAD to the origin; everything else
// is one GET, with the client's range forwarded so that a 1 MB slice of a
// 2 GB video costs 1 MB. Failures are returned unwritten.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, req *request) error {
	ctx := r.Context()
	var rng *origin.ByteRange
	if r.Method == http.MethodGet {
		rng = origin.ParseRange(r.Header.Get("Range"))
	}

	from := 0
	if r.Method == http.MethodHead || hasConditions(r) {
		info, i, err := h.stat(ctx, req.key)
		if err != nil {
			return err
		}
		o := h.origins[i]
		if err := checkPrivate(req, info); err != nil {
			return err
		}
		switch evaluate(r, info.ETag, info.LastModified) {
		case notModified:
			h.setObjectHeaders(w, req, info, o)
			writeNotModified(w)
			return nil
		case preconditionFailed:
			return &clientError{status: http.StatusPreconditionFailed, code: "EPRECONDITION", msg: "precondition failed"}
		}
		if r.Method == http.MethodHead {
			h.setObjectHeaders(w, req, info, o)
			if n := contentLength(info.Size); n != "" {
				w.Header().Set("Content-Length", n)
			}
			w.WriteHeader(http.StatusOK)
			return nil
		}
		if rng != nil && !rangeApplies(r, info.ETag, info.LastModified) {
			rng = nil
		}
		from = i
	}

	obj, i, err := h.open(ctx, req.key, origin.GetOptions{Range: rng}, from)
	if err != nil {
		var ce *clientError
		if errors.As(err, &ce) && ce.status == http.StatusRequestedRangeNotSatisfiable {
			if info, _, serr := h.stat(ctx, req.key); serr == nil {
				ce.header = http.Header{"Content-Range": {"bytes */" + strconv.FormatInt(info.Size, 10)}}
			}
		}
		return err
	}
	defer obj.Body.Close()
	if err := checkPrivate(req, obj.Info); err != nil {
		return err
	}

	h.setObjectHeaders(w, req, obj.Info, h.origins[i])
	status, length := http.StatusOK, obj.Size
	if obj.Partial != nil {
		status, length = http.StatusPartialContent, obj.Partial.Length()
		w.Header().Set("Content-Range", obj.Partial.ContentRange())
	}
	if n := contentLength(length); n != "" { // unknown from a web origin: chunked
		w.Header().Set("Content-Length", n)
	}
	w.WriteHeader(status)
	if obj.Partial != nil || !h.keepsSource(i) {
		h.stream(w, obj.Body, length, req.key)
		return nil
	}
	h.streamKeeping(w, req.key, obj) // a whole original from a remote origin: keep a copy
	return nil
}

// Streaming copies through a buffer of our own; its size decides the
// number of read and write calls (with Caddy's write chunks widened to
// match, writechunk.go), and system calls are what a pass-through
// costs (measured in bench/ on a 200 MB object at 2 connections: 800 MB/s
// with 64 KiB buffers, 1.03 GB/s with 1 MiB, 1.14 GB/s with 2 MiB, equal to
// a direct GET from the S3 server). Large buffers are few: at most
// maxLargeCopies streams hold one (64 MiB together); the others, and every
// small object, copy through 64 KiB.
const (
	smallCopy      = 64 << 10
	largeCopy      = 2 << 20
	maxLargeCopies = 32
)

var (
	smallCopies = sync.Pool{New: func() any { b := make([]byte, smallCopy); return &b }}
	largeCopies = sync.Pool{New: func() any { b := make([]byte, largeCopy); return &b }}
	largeInUse  = make(chan struct{}, maxLargeCopies)
)

// copyBuffer lends a buffer for a body of size bytes (-1: unknown) and the
// function that gives it back.
func copyBuffer(size int64) (*[]byte, func()) {
	if size < 0 || size > 4*smallCopy {
		select {
		case largeInUse <- struct{}{}:
			b := largeCopies.Get().(*[]byte)
			return b, func() { largeCopies.Put(b); <-largeInUse }
		default: // all large buffers lent: a small one still works
		}
	}
	b := smallCopies.Get().(*[]byte)
	return b, func() { smallCopies.Put(b) }
}

// stream copies a body of size bytes (-1: unknown) to the client. The
// status line is gone by now, so a failure can only be logged; the short
// body (against Content-Length) tells the client. It reports whether the
// whole body went out.
func (h *Handler) stream(w http.ResponseWriter, body io.Reader, size int64, key string) bool {
	buf, giveBack := copyBuffer(size)
	defer giveBack()
	if len(*buf) > smallCopy {
		defer widenWriteChunks(w, len(*buf))()
	}
	// Copy through this buffer, never through w's ReadFrom: when w was
	// Caddy's wrapped writer, its ReadFrom allocated about half the object's
	// size over a 64 MiB stream (TestS3StreamingMemory). The status recorder
	// hides it today; the wrapper keeps it hidden whatever w becomes.
	if _, err := io.CopyBuffer(struct{ io.Writer }{w}, body, *buf); err != nil {
		if c := h.logger.Check(zap.DebugLevel, "streaming interrupted"); c != nil {
			c.Write(zap.String("key", key), zap.Error(err))
		}
		return false
	}
	return true
}

// stat finds the first origin that has the object, in preference order.
func (h *Handler) stat(ctx context.Context, key string) (origin.Info, int, error) {
	return firstOrigin(h, key, 0, func(o Origin) (origin.Info, error) { return h.metrics.timedStat(ctx, o, h.originLabel(o), key) })
}

// open is stat's counterpart for GET, starting at origin index from (the
// one a stat already found).
func (h *Handler) open(ctx context.Context, key string, opts origin.GetOptions, from int) (*origin.Object, int, error) {
	obj, i, err := firstOrigin(h, key, from, func(o Origin) (*origin.Object, error) { return h.metrics.timedGet(ctx, o, h.originLabel(o), key, opts) })
	if h.sources != nil && from == 0 {
		// Source storage is origin 0: a body from it is a hit, from any
		// later origin a miss.
		h.metrics.SourceStorageLookup(err == nil && i == 0)
	}
	return obj, i, err
}

// firstOrigin runs the preference list from index from and maps the
// outcome to the client's answer: 404 only when every origin missed.
func firstOrigin[T any](h *Handler, key string, from int, try func(Origin) (T, error)) (T, int, error) {
	var zero T
	if key == "" {
		return zero, 0, fromOrigin("", &origin.Error{Kind: origin.NotFound, Err: errors.New("empty path")})
	}
	v, i, err := origin.FirstFound(h.origins[from:], try)
	i += from
	if err == nil {
		return v, i, nil
	}
	name := ""
	if i < len(h.origins) {
		name = h.origins[i].Name()
	}
	return zero, i, fromOrigin(name, err)
}

// setObjectHeaders writes the representation headers shared by 200, 206,
// 304 and HEAD answers.
func (h *Handler) setObjectHeaders(w http.ResponseWriter, req *request, info origin.Info, o Origin) {
	hdr := w.Header()
	hdr.Set("Content-Type", contentType(info.ContentType, req.key))
	if info.ETag != "" {
		hdr.Set("ETag", info.ETag)
	}
	if !info.LastModified.IsZero() {
		hdr.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	}
	if info.ContentEncoding != "" {
		hdr.Set("Content-Encoding", info.ContentEncoding)
	}
	if info.ContentDisposition != "" {
		hdr.Set("Content-Disposition", info.ContentDisposition)
	}
	attachment(hdr, req)
	setHintHeaders(hdr, req)
	hdr.Set("Accept-Ranges", "bytes")
	hdr.Set("Cache-Control", h.CacheControl)
	// RFC 9211: objects as stored are not cached here, only relayed.
	hdr.Set("Cache-Status", "image_cdn; fwd=bypass")
	if _, kept := o.(*sourceStore); kept {
		hdr.Set("Cache-Status", "image_cdn; hit; detail=source-storage")
	}
	// Objects are user content: never let a browser guess a more dangerous type.
	hdr.Set("X-Content-Type-Options", "nosniff")
	if ct := hdr.Get("Content-Type"); strings.HasPrefix(ct, "image/svg+xml") || isSandboxed(o) {
		// An SVG opened directly is a document that can run script on this
		// origin, and so is anything a web proxy fetched from elsewhere; as
		// an <img> it never runs any, and this changes nothing.
		hdr.Set("Content-Security-Policy", sandboxCSP)
	}
	if c, ok := o.(canonicaler); ok {
		if u := c.CanonicalURL(req.escapedPath); u != "" {
			hdr.Set("Link", "<"+u+`>; rel="canonical"`)
		}
	}
}

// writeNotModified sends a 304: validators and caching headers stay, the
// representation's own headers go (RFC 9110, section 15.4.5).
func writeNotModified(w http.ResponseWriter) {
	hdr := w.Header()
	for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding", "Accept-Ranges"} {
		hdr.Del(k)
	}
	w.WriteHeader(http.StatusNotModified)
}

// contentType prefers the origin's type; when the origin has none, or only
// a generic binary one (common for uploads that did not set it), the
// extension decides.
func contentType(stored, key string) string {
	switch stored {
	case "", "application/octet-stream", "binary/octet-stream":
		if t := mime.TypeByExtension(path.Ext(key)); t != "" {
			return t
		}
		if stored != "" {
			return stored
		}
		return "application/octet-stream"
	}
	return stored
}
