package router

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// imagorExample is testdata/imagor-example.yaml written as a Go Config.
var imagorExample = Config{
	Pattern:   `^[a-f0-9]{4}-(?P<bucket>[A-Za-z0-9]+)-`,
	Default:   &Bucket{Name: "imagor-default", Options: BucketOptions{Region: "us-east-1"}},
	Fallbacks: []Bucket{{Name: "imagor-archive", Options: BucketOptions{Region: "us-west-2"}}},
	Rules: []Rule{
		{Match: "SG", Bucket: Bucket{Name: "imagor-singapore", Options: BucketOptions{Region: "ap-southeast-1"}}},
		{Match: "US", Bucket: Bucket{Name: "imagor-us", Options: BucketOptions{Region: "us-east-1"}}},
		{Match: "EU", Bucket: Bucket{Name: "imagor-eu", Options: BucketOptions{
			Region:          "eu-west-1",
			Endpoint:        "https://s3.custom-endpoint.com",
			AccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
			SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		}}},
	},
}

// pathPrefix is testdata/path-prefix.yaml written as a Go Config.
var pathPrefix = Config{
	Pattern: `^(?P<bucket>mysite-[a-z]+)\/(?P<path>.+)$`,
	Default: &Bucket{Name: "mysite-prod"},
	Fallbacks: []Bucket{
		{Name: "mysite-archive"},
		{Name: "mysite-legacy", Options: BucketOptions{
			Endpoint: "http://legacy.internal:9000", Region: "auto",
			AccessKeyID: "legacy-key", SecretAccessKey: "legacy-secret", SessionToken: "legacy-token",
		}},
	},
	Rules: []Rule{
		{Match: "mysite-test", Bucket: Bucket{Name: "mysite-test", Options: BucketOptions{Region: "auto"}}},
		{Match: "mysite-dev", Bucket: Bucket{Name: "mysite-dev-bucket", Options: BucketOptions{Region: "auto"}}},
	},
}

func TestLoadFile(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Config
	}{
		{"imagor-example.yaml", imagorExample},
		{"path-prefix.yaml", pathPrefix},
		{"passthrough.yaml", Config{Pattern: `^(?P<bucket>[^/]+)\/(?P<path>.+)$`}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := LoadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if _, err := New(got); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}
}

// TestYAMLAndGoRouteAlike routes the same paths through the router built from
// each YAML file and from the same content written as a Go Config (what the
// Caddyfile produces): every answer must be equal.
func TestYAMLAndGoRouteAlike(t *testing.T) {
	paths := []string{
		"f7a3-SG-image.jpg", "f7a3-US-image.jpg", "0000-EU-a/b.png", "f7a3-JP-image.jpg", "f7a3-sg-image.jpg",
		"plain.jpg", "/f7a3-SG-image.jpg", "", "mysite-test/images/photo.jpg", "mysite-dev/x.jpg",
		"mysite-other/x.jpg", "other/x.jpg", "any-bucket/images/photo.jpg", "Any/x.jpg", "mysite-test/",
	}
	for _, tc := range []struct {
		file string
		cfg  Config
	}{
		{"imagor-example.yaml", imagorExample},
		{"path-prefix.yaml", pathPrefix},
		{"passthrough.yaml", Config{Pattern: `^(?P<bucket>[^/]+)\/(?P<path>.+)$`}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			fromYAML, err := LoadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			ry, rg := mustNew(t, fromYAML), mustNew(t, tc.cfg)
			for _, p := range paths {
				gy, ey := ry.Route(p)
				gg, eg := rg.Route(p)
				if ey != eg || !reflect.DeepEqual(gy, gg) {
					t.Errorf("Route(%q): YAML %+v %v, Go %+v %v", p, gy, ey, gg, eg)
				}
			}
		})
	}
}

