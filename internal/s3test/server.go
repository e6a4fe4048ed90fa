package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// HealthPath is the unauthenticated GET path the harness enables with
// --health and polls for readiness. A leading underscore keeps it out of
// the namespace of valid bucket names.
const HealthPath = "/_s3test_health"

// DefaultVirtualDomain is the base domain versitygw strips from Host to find
// the bucket: Host "bucket.localhost:PORT" addresses bucket "bucket".
const DefaultVirtualDomain = "localhost"

// Options configures a Server. The zero value is ready to use.
type Options struct {
	// AccessKey and SecretKey are the root credentials. Empty means random
	// per server, so two servers never share a credential set.
	AccessKey string
	SecretKey string
	// Region is the gateway's region (--region). Default "us-east-1".
	Region string
	// VirtualDomain is the base domain for virtual-hosted-style addressing
	// (--virtual-domain). Default "localhost". Set NoVirtualHost to run
	// path-style only.
	VirtualDomain string
	NoVirtualHost bool
	// Dir is the posix backend root (every sub-directory is a bucket).
	// Empty means a fresh temp dir that Close removes; a given Dir is kept.
	Dir string
	// Buckets are created (path-style, via minio-go) once the server answers.
	Buckets []string
	// DisableKeepAlive leaves versitygw at its own default, which answers
	// every request with "Connection: close". By default the harness passes
	// --keep-alive, as real S3 endpoints keep connections open.
	DisableKeepAlive bool
	// Verbose keeps versitygw's per-request log lines in Logs(); by default
	// --quiet is passed and only start-up output and errors are captured.
	Verbose bool
	// ExtraArgs are global flags inserted before the "posix" sub-command;
	// PosixArgs are appended after it, before the directory.
	ExtraArgs []string
	PosixArgs []string
	// StartTimeout bounds the wait for the server to answers. Default 15s.
	StartTimeout time.Duration
}

// Server is a running versitygw (posix backend) bound to 127.0.0.1:Port.
type Server struct {
	AccessKey     string
	SecretKey     string
	Region        string
	Port          int
	Dir           string // posix root: Dir/<bucket>/<key>
	VirtualDomain string // "" when virtual-hosted style is off

	bin          string
	opts         Options
	ownDir       bool
	startTimeout time.Duration
	logs         *tailBuffer
	client       *minio.Client

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	running bool
	closed  bool
}

// Start starts a server for one test (or benchmark) and registers Close
// with t.Cleanup. It fails the test, never skips it, when versitygw cannot
// be found, installed or started. If the test fails, the server's captured
// output is logged.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("s3test: versitygw output (port %d):\n%s", s.Port, s.Logs())
		}
		s.Close()
	})
	return s
}

// New starts a server; the caller must Close it. Use it from TestMain:
//
//	func TestMain(m *testing.M) {
//		srv, err := s3test.New(s3test.Options{Buckets: []string{"media"}})
//		if err != nil { fmt.Fprintln(os.Stderr, err); os.Exit(1) }
//		code := m.Run()
//		srv.Close()
//		os.Exit(code)
//	}
func New(opts Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	s := &Server{
		AccessKey:    opts.AccessKey,
		SecretKey:    opts.SecretKey,
		Region:       opts.Region,
		Dir:          opts.Dir,
		bin:          bin,
		opts:         opts,
		startTimeout: opts.StartTimeout,
		logs:         newTailBuffer(512 << 10),
	}
	if s.AccessKey == "" {
		s.AccessKey = "AK" + strings.ToUpper(randomHex(9))
	}
	if s.SecretKey == "" {
		s.SecretKey = "sk" + randomHex(19)
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if !opts.NoVirtualHost {
		s.VirtualDomain = opts.VirtualDomain
		if s.VirtualDomain == "" {
			s.VirtualDomain = DefaultVirtualDomain
		}
	}
	if s.startTimeout <= 0 {
		s.startTimeout = 15 * time.Second
	}
	if s.Dir == "" {
		dir, err := os.MkdirTemp("", "s3test-versitygw-")
		if err != nil {
			return nil, fmt.Errorf("s3test: temp dir: %w", err)
		}
		s.Dir, s.ownDir = dir, true
	} else if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("s3test: data dir: %w", err)
	}

	// Pick a free port; retry if another process grabs it between our probe
	// and versitygw's bind.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			s.Close()
			return nil, err
		}
		s.Port = port
		err = s.start()
		if err == nil {
			break
		}
		if attempt < 3 && strings.Contains(s.logs.String(), "address already in use") {
			continue
		}
		s.Close()
		return nil, err
	}

	s.client, err = s.NewClient(s.Endpoint(), false)
	if err != nil {
		s.Close()
		return nil, err
	}
	for _, b := range opts.Buckets {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := s.client.MakeBucket(ctx, b, minio.MakeBucketOptions{Region: s.Region})
		cancel()
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("s3test: make bucket %q: %w", b, err)
		}
	}
	return s, nil
}

// Endpoint is the path-style base URL, "http://127.0.0.1:PORT".
func (s *Server) Endpoint() string { return "http://127.0.0.1:" + strconv.Itoa(s.Port) }

