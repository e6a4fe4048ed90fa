package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/router"
	"github.com/image-cdn/image_cdn/s3conn"
	"github.com/image-cdn/image_cdn/s3origin"
)

func init() {
	caddy.RegisterModule(S3Origin{})
}

// S3Origin serves objects from S3-compatible storage. Exactly one of
// Bucket, Router and RouterFile chooses the bucket.
type S3Origin struct {
	// OriginName labels the origin in messages and metrics.
	OriginName string `json:"name,omitempty"`

	// Bucket holds the objects; "*" takes the bucket from the first path
	// segment (wildcard).
	Bucket string `json:"bucket,omitempty"`

	// Folder is prepended to every key inside whichever bucket is chosen:
	// "/" (or empty) is the bucket root, "images" and "/images/" are the
	// same prefix.
	Folder string `json:"folder,omitempty"`

	// S3Connection is how the service is reached (endpoint, region,
	// credentials, path_style, timeout, max_retries).
	S3Connection

	// Canonical is a base URL; responses then carry
	// Link: <canonical/path>; rel="canonical".
	Canonical string `json:"canonical,omitempty"`

	// Router chooses the bucket from the request path, imagor-style,
	// instead of Bucket.
	Router *RouterConfig `json:"router,omitempty"`

	// RouterFile is imagor's bucket-routing YAML file, read as is at
	// provision time, instead of Bucket or Router.
	RouterFile string `json:"router_config,omitempty"`

	origin    *s3origin.Origin
	canonical string
	poolKeys  []string
}

// RouterConfig is the imagor-style bucket router (see package router).
type RouterConfig struct {
	// Pattern is a regular expression with a (?P<bucket>…) group and
	// optionally a (?P<path>…) group whose match becomes the key.
	Pattern string `json:"pattern,omitempty"`

	// Default receives the requests no rule claims. Without Default and
	// Rules the router is in passthrough: the captured text is the bucket.
	Default *RoutedBucket `json:"default,omitempty"`

	// Fallbacks (at most 2) are tried in order when the object is not
	// found in the chosen bucket.
	Fallbacks []RoutedBucket `json:"fallbacks,omitempty"`

	// Rules map an exact captured value to a bucket.
	Rules []RoutedRule `json:"rules,omitempty"`

	// Allow restricts passthrough to bucket names matching one of these
	// globs ("tenant-*"); only valid without Rules and Default.
	Allow []string `json:"allow,omitempty"`
}

// RoutedBucket is a bucket the router may choose, with its own connection
// options. What it leaves out comes from the enclosing origin, then from
// the AWS chain; credentials are inherited or replaced as a whole, never
// mixed.
type RoutedBucket struct {
	// Name of the bucket; required.
	Name string `json:"name,omitempty"`

	// Region overrides the origin's region.
	Region string `json:"region,omitempty"`

	// Endpoint overrides the origin's endpoint.
	Endpoint string `json:"endpoint,omitempty"`

	// AccessKeyID and SecretAccessKey replace the origin's credentials;
	// both or neither.
	AccessKeyID string `json:"access_key_id,omitempty"`

	// SecretAccessKey goes with AccessKeyID.
	SecretAccessKey string `json:"secret_access_key,omitempty"`

	// SessionToken completes this bucket's temporary credentials; it needs
	// AccessKeyID and SecretAccessKey.
	SessionToken string `json:"session_token,omitempty"`

	// PathStyle overrides the origin's addressing style when set.
	PathStyle *bool `json:"path_style,omitempty"`
}

// RoutedRule sends a captured bucket value to a bucket.
type RoutedRule struct {
	// Match is compared with the (?P<bucket>…) capture by exact,
	// case-sensitive equality; required and unique.
	Match string `json:"match,omitempty"`

	// Bucket receives the matching requests.
	Bucket RoutedBucket `json:"bucket"`
}

func (b RoutedBucket) bucket(repl *caddy.Replacer) router.Bucket {
	r := func(s string) string { return repl.ReplaceKnown(s, "") }
	return router.Bucket{Name: r(b.Name), Options: router.BucketOptions{
		Region: r(b.Region), Endpoint: r(b.Endpoint), AccessKeyID: r(b.AccessKeyID),
		SecretAccessKey: r(b.SecretAccessKey), SessionToken: r(b.SessionToken), PathStyle: b.PathStyle,
	}}
}

func (rc RouterConfig) config(repl *caddy.Replacer) router.Config {
	cfg := router.Config{Pattern: rc.Pattern, Allow: rc.Allow}
	if rc.Default != nil {
		b := rc.Default.bucket(repl)
		cfg.Default = &b
	}
	for _, f := range rc.Fallbacks {
		cfg.Fallbacks = append(cfg.Fallbacks, f.bucket(repl))
	}
	for _, r := range rc.Rules {
		cfg.Rules = append(cfg.Rules, router.Rule{Match: repl.ReplaceKnown(r.Match, ""), Bucket: r.Bucket.bucket(repl)})
	}
	return cfg
}

