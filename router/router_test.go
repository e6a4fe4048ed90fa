package router

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func b(name string) Bucket { return Bucket{Name: name} }

func mustNew(t testing.TB, cfg Config) *Router {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func names(bs []Bucket) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Name
	}
	return out
}

// TestIssueTable checks every row of the table in issue 4 (the same as
// imagor's "Pattern Examples"): the captured bucket text and the S3 key. The
// captured text is observed twice: through a rule that maps it to a bucket,
// and, where it is a valid bucket name, in passthrough.
func TestIssueTable(t *testing.T) {
	for _, tc := range []struct {
		pattern, key, captured, s3key string
	}{
		{`^[a-f0-9]{4}-(?P<bucket>[A-Z]{2})-`, "f7a3-SG-image.jpg", "SG", "f7a3-SG-image.jpg"},
		{`^(?P<bucket>[^/]+)/`, "users/photo.jpg", "users", "users/photo.jpg"},
		{`(?P<bucket>[a-z]{2}-[a-z]+-\d)`, "eu-west-1-img.jpg", "eu-west-1", "eu-west-1-img.jpg"},
		{`^(?P<bucket>mysite-[a-z]+)\/(?P<path>.+)$`, "mysite-test/images/photo.jpg", "mysite-test", "images/photo.jpg"},
		{`^(?P<bucket>[^/]+)\/(?P<path>.+)$`, "any-bucket/images/photo.jpg", "any-bucket", "images/photo.jpg"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			withRule := mustNew(t, Config{
				Pattern: tc.pattern,
				Default: &Bucket{Name: "the-default"},
				Rules:   []Rule{{Match: tc.captured, Bucket: b("routed-bucket")}},
			})
			got, err := withRule.Route(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"routed-bucket"}; !reflect.DeepEqual(names(got.Buckets), want) || got.Key != tc.s3key {
				t.Errorf("rule: got %v %q, want %v %q", names(got.Buckets), got.Key, want, tc.s3key)
			}

			if !ValidBucketName(tc.captured) {
				return // "SG": a rule can map it, passthrough must refuse it
			}
			pass := mustNew(t, Config{Pattern: tc.pattern})
			got, err = pass.Route(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{tc.captured}; !reflect.DeepEqual(names(got.Buckets), want) || got.Key != tc.s3key {
				t.Errorf("passthrough: got %v %q, want %v %q", names(got.Buckets), got.Key, want, tc.s3key)
			}
		})
	}
}

