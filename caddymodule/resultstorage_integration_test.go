package caddymodule

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// waitForObject polls until key exists in bucket: result storage writes
// after the response.
func waitForObject(t *testing.T, bucket, key string) minio.ObjectInfo {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := s3srv.Client().StatObject(context.Background(), bucket, key, minio.StatObjectOptions{})
		if err == nil {
			return info
		}
		if time.Now().After(deadline) {
			var keys []string
			for o := range s3srv.Client().ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
				keys = append(keys, o.Key)
			}
			t.Fatalf("%s/%s was not stored: %v (bucket holds %q)", bucket, key, err, keys)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestS3ResultStorage(t *testing.T) {
	s3srv.MakeBucket(t, "rs-source")
	s3srv.MakeEmptyBucket(t, "rs-results") // the first request below must be a miss, on every -count run
	s3srv.Put(t, "rs-source", "photos/red dress+1 #2.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	s3srv.Put(t, "rs-source", "photos/changing.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	originProxy := s3srv.RecordingProxy(t)
	storeProxy := s3srv.RecordingProxy(t)
	config := func(extra ...string) string {
		return site(append([]string{
			s3Block("o", originProxy.Endpoint(), "bucket rs-source", "path_style"),
			`result_storage s3 {
			bucket rs-results
			folder /variants/
			endpoint ` + storeProxy.VirtualEndpoint() + `
			access_key_id ` + s3srv.AccessKey + `
			secret_access_key ` + s3srv.SecretKey + `
			acl private
		}`}, extra...)...)
	}
	const path = "/tr:w-200,h-100/photos/red%20dress+1%20%232.jpg"

	// Instance one makes the variant and stores it after answering.
	first := startCaddy(t, config())
	resp, body := do(t, "GET", first, path, "Accept: "+acceptSafari)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Status") != "image_cdn; fwd=miss; stored" {
		t.Fatalf("first = %d %q %s", resp.StatusCode, resp.Header.Get("Cache-Status"), resp.Header.Get("Ik-Error"))
	}
	etag := resp.Header.Get("ETag")
	if d := decode(t, body); d.format != "webp" || d.width != 200 || d.height != 100 {
		t.Fatalf("variant = %+v", d)
	}
	// The key is readable by a human listing the bucket.
	stored := waitForObject(t, "rs-results", "variants/photos/red dress+1 #2.jpg/w-200,h-100.webp")
	if stored.ContentType != "image/webp" {
		t.Errorf("stored Content-Type = %q", stored.ContentType)
	}

	// Instance two, sharing the storage, serves it without the origin.
	second := startCaddy(t, config())
	originProxy.Reset()
	resp, body2 := do(t, "GET", second, path, "Accept: "+acceptSafari)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Status") != "image_cdn; hit; detail=storage" || body2 != body {
		t.Errorf("second instance = %d %q, same body %v", resp.StatusCode, resp.Header.Get("Cache-Status"), body2 == body)
	}
	if resp.Header.Get("ETag") != etag {
		t.Errorf("ETag differs across instances: %q %q", etag, resp.Header.Get("ETag"))
	}
	if n := len(originProxy.Requests()); n != 0 {
		t.Errorf("a storage hit asked the origin %d times", n)
	}

	t.Run("304 from storage metadata only", func(t *testing.T) {
		storeProxy.Reset()
		resp, _ := do(t, "GET", second, path, "Accept: "+acceptSafari, "If-None-Match: "+etag)
		if resp.StatusCode != 304 {
			t.Errorf("= %d", resp.StatusCode)
		}
		for _, r := range storeProxy.Requests() {
			if r.Method != "HEAD" {
				t.Errorf("the 304 read storage with %s %s", r.Method, r.Path)
			}
		}
	})

	t.Run("304 for a variant not stored yet costs a HEAD", func(t *testing.T) {
		const p = "/tr:w-77/photos/changing.jpg"
		plain := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket rs-source", "path_style")))
		resp, _ := do(t, "GET", plain, p, "Accept: "+acceptOldIE)
		tag := resp.Header.Get("ETag")
		base := startCaddy(t, config())
		originProxy.Reset()
		resp, _ = do(t, "GET", base, p, "Accept: "+acceptOldIE, "If-None-Match: "+tag)
		if resp.StatusCode != 304 {
			t.Errorf("= %d, want 304", resp.StatusCode)
		}
		for _, r := range originProxy.Requests() {
			if r.Method != "HEAD" {
				t.Errorf("the 304 cost a %s at the origin", r.Method)
			}
		}
	})

	t.Run("check_source regenerates after the source changes", func(t *testing.T) {
		base := startCaddy(t, config("check_source"))
		const p = "/tr:w-64/photos/changing.jpg"
		resp, _ := do(t, "GET", base, p, "Accept: "+acceptOldIE)
		firstTag := resp.Header.Get("ETag")
		waitForObject(t, "rs-results", "variants/photos/changing.jpg/w-64.jpg")
		resp, _ = do(t, "GET", base, p, "Accept: "+acceptOldIE)
		if resp.Header.Get("Cache-Status") != "image_cdn; hit; detail=storage" {
			t.Fatalf("unchanged source = %q", resp.Header.Get("Cache-Status"))
		}
		s3srv.Put(t, "rs-source", "photos/changing.jpg", sample(t, "photos/seeding.jpg"), "image/jpeg")
		resp, body := do(t, "GET", base, p, "Accept: "+acceptOldIE)
		if resp.Header.Get("Cache-Status") != "image_cdn; fwd=miss; stored" || resp.Header.Get("ETag") == firstTag {
			t.Errorf("after overwrite: %q, ETag %q (was %q)", resp.Header.Get("Cache-Status"), resp.Header.Get("ETag"), firstTag)
		}
		if d := decode(t, body); d.height != 36 { // seeding is 16:9, sunset 3:2
			t.Errorf("regenerated from the old source: %+v", d)
		}
	})

	t.Run("storage down: requests still succeed", func(t *testing.T) {
		storeProxy.SetStatus(500)
		defer storeProxy.SetStatus(0)
		base := startCaddy(t, config())
		for i := 0; i < 2; i++ {
			resp, _ := do(t, "GET", base, "/tr:w-50/photos/changing.jpg", "Accept: "+acceptOldIE)
			if resp.StatusCode != 200 {
				t.Errorf("with storage failing = %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
			}
		}
	})
}

func TestMemoryCacheAndFileStorage(t *testing.T) {
	s3srv.MakeBucket(t, "mem-source")
	s3srv.Put(t, "mem-source", "a.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	dir := t.TempDir()
	base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket mem-source", "path_style"),
		"memory_cache 16MiB", "result_storage file "+dir))
	statuses := []string{"image_cdn; fwd=miss; stored", "image_cdn; hit; detail=memory"}
	for _, want := range statuses {
		resp, _ := do(t, "GET", base, "/tr:w-80/a.jpg", "Accept: "+acceptChrome)
		if got := resp.Header.Get("Cache-Status"); got != want {
			t.Errorf("Cache-Status = %q, want %q", got, want)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "a.jpg", "w-80.webp")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the variant was not written to the result directory")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A fresh instance (empty memory) finds it in the directory.
	base = startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket mem-source", "path_style"), "result_storage file "+dir))
	resp, _ := do(t, "GET", base, "/tr:w-80/a.jpg", "Accept: "+acceptSafari)
	if got := resp.Header.Get("Cache-Status"); got != "image_cdn; hit; detail=storage" || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
		t.Errorf("file storage hit = %q vary %q", got, resp.Header.Get("Vary"))
	}
}

