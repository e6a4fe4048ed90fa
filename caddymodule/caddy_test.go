package caddymodule

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/image-cdn/image_cdn/internal/testenv"
)

// startCaddy runs a real Caddy, in this process, with one HTTP site whose
// body is siteBody, and returns the site's base URL. In-process, so that
// tests can swap dialContext to reach virtual-hosted bucket names.
func startCaddy(t testing.TB, siteBody string) string {
	t.Helper()
	return startCaddyWith(t, "log {\n\t\tlevel WARN\n\t}", siteBody)
}

// startCaddyWithLog is startCaddy with every log line, debug included,
// written to logFile.
func startCaddyWithLog(t testing.TB, logFile, siteBody string) string {
	t.Helper()
	return startCaddyWith(t, "log {\n\t\toutput file "+logFile+"\n\t\tlevel DEBUG\n\t}", siteBody)
}

// startCaddyWith runs a Caddyfile made of the test's fixed global options,
// extraGlobal (more global options), and one site.
func startCaddyWith(t testing.TB, extraGlobal, siteBody string) string {
	t.Helper()
	port := testenv.FreePort(t)
	cf := fmt.Sprintf(`{
	admin off
	persist_config off
	auto_https off
	%s
}
http://127.0.0.1:%d {
%s
}
`, extraGlobal, port, siteBody)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	loadCaddyfile(t, cf, addr)
	return "http://" + addr
}

// loadCaddyfile adapts and runs a whole Caddyfile in this process and
// waits until addr accepts connections.
func loadCaddyfile(t testing.TB, cf, addr string) {
	t.Helper()
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
	if err != nil {
		t.Fatalf("adapting Caddyfile: %v\n%s", err, cf)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("loading config: %v\n%s", err, cf)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
	waitListening(t, addr)
}

// waitListening waits (at most 10 s) until something accepts connections
// on addr.
func waitListening(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loadError returns the error Caddy gives when loading the site.
func loadError(t testing.TB, siteBody string) error {
	t.Helper()
	cf := fmt.Sprintf("{\n\tadmin off\n\tpersist_config off\n\tauto_https off\n}\nhttp://127.0.0.1:%d {\n%s\n}\n", testenv.FreePort(t), siteBody)
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
	if err != nil {
		return err
	}
	err = caddy.Load(cfg, true)
	if err == nil {
		_ = caddy.Stop()
	}
	return err
}

// copyDiscard reads a body to the end in small pieces.
func copyDiscard(r io.Reader) (int64, error) {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// client never follows redirects, never pools across tests, and never
// asks for compression, so that tests see exactly what the server sent.
var client = &http.Client{
	Timeout:       30 * time.Second,
	Transport:     &http.Transport{DisableCompression: true, DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends a request with headers given as "Name: value" strings ("Host:
// x" sets the Host). The path is sent as is (no cleaning, no re-encoding).
func do(t testing.TB, method, base, rawPath string, headers ...string) (*http.Response, string) {
	t.Helper()
	resp, body, err := send(method, base, rawPath, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawPath, err)
	}
	return resp, body
}

// doAfterReload is do for the first request after caddy.Load replaced a
// running config. The old server stops asynchronously: a connection it
// accepted just before its Shutdown began is closed unanswered (net/http
// drops a request it reads once shutting down), so a transport error is
// sent again, for at most two seconds. Any answer is final.
func doAfterReload(t testing.TB, method, base, rawPath string, headers ...string) (*http.Response, string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		resp, body, err := send(method, base, rawPath, headers...)
		if err == nil {
			return resp, body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s after the reload: %v", method, rawPath, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func send(method, base, rawPath string, headers ...string) (*http.Response, string, error) {
	req, err := http.NewRequest(method, base+"/", nil)
	if err != nil {
		return nil, "", err
	}
	host := req.URL.Host
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		if k, v = strings.TrimSpace(k), strings.TrimSpace(v); strings.EqualFold(k, "Host") {
			host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	// The request line carries the absolute URL (so the path goes out
	// as is), whose host the server takes over any Host header: both are
	// the asked host; the connection still goes to base.
	path, query, _ := strings.Cut(rawPath, "?")
	req.Host = host
	req.URL.Opaque = "//" + host + path
	req.URL.RawQuery = query
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		return nil, "", fmt.Errorf("reading body: %w", err)
	}
	return resp, b.String(), nil
}
