package s3origin

import (
	"reflect"
	"testing"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/router"
	"github.com/image-cdn/image_cdn/s3conn"
)

// TestResolve checks which buckets, with which client, a path maps to;
// no request is sent (resolve never touches the network).
func TestResolve(t *testing.T) {
	own, eu := new(s3conn.Client), new(s3conn.Client)
	euOpts := router.BucketOptions{Region: "eu-west-1"}
	rt, err := router.New(router.Config{
		Pattern:   `^(?P<bucket>[a-z]+)/(?P<path>.+)$`,
		Default:   &router.Bucket{Name: "main-bucket"},
		Fallbacks: []router.Bucket{{Name: "archive-bucket"}},
		Rules:     []router.Rule{{Match: "eu", Bucket: router.Bucket{Name: "eu-bucket", Options: euOpts}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	routed := &Origin{Client: own, Folder: "img/", Router: rt, Routed: map[router.BucketOptions]*s3conn.Client{euOpts: eu}}
	type want struct {
		buckets []string
		clients []*s3conn.Client
		key     string
	}
	for _, tt := range []struct {
		name string
		o    *Origin
		key  string
		want want
	}{
		{"fixed", &Origin{Client: own, Bucket: "photos", Folder: "img/"}, "a/b.jpg", want{[]string{"photos"}, []*s3conn.Client{own}, "img/a/b.jpg"}},
		{"wildcard", &Origin{Client: own, Bucket: Wildcard}, "tenant-one/a/b.jpg", want{[]string{"tenant-one"}, []*s3conn.Client{own}, "a/b.jpg"}},
		{"rule with its own client, then fallback", routed, "eu/x.jpg", want{[]string{"eu-bucket", "archive-bucket"}, []*s3conn.Client{eu, own}, "img/x.jpg"}},
		{"default, then fallback", routed, "us/x.jpg", want{[]string{"main-bucket", "archive-bucket"}, []*s3conn.Client{own, own}, "img/x.jpg"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			targets, key, err := tt.o.resolve(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			var got want
			got.key = key
			for _, tg := range targets {
				got.buckets = append(got.buckets, tg.bucket)
				got.clients = append(got.clients, tg.client)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v %s, want %v %s", got.buckets, got.key, tt.want.buckets, tt.want.key)
			}
		})
	}
	for _, key := range []string{"Not_A_Bucket/a.jpg", "tenant-one/", "nobucket"} {
		if _, _, err := (&Origin{Client: own, Bucket: Wildcard}).resolve(key); !origin.IsNotFound(err) {
			t.Errorf("wildcard %q: %v, want NotFound before any request", key, err)
		}
	}
}

func TestClientConfig(t *testing.T) {
	base := s3conn.Config{Endpoint: "http://a", Region: "r1", AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "T"}
	yes := true
	for _, tt := range []struct {
		name string
		opts router.BucketOptions
		want s3conn.Config
	}{
		{"inherits everything", router.BucketOptions{}, base},
		{"own region and endpoint", router.BucketOptions{Region: "r2", Endpoint: "http://b"},
			s3conn.Config{Endpoint: "http://b", Region: "r2", AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "T"}},
		{"credentials replaced as a set", router.BucketOptions{AccessKeyID: "AK2", SecretAccessKey: "SK2"},
			s3conn.Config{Endpoint: "http://a", Region: "r1", AccessKeyID: "AK2", SecretAccessKey: "SK2"}},
		{"path style", router.BucketOptions{PathStyle: &yes},
			s3conn.Config{Endpoint: "http://a", Region: "r1", AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "T", PathStyle: true}},
	} {
		if got := ClientConfig(base, tt.opts); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
