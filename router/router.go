// Package router decides which S3 bucket, and which key inside it, a request
// path maps to. It is pure logic: no network, no S3 client, no Caddy.
//
// Three ways of choosing a bucket are supported:
//
//   - a fixed bucket, which needs nothing from this package;
//   - the wildcard bucket (`bucket *`): the first path segment is the bucket,
//     the rest is the key, see [SplitWildcard];
//   - the imagor-compatible regex router, see [Config] and [Router.Route],
//     configured inline or through imagor's YAML file, see [ParseYAML].
//
// The regex router follows imagor's S3 loader bucket router
// (github.com/cshum/imagor, loader/s3routerloader and docs/docs/storage-s3.md):
//
//   - Pattern is a Go regular expression with a named group (?P<bucket>…),
//     optionally (?P<path>…). It is not anchored unless written so; the
//     leftmost match counts. One leading "/" of the key is ignored.
//   - The text captured by the bucket group is compared with each rule's
//     Match by exact, case-sensitive string equality (not a regex, not a
//     prefix). A hit picks that rule's bucket.
//   - No rule hit, or no match of the pattern at all: the default bucket.
//   - The fallback buckets (at most two) follow the chosen bucket, in order.
//     The caller tries them only when the object is not found; any other
//     error stops the chain. A fallback equal to the chosen bucket is left
//     out, so no bucket is asked twice.
//   - Passthrough: no rules and no default bucket. The captured text is the
//     bucket name itself. It must be a valid S3 bucket name (see
//     [ValidBucketName]) and, when Allow is set, match one of its globs;
//     otherwise Route answers [ErrNoBucket] and S3 is never called.
//   - Key: the text captured by the path group when the pattern has one, it
//     matched and the capture is not empty; otherwise the whole key. This
//     holds whichever bucket was chosen, default included.
package router

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// MaxFallbacks is the number of fallback buckets a router accepts, as in imagor.
const MaxFallbacks = 2

// ErrNoBucket means the request maps to no bucket: in passthrough the pattern
// did not match, the captured name is not a valid S3 bucket name or is not
// allowed; with rules and no default, nothing matched; in wildcard mode the
// first segment is not a valid bucket name. The handler answers 404 and never
// calls S3.
var ErrNoBucket = errors.New("router: no bucket for this path")

// ErrNoKey means the path maps to an empty object key (for example "/bucket/"
// in wildcard mode), which S3 would read as the bucket itself. The handler
// answers 404 and never calls S3.
var ErrNoKey = errors.New("router: empty object key")

// BucketOptions are per-bucket overrides. An empty string or nil means:
// inherit from the enclosing origin, then from the AWS credential chain.
type BucketOptions struct {
	Region          string
	Endpoint        string
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	PathStyle       *bool
}

// Bucket is an S3 bucket and the options used to reach it.
type Bucket struct {
	Name    string
	Options BucketOptions
}

// Rule sends requests whose captured bucket text equals Match to Bucket.
type Rule struct {
	// Match is compared with the (?P<bucket>…) capture by exact equality.
	Match  string
	Bucket Bucket
}

// Config is the regex router's configuration, the same whether it comes from
// the Caddyfile, Caddy JSON or imagor's YAML file.
type Config struct {
	// Pattern must contain (?P<bucket>…) and may contain (?P<path>…); each
	// at most once.
	Pattern string
	// Default receives requests no rule claims. Nil with no Rules means
	// passthrough.
	Default *Bucket
	// Fallbacks are tried in order when the object is not in the chosen
	// bucket; at most MaxFallbacks.
	Fallbacks []Bucket
	// Rules map captured bucket text to buckets; Match values are unique.
	Rules []Rule
	// Allow restricts passthrough to bucket names matching one of these
	// path.Match globs (e.g. "tenant-*"). Empty allows any valid bucket name.
	// Only valid in passthrough.
	Allow []string
}

// Route is where one request goes.
type Route struct {
	// Buckets is the chosen bucket first, then the fallbacks in order. It is
	// shared between requests: read it, never modify it.
	Buckets []Bucket
	// Key is the S3 object key, relative to the bucket (the caller adds any
	// folder). Never empty.
	Key string
}

// Router is a compiled Config. It is immutable and safe for concurrent use.
type Router struct {
	re          *regexp.Regexp
	bucketGroup int // submatch number of (?P<bucket>…)
	pathGroup   int // submatch number of (?P<path>…), -1 if absent

	rules       map[string][]Bucket // Match -> rule bucket, then fallbacks
	dflt        []Bucket            // default, then fallbacks; nil when no default
	fallbacks   []Bucket
	passthrough bool
	allowExact  map[string]struct{}
	allowGlobs  []string
	configured  []Bucket
}

