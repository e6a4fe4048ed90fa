package caddymodule

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/minio/minio-go/v7"

	"github.com/image-cdn/image_cdn/internal/testenv"
	"github.com/image-cdn/image_cdn/signedurl"
)

// postPurge sends body to the admin purge route.
func postPurge(t *testing.T, admin, method, body string) (int, PurgeCounts, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+admin+"/image_cdn/purge", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw strings.Builder
	_, _ = copyTo(&raw, resp)
	var c PurgeCounts
	_ = json.Unmarshal([]byte(raw.String()), &c)
	return resp.StatusCode, c, raw.String()
}

func copyTo(b *strings.Builder, resp *http.Response) (int64, error) {
	buf := make([]byte, 4096)
	var n int64
	for {
		k, err := resp.Body.Read(buf)
		b.Write(buf[:k])
		n += int64(k)
		if err != nil {
			return n, nil
		}
	}
}

func objectExists(t *testing.T, bucket, key string) bool {
	t.Helper()
	_, err := s3srv.Client().StatObject(context.Background(), bucket, key, minio.StatObjectOptions{})
	return err == nil
}

// TestAdminPurge: a variant in the memory cache and in S3 result storage
// is dropped from both by POST /image_cdn/purge on Caddy's admin endpoint,
// and made again on the next request.
func TestAdminPurge(t *testing.T) {
	s3srv.MakeBucket(t, "purge-src")
	s3srv.MakeEmptyBucket(t, "purge-res")
	s3srv.Put(t, "purge-src", "photos/a.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	s3srv.Put(t, "purge-src", "photos/b.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	s3srv.Put(t, "purge-src", "other/c.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	port := testenv.FreePort(t)
	loadCaddyfile(t, fmt.Sprintf(`{
	admin %s
	persist_config off
	auto_https off
	log {
		level WARN
	}
}
http://127.0.0.1:%d {
	image_cdn {
		%s
		memory_cache 16MiB
		result_storage s3 {
			bucket purge-res
			endpoint %s
			access_key_id %s
			secret_access_key %s
			path_style
		}
	}
}
`, admin, port, s3Block("o", s3srv.Endpoint(), "bucket purge-src", "path_style"), s3srv.Endpoint(), s3srv.AccessKey, s3srv.SecretKey), admin)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	get := func(p string) string {
		resp, _ := do(t, "GET", base, p, "Accept: "+acceptOldIE)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d %s", p, resp.StatusCode, resp.Header.Get("Ik-Error"))
		}
		return resp.Header.Get("Cache-Status")
	}
	for _, p := range []string{"/tr:w-50/photos/a.jpg", "/tr:w-60/photos/a.jpg", "/tr:w-50/photos/b.jpg", "/tr:w-50/other/c.jpg"} {
		get(p)
	}
	for _, k := range []string{"photos/a.jpg/w-50.jpg", "photos/a.jpg/w-60.jpg", "photos/b.jpg/w-50.jpg", "other/c.jpg/w-50.jpg"} {
		waitForObject(t, "purge-res", k)
	}
	if cs := get("/tr:w-50/photos/a.jpg"); cs != "image_cdn; hit; detail=memory" {
		t.Fatalf("before the purge: %q", cs)
	}

	status, counts, raw := postPurge(t, admin, "POST", `{"paths": ["/photos/a.jpg"]}`)
	if status != 200 || counts.Memory != 2 || counts.ResultStorage != 2 || counts.Handlers != 1 || len(counts.Errors) != 0 {
		t.Fatalf("purge a path = %d %s", status, raw)
	}
	if objectExists(t, "purge-res", "photos/a.jpg/w-50.jpg") || objectExists(t, "purge-res", "photos/a.jpg/w-60.jpg") {
		t.Error("the purged variants are still in result storage")
	}
	if !objectExists(t, "purge-res", "photos/b.jpg/w-50.jpg") {
		t.Error("another source's variant was purged")
	}
	if cs := get("/tr:w-50/photos/a.jpg"); cs != "image_cdn; fwd=miss; stored" {
		t.Errorf("after the purge: %q, want a miss", cs)
	}
	if cs := get("/tr:w-50/photos/b.jpg"); cs != "image_cdn; hit; detail=memory" {
		t.Errorf("an unpurged variant: %q", cs)
	}

	status, counts, raw = postPurge(t, admin, "POST", `{"prefixes": ["/photos/"]}`)
	if status != 200 || counts.ResultStorage < 1 || counts.Memory != 2 {
		t.Fatalf("purge a prefix = %d %s", status, raw)
	}
	if objectExists(t, "purge-res", "photos/b.jpg/w-50.jpg") || !objectExists(t, "purge-res", "other/c.jpg/w-50.jpg") {
		t.Error("the prefix purge removed the wrong variants")
	}

	for _, c := range []struct {
		method, body string
		want         int
	}{
		{"GET", "", 405},
		{"POST", `{"paths": [`, 400},
		{"POST", `{}`, 400},
		{"POST", `{"paths": ["photos/a.jpg"]}`, 400},
		{"POST", `{"paths": ["/photos/"]}`, 400},
		{"POST", `{"path": ["/photos/a.jpg"]}`, 400},
	} {
		if status, _, raw := postPurge(t, admin, c.method, c.body); status != c.want {
			t.Errorf("%s %s = %d %s, want %d", c.method, c.body, status, raw, c.want)
		}
	}
}

// TestTenants: requests are dispatched by Host (any case, any port) to
// the tenant's own origin; an unknown host gets 404 ENOTENANT when the
// enclosing handler has no origin, and the enclosing origin when it has.
func TestTenants(t *testing.T) {
	s3srv.MakeBucket(t, "tenant-a")
	s3srv.MakeBucket(t, "tenant-b")
	s3srv.MakeBucket(t, "tenant-default")
	s3srv.Put(t, "tenant-a", "who.txt", []byte("a"), "text/plain")
	s3srv.Put(t, "tenant-b", "who.txt", []byte("b"), "text/plain")
	s3srv.Put(t, "tenant-default", "who.txt", []byte("default"), "text/plain")
	tenantsFile := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(tenantsFile, []byte(fmt.Sprintf(`
- domains: [b.example.test, "*.wild.example.test"]
  origins:
    - source: s3
      bucket: tenant-b
      endpoint: %s
      access_key_id: %s
      secret_access_key: %s
      path_style: true
`, s3srv.Endpoint(), s3srv.AccessKey, s3srv.SecretKey)), 0o644); err != nil {
		t.Fatal(err)
	}
	tenantA := "tenant a.example.test A2.Example.Test {\n\t\t\t" + s3Block("a", s3srv.Endpoint(), "bucket tenant-a", "path_style") + "\n\t\t}"
	// Some of these requests follow a reload: doAfterReload.
	who := func(t *testing.T, base, host string) (int, string, string) {
		resp, body := doAfterReload(t, "GET", base, "/who.txt", "Host: "+host)
		return resp.StatusCode, body, resp.Header.Get("Ik-Error")
	}
	// The site answers every Host, as a custom-domain site does.
	var lastCaddyfile string
	startAnyHost := func(t *testing.T, body string) string {
		port := testenv.FreePort(t)
		lastCaddyfile = fmt.Sprintf("{\n\tadmin off\n\tpersist_config off\n\tauto_https off\n\tlog {\n\t\tlevel WARN\n\t}\n}\nhttp://:%d {\n%s\n}\n", port, body)
		loadCaddyfile(t, lastCaddyfile, fmt.Sprintf("127.0.0.1:%d", port))
		return fmt.Sprintf("http://127.0.0.1:%d", port)
	}
	t.Run("no origin of its own", func(t *testing.T) {
		base := startAnyHost(t, site(tenantA, "tenants_file "+tenantsFile))
		for _, c := range []struct{ host, want string }{
			{"a.example.test", "a"}, {"A.EXAMPLE.TEST:8443", "a"}, {"a2.example.test", "a"},
			{"b.example.test", "b"}, {"x.wild.example.test", "b"},
		} {
			if status, body, e := who(t, base, c.host); status != 200 || body != c.want {
				t.Errorf("Host %s = %d %q %s, want %q", c.host, status, body, e, c.want)
			}
		}
		for _, host := range []string{"c.example.test", "wild.example.test", "a.b.wild.example.test", "127.0.0.1"} {
			if status, _, e := who(t, base, host); status != 404 || !strings.HasPrefix(e, "ENOTENANT") {
				t.Errorf("Host %s = %d %q, want 404 ENOTENANT", host, status, e)
			}
		}
		for name, want := range map[string]bool{"A.example.test": true, "x.wild.example.test": true, "c.example.test": false} {
			if err := (TenantPermission{}).CertificateAllowed(context.Background(), name); (err == nil) != want {
				t.Errorf("certificate for %s: %v, want allowed %v", name, err, want)
			}
		}

		// A reload re-reads the file: a tenant added there is served.
		data, _ := os.ReadFile(tenantsFile)
		added := strings.Replace(string(data), "[b.example.test,", "[b.example.test, c.example.test,", 1)
		if err := os.WriteFile(tenantsFile, []byte(added), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(lastCaddyfile), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := caddy.Load(cfg, true); err != nil {
			t.Fatal(err)
		}
		if status, body, e := who(t, base, "c.example.test"); status != 200 || body != "b" {
			t.Errorf("after the reload, the added domain = %d %q %s", status, body, e)
		}
		if err := (TenantPermission{}).CertificateAllowed(context.Background(), "c.example.test"); err != nil {
			t.Errorf("after the reload, certificate for the added domain: %v", err)
		}
	})
	t.Run("stopped: no certificate", func(t *testing.T) {
		// The previous subtest's Caddy stopped: its handlers left the registry.
		if err := (TenantPermission{}).CertificateAllowed(context.Background(), "a.example.test"); err == nil {
			t.Error("a stopped config still allows certificates")
		}
	})
	t.Run("with an origin of its own", func(t *testing.T) {
		base := startAnyHost(t, site(tenantA, s3Block("d", s3srv.Endpoint(), "bucket tenant-default", "path_style")))
		if status, body, _ := who(t, base, "a.example.test"); status != 200 || body != "a" {
			t.Errorf("tenant = %d %q", status, body)
		}
		if status, body, _ := who(t, base, "elsewhere.test"); status != 200 || body != "default" {
			t.Errorf("unknown host = %d %q, want the enclosing origin", status, body)
		}
	})
	t.Run("mistakes fail the config", func(t *testing.T) {
		for _, c := range []struct{ body, want string }{
			{site("tenant a.test b.test {\n" + s3Block("x", s3srv.Endpoint(), "bucket tenant-a") + "\n}\ntenant B.test {\n" + s3Block("y", s3srv.Endpoint(), "bucket tenant-b") + "\n}"), "another tenant"},
			{site("tenant a.test {\n}"), "origin"},
			{site("tenants_file /nonexistent/tenants.yaml"), "tenants_file"},
		} {
			if err := loadError(t, c.body); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s\n= %v, want an error about %s", c.body, err, c.want)
			}
		}
	})
}

// TestOnDemandTLSForTenants runs the complete custom-domain setup with
// Caddy's internal CA: a handshake for a tenant's domain gets a
// certificate, issued on demand and chained to the CA, and serves that
// tenant's objects from S3; a name no tenant has gets no certificate and
// causes no issuance.
func TestOnDemandTLSForTenants(t *testing.T) {
	s3srv.MakeBucket(t, "tls-tenant")
	s3srv.Put(t, "tls-tenant", "photos/a.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	storage := t.TempDir()
	httpsPort, httpPort := testenv.FreePort(t), testenv.FreePort(t)
	loadCaddyfile(t, fmt.Sprintf(`{
	admin off
	persist_config off
	http_port %d
	https_port %d
	skip_install_trust
	storage file_system %s
	on_demand_tls {
		permission image_cdn
	}
	log {
		level ERROR
	}
}
https:// {
	tls {
		on_demand
		issuer internal
	}
	image_cdn {
		tenant images.customer-a.test {
			%s
		}
	}
}
`, httpPort, httpsPort, storage, s3Block("a", s3srv.Endpoint(), "bucket tls-tenant", "path_style")), fmt.Sprintf("127.0.0.1:%d", httpsPort))

	rootPEM, err := os.ReadFile(filepath.Join(storage, "pki", "authorities", "local", "root.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatal("the internal CA's root does not parse")
	}
	addr := fmt.Sprintf("127.0.0.1:%d", httpsPort)
	handshake := func(name string) (*tls.Conn, error) {
		d := &net.Dialer{Timeout: 10 * time.Second}
		return tls.DialWithDialer(d, "tcp", addr, &tls.Config{ServerName: name, RootCAs: roots})
	}

	conn, err := handshake("images.customer-a.test")
	if err != nil {
		t.Fatalf("a tenant's domain: %v", err)
	}
	if cert := conn.ConnectionState().PeerCertificates[0]; cert.VerifyHostname("images.customer-a.test") != nil {
		t.Errorf("certificate names %v", cert.DNSNames)
	}
	conn.Close()

	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: roots},
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	resp, err := hc.Get("https://images.customer-a.test/tr:w-40/photos/a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	_, _ = copyTo(&body, resp)
	resp.Body.Close()
	if resp.StatusCode != 200 || decode(t, body.String()).width != 40 {
		t.Errorf("the tenant's image over HTTPS = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}

	if conn, err := handshake("stranger.test"); err == nil {
		conn.Close()
		t.Fatal("a name no tenant has got a certificate")
	}
	issued, _ := filepath.Glob(filepath.Join(storage, "certificates", "*", "*"))
	for _, dir := range issued {
		if filepath.Base(dir) != "images.customer-a.test" {
			t.Errorf("unexpected certificate in storage: %s", dir)
		}
	}
	if len(issued) != 1 {
		t.Errorf("certificates in storage: %v, want the tenant's only", issued)
	}
}

// scrape reads Caddy's metrics endpoint on the admin address.
func scrape(t *testing.T, admin string) string {
	t.Helper()
	resp, err := client.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = copyTo(&b, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	return b.String()
}

// sample returns the value of the series line that starts with series
// (name and labels exactly as exposed), or -1.
func seriesValue(exposition, series string) float64 {
	for _, line := range strings.Split(exposition, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			if _, err := fmt.Sscan(rest, &v); err == nil {
				return v
			}
		}
	}
	return -1
}

// TestMetricsEndpointAcrossReload scrapes Caddy's own metrics endpoint:
// the image_cdn families are there, they count what happened, and a config
// reload keeps the counts instead of starting again from zero.
func TestMetricsEndpointAcrossReload(t *testing.T) {
	s3srv.MakeBucket(t, "metrics-src")
	s3srv.Put(t, "metrics-src", "a.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	port := testenv.FreePort(t)
	config := func(cacheControl string) string {
		return fmt.Sprintf(`{
	admin %s
	persist_config off
	auto_https off
	metrics
	log {
		level ERROR
	}
}
http://127.0.0.1:%d {
	image_cdn {
		%s
		memory_cache 1MiB
		sign_key secret-for-metrics
		cache_control "%s"
	}
}
`, admin, port, s3Block("src", s3srv.Endpoint(), "bucket metrics-src", "path_style"), cacheControl)
	}
	loadCaddyfile(t, config("public, max-age=60"), admin)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	before := scrape(t, admin)
	const ok = `caddy_image_cdn_requests_total{code="200",source="transform"}`
	const refused = `caddy_image_cdn_admission_rejections_total{reason="signature"}`
	okBefore, refusedBefore := max(seriesValue(before, ok), 0), max(seriesValue(before, refused), 0)

	signed := func(p string) string { return signedurl.Sign(p, []byte("secret-for-metrics"), time.Time{}) }
	get := func(p string, want int) {
		resp, _ := do(t, "GET", base, p, "Accept: "+acceptOldIE)
		if resp.StatusCode != want {
			t.Fatalf("GET %s = %d %s, want %d", p, resp.StatusCode, resp.Header.Get("Ik-Error"), want)
		}
	}
	get(signed("/tr:w-30/a.jpg"), 200)
	get("/tr:w-31/a.jpg", 401)

	// A reload: a new config, a new registry.
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(config("public, max-age=120")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := caddy.Load(cfg, false); err != nil {
		t.Fatal(err)
	}
	waitListening(t, admin)
	if resp, _ := doAfterReload(t, "GET", base, signed("/tr:w-32/a.jpg"), "Accept: "+acceptOldIE); resp.StatusCode != 200 {
		t.Fatalf("after the reload: GET = %d %s, want 200", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}

	after := scrape(t, admin)
	if got := seriesValue(after, ok); got != okBefore+2 {
		t.Errorf("%s = %v after the reload, want %v", ok, got, okBefore+2)
	}
	if got := seriesValue(after, refused); got != refusedBefore+1 {
		t.Errorf("%s = %v, want %v", refused, got, refusedBefore+1)
	}
	for _, family := range []string{
		"caddy_image_cdn_transform_seconds_count", "caddy_image_cdn_queue_wait_seconds_count",
		"caddy_image_cdn_transforms_in_flight", "caddy_image_cdn_queue_length",
		"caddy_image_cdn_origin_fetch_seconds_count", "caddy_image_cdn_origin_fetch_bytes_total",
		"caddy_image_cdn_cache_lookups_total", "caddy_image_cdn_memory_cache_bytes",
		"caddy_image_cdn_vips_tracked_memory_bytes",
	} {
		if !strings.Contains(after, "\n"+family) {
			t.Errorf("the scrape has no %s", family)
		}
	}
	if v := seriesValue(after, `caddy_image_cdn_origin_fetch_bytes_total{origin="src"}`); v < float64(len(sample(t, "photos/sunset.jpg"))) {
		t.Errorf("origin bytes = %v", v)
	}
	if out := os.Getenv("IMAGE_CDN_SCRAPE_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(after), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHealth: the health handler runs the real pipeline and reports the
// origins; an origin that refuses the credentials turns it to 503.
func TestHealth(t *testing.T) {
	s3srv.MakeBucket(t, "health-src")
	type report struct {
		Status    string
		Transform struct {
			OK    bool
			Error string
		}
		Origins []struct {
			Name  string
			OK    bool
			Error string
		}
	}
	check := func(base string) (int, report, http.Header) {
		resp, body := do(t, "GET", base, "/healthz")
		var r report
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("health body %q: %v", body, err)
		}
		return resp.StatusCode, r, resp.Header
	}
	healthSite := func(check string, origins ...string) string {
		return "\thandle /healthz {\n\t\timage_cdn_health {\n\t\t\t" + check + "\n\t\t}\n\t}\n\thandle {\n" + site(origins...) + "\n\t}"
	}

	base := startCaddy(t, healthSite("check_origins health/probe.jpg", s3Block("good", s3srv.Endpoint(), "bucket health-src", "path_style")))
	status, r, hdr := check(base)
	if status != 200 || r.Status != "ok" || !r.Transform.OK || len(r.Origins) != 1 || !r.Origins[0].OK || r.Origins[0].Name != "good" {
		t.Errorf("healthy = %d %+v", status, r)
	}
	if hdr.Get("Cache-Control") != "no-store" || hdr.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", hdr)
	}

	bad := strings.Replace(s3Block("bad", s3srv.Endpoint(), "bucket health-src", "path_style"), s3srv.SecretKey, "wrong-secret", 1)
	base = startCaddy(t, healthSite("check_origins health/probe.jpg", bad))
	status, r, _ = check(base)
	if status != 503 || r.Status != "fail" || !r.Transform.OK || len(r.Origins) != 1 || r.Origins[0].OK || r.Origins[0].Error != "denied" {
		t.Errorf("refused origin = %d %+v", status, r)
	}

	// Without check_origins only the pipeline is checked.
	base = startCaddy(t, healthSite("timeout 5s", bad))
	if status, r, _ := check(base); status != 200 || len(r.Origins) != 0 {
		t.Errorf("pipeline only = %d %+v", status, r)
	}
}

// TestCustomDomainExample: the commented custom-domain setup in
// Caddyfile.example, uncommented, adapts and provisions (caddy validate).
func TestCustomDomainExample(t *testing.T) {
	data, err := os.ReadFile("../Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(data), "# --- Custom domains per tenant")
	if !ok {
		t.Fatal("Caddyfile.example has no custom-domain section")
	}
	var cf strings.Builder
	for _, line := range strings.Split(block, "\n")[1:] {
		if strings.HasPrefix(line, "# ---") {
			break
		}
		rest, ok := strings.CutPrefix(line, "# ")
		if !ok || strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "More tenants") ||
			strings.HasPrefix(rest, "Each customer") {
			continue // prose, not configuration
		}
		cf.WriteString(rest + "\n")
	}
	text := cf.String()
	if !strings.HasPrefix(text, "{") {
		// The prose lines above the block: keep from the first brace.
		text = text[strings.Index(text, "\n{")+1:]
	}
	t.Setenv("CUSTOMER_A_SIGN_KEY", "k")
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(text), nil)
	if err != nil {
		t.Fatalf("adapting the example: %v\n%s", err, text)
	}
	for _, want := range []string{`"permission":{"module":"image_cdn"}`, `"tenants":[{"domains":["images.customer-a.com","img.customer-a.net"]`, `"handler":"image_cdn_health"`} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("the adapted example lacks %s:\n%s", want, cfg)
		}
	}
	var parsed caddy.Config
	if err := json.Unmarshal(cfg, &parsed); err != nil {
		t.Fatal(err)
	}
	if err := caddy.Validate(&parsed); err != nil {
		t.Errorf("caddy validate: %v", err)
	}
}
