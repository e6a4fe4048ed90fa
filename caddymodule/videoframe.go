package caddymodule

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/transform"
)

// Video thumbnails: ffmpeg, run as a subprocess, reads the video by range
// from the origins through a one-request HTTP endpoint on loopback (a
// random port and a random path, closed when the frame is out), and writes
// its first frame as PNG to a pipe. It runs inside render, so the
// transform timeout, the worker-pool place and the request's origin rules
// (private files, preference list) apply; the bytes it may read from the
// origin and the frame it may write are both bounded by max_source_bytes.

// videoFormats are the demuxers ffmpeg may use: containers that never
// open another resource (no playlists, no concat).
const videoFormats = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpeg,mpegts,ogg,flv"

// startType is the media type the transformation starts from: a video
// thumbnail starts from the PNG frame ffmpeg extracts.
func startType(req *request, contentType string) string {
	if req.videoFrame {
		return "image/png"
	}
	return transform.SourceType(contentType, req.key)
}

// videoFrame extracts the first frame of the video at v.req.key.
func (h *Handler) videoFrame(ctx context.Context, v *variant) ([]byte, origin.Info, error) {
	var info origin.Info
	from := v.from
	if v.source != nil { // already stat'ed for the variant
		info = *v.source
	} else {
		var err error
		if info, from, err = h.stat(ctx, v.req.key); err != nil {
			return nil, origin.Info{}, err
		}
	}
	if err := checkPrivate(v.req, info); err != nil {
		return nil, origin.Info{}, err
	}
	limit := h.processor.Limits().MaxSourceBytes
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, origin.Info{}, fmt.Errorf("video thumbnail: listening on loopback: %w", err)
	}
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	feed := &videoFeed{h: h, ctx: ctx, key: v.req.key, from: from, path: "/" + hex.EncodeToString(token), budget: limit}
	srv := &http.Server{Handler: feed, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { // lives exactly as long as this function: Close below ends it
		defer close(done)
		_ = srv.Serve(ln)
	}()
	defer func() { _ = srv.Close(); <-done }()

	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		// Container formats only: a playlist (HLS, concat…) named .mp4 could
		// make ffmpeg open other URLs, an SSRF past the web origins' guards.
		"-format_whitelist", videoFormats,
		"-protocol_whitelist", "http,tcp", "-threads", "1",
		"-i", "http://"+ln.Addr().String()+feed.path,
		"-frames:v", "1", "-an", "-sn", "-dn", "-f", "image2pipe", "-c:v", "png", "pipe:1")
	out := &cappedBuffer{limit: limit}
	stderr := &cappedBuffer{limit: 4 << 10}
	cmd.Stdout, cmd.Stderr = out, stderr
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, origin.Info{}, fromTransform(context.DeadlineExceeded)
	case feed.failed.Load() != nil:
		return nil, origin.Info{}, *feed.failed.Load()
	case out.over:
		return nil, origin.Info{}, limitError(fmt.Errorf("the video frame is over the %d-byte limit", limit))
	case err != nil || out.buf.Len() == 0:
		return nil, origin.Info{}, &clientError{status: http.StatusUnprocessableEntity, code: "ECORRUPT",
			msg: "no video frame could be read from the source", cause: fmt.Errorf("ffmpeg: %v: %s", err, bytes.TrimSpace(stderr.buf.Bytes()))}
	}
	return out.buf.Bytes(), info, nil
}

// videoFeed serves one video to ffmpeg, by range, from the origins.
type videoFeed struct {
	h      *Handler
	ctx    context.Context
	key    string
	from   int
	path   string
	budget int64 // bytes ffmpeg may still read
	used   atomic.Int64
	failed atomic.Pointer[error]
}

func (f *videoFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != f.path || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	rng := origin.ParseRange(r.Header.Get("Range"))
	obj, _, err := f.h.open(f.ctx, f.key, origin.GetOptions{Range: rng}, f.from)
	if err != nil {
		if !isNotFound(err) {
			f.failed.CompareAndSwap(nil, &err)
		}
		http.Error(w, "unavailable", http.StatusBadGateway)
		return
	}
	defer obj.Body.Close()
	hdr := w.Header()
	hdr.Set("Accept-Ranges", "bytes")
	status, length := http.StatusOK, obj.Size
	if obj.Partial != nil {
		status, length = http.StatusPartialContent, obj.Partial.Length()
		hdr.Set("Content-Range", obj.Partial.ContentRange())
	}
	if length >= 0 {
		hdr.Set("Content-Length", strconv.FormatInt(length, 10))
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	room := f.budget - f.used.Load()
	n, _ := io.Copy(w, io.LimitReader(obj.Body, max(room, 0)))
	if f.used.Add(n) >= f.budget {
		var err error = limitError(fmt.Errorf("reading the video took more than %d bytes", f.budget))
		f.failed.CompareAndSwap(nil, &err)
	}
}

// cappedBuffer keeps at most limit bytes and notes an overflow.
type cappedBuffer struct {
	buf   bytes.Buffer
	limit int64
	over  bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if int64(c.buf.Len()+len(p)) > c.limit {
		c.over = true
		return 0, errors.New("output over its limit")
	}
	return c.buf.Write(p)
}