// VirtualEndpoint is the base URL for virtual-hosted-style requests,
// "http://localhost:PORT"; a client puts the bucket in front of the host
// (Host "bucket.localhost:PORT"). Dial such names with LoopbackDialer.
func (s *Server) VirtualEndpoint() string {
	d := s.VirtualDomain
	if d == "" {
		d = DefaultVirtualDomain
	}
	return "http://" + d + ":" + strconv.Itoa(s.Port)
}

// Addr is "127.0.0.1:PORT".
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Client is the harness's path-style admin client (MaxRetries 1).
func (s *Server) Client() *minio.Client { return s.client }

// NewClient builds a minio-go client for this server's credentials against
// endpointURL (the server's or a Proxy's Endpoint/VirtualEndpoint).
// virtualHosted selects BucketLookupDNS, else BucketLookupPath. The client
// dials through LoopbackDialer, ignores proxy environment variables and
// retries at most once.
func (s *Server) NewClient(endpointURL string, virtualHosted bool) (*minio.Client, error) {
	host := strings.TrimPrefix(strings.TrimPrefix(endpointURL, "http://"), "https://")
	host = strings.TrimSuffix(host, "/")
	lookup := minio.BucketLookupPath
	if virtualHosted {
		lookup = minio.BucketLookupDNS
	}
	c, err := minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure:       strings.HasPrefix(endpointURL, "https://"),
		Region:       s.Region,
		BucketLookup: lookup,
		Transport:    LoopbackTransport(),
		MaxRetries:   1,
	})
	if err != nil {
		return nil, fmt.Errorf("s3test: minio client for %s: %w", endpointURL, err)
	}
	return c, nil
}

// Logs returns the tail of versitygw's combined stdout/stderr over all runs.
func (s *Server) Logs() string { return s.logs.String() }

// Running reports whether the versitygw process is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Stop kills the versitygw process (and its process group) and waits for
// it, keeping the data directory and port number: requests now fail with
// "connection refused". Stopping a stopped server is a no-op.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

// Restart starts versitygw again on the same port and data directory (after
// stopping it if it is running) and waits until it answers.
func (s *Server) Restart() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("s3test: Restart on a closed server")
	}
	if err := s.stopLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	s.mu.Unlock()
	// A freshly freed listening port can be rebound at once (Go listeners
	// set SO_REUSEADDR), but retry briefly in case it is still held.
	var err error
	for i := 0; i < 3; i++ {
		if err = s.start(); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

// Close stops the server and removes the data directory if the harness
// created it. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	_ = s.stopLocked()
	if s.ownDir && s.Dir != "" {
		_ = os.RemoveAll(s.Dir)
	}
}

func (s *Server) args() []string {
	a := []string{
		"--access", s.AccessKey,
		"--secret", s.SecretKey,
		"--region", s.Region,
		"--port", s.Addr(),
		"--health", HealthPath,
	}
	if s.VirtualDomain != "" {
		a = append(a, "--virtual-domain", s.VirtualDomain)
	}
	if !s.opts.DisableKeepAlive {
		a = append(a, "--keep-alive")
	}
	if !s.opts.Verbose {
		a = append(a, "--quiet")
	}
	a = append(a, s.opts.ExtraArgs...)
	a = append(a, "posix")
	a = append(a, s.opts.PosixArgs...)
	return append(a, s.Dir)
}

// start launches the process and waits until the health endpoint answers.
func (s *Server) start() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("s3test: start on a closed server")
	}
	cmd := exec.Command(s.bin, s.args()...)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	// Own process group so Stop can kill everything it spawned; Pdeathsig so
	// a crashed test binary does not leave a gateway behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(s.logs, "--- s3test: starting %s on %s\n", s.bin, s.Addr())
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("s3test: start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done, s.running = cmd, done, true
	s.mu.Unlock()

	if err := waitReady(s.Addr(), done, s.startTimeout); err != nil {
		s.mu.Lock()
		_ = s.stopLocked()
		s.mu.Unlock()
		return fmt.Errorf("s3test: versitygw on %s: %w\n--- versitygw output ---\n%s", s.Addr(), err, s.Logs())
	}
	return nil
}

func (s *Server) stopLocked() error {
	if !s.running {
		return nil
	}
	s.running = false
	pid := s.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGKILL) // whole group
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("s3test: versitygw pid %d did not exit after SIGKILL", pid)
	}
	fmt.Fprintf(s.logs, "--- s3test: stopped pid %d\n", pid)
	return nil
}

func waitReady(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	url := "http://" + addr + HealthPath
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("process exited before answering")
		default:
		}
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			lastErr = fmt.Errorf("health check status %d", resp.StatusCode)
		} else {
			lastErr = err
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("not answering on %s after %v (last error: %v)", url, timeout, lastErr)
}

// childEnv drops variables versitygw reads as flag defaults so the ambient
// environment cannot change the server under test.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "VGW_") || strings.HasPrefix(k, "ROOT_") ||
			k == "LOGFILE" || k == "WEBHOOK" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("s3test: find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)[:n]
}

// tailBuffer is a goroutine-safe writer that keeps the last max bytes.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
