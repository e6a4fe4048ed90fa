package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func TestWriteChunk(t *testing.T) {
	tests := []struct {
		name string
		idle time.Duration
		size int
		want int
	}{
		{"Caddy's default minute", time.Minute, largeCopy, 60 * minStreamRate},
		{"ten minutes: the buffer bounds it", 10 * time.Minute, largeCopy, largeCopy},
		{"a short idle timeout", time.Second, largeCopy, minStreamRate},
		{"no idle timeout", 0, largeCopy, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := writeChunk(tt.idle, tt.size); got != tt.want {
				t.Errorf("writeChunk(%v, %d) = %d, want %d", tt.idle, tt.size, got, tt.want)
			}
		})
	}
}

// outerWriter stands for the wrappers Caddy and the metrics put above the
// IdleTimeoutWriter.
type outerWriter struct{ http.ResponseWriter }

func (w outerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func TestWidenWriteChunks(t *testing.T) {
	newWriter := func(idle time.Duration, chunk int) *caddyhttp.IdleTimeoutWriter {
		rec := httptest.NewRecorder()
		return &caddyhttp.IdleTimeoutWriter{
			ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: rec},
			Ctrl:                  http.NewResponseController(rec),
			Deadline:              caddyhttp.IdleDeadline{Start: time.Now(), Timeout: idle},
			MaxChunk:              chunk,
		}
	}
	tests := []struct {
		name        string
		idle        time.Duration
		chunk       int // the server's write_max_chunk
		wantDuring  int
		wantTimeout time.Duration
	}{
		{"default chunk, default minute: widened", time.Minute, caddyhttp.DefaultMaxWriteChunk, 60 * minStreamRate, time.Minute},
		{"chunk left unset: widened", time.Minute, 0, 60 * minStreamRate, time.Minute},
		{"the operator's chunk stays", time.Minute, 16 << 10, 16 << 10, time.Minute},
		{"short idle timeout: not widened", time.Second, caddyhttp.DefaultMaxWriteChunk, caddyhttp.DefaultMaxWriteChunk, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			itw := newWriter(tt.idle, tt.chunk)
			restore := widenWriteChunks(outerWriter{outerWriter{itw}}, largeCopy)
			if itw.MaxChunk != tt.wantDuring || itw.Deadline.Timeout != tt.wantTimeout {
				t.Errorf("while streaming: chunk %d, idle %v; want %d, %v", itw.MaxChunk, itw.Deadline.Timeout, tt.wantDuring, tt.wantTimeout)
			}
			restore()
			if itw.MaxChunk != tt.chunk || itw.Deadline.Timeout != tt.idle {
				t.Errorf("after: chunk %d, idle %v; want %d, %v back", itw.MaxChunk, itw.Deadline.Timeout, tt.chunk, tt.idle)
			}
		})
	}

	t.Run("no IdleTimeoutWriter", func(t *testing.T) {
		widenWriteChunks(outerWriter{httptest.NewRecorder()}, largeCopy)() // must not panic
	})
}