// TestWildcardResultStorage: with `bucket *` on both sides, the variant
// of /<bucket>/<key> is stored in <bucket>, under the key's own path.
func TestWildcardResultStorage(t *testing.T) {
	s3srv.MakeBucket(t, "tenant-one")
	s3srv.Put(t, "tenant-one", "img/a.jpg", sample(t, "photos/sunset.jpg"), "image/jpeg")
	base := startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket *", "path_style"), `result_storage s3 {
			bucket *
			folder variants
			endpoint `+s3srv.Endpoint()+`
			path_style
			access_key_id `+s3srv.AccessKey+`
			secret_access_key `+s3srv.SecretKey+`
		}`))
	resp, _ := do(t, "GET", base, "/tenant-one/tr:w-50/img/a.jpg", "Accept: "+acceptOldIE)
	if resp.StatusCode != 404 {
		// tr: must come first: after the bucket it is part of the key.
		t.Errorf("tr: after the bucket segment = %d, want 404", resp.StatusCode)
	}
	resp, _ = do(t, "GET", base, "/tr:w-50/tenant-one/img/a.jpg", "Accept: "+acceptOldIE)
	if resp.StatusCode != 200 {
		t.Fatalf("= %d %s", resp.StatusCode, resp.Header.Get("Ik-Error"))
	}
	waitForObject(t, "tenant-one", "variants/img/a.jpg/w-50.jpg")
	resp, _ = do(t, "GET", startCaddy(t, site(s3Block("o", s3srv.Endpoint(), "bucket *", "path_style"), `result_storage s3 {
			bucket *
			folder variants
			endpoint `+s3srv.Endpoint()+`
			path_style
			access_key_id `+s3srv.AccessKey+`
			secret_access_key `+s3srv.SecretKey+`
		}`)), "/tr:w-50/tenant-one/img/a.jpg", "Accept: "+acceptOldIE)
	if got := resp.Header.Get("Cache-Status"); got != "image_cdn; hit; detail=storage" {
		t.Errorf("second instance: %q", got)
	}
}
