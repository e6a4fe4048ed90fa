package caddymodule

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// Caddy's server wraps every response writer in an IdleTimeoutWriter that
// cuts each write into chunks of at most write_max_chunk (64 KiB by
// default) and arms the write_idle deadline before each one, so that one
// deadline never has to cover a long transfer. A pass-through copies 2 MiB
// at a time; cut into 64 KiB writes, streaming the benchmark's 200 MB
// object took 10–20 % more of Caddy's CPU and up to 14 % of its
// throughput (alternating 10 s runs, 2 and 8 connections).
//
// minStreamRate is the slowest client whose stream must still not be cut
// (64 kbit/s, a poor mobile link): a chunk is what it receives within the
// idle timeout, 480 KiB for Caddy's default minute. That took the same
// CPU and throughput as 1.9 MiB chunks in the benchmark; the 64 KiB
// default lets a client at 1.1 KiB/s through, which these streams give up.
const minStreamRate = 8 << 10 // bytes per second

// widenWriteChunks raises the write chunk of w's IdleTimeoutWriter for
// one stream copied through buffers of size bytes, and returns what puts
// the writer's settings back. It leaves the writer alone when the
// operator chose a chunk size (anything but Caddy's default), when no idle
// timeout applies, or when w has no IdleTimeoutWriter. The idle timeout
// and the minimum rate stay as configured.
func widenWriteChunks(w http.ResponseWriter, size int) (restore func()) {
	itw := idleTimeoutWriter(w)
	if itw == nil || (itw.MaxChunk != 0 && itw.MaxChunk != caddyhttp.DefaultMaxWriteChunk) {
		return func() {}
	}
	chunk := writeChunk(itw.Deadline.Timeout, size)
	if chunk <= caddyhttp.DefaultMaxWriteChunk {
		return func() {}
	}
	widenedStreams.Add(1)
	return itw.Override(itw.Deadline.Timeout, itw.Deadline.MinRate, chunk)
}

// widenedStreams counts the streams whose chunks were widened, so that a
// test against a real Caddy proves the IdleTimeoutWriter is found under
// its actual wrappers.
var widenedStreams atomic.Int64

// writeChunk is the chunk a client at minStreamRate receives within the
// idle timeout, at most size.
func writeChunk(idle time.Duration, size int) int {
	if idle <= 0 {
		return 0
	}
	return int(min(int64(size), int64(idle.Seconds()*minStreamRate)))
}

// idleTimeoutWriter finds Caddy's IdleTimeoutWriter under the wrappers
// between it and the handler (Caddy's, the metrics recorder's).
func idleTimeoutWriter(w http.ResponseWriter) *caddyhttp.IdleTimeoutWriter {
	for range 16 { // chains are a few wrappers long; bound the walk anyway
		if itw, ok := w.(*caddyhttp.IdleTimeoutWriter); ok {
			return itw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}