// New checks cfg and compiles it. Every error names what is wrong and where,
// so it can be shown to the operator as is at provision time.
func New(cfg Config) (*Router, error) {
	if cfg.Pattern == "" {
		return nil, errors.New("router: pattern is required")
	}
	re, err := regexp.Compile(cfg.Pattern)
	if err != nil {
		return nil, fmt.Errorf("router: pattern %q: %w", cfg.Pattern, err)
	}
	r := &Router{re: re, bucketGroup: -1, pathGroup: -1}
	for i, name := range re.SubexpNames() {
		switch name {
		case "bucket":
			if r.bucketGroup >= 0 {
				return nil, fmt.Errorf("router: pattern %q has more than one (?P<bucket>...) group", cfg.Pattern)
			}
			r.bucketGroup = i
		case "path":
			if r.pathGroup >= 0 {
				return nil, fmt.Errorf("router: pattern %q has more than one (?P<path>...) group", cfg.Pattern)
			}
			r.pathGroup = i
		}
	}
	if r.bucketGroup < 0 {
		return nil, fmt.Errorf("router: pattern %q has no (?P<bucket>...) group", cfg.Pattern)
	}

	if len(cfg.Fallbacks) > MaxFallbacks {
		return nil, fmt.Errorf("router: at most %d fallback buckets, got %d", MaxFallbacks, len(cfg.Fallbacks))
	}
	for i, fb := range cfg.Fallbacks {
		if err := checkBucket(fmt.Sprintf("fallback bucket %d", i+1), fb); err != nil {
			return nil, err
		}
		for j := range i {
			if sameBucket(cfg.Fallbacks[j], fb) {
				return nil, fmt.Errorf("router: fallback bucket %d repeats fallback bucket %d (%q)", i+1, j+1, fb.Name)
			}
		}
	}
	r.fallbacks = cfg.Fallbacks

	if cfg.Default != nil {
		if err := checkBucket("default bucket", *cfg.Default); err != nil {
			return nil, err
		}
		r.dflt = r.chain(*cfg.Default)
		r.remember(*cfg.Default)
	}

	r.rules = make(map[string][]Bucket, len(cfg.Rules))
	first := make(map[string]int, len(cfg.Rules))
	for i, rule := range cfg.Rules {
		if rule.Match == "" {
			return nil, fmt.Errorf("router: rule %d: match is required", i+1)
		}
		if j, dup := first[rule.Match]; dup {
			return nil, fmt.Errorf("router: rule %d: match %q repeats rule %d", i+1, rule.Match, j+1)
		}
		first[rule.Match] = i
		if err := checkBucket(fmt.Sprintf("rule %d (match %q) bucket", i+1, rule.Match), rule.Bucket); err != nil {
			return nil, err
		}
		r.rules[rule.Match] = r.chain(rule.Bucket)
		r.remember(rule.Bucket)
	}
	for _, fb := range cfg.Fallbacks {
		r.remember(fb)
	}

	r.passthrough = cfg.Default == nil && len(cfg.Rules) == 0
	if len(cfg.Allow) > 0 && !r.passthrough {
		return nil, errors.New("router: allow applies only to passthrough (no rules and no default bucket)")
	}
	for i, glob := range cfg.Allow {
		if glob == "" {
			return nil, fmt.Errorf("router: allow entry %d is empty", i+1)
		}
		if _, err := path.Match(glob, ""); err != nil {
			return nil, fmt.Errorf("router: allow %q: %w", glob, err)
		}
		if !strings.ContainsAny(glob, `*?[\`) {
			if !ValidBucketName(glob) {
				return nil, fmt.Errorf("router: allow %q: not a valid S3 bucket name", glob)
			}
			if r.allowExact == nil {
				r.allowExact = make(map[string]struct{})
			}
			r.allowExact[glob] = struct{}{}
			continue
		}
		r.allowGlobs = append(r.allowGlobs, glob)
	}
	return r, nil
}

// Route maps a request path (relative to the origin, e.g.
// "f7a3-SG-image.jpg"; one leading "/" is ignored) to its buckets and key.
//
// Decisions beyond imagor's documentation, all following imagor's code:
//   - pattern does not match: the default bucket with the whole key, or
//     ErrNoBucket when there is no default (passthrough included);
//   - the bucket group did not take part in the match or captured "": no rule
//     can match (Match is never empty), so the default bucket, or
//     ErrNoBucket in passthrough;
//   - rules but no default and no rule hit: ErrNoBucket;
//   - the path group is empty or did not take part: the whole key.
//
// The resulting key is never empty: ErrNoKey otherwise.
func (r *Router) Route(key string) (Route, error) {
	key = strings.TrimPrefix(key, "/")
	m := r.re.FindStringSubmatchIndex(key)
	if m == nil {
		if r.dflt == nil {
			return Route{}, ErrNoBucket
		}
		return finish(r.dflt, key)
	}
	captured := group(key, m, r.bucketGroup)
	s3key := key
	if r.pathGroup >= 0 {
		if p := group(key, m, r.pathGroup); p != "" {
			s3key = p
		}
	}
	if r.passthrough {
		if !ValidBucketName(captured) || !r.allowed(captured) {
			return Route{}, ErrNoBucket
		}
		if s3key == "" {
			return Route{}, ErrNoKey
		}
		return Route{Buckets: r.chain(Bucket{Name: captured}), Key: s3key}, nil
	}
	if buckets, ok := r.rules[captured]; ok {
		return finish(buckets, s3key)
	}
	if r.dflt == nil {
		return Route{}, ErrNoBucket
	}
	return finish(r.dflt, s3key)
}

// Buckets lists every configured bucket (default, rules, fallbacks) once,
// for clients to be created at provision time. Empty in pure passthrough.
// The slice is shared: do not modify it.
func (r *Router) Buckets() []Bucket { return r.configured }

func finish(buckets []Bucket, key string) (Route, error) {
	if key == "" {
		return Route{}, ErrNoKey
	}
	return Route{Buckets: buckets, Key: key}, nil
}

// chain returns b followed by the fallbacks that differ from it.
func (r *Router) chain(b Bucket) []Bucket {
	out := make([]Bucket, 1, 1+len(r.fallbacks))
	out[0] = b
	for _, fb := range r.fallbacks {
		if !sameBucket(fb, b) {
			out = append(out, fb)
		}
	}
	return out
}

func (r *Router) remember(b Bucket) {
	for _, c := range r.configured {
		if sameBucket(c, b) {
			return
		}
	}
	r.configured = append(r.configured, b)
}

func (r *Router) allowed(name string) bool {
	if r.allowExact == nil && r.allowGlobs == nil {
		return true
	}
	if _, ok := r.allowExact[name]; ok {
		return true
	}
	for _, glob := range r.allowGlobs {
		if ok, _ := path.Match(glob, name); ok {
			return true
		}
	}
	return false
}

// group returns submatch n of s, "" when it did not take part in the match.
func group(s string, m []int, n int) string {
	if 2*n+1 >= len(m) || m[2*n] < 0 {
		return ""
	}
	return s[m[2*n]:m[2*n+1]]
}

func checkBucket(what string, b Bucket) error {
	if b.Name == "" {
		return fmt.Errorf("router: %s: name is required", what)
	}
	if !ValidBucketName(b.Name) {
		return fmt.Errorf("router: %s %q: not a valid S3 bucket name", what, b.Name)
	}
	if err := b.Options.check(); err != nil {
		return fmt.Errorf("router: %s %q: %w", what, b.Name, err)
	}
	return nil
}

// check refuses half-configured credentials: a bucket's credentials
// replace the origin's as a set, so a lone secret would be silently
// ignored and a lone key id would be sent with no secret.
func (o BucketOptions) check() error {
	switch {
	case o.AccessKeyID != "" && o.SecretAccessKey == "":
		return errors.New("access_key_id is set but secret_access_key is empty")
	case o.AccessKeyID == "" && o.SecretAccessKey != "":
		return errors.New("secret_access_key is set but access_key_id is empty")
	case o.SessionToken != "" && o.AccessKeyID == "":
		return errors.New("session_token needs access_key_id and secret_access_key")
	}
	return nil
}

// sameBucket reports whether a and b name the same bucket with the same
// options, so asking both would ask the same server the same question.
func sameBucket(a, b Bucket) bool {
	if a.Name != b.Name {
		return false
	}
	ao, bo := a.Options, b.Options
	if (ao.PathStyle == nil) != (bo.PathStyle == nil) ||
		(ao.PathStyle != nil && *ao.PathStyle != *bo.PathStyle) {
		return false
	}
	ao.PathStyle, bo.PathStyle = nil, nil
	return ao == bo
}
