// Package caddyproc runs Caddy with image_cdn as a child process of a test
// binary: the binary re-executes itself as Caddy. A crash is then the
// child's death, not the test's, its memory is its own (peak RSS), and no
// separate Caddy has to be built.
//
//	func TestMain(m *testing.M) {
//		caddyproc.Main() // runs Caddy instead of the tests in a child
//		os.Exit(m.Run())
//	}
//
//	p := caddyproc.Start(t, caddyfile, "GOTRACEBACK=crash")
//	p.WaitListening(t, "127.0.0.1:8080")
package caddyproc

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp"

	_ "github.com/image-cdn/image_cdn"
	"github.com/image-cdn/image_cdn/internal/testenv"
)

// serveEnv names the Caddyfile a child runs.
const serveEnv = "IMAGE_CDN_CADDYPROC_SERVE"

// Main runs Caddy on the Caddyfile Start passed, and exits, when this
// process is such a child; otherwise it returns at once. Call it first in
// TestMain.
func Main() {
	cf := os.Getenv(serveEnv)
	if cf == "" {
		return
	}
	os.Args = []string{"caddy", "run", "--config", cf, "--adapter", "caddyfile"}
	caddycmd.Main()
	os.Exit(0)
}

// Process is one child Caddy.
type Process struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
}

// Start writes caddyfile to a temporary file and runs the test binary as
// Caddy on it, with env added to the environment and its own HOME and XDG
// folders (so no state is shared with the user's Caddy). The process is
// killed when the test ends, and its output logged if the test failed.
func Start(t testing.TB, caddyfile string, env ...string) *Process {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{cmd: exec.Command(bin), out: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), serveEnv+"="+file, "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting caddy: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("caddy output:\n%s", p.Output())
		}
	})
	return p
}

// WaitListening waits (at most 30 s) until something accepts connections
// on addr, failing the test if the process exits first.
func (p *Process) WaitListening(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		if !p.Alive() {
			t.Fatalf("caddy exited before listening on %s:\n%s", addr, p.Output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy does not listen on %s:\n%s", addr, p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Alive reports whether the process is still running.
func (p *Process) Alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Output is what the process printed (its first 4 MiB).
func (p *Process) Output() string { return p.out.String() }

// PeakRSS is the process's high-water mark of resident memory (VmHWM).
func (p *Process) PeakRSS(t testing.TB) int64 {
	t.Helper()
	n, err := p.status("VmHWM")
	if err != nil {
		t.Fatalf("reading caddy's memory: %v", err)
	}
	return n
}

// RSS is the process's resident memory now (VmRSS). It takes no
// testing.TB so that a sampling goroutine may call it.
func (p *Process) RSS() (int64, error) { return p.status("VmRSS") }

// status reads one kB field of /proc/<pid>/status, in bytes.
func (p *Process) status(field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s in /proc status: %w", field, err)
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in /proc status", field)
}

// FreeAddr is a free 127.0.0.1 address to listen on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
}

// lockedBuffer keeps the first 4 MiB of the process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 4<<20 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
