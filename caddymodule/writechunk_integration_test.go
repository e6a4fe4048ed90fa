package caddymodule

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStalledStreamIsCut: the pass-through's write chunks are widened
// under a real Caddy (writechunk.go), a client that stops reading is still
// cut by Caddy's write_idle timeout, and one that keeps reading gets the
// whole object.
func TestStalledStreamIsCut(t *testing.T) {
	s3srv.MakeBucket(t, "stall")
	const size = 48 << 20 // far more than the two sockets' buffers hold
	s3srv.Put(t, "stall", "big.bin", bytes.Repeat([]byte("0123456789abcdef"), size/16), "application/octet-stream")
	// 9 s of write_idle: chunks of 72 KiB, wider than Caddy's 64 KiB.
	base := startCaddyWith(t, "log {\n\t\tlevel WARN\n\t}\n\tservers {\n\t\ttimeouts {\n\t\t\twrite_idle 9s\n\t\t}\n\t}",
		site(s3Block("o", s3srv.Endpoint(), "bucket stall", "path_style")))

	get := func(t *testing.T, stall time.Duration) (read int64, length int64) {
		t.Helper()
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.(*net.TCPConn).SetReadBuffer(64 << 10)
		if _, err := io.WriteString(conn, "GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReaderSize(conn, 64<<10)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.CopyN(io.Discard, resp.Body, 1<<20)
		time.Sleep(stall)
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		m, _ := io.Copy(io.Discard, resp.Body)
		return n + m, resp.ContentLength
	}

	t.Run("a client that stops reading is cut", func(t *testing.T) {
		if n, length := get(t, 11*time.Second); n >= length {
			t.Errorf("read all %d bytes after stalling past write_idle", n)
		}
	})
	t.Run("a client that keeps reading gets it all", func(t *testing.T) {
		before := widenedStreams.Load()
		if n, length := get(t, 0); n != size || length != size {
			t.Errorf("read %d of %d bytes, want %d", n, length, size)
		}
		// Caddy's real wrappers hide the IdleTimeoutWriter; it was found.
		if widenedStreams.Load() == before {
			t.Error("the stream's write chunks were not widened")
		}
	})
}
