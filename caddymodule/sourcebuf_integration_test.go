package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/image-cdn/image_cdn/transform"
)

// TestSourcesOffTheGoHeap: a source image of known size is read into a
// transform.SourceBuffer, and every way a request ends (a transform, a
// damaged source, a body cut short) frees it.
func TestSourcesOffTheGoHeap(t *testing.T) {
	jpg := sample(t, "photos/sunset.jpg")
	s3srv.MakeBucket(t, "offheap")
	s3srv.Put(t, "offheap", "good.jpg", jpg, "image/jpeg")
	s3srv.Put(t, "offheap", "damaged.jpg", jpg[:len(jpg)/2], "image/jpeg")

	// A web origin that sends half of a body, waits for the test, then
	// sends the rest, or stops (a body shorter than its Content-Length).
	resume := make(chan bool)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", strconv.Itoa(len(jpg)))
		w.Write(jpg[:len(jpg)/2])
		w.(http.Flusher).Flush()
		if <-resume {
			w.Write(jpg[len(jpg)/2:])
		}
	}))
	defer web.Close()

	base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket offheap", "path_style"),
		"origin web w "+web.URL+" {\n\t\t\tallow_private 127.0.0.1\n\t\t}"))
	// live waits until want source buffers are allocated.
	live := func(want int, when string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); transform.LiveSourceBuffers() != want; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d source buffers allocated, want %d", when, transform.LiveSourceBuffers(), want)
			}
			time.Sleep(5 * time.Millisecond) // polling, with a deadline
		}
	}
	freed := func(what string) { t.Helper(); live(0, "after "+what) }

	if resp, _ := do(t, "GET", base, "/tr:w-40/good.jpg"); resp.StatusCode != 200 {
		t.Errorf("good = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}
	freed("a transform")
	if resp, _ := do(t, "GET", base, "/tr:w-40/damaged.jpg"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("damaged = %d %s, want 422", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}
	freed("a damaged source")

	for _, whole := range []bool{true, false} {
		got := make(chan *http.Response, 1)
		go func() {
			resp, _, err := send("GET", base, "/tr:w-41/web/"+strconv.FormatBool(whole)+".jpg")
			if err != nil {
				resp = &http.Response{Header: http.Header{"Ik-Error": {err.Error()}}}
			}
			got <- resp
		}()
		// Half the body is in: the source is being read into a buffer.
		live(1, "while the body arrives")
		resume <- whole
		resp := <-got
		status, ikErr := resp.StatusCode, resp.Header.Get("Ik-Error")
		switch {
		case whole && status != 200:
			t.Errorf("whole web body = %d %s", status, ikErr)
		case !whole && (status != http.StatusBadGateway || !strings.HasPrefix(ikErr, "ReadError - ")):
			t.Errorf("web body cut short = %d %q, want a 5xx: 502 ReadError (README)", status, ikErr)
		}
		freed("a web body, whole " + strconv.FormatBool(whole))
	}
}
