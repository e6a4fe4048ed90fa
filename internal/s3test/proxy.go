package s3test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Request is one request seen by a Proxy.
type Request struct {
	Time     time.Time
	Method   string
	Host     string // Host header as received (and forwarded), e.g. "media.localhost:PORT"
	Path     string // decoded path, e.g. "/media/a b.jpg"
	RawPath  string // path as sent on the wire, e.g. "/media/a%20b.jpg"
	RawQuery string
	Range    string // Range header, "" if none
	Header   http.Header
	Status   int // status returned to the client; 0 while still in flight
}

// Proxy is a recording reverse proxy on its own 127.0.0.1 port in front of a
// Server. It forwards the Host header unchanged (SigV4 signs it, so a client
// signing for "b.localhost:PROXYPORT" is verified by versitygw against that
// same Host), records every request, and can delay or fail requests.
type Proxy struct {
	Port int

	target *Server
	ln     net.Listener
	srv    *http.Server
	rp     *httputil.ReverseProxy

	mu     sync.Mutex
	reqs   []*Request
	delay  time.Duration
	status int
}

// RecordingProxy starts a Proxy in front of s and closes it at test cleanup.
func (s *Server) RecordingProxy(t testing.TB) *Proxy {
	t.Helper()
	p, err := s.NewProxy()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// NewProxy starts a Proxy in front of s; the caller must Close it.
func (s *Server) NewProxy() (*Proxy, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("s3test: proxy listen: %w", err)
	}
	p := &Proxy{Port: ln.Addr().(*net.TCPAddr).Port, target: s, ln: ln}
	upstream := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return loopbackNetDialer.DialContext(ctx, "tcp4", s.Addr())
		},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme = "http"
			r.Out.URL.Host = s.Addr()
			r.Out.Host = r.In.Host // preserve: it is part of the SigV4 signature
		},
		Transport: upstream,
		ErrorLog:  log.New(io.Discard, "", 0),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Endpoint is "http://127.0.0.1:PROXYPORT" (path-style).
func (p *Proxy) Endpoint() string { return "http://127.0.0.1:" + strconv.Itoa(p.Port) }

// VirtualEndpoint is "http://localhost:PROXYPORT"; virtual-hosted requests
// use Host "bucket.localhost:PROXYPORT" and must dial via LoopbackDialer.
func (p *Proxy) VirtualEndpoint() string {
	d := p.target.VirtualDomain
	if d == "" {
		d = DefaultVirtualDomain
	}
	return "http://" + d + ":" + strconv.Itoa(p.Port)
}

// Requests returns a copy of the requests recorded since the last Reset,
// oldest first. A request is recorded when it arrives, before it is
// answered.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Request, len(p.reqs))
	for i, r := range p.reqs {
		out[i] = *r
	}
	return out
}

// Reset forgets recorded requests. Delay and status are kept.
func (p *Proxy) Reset() {
	p.mu.Lock()
	p.reqs = nil
	p.mu.Unlock()
}

// SetDelay delays every response's headers by d (0 disables); the wait is
// abandoned if the client gives up.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// SetStatus makes the proxy answer every request itself with code and an S3
// XML error body (none for HEAD) instead of forwarding; 0 resumes forwarding.
func (p *Proxy) SetStatus(code int) {
	p.mu.Lock()
	p.status = code
	p.mu.Unlock()
}

// Close stops the proxy.
func (p *Proxy) Close() { _ = p.srv.Close() }

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &Request{
		Time:     time.Now(),
		Method:   r.Method,
		Host:     r.Host,
		Path:     r.URL.Path,
		RawPath:  r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery,
		Range:    r.Header.Get("Range"),
		Header:   r.Header.Clone(),
	}
	p.mu.Lock()
	p.reqs = append(p.reqs, rec)
	delay, status := p.delay, p.status
	p.mu.Unlock()

	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		p.mu.Lock()
		rec.Status = sw.code
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		p.mu.Unlock()
	}()

	if delay > 0 {
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			sw.code = 499 // client closed request
			return
		}
	}
	if status != 0 {
		writeS3Error(sw, r, status)
		return
	}
	p.rp.ServeHTTP(sw, r)
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// S3ErrorCode is the S3 error code the proxy sends with an injected status.
func S3ErrorCode(status int) string {
	switch status {
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case http.StatusInternalServerError:
		return "InternalError"
	case http.StatusForbidden:
		return "AccessDenied"
	case http.StatusNotFound:
		return "NoSuchKey"
	case http.StatusBadRequest:
		return "InvalidRequest"
	case http.StatusTooManyRequests:
		return "SlowDown"
	case http.StatusRequestedRangeNotSatisfiable:
		return "InvalidRange"
	default:
		if status >= 500 {
			return "InternalError"
		}
		return http.StatusText(status)
	}
}

func writeS3Error(w http.ResponseWriter, r *http.Request, status int) {
	type s3Error struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		Resource  string   `xml:"Resource"`
		RequestID string   `xml:"RequestId"`
	}
	body, _ := xml.Marshal(s3Error{
		Code:      S3ErrorCode(status),
		Message:   "s3test proxy injected status " + strconv.Itoa(status),
		Resource:  r.URL.Path,
		RequestID: "S3TEST" + strconv.FormatInt(time.Now().UnixNano(), 36),
	})
	body = append([]byte(xml.Header), body...)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Server", "s3test-proxy")
	h.Set("X-Amz-Request-Id", "S3TEST")
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