func TestRoute(t *testing.T) {
	yes := true
	regional := Config{
		Pattern:   `^[a-f0-9]{4}-(?P<bucket>[A-Z]{2})-`,
		Default:   &Bucket{Name: "imagor-default", Options: BucketOptions{Region: "us-east-1"}},
		Fallbacks: []Bucket{{Name: "imagor-archive", Options: BucketOptions{Region: "us-west-2"}}},
		Rules: []Rule{
			{Match: "SG", Bucket: Bucket{Name: "imagor-singapore", Options: BucketOptions{Region: "ap-southeast-1"}}},
			{Match: "US", Bucket: b("imagor-us")},
		},
	}
	rulesOnly := Config{
		Pattern: `^(?P<bucket>[^/]+)/`,
		Rules:   []Rule{{Match: "users", Bucket: b("users-bucket")}},
	}
	prefix := Config{
		Pattern: `^(?P<bucket>mysite-[a-z]+)/(?P<path>.+)$`,
		Default: &Bucket{Name: "mysite-prod"},
		Rules:   []Rule{{Match: "mysite-test", Bucket: b("mysite-test")}},
	}
	optional := Config{
		Pattern: `^(?:(?P<bucket>[a-z]+):)?(?P<path>[^:]*)$`,
		Default: &Bucket{Name: "fallthrough"},
		Rules:   []Rule{{Match: "cats", Bucket: b("cats-bucket")}},
	}
	dedupe := Config{
		Pattern: `^(?P<bucket>[^/]+)/`,
		Default: &Bucket{Name: "main-bucket"},
		Fallbacks: []Bucket{
			b("main-bucket"), // equal to the default: not asked twice
			{Name: "main-bucket", Options: BucketOptions{PathStyle: &yes}}, // other options: kept
		},
		Rules: []Rule{{Match: "old", Bucket: b("old-bucket")}},
	}
	passthrough := Config{
		Pattern:   `^(?P<bucket>[^/]+)/(?P<path>.+)$`,
		Fallbacks: []Bucket{b("shared-fallback"), b("last-resort")},
	}
	allow := Config{
		Pattern: `^(?P<bucket>[^/]+)/(?P<path>.+)$`,
		Allow:   []string{"tenant-*", "static-assets"},
	}
	emptyCapture := Config{Pattern: `^(?P<bucket>[a-z]*)/(?P<path>.+)$`}

	for _, tc := range []struct {
		name    string
		cfg     Config
		key     string
		buckets []string
		s3key   string
		err     error
	}{
		{"rule hit, fallback follows", regional, "f7a3-SG-image.jpg", []string{"imagor-singapore", "imagor-archive"}, "f7a3-SG-image.jpg", nil},
		{"one leading slash ignored", regional, "/f7a3-US-image.jpg", []string{"imagor-us", "imagor-archive"}, "f7a3-US-image.jpg", nil},
		{"no rule: default", regional, "1234-JP-test.jpg", []string{"imagor-default", "imagor-archive"}, "1234-JP-test.jpg", nil},
		{"no match: default", regional, "regular-image.jpg", []string{"imagor-default", "imagor-archive"}, "regular-image.jpg", nil},
		{"match is case-sensitive", regional, "f7a3-sg-image.jpg", []string{"imagor-default", "imagor-archive"}, "f7a3-sg-image.jpg", nil},
		{"match is equality, not prefix", rulesOnly, "users2/a.jpg", nil, "", ErrNoBucket},
		{"empty key", regional, "", nil, "", ErrNoKey},
		{"slash only", regional, "/", nil, "", ErrNoKey},

		{"rules without default: hit", rulesOnly, "users/a.jpg", []string{"users-bucket"}, "users/a.jpg", nil},
		{"rules without default: miss", rulesOnly, "admins/a.jpg", nil, "", ErrNoBucket},
		{"rules without default: no match", rulesOnly, "a.jpg", nil, "", ErrNoBucket},

		{"path group strips the prefix", prefix, "mysite-test/images/photo.jpg", []string{"mysite-test"}, "images/photo.jpg", nil},
		{"path group also for the default", prefix, "mysite-other/images/photo.jpg", []string{"mysite-prod"}, "images/photo.jpg", nil},
		{"no match: whole key to default", prefix, "elsewhere/photo.jpg", []string{"mysite-prod"}, "elsewhere/photo.jpg", nil},

		{"optional bucket group absent: default", optional, "photo.jpg", []string{"fallthrough"}, "photo.jpg", nil},
		{"optional bucket group present", optional, "cats:tom.jpg", []string{"cats-bucket"}, "tom.jpg", nil},
		{"empty path capture: whole key", optional, "cats:", []string{"cats-bucket"}, "cats:", nil},

		{"fallback equal to chosen bucket left out", dedupe, "x/a.jpg", []string{"main-bucket", "main-bucket"}, "x/a.jpg", nil},
		{"rule bucket keeps both fallbacks", dedupe, "old/a.jpg", []string{"old-bucket", "main-bucket", "main-bucket"}, "old/a.jpg", nil},

		{"passthrough", passthrough, "any-bucket/images/photo.jpg", []string{"any-bucket", "shared-fallback", "last-resort"}, "images/photo.jpg", nil},
		{"passthrough: fallback as bucket not repeated", passthrough, "last-resort/a.jpg", []string{"last-resort", "shared-fallback"}, "a.jpg", nil},
		{"passthrough: uppercase refused", passthrough, "Any-Bucket/a.jpg", nil, "", ErrNoBucket},
		{"passthrough: too short", passthrough, "ab/a.jpg", nil, "", ErrNoBucket},
		{"passthrough: IP address", passthrough, "192.168.1.1/a.jpg", nil, "", ErrNoBucket},
		{"passthrough: dot-dot", passthrough, "../etc/passwd", nil, "", ErrNoBucket},
		{"passthrough: no match", passthrough, "photo.jpg", nil, "", ErrNoBucket},
		{"passthrough: empty capture", emptyCapture, "/a.jpg", nil, "", ErrNoBucket},

		{"allow glob", allow, "tenant-acme/a.jpg", []string{"tenant-acme"}, "a.jpg", nil},
		{"allow exact", allow, "static-assets/css/site.css", []string{"static-assets"}, "css/site.css", nil},
		{"allow refuses others", allow, "billing-exports/a.csv", nil, "", ErrNoBucket},
		{"allow still needs a valid name", allow, "tenant-ACME/a.jpg", nil, "", ErrNoBucket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mustNew(t, tc.cfg).Route(tc.key)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Route(%q) error = %v, want %v", tc.key, err, tc.err)
			}
			if err != nil {
				if !reflect.DeepEqual(got, Route{}) {
					t.Errorf("Route(%q) returned %+v with an error", tc.key, got)
				}
				return
			}
			if !reflect.DeepEqual(names(got.Buckets), tc.buckets) || got.Key != tc.s3key {
				t.Errorf("Route(%q) = %v %q, want %v %q", tc.key, names(got.Buckets), got.Key, tc.buckets, tc.s3key)
			}
		})
	}
}

