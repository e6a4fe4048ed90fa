package caddymodule

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/image-cdn/image_cdn/internal/testenv"
)

// loopbackDNS answers every A question with 127.0.0.1 and everything else
// with no records, over UDP and TCP (Pebble asks over TCP): Pebble's
// validation authority resolves the tenant's domain through it and reaches
// Caddy on loopback.
func loopbackDNS(t *testing.T) string {
	t.Helper()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, question := range q.Question {
			if question.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: question.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 1},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		}
		_ = w.WriteMsg(m)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, srv := range []*dns.Server{{Listener: l, Handler: handler}, {PacketConn: pc, Handler: handler}} {
		go func() { _ = srv.ActivateAndServe() }()
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return l.Addr().String()
}

// selfSigned writes a certificate and key for 127.0.0.1 (Pebble's own
// HTTPS listener) and returns their paths.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pebble test listener"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "listener.pem"), filepath.Join(dir, "listener.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestOnDemandACMEWithPebble runs the custom-domain setup against a real
// ACME server, Let's Encrypt's Pebble, with real HTTP-01/TLS-ALPN-01
// validation (Pebble resolves the tenant's domain to 127.0.0.1 through a
// test DNS server and connects to Caddy's ports): a tenant's domain gets a
// certificate chained to Pebble's root and serves the tenant's objects; a
// stranger's name gets none, and Pebble is never asked for it.
func TestOnDemandACMEWithPebble(t *testing.T) {
	pebble := testenv.Program(t, "pebble")
	s3srv.MakeBucket(t, "acme-tenant")
	s3srv.Put(t, "acme-tenant", "photos/a.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")

	dir := t.TempDir()
	httpPort, httpsPort := testenv.FreePort(t), testenv.FreePort(t)
	acmePort, mgmtPort := testenv.FreePort(t), testenv.FreePort(t)
	certFile, keyFile := selfSigned(t, dir)
	cfg := fmt.Sprintf(`{"pebble": {"listenAddress": "127.0.0.1:%d", "managementListenAddress": "127.0.0.1:%d",
		"certificate": %q, "privateKey": %q, "httpPort": %d, "tlsPort": %d, "ocspResponderURL": "",
		"externalAccountBindingRequired": false}}`, acmePort, mgmtPort, certFile, keyFile, httpPort, httpsPort)
	if err := os.WriteFile(filepath.Join(dir, "pebble.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pebble, "-config", filepath.Join(dir, "pebble.json"), "-dnsserver", loopbackDNS(t))
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", acmePort))
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", mgmtPort))

	storage := filepath.Join(dir, "caddy")
	loadCaddyfile(t, fmt.Sprintf(`{
	admin off
	persist_config off
	http_port %d
	https_port %d
	storage file_system %s
	on_demand_tls {
		permission image_cdn
	}
	log {
		level %s
	}
}
https:// {
	tls {
		on_demand
		issuer acme {
			dir https://127.0.0.1:%d/dir
			trusted_roots %s
		}
	}
	image_cdn {
		tenant images.customer-a.test {
			%s
		}
	}
}
`, httpPort, httpsPort, storage, cmp.Or(os.Getenv("ACME_TEST_LOG"), "ERROR"), acmePort, certFile, s3Block("a", s3srv.Endpoint(), "bucket acme-tenant", "path_style")),
		fmt.Sprintf("127.0.0.1:%d", httpsPort))

	// Pebble's root, from its management interface (random per run).
	listenerPEM, _ := os.ReadFile(certFile)
	listenerPool := x509.NewCertPool()
	listenerPool.AppendCertsFromPEM(listenerPEM)
	mgmt := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: listenerPool}}}
	resp, err := mgmt.Get(fmt.Sprintf("https://127.0.0.1:%d/roots/0", mgmtPort))
	if err != nil {
		t.Fatal(err)
	}
	rootPEM, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatalf("Pebble's root does not parse: %q", rootPEM)
	}

	addr := fmt.Sprintf("127.0.0.1:%d", httpsPort)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: roots},
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	resp, err = hc.Get("https://images.customer-a.test/tr:w-40/photos/a.jpg")
	if err != nil {
		t.Fatalf("HTTPS to the tenant's domain: %v\npebble:\n%s", err, log.String())
	}
	var body strings.Builder
	_, _ = copyTo(&body, resp)
	resp.Body.Close()
	if resp.StatusCode != 200 || decode(t, body.String()).width != 40 {
		t.Errorf("the tenant's image = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}
	if leaf := resp.TLS.PeerCertificates[0]; leaf.VerifyHostname("images.customer-a.test") != nil {
		t.Errorf("certificate names %v", leaf.DNSNames)
	}

	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
		&tls.Config{ServerName: "stranger.test", RootCAs: roots})
	if err == nil {
		conn.Close()
		t.Fatal("a name no tenant has got a certificate")
	}
	if strings.Contains(log.String(), "stranger.test") {
		t.Errorf("Pebble was asked about stranger.test:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "images.customer-a.test") {
		t.Errorf("Pebble's log does not show the tenant's order:\n%s", log.String())
	}
}