func TestImagorExampleRoutes(t *testing.T) {
	cfg, err := LoadFile(filepath.Join("testdata", "imagor-example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := mustNew(t, cfg)
	for _, tc := range []struct {
		key     string
		buckets []string
	}{
		{"f7a3-SG-image.jpg", []string{"imagor-singapore", "imagor-archive"}},
		{"abcd-EU-photo.png", []string{"imagor-eu", "imagor-archive"}},
		{"1234-JP-test.jpg", []string{"imagor-default", "imagor-archive"}},
		{"regular-image.jpg", []string{"imagor-default", "imagor-archive"}},
	} {
		got, err := r.Route(tc.key)
		if err != nil {
			t.Fatalf("Route(%q): %v", tc.key, err)
		}
		if !reflect.DeepEqual(names(got.Buckets), tc.buckets) || got.Key != tc.key {
			t.Errorf("Route(%q) = %v %q, want %v %q", tc.key, names(got.Buckets), got.Key, tc.buckets, tc.key)
		}
	}
	eu, _ := r.Route("abcd-EU-photo.png")
	if o := eu.Buckets[0].Options; o.Endpoint != "https://s3.custom-endpoint.com" || o.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" {
		t.Errorf("EU bucket options = %+v", o)
	}
}

func TestParseYAMLValues(t *testing.T) {
	// Scalars keep their text: a match of 01 stays "01", not 1.
	cfg, err := ParseYAML([]byte("routing_pattern: '(?P<bucket>\\d+)'\nrules:\n  - match: 01\n    bucket: {name: zero-one}\n  - match: true\n    bucket: {name: yes-bucket}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Rules[0].Match != "01" || cfg.Rules[1].Match != "true" {
		t.Errorf("matches = %q, %q", cfg.Rules[0].Match, cfg.Rules[1].Match)
	}
	// A null default_bucket is no default: passthrough, as in imagor.
	cfg, err = ParseYAML([]byte("routing_pattern: '(?P<bucket>[a-z]+)'\ndefault_bucket:\nrules: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Default != nil || !passesThrough(mustNew(t, cfg)) {
		t.Errorf("null default_bucket: %+v", cfg)
	}
}

func TestParseYAMLErrors(t *testing.T) {
	const pattern = "routing_pattern: '^(?P<bucket>[^/]+)/'\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"empty", "", `router: routing_pattern is required (the file is empty)`},
		{"no pattern", "default_bucket: {name: imagor-default}\n", `router: routing_pattern is required`},
		{"unknown top-level key", pattern + "path_style: true\n",
			`router: line 2: unknown key "path_style" in the file (known: routing_pattern, default_bucket, fallback_buckets, rules)`},
		{"imagor's old prefix rules", pattern + "rules:\n  - prefix: users\n    bucket: {name: users-bucket}\n",
			`router: line 3: unknown key "prefix" in a rule (known: match, bucket)`},
		{"unknown bucket key", pattern + "default_bucket:\n  name: imagor-default\n  secret_key: x\n",
			`router: line 4: unknown key "secret_key" in a bucket (known: name, region, endpoint, access_key_id, secret_access_key, session_token)`},
		{"two unknown keys", pattern + "foo: 1\nbar: 2\n",
			`router: line 2: unknown key "foo" in the file (known: routing_pattern, default_bucket, fallback_buckets, rules); line 3: unknown key "bar" in the file (known: routing_pattern, default_bucket, fallback_buckets, rules)`},
		{"default bucket as a plain name", pattern + "default_bucket: imagor-default\n",
			`router: line 2: expected a bucket mapping with at least name:, found a scalar`},
		{"fallback names as plain strings", pattern + "fallback_buckets:\n  - imagor-archive\n",
			`router: line 3: expected a bucket mapping with at least name:, found a scalar`},
		{"fallback_buckets as a mapping", pattern + "fallback_buckets: {name: x}\n",
			`router: line 2: expected a list of bucket mappings, found a mapping`},
		{"rules as a mapping", pattern + "rules: {SG: bucket-sg}\n",
			`router: line 2: expected a list of rules, found a mapping`},
		{"pattern as a list", "routing_pattern: [a]\n",
			`router: line 1: expected a single value, found a list`},
		{"not a mapping", "- a\n", `router: line 1: expected a mapping, found a list`},
		{"duplicate key", pattern + "routing_pattern: x\n", `router: line 2: mapping key "routing_pattern" already defined at line 1`},
		{"syntax error", pattern + "rules: [\n", `router: yaml: line 2: did not find expected node content`},
		{"two documents", pattern + "---\n" + pattern, `router: the file holds more than one YAML document`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseYAML([]byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
		})
	}
}

// Names and limits are checked by New, with the same messages as the Go form.
func TestYAMLThroughNew(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"three fallbacks", "routing_pattern: '(?P<bucket>x)'\nfallback_buckets: [{name: fb-one}, {name: fb-two}, {name: fb-three}]\n",
			`router: at most 2 fallback buckets, got 3`},
		{"default without name", "routing_pattern: '(?P<bucket>x)'\ndefault_bucket: {region: us-east-1}\n",
			`router: default bucket: name is required`},
		{"rule without bucket", "routing_pattern: '(?P<bucket>x)'\nrules: [{match: SG}]\n",
			`router: rule 1 (match "SG") bucket: name is required`},
		{"no bucket group", "routing_pattern: '^(x)/'\n", `router: pattern "^(x)/" has no (?P<bucket>...) group`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseYAML([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(cfg)
			if err == nil || err.Error() != tc.want {
				t.Errorf("New error = %v, want %s", err, tc.want)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope", "bucket-routing.yaml")
	_, err := LoadFile(missing)
	if want := "router: open " + missing + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("missing file: %v, want %s", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file error does not unwrap to fs.ErrNotExist: %v", err)
	}

	bad := filepath.Join("testdata", "unknown-key.yaml")
	_, err = LoadFile(bad)
	if want := bad + `: router: line 5: unknown key "prefix" in a rule (known: match, bucket)`; err == nil || err.Error() != want {
		t.Errorf("bad file: %v, want %s", err, want)
	}
	if err != nil && !strings.Contains(err.Error(), "unknown-key.yaml") {
		t.Errorf("error does not name the file: %v", err)
	}
}
