package resultstore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/image-cdn/image_cdn/internal/s3test"
	"github.com/image-cdn/image_cdn/s3conn"
)

// purgeable is a Store that a purge can empty.
type purgeable interface {
	Store
	PrefixDeleter
}

// testPurge is the purge contract: deleting a source's prefixes drops
// every variant of that source and nothing else; a path prefix drops every
// source under it.
func testPurge(t *testing.T, s purgeable) {
	ctx := context.Background()
	long := strings.Repeat("y", 300) // a segment too long: keys are hashed
	put := func(objectPath, chain, ext string) string {
		k := Key(objectPath, chain, ext)
		if err := s.Put(ctx, k, &Entry{Body: []byte("b"), ETag: `"e"`}); err != nil {
			t.Fatalf("Put(%q): %v", k, err)
		}
		return k
	}
	present := func(k string) bool {
		_, err := s.Stat(ctx, k)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatalf("Stat(%q): %v", k, err)
		}
		return err == nil
	}
	purge := func(prefixes ...string) int {
		total := 0
		for _, p := range prefixes {
			n, err := s.DeletePrefix(ctx, p)
			if err != nil {
				t.Fatalf("DeletePrefix(%q): %v", p, err)
			}
			total += n
		}
		return total
	}

	target := []string{put("a/b.jpg", "w-300", "webp"), put("a/b.jpg", "", "jpg"), put("a/b.jpg", strings.Repeat("w-1:", 300), "png")}
	keep := []string{put("a/b.jpg.bak", "w-1", "webp"), put("a/bc.jpg", "w-1", "webp"), put("x/b.jpg", "w-1", "webp")}
	hashed := put("a/"+long+".jpg", "w-1", "webp")

	if n := purge(SourcePrefixes("a/b.jpg")...); n != len(target) {
		t.Errorf("purging a/b.jpg removed %d, want %d", n, len(target))
	}
	for _, k := range target {
		if present(k) {
			t.Errorf("%q survived its purge", k)
		}
	}
	for _, k := range keep {
		if !present(k) {
			t.Errorf("%q was purged with a/b.jpg", k)
		}
	}
	if n := purge(SourcePrefixes("a/" + long + ".jpg")...); n != 1 || present(hashed) {
		t.Errorf("purging a long path removed %d, hashed variant present %v", n, present(hashed))
	}
	if n := purge(PathPrefix("a/")); n != 2 || present(keep[0]) || present(keep[1]) || !present(keep[2]) {
		t.Errorf("purging prefix a/ removed %d; kept %v %v %v", n, present(keep[0]), present(keep[1]), present(keep[2]))
	}
	if n := purge(PathPrefix("nothing/here/")); n != 0 {
		t.Errorf("purging an empty prefix removed %d", n)
	}
	if n := purge(PathPrefix("")); n != 1 || present(keep[2]) {
		t.Errorf("purging everything removed %d", n)
	}
}

func TestPurgeMemory(t *testing.T) { testPurge(t, NewMemory(1<<20)) }

func TestPurgeDir(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	testPurge(t, d)
}

func TestPurgeS3(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{Buckets: []string{"purge"}})
	client, err := s3conn.New(s3conn.Config{
		Endpoint: srv.Endpoint(), AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, PathStyle: true,
	}, s3test.LoopbackTransport())
	if err != nil {
		t.Fatal(err)
	}
	testPurge(t, &S3{Client: client, Bucket: "purge", Folder: s3conn.NormalizeFolder("/v/")})
}

func TestPathPrefix(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"a/", "a/"},
		{"a/b", "a/b"},
		{"100%/", "100%25/"},
	} {
		if got := PathPrefix(c.in); got != c.want {
			t.Errorf("PathPrefix(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
