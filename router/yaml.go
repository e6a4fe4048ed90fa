package router

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// The shape of imagor's bucket router file (S3_LOADER_BUCKET_ROUTER_CONFIG),
// as read by imagor's config/awsconfig: buckets are always mappings, never
// plain names, and path_style is not part of it.
type yamlFile struct {
	RoutingPattern  string       `yaml:"routing_pattern"`
	DefaultBucket   *yamlBucket  `yaml:"default_bucket"`
	FallbackBuckets []yamlBucket `yaml:"fallback_buckets"`
	Rules           []yamlRule   `yaml:"rules"`
}

type yamlRule struct {
	Match  string      `yaml:"match"`
	Bucket *yamlBucket `yaml:"bucket"`
}

type yamlBucket struct {
	Name            string `yaml:"name"`
	Region          string `yaml:"region"`
	Endpoint        string `yaml:"endpoint"`
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	SessionToken    string `yaml:"session_token"`
}

// ParseYAML reads imagor's bucket router YAML as is:
//
//	routing_pattern: "^(?P<bucket>[^/]+)/(?P<path>.+)$"   # required
//	default_bucket:   {name, region, endpoint, access_key_id, secret_access_key, session_token}
//	fallback_buckets: [ <bucket>, ... ]                    # at most 2
//	rules:
//	  - match: <captured text>
//	    bucket: <bucket>
//
// Every bucket is a mapping with a name, as in imagor; the other fields may be
// left out and are then inherited. An absent or null default_bucket means no
// default. Unlike imagor, which ignores them, unknown keys are an error that
// names the key and its line. The result still has to go through [New], which
// checks names, fallbacks and the pattern.
func ParseYAML(data []byte) (Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f yamlFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{}, errors.New("router: routing_pattern is required (the file is empty)")
		}
		return Config{}, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("router: the file holds more than one YAML document")
	}
	if f.RoutingPattern == "" {
		return Config{}, errors.New("router: routing_pattern is required")
	}

	cfg := Config{Pattern: f.RoutingPattern}
	if f.DefaultBucket != nil {
		b := f.DefaultBucket.bucket()
		cfg.Default = &b
	}
	for _, fb := range f.FallbackBuckets {
		cfg.Fallbacks = append(cfg.Fallbacks, fb.bucket())
	}
	for _, r := range f.Rules {
		rule := Rule{Match: r.Match}
		if r.Bucket != nil {
			rule.Bucket = r.Bucket.bucket()
		}
		cfg.Rules = append(cfg.Rules, rule)
	}
	return cfg, nil
}

// LoadFile reads and parses the YAML file at path (see [ParseYAML]). Errors
// name the file.
func LoadFile(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("router: %w", err) // *fs.PathError names the path
	}
	cfg, err := ParseYAML(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func (y yamlBucket) bucket() Bucket {
	return Bucket{Name: y.Name, Options: BucketOptions{
		Region:          y.Region,
		Endpoint:        y.Endpoint,
		AccessKeyID:     y.AccessKeyID,
		SecretAccessKey: y.SecretAccessKey,
		SessionToken:    y.SessionToken,
	}}
}

// yamlShapes describes each decoded Go type in the file's own terms, for
// error messages: what it is, its keys, and what a value of it looks like.
var yamlShapes = map[string]struct{ what, keys, want string }{
	"router.yamlFile":     {"the file", "routing_pattern, default_bucket, fallback_buckets, rules", "a mapping"},
	"router.yamlRule":     {"a rule", "match, bucket", "a rule mapping (match:, bucket:)"},
	"router.yamlBucket":   {"a bucket", "name, region, endpoint, access_key_id, secret_access_key, session_token", "a bucket mapping with at least name:"},
	"[]router.yamlRule":   {"rules", "", "a list of rules"},
	"[]router.yamlBucket": {"fallback_buckets", "", "a list of bucket mappings"},
	"string":              {"a value", "", "a single value"},
}

var (
	unknownField = regexp.MustCompile(`^(line \d+): field (.+) not found in type (\S+)$`)
	wrongKind    = regexp.MustCompile(`^(line \d+): cannot unmarshal !!(\w+)(?: .*)? into (\S+)$`)
)

// yamlError rewrites yaml.v3's type errors, which speak of Go types, into
// the file's keys: `line 4: unknown key "prefix" in a rule (known: match, bucket)`.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("router: %w", err)
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		if m := unknownField.FindStringSubmatch(e); m != nil {
			shape := yamlShapes[m[3]]
			msgs = append(msgs, fmt.Sprintf("%s: unknown key %q in %s (known: %s)", m[1], m[2], shape.what, shape.keys))
			continue
		}
		if m := wrongKind.FindStringSubmatch(e); m != nil {
			if want := yamlShapes[m[3]].want; want != "" {
				msgs = append(msgs, fmt.Sprintf("%s: expected %s, found a %s", m[1], want, kindName(m[2])))
				continue
			}
		}
		msgs = append(msgs, e)
	}
	return errors.New("router: " + strings.Join(msgs, "; "))
}

func kindName(tag string) string {
	switch tag {
	case "seq":
		return "list"
	case "map":
		return "mapping"
	}
	return "scalar"
}