func TestRouteCarriesOptions(t *testing.T) {
	no := false
	opts := BucketOptions{Region: "eu-west-1", Endpoint: "https://s3.example.com", AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "ST", PathStyle: &no}
	r := mustNew(t, Config{
		Pattern:   `^(?P<bucket>[a-z]+)-`,
		Default:   &Bucket{Name: "default-bucket"},
		Fallbacks: []Bucket{{Name: "archive", Options: BucketOptions{Region: "us-west-2"}}},
		Rules:     []Rule{{Match: "eu", Bucket: Bucket{Name: "eu-bucket", Options: opts}}},
	})
	got, err := r.Route("eu-photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	want := []Bucket{{Name: "eu-bucket", Options: opts}, {Name: "archive", Options: BucketOptions{Region: "us-west-2"}}}
	if !reflect.DeepEqual(got.Buckets, want) {
		t.Errorf("got %+v, want %+v", got.Buckets, want)
	}
}

func TestRouterBuckets(t *testing.T) {
	r := mustNew(t, Config{
		Pattern:   `^(?P<bucket>[a-z]+)/`,
		Default:   &Bucket{Name: "main-bucket"},
		Fallbacks: []Bucket{b("archive-bucket")},
		Rules:     []Rule{{Match: "a", Bucket: b("a-bucket")}, {Match: "b", Bucket: b("main-bucket")}},
	})
	if passesThrough(r) {
		t.Error("passthrough with rules and a default")
	}
	if got, want := names(r.Buckets()), []string{"main-bucket", "a-bucket", "archive-bucket"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Buckets() = %v, want %v", got, want)
	}

	p := mustNew(t, Config{Pattern: `^(?P<bucket>[a-z-]+)/`, Fallbacks: []Bucket{b("archive-bucket")}})
	if !passesThrough(p) {
		t.Error("no passthrough with no rules and no default")
	}
	if got, want := names(p.Buckets()), []string{"archive-bucket"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Buckets() = %v, want %v", got, want)
	}
}

func TestNewErrors(t *testing.T) {
	ok := `^(?P<bucket>[^/]+)/`
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no pattern", Config{}, `router: pattern is required`},
		{"bad regex", Config{Pattern: `^(?P<bucket>[a-z`}, "router: pattern \"^(?P<bucket>[a-z\": error parsing regexp: missing closing ]: `[a-z`"},
		{"no bucket group", Config{Pattern: `^[a-f0-9]{4}-([A-Z]{2})-`}, `router: pattern "^[a-f0-9]{4}-([A-Z]{2})-" has no (?P<bucket>...) group`},
		{"other group names", Config{Pattern: `^(?P<Bucket>[^/]+)/(?P<path>.*)`}, `router: pattern "^(?P<Bucket>[^/]+)/(?P<path>.*)" has no (?P<bucket>...) group`},
		{"two bucket groups", Config{Pattern: `(?P<bucket>a)|(?P<bucket>b)`}, `router: pattern "(?P<bucket>a)|(?P<bucket>b)" has more than one (?P<bucket>...) group`},
		{"two path groups", Config{Pattern: `(?P<bucket>a)(?P<path>b)(?P<path>c)`}, `router: pattern "(?P<bucket>a)(?P<path>b)(?P<path>c)" has more than one (?P<path>...) group`},
		{"three fallbacks", Config{Pattern: ok, Fallbacks: []Bucket{b("fb-one"), b("fb-two"), b("fb-three")}}, `router: at most 2 fallback buckets, got 3`},
		{"fallback without name", Config{Pattern: ok, Fallbacks: []Bucket{b("fb-one"), {Options: BucketOptions{Region: "x"}}}}, `router: fallback bucket 2: name is required`},
		{"fallback invalid", Config{Pattern: ok, Fallbacks: []Bucket{b("Archive_2019")}}, `router: fallback bucket 1 "Archive_2019": not a valid S3 bucket name`},
		{"fallback repeated", Config{Pattern: ok, Fallbacks: []Bucket{b("fb-one"), b("fb-one")}}, `router: fallback bucket 2 repeats fallback bucket 1 ("fb-one")`},
		{"default without name", Config{Pattern: ok, Default: &Bucket{}}, `router: default bucket: name is required`},
		{"default invalid", Config{Pattern: ok, Default: &Bucket{Name: "xn--bucket"}}, `router: default bucket "xn--bucket": not a valid S3 bucket name`},
		{"rule without match", Config{Pattern: ok, Rules: []Rule{{Bucket: b("some-bucket")}}}, `router: rule 1: match is required`},
		{"rule repeated", Config{Pattern: ok, Rules: []Rule{{Match: "SG", Bucket: b("bucket-a")}, {Match: "US", Bucket: b("bucket-b")}, {Match: "SG", Bucket: b("bucket-c")}}}, `router: rule 3: match "SG" repeats rule 1`},
		{"rule without bucket", Config{Pattern: ok, Rules: []Rule{{Match: "SG"}}}, `router: rule 1 (match "SG") bucket: name is required`},
		{"rule invalid bucket", Config{Pattern: ok, Rules: []Rule{{Match: "SG", Bucket: b("SG")}}}, `router: rule 1 (match "SG") bucket "SG": not a valid S3 bucket name`},
		{"allow outside passthrough", Config{Pattern: ok, Default: &Bucket{Name: "main-bucket"}, Allow: []string{"*"}}, `router: allow applies only to passthrough (no rules and no default bucket)`},
		{"allow empty", Config{Pattern: ok, Allow: []string{"tenant-*", ""}}, `router: allow entry 2 is empty`},
		{"allow bad glob", Config{Pattern: ok, Allow: []string{"tenant-[a-"}}, `router: allow "tenant-[a-": syntax error in pattern`},
		{"allow invalid exact name", Config{Pattern: ok, Allow: []string{"Tenant"}}, `router: allow "Tenant": not a valid S3 bucket name`},
		{"default key id without secret", Config{Pattern: ok, Default: &Bucket{Name: "main-bucket", Options: BucketOptions{AccessKeyID: "AK"}}}, `router: default bucket "main-bucket": access_key_id is set but secret_access_key is empty`},
		{"fallback secret without key id", Config{Pattern: ok, Fallbacks: []Bucket{{Name: "fb-one", Options: BucketOptions{SecretAccessKey: "SK"}}}}, `router: fallback bucket 1 "fb-one": secret_access_key is set but access_key_id is empty`},
		{"rule token without keys", Config{Pattern: ok, Rules: []Rule{{Match: "SG", Bucket: Bucket{Name: "bucket-sg", Options: BucketOptions{SessionToken: "T"}}}}}, `router: rule 1 (match "SG") bucket "bucket-sg": session_token needs access_key_id and secret_access_key`},
		{"rule token with secret only", Config{Pattern: ok, Rules: []Rule{{Match: "SG", Bucket: Bucket{Name: "bucket-sg", Options: BucketOptions{SecretAccessKey: "SK", SessionToken: "T"}}}}}, `router: rule 1 (match "SG") bucket "bucket-sg": secret_access_key is set but access_key_id is empty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.cfg)
			if err == nil {
				t.Fatalf("New succeeded (%v), want error %q", r != nil, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
		})
	}
}

// TestRouteSharedSlices checks that configured chains are built once: two
// requests to the same rule get the same backing array, no new one each time.
func TestRouteSharedSlices(t *testing.T) {
	r := mustNew(t, Config{Pattern: `^(?P<bucket>[a-z]+)/`, Default: &Bucket{Name: "main-bucket"}})
	a, _ := r.Route("x/1.jpg")
	c, _ := r.Route("y/2.jpg")
	if &a.Buckets[0] != &c.Buckets[0] {
		t.Error("default chain rebuilt per request")
	}
}

func BenchmarkRoute(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
		key  string
	}{
		{"rule", Config{
			Pattern:   `^[a-f0-9]{4}-(?P<bucket>[A-Z]{2})-`,
			Default:   &Bucket{Name: "imagor-default"},
			Fallbacks: []Bucket{{Name: "imagor-archive"}},
			Rules:     []Rule{{Match: "SG", Bucket: Bucket{Name: "imagor-singapore"}}, {Match: "US", Bucket: Bucket{Name: "imagor-us"}}},
		}, "f7a3-SG-products/red-dress.jpg"},
		{"default-no-match", Config{
			Pattern: `^[a-f0-9]{4}-(?P<bucket>[A-Z]{2})-`,
			Default: &Bucket{Name: "imagor-default"},
		}, "products/red-dress.jpg"},
		{"path-prefix", Config{
			Pattern: `^(?P<bucket>mysite-[a-z]+)/(?P<path>.+)$`,
			Default: &Bucket{Name: "mysite-prod"},
			Rules:   []Rule{{Match: "mysite-test", Bucket: Bucket{Name: "mysite-test"}}},
		}, "mysite-test/images/photo.jpg"},
		{"passthrough-allow", Config{
			Pattern:   `^(?P<bucket>[^/]+)/(?P<path>.+)$`,
			Fallbacks: []Bucket{{Name: "shared-fallback"}},
			Allow:     []string{"tenant-*"},
		}, "tenant-acme/images/photo.jpg"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := mustNew(b, bc.cfg)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Route(bc.key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzRoute feeds arbitrary paths to a router of each kind and to
// SplitWildcard: none may panic, and every answer must be usable as is.
func FuzzRoute(f *testing.F) {
	for _, seed := range []string{
		"", "/", "//", "f7a3-SG-image.jpg", "mysite-test/images/photo.jpg", "any-bucket/images/photo.jpg",
		"/tenant-a/x", "192.168.0.1/a", "a..b/c", "xn--abc/d", "\xff\xfe/\x00", "mysite-test/", strings.Repeat("a", 70) + "/k",
	} {
		f.Add(seed)
	}
	routers := []*Router{
		mustNew(f, Config{
			Pattern:   `^[a-f0-9]{4}-(?P<bucket>[A-Z]{2})-`,
			Default:   &Bucket{Name: "imagor-default"},
			Fallbacks: []Bucket{{Name: "imagor-archive"}},
			Rules:     []Rule{{Match: "SG", Bucket: Bucket{Name: "imagor-singapore"}}},
		}),
		mustNew(f, Config{
			Pattern: `^(?P<bucket>mysite-[a-z]+)/(?P<path>.+)$`,
			Default: &Bucket{Name: "mysite-prod"},
		}),
		mustNew(f, Config{Pattern: `^(?P<bucket>[^/]*)/?(?P<path>.*)$`, Fallbacks: []Bucket{{Name: "shared-fallback"}}}),
		mustNew(f, Config{Pattern: `(?P<bucket>[^/]+)`, Allow: []string{"tenant-*", "static-assets"}}),
	}
	f.Fuzz(func(t *testing.T, p string) {
		for i, r := range routers {
			got, err := r.Route(p)
			if err != nil {
				if !errors.Is(err, ErrNoBucket) && !errors.Is(err, ErrNoKey) {
					t.Fatalf("router %d: unexpected error %v", i, err)
				}
				continue
			}
			if len(got.Buckets) == 0 || got.Key == "" {
				t.Fatalf("router %d: Route(%q) = %+v", i, p, got)
			}
			for _, bk := range got.Buckets {
				if !ValidBucketName(bk.Name) {
					t.Fatalf("router %d: Route(%q) gave invalid bucket %q", i, p, bk.Name)
				}
			}
			if !strings.Contains(p, got.Key) {
				t.Fatalf("router %d: key %q is not part of %q", i, got.Key, p)
			}
		}
		bucket, key, err := SplitWildcard(p)
		if err == nil && (!ValidBucketName(bucket) || key == "" || strings.TrimPrefix(p, "/") != bucket+"/"+key) {
			t.Fatalf("SplitWildcard(%q) = %q, %q", p, bucket, key)
		}
	})
}

// passesThrough reports whether r uses the captured text as the bucket
// name: routing "probe/k" then chooses bucket "probe".
func passesThrough(r *Router) bool {
	rt, err := r.Route("probe/k")
	return err == nil && rt.Buckets[0].Name == "probe"
}