// CaddyModule returns the Caddy module information.
func (S3Origin) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn.origins.s3",
		New: func() caddy.Module { return new(S3Origin) },
	}
}

// Provision resolves placeholders, checks the block and takes clients from
// the shared pool. No network: a client connects on its first request.
func (s *S3Origin) Provision(caddy.Context) error {
	if err := s.provision(); err != nil {
		return fmt.Errorf("s3 origin %q: %w", s.OriginName, err)
	}
	return nil
}

func (s *S3Origin) provision() error {
	repl := caddy.NewReplacer()
	o := &s3origin.Origin{
		Bucket: repl.ReplaceKnown(s.Bucket, ""),
		Folder: s3conn.NormalizeFolder(repl.ReplaceKnown(s.Folder, "")),
	}
	file := repl.ReplaceKnown(s.RouterFile, "")
	set := 0
	for _, v := range []bool{o.Bucket != "", s.Router != nil, file != ""} {
		if v {
			set++
		}
	}
	if set != 1 {
		return errors.New("exactly one of bucket, router or router_config is required")
	}
	s.canonical = strings.TrimSuffix(repl.ReplaceKnown(s.Canonical, ""), "/")
	if s.canonical != "" {
		u, err := url.Parse(s.canonical)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("canonical must be an http(s) base URL, got %q", s.canonical)
		}
	}
	base := s.S3Options.config(repl)
	var err error
	if o.Client, err = s.loadClient(base); err != nil {
		return err
	}
	if o.Router, err = s.compileRouter(repl, file); err != nil {
		return err
	}
	if o.Router == nil && o.Bucket != s3origin.Wildcard && !router.ValidBucketName(o.Bucket) {
		return fmt.Errorf("%q is not a valid S3 bucket name", o.Bucket)
	}
	if o.Routed, err = s.routedClients(o.Router, base); err != nil {
		return err
	}
	s.origin = o
	return nil
}

// compileRouter builds the router from Router or the YAML file; nil when
// the origin has a fixed or wildcard bucket.
func (s *S3Origin) compileRouter(repl *caddy.Replacer, file string) (*router.Router, error) {
	var cfg router.Config
	switch {
	case s.Router != nil:
		cfg = s.Router.config(repl)
	case file != "":
		var err error
		if cfg, err = router.LoadFile(file); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	rt, err := router.New(cfg)
	if err != nil && file != "" {
		// Name the file, as LoadFile's own errors do.
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return rt, err
}

// routedClients prepares a client for every distinct set of bucket options
// the router can choose. The set is fixed by the configuration, so the
// clients are bounded whatever the requests say: passthrough buckets all
// use the origin's own client.
func (s *S3Origin) routedClients(rt *router.Router, base s3conn.Config) (map[router.BucketOptions]*s3conn.Client, error) {
	if rt == nil {
		return nil, nil
	}
	routed := make(map[router.BucketOptions]*s3conn.Client)
	for _, b := range rt.Buckets() {
		key := b.Options
		if _, ok := routed[key]; ok || key == (router.BucketOptions{}) {
			continue
		}
		c, err := s.loadClient(s3origin.ClientConfig(base, b.Options))
		if err != nil {
			return nil, fmt.Errorf("bucket %q: %w", b.Name, err)
		}
		routed[key] = c
	}
	return routed, nil
}

func (s *S3Origin) loadClient(cfg s3conn.Config) (*s3conn.Client, error) {
	client, key, err := s.S3Connection.loadClient(cfg)
	if err != nil {
		return nil, err
	}
	s.poolKeys = append(s.poolKeys, key)
	return client, nil
}

// Cleanup releases this origin's hold on the shared clients.
func (s *S3Origin) Cleanup() error {
	var errs []error
	for _, k := range s.poolKeys {
		if _, err := s3Clients.Delete(k); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Name labels the origin.
func (s *S3Origin) Name() string { return s.OriginName }

// Stat implements Origin: the first bucket that has the object answers.
func (s *S3Origin) Stat(ctx context.Context, key string) (origin.Info, error) {
	return s.origin.Stat(ctx, key)
}

// Get implements Origin, in Stat's bucket order.
func (s *S3Origin) Get(ctx context.Context, key string, opts origin.GetOptions) (*origin.Object, error) {
	return s.origin.Get(ctx, key, opts)
}

// CanonicalURL implements canonicaler.
func (s *S3Origin) CanonicalURL(escapedPath string) string {
	if s.canonical == "" {
		return ""
	}
	return s.canonical + escapedPath
}

// Interface guards.
var (
	_ caddy.Provisioner  = (*S3Origin)(nil)
	_ caddy.CleanerUpper = (*S3Origin)(nil)
	_ Origin             = (*S3Origin)(nil)
)
