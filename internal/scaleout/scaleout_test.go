// Package scaleout proves the several-instances story: two Caddy
// processes with image_cdn behind Caddy's own reverse_proxy load
// balancer, sharing S3 result storage.
package scaleout

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/minio/minio-go/v7"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/image-cdn/image_cdn"
	"github.com/image-cdn/image_cdn/internal/caddyproc"
	"github.com/image-cdn/image_cdn/internal/s3test"
)

func TestMain(m *testing.M) {
	caddyproc.Main() // each instance is this binary run as Caddy
	os.Exit(m.Run())
}

// instance is one Caddy process.
type instance struct {
	name, site, admin string
}

// startInstance runs a child Caddy with image_cdn reading src and storing
// variants in the shared results bucket.
func startInstance(t *testing.T, srv *s3test.Server, name string) instance {
	t.Helper()
	in := instance{name: name,
		site:  caddyproc.FreeAddr(t),
		admin: caddyproc.FreeAddr(t)}
	s3 := fmt.Sprintf("endpoint %s\n\t\t\taccess_key_id %s\n\t\t\tsecret_access_key %s\n\t\t\tpath_style",
		srv.Endpoint(), srv.AccessKey, srv.SecretKey)
	cf := fmt.Sprintf(`{
	admin %s
	persist_config off
	auto_https off
	metrics
	log {
		level ERROR
	}
}
http://%s {
	header X-Instance %s
	image_cdn {
		origin s3 {
			bucket src
			%s
		}
		result_storage s3 {
			bucket results
			folder variants
			%s
		}
	}
}
`, in.admin, in.site, name, s3, s3)
	p := caddyproc.Start(t, cf)
	p.WaitListening(t, in.site)
	p.WaitListening(t, in.admin)
	return in
}

// metric reads one series from an instance's metrics endpoint; 0 when
// absent.
func (in instance) metric(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + in.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			var v float64
			fmt.Sscan(rest, &v)
			return v
		}
	}
	return 0
}

// TestSharedResultStorage: a variant made by one instance is served by
// the other from the shared S3 result storage without transforming.
func TestSharedResultStorage(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{Buckets: []string{"src", "results"}})
	photo, err := os.ReadFile("../../samples/photos/sunset.jpg")
	if err != nil {
		t.Fatal(err)
	}
	srv.Put(t, "src", "photos/a.jpg", photo, "image/jpeg")
	one, two := startInstance(t, srv, "one"), startInstance(t, srv, "two")

	// The load balancer: Caddy's own reverse_proxy, in this process.
	lb := caddyproc.FreeAddr(t)
	cf := fmt.Sprintf("{\n\tadmin off\n\tpersist_config off\n\tauto_https off\n}\nhttp://%s {\n\treverse_proxy %s %s {\n\t\tlb_policy round_robin\n\t}\n}\n", lb, one.site, two.site)
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })

	get := func() (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", "http://"+lb+"/tr:w-120/photos/a.jpg", nil)
		req.Header.Set("Accept", "image/webp")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	first, body1 := get()
	if first.StatusCode != 200 || first.Header.Get("Cache-Status") != "image_cdn; fwd=miss; stored" {
		t.Fatalf("first = %d %q %s", first.StatusCode, first.Header.Get("Cache-Status"), first.Header.Get("Ik-Error"))
	}
	maker := first.Header.Get("X-Instance")

	// Stored after the response: wait for it to be in the bucket.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := srv.Client().StatObject(context.Background(), "results", "variants/photos/a.jpg/w-120.webp", minio.StatObjectOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the variant was not stored: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	second, body2 := get()
	other := second.Header.Get("X-Instance")
	if other == maker || other == "" {
		t.Fatalf("round robin sent both requests to %q", maker)
	}
	if second.StatusCode != 200 || second.Header.Get("Cache-Status") != "image_cdn; hit; detail=storage" || string(body2) != string(body1) {
		t.Errorf("instance %s = %d %q, same body %v", other, second.StatusCode, second.Header.Get("Cache-Status"), string(body2) == string(body1))
	}
	if second.Header.Get("ETag") != first.Header.Get("ETag") {
		t.Errorf("ETags differ: %q %q", first.Header.Get("ETag"), second.Header.Get("ETag"))
	}

	byName := map[string]instance{one.name: one, two.name: two}
	const transforms = `caddy_image_cdn_transform_seconds_count{format="webp",outcome="ok"}`
	if n := byName[maker].metric(t, transforms); n != 1 {
		t.Errorf("instance %s transformed %v times, want 1", maker, n)
	}
	if n := byName[other].metric(t, transforms); n != 0 {
		t.Errorf("instance %s transformed %v times, want 0 (served from storage)", other, n)
	}
	if n := byName[other].metric(t, `caddy_image_cdn_requests_total{code="200",source="storage"}`); n != 1 {
		t.Errorf("instance %s served %v from storage, want 1", other, n)
	}
}
