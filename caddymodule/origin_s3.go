package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/router"
	"github.com/image-cdn/image_cdn/s3origin"
)

func init() {
	caddy.RegisterModule(S3Origin{})
}

// s3Clients shares S3 clients across origins and config reloads, keyed by
// endpoint, region, credentials and addressing style: a reload does not
// drop warm connections or re-resolve credentials.
var s3Clients = caddy.NewUsagePool()

type pooledClient struct{ *s3origin.Client }

// Destruct implements caddy.Destructor. The transport is process-wide, so
// there is nothing to close.
func (pooledClient) Destruct() error { return nil }

// S3Options are the connection settings of an S3-compatible service. Every
// value accepts placeholders ({env.X}, {file./path}), resolved once at
// provision time and never from request data.
type S3Options struct {
	// Endpoint URL of an S3-compatible service ("https://s3.wasabisys.com",
	// "http://127.0.0.1:9000"). Empty means AWS S3.
	Endpoint string `json:"endpoint,omitempty"`
	// Region, default us-east-1.
	Region string `json:"region,omitempty"`
	// Static credentials. Without them the AWS chain is used: environment
	// (AWS_ACCESS_KEY_ID, …), shared credentials file, instance/task role.
	AccessKeyID     string `json:"access_key_id,omitempty"`
	SecretAccessKey string `json:"secret_access_key,omitempty"`
	SessionToken    string `json:"session_token,omitempty"`
	// PathStyle uses https://endpoint/bucket/key instead of the default
	// virtual-hosted https://bucket.endpoint/key.
	PathStyle bool `json:"path_style,omitempty"`
}

// config resolves placeholders into a client configuration.
func (o S3Options) config(repl *caddy.Replacer) s3origin.Config {
	r := func(s string) string { return repl.ReplaceKnown(s, "") }
	return s3origin.Config{
		Endpoint:        r(o.Endpoint),
		Region:          r(o.Region),
		AccessKeyID:     r(o.AccessKeyID),
		SecretAccessKey: r(o.SecretAccessKey),
		SessionToken:    r(o.SessionToken),
		PathStyle:       o.PathStyle,
	}
}

// S3Connection is how an S3 service is reached and how long it is waited
// for; origins and result storage share it.
type S3Connection struct {
	S3Options
	// Timeout bounds the wait for response headers (a slow origin gives
	// 504). Default 10s. Streaming a body is not limited by it.
	Timeout caddy.Duration `json:"timeout,omitempty"`
	// MaxRetries bounds attempts on network errors and 5xx. Default 2.
	MaxRetries int `json:"max_retries,omitempty"`
}

// loadClient takes the client for cfg (the connection's options, or a
// routed bucket's) from the shared pool, and returns its pool key for
// Cleanup.
func (c *S3Connection) loadClient(cfg s3origin.Config) (*s3origin.Client, string, error) {
	cfg.MaxRetries = c.MaxRetries
	if err := cfg.Validate(); err != nil {
		return nil, "", err
	}
	timeout := time.Duration(c.Timeout)
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	key := cfg.Key() + "|" + timeout.String()
	v, _, err := s3Clients.LoadOrNew(key, func() (caddy.Destructor, error) {
		client, err := s3origin.New(cfg, originTransport())
		if err != nil {
			return nil, err
		}
		client.HeaderTimeout = timeout
		return pooledClient{client}, nil
	})
	if err != nil {
		return nil, "", err
	}
	return v.(pooledClient).Client, key, nil
}

// S3Origin serves objects from S3-compatible storage.
type S3Origin struct {
	// OriginName labels the origin in messages and metrics.
	OriginName string `json:"name,omitempty"`
	// Bucket holds the objects; "*" takes the bucket from the first path
	// segment.
	Bucket string `json:"bucket,omitempty"`
	// Folder is prepended to every key: "/" (or empty) is the bucket root,
	// "images" and "/images/" are the same prefix.
	Folder string `json:"folder,omitempty"`
	S3Connection
	// Canonical is a base URL; responses then carry
	// Link: <canonical/path>; rel="canonical".
	Canonical string `json:"canonical,omitempty"`
	// Router chooses the bucket from the request path, imagor-style,
	// instead of Bucket.
	Router *RouterConfig `json:"router,omitempty"`
	// RouterFile is imagor's bucket-routing YAML file, read as is, instead
	// of Bucket or Router.
	RouterFile string `json:"router_config,omitempty"`

	bucket    string
	folder    string
	canonical string
	client    *s3origin.Client
	router    *router.Router
	// routed holds the client for each distinct set of bucket options the
	// router can choose; buckets without options use client.
	routed   map[router.BucketOptions]*s3origin.Client
	poolKeys []string
}

// RouterConfig is the imagor-style bucket router.
type RouterConfig struct {
	// Pattern is a regular expression with a (?P<bucket>…) group and
	// optionally a (?P<path>…) group whose match becomes the key.
	Pattern string `json:"pattern,omitempty"`
	// Default is used when no rule matches.
	Default *RoutedBucket `json:"default,omitempty"`
	// Fallbacks (at most 2) are tried in order when the object is not found.
	Fallbacks []RoutedBucket `json:"fallbacks,omitempty"`
	// Rules map an exact captured value to a bucket.
	Rules []RoutedRule `json:"rules,omitempty"`
	// Allow restricts passthrough (no rules, no default) to bucket names
	// matching one of these globs.
	Allow []string `json:"allow,omitempty"`
}

// RoutedBucket is a bucket with its own connection options; what it leaves
// out comes from the enclosing origin, then from the AWS chain.
type RoutedBucket struct {
	Name            string `json:"name,omitempty"`
	Region          string `json:"region,omitempty"`
	Endpoint        string `json:"endpoint,omitempty"`
	AccessKeyID     string `json:"access_key_id,omitempty"`
	SecretAccessKey string `json:"secret_access_key,omitempty"`
	SessionToken    string `json:"session_token,omitempty"`
	PathStyle       *bool  `json:"path_style,omitempty"`
}

// RoutedRule sends a captured bucket value to a bucket.
type RoutedRule struct {
	Match  string       `json:"match,omitempty"`
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

// Provision resolves placeholders and takes a client from the shared pool.
// No network: the client connects on the first request.
func (s *S3Origin) Provision(caddy.Context) error {
	repl := caddy.NewReplacer()
	s.bucket = repl.ReplaceKnown(s.Bucket, "")
	s.folder = normalizeFolder(repl.ReplaceKnown(s.Folder, ""))
	s.canonical = strings.TrimSuffix(repl.ReplaceKnown(s.Canonical, ""), "/")
	set := 0
	for _, v := range []bool{s.bucket != "", s.Router != nil, s.RouterFile != ""} {
		if v {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("s3 origin %q: exactly one of bucket, router or router_config is required", s.OriginName)
	}
	if s.canonical != "" {
		u, err := url.Parse(s.canonical)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("s3 origin %q: canonical must be an http(s) base URL, got %q", s.OriginName, s.canonical)
		}
	}
	base := s.S3Options.config(repl)
	client, err := s.loadClient(base)
	if err != nil {
		return fmt.Errorf("s3 origin %q: %w", s.OriginName, err)
	}
	s.client = client
	return s.provisionRouter(repl, base)
}

// provisionRouter compiles the router and prepares a client for every
// distinct set of bucket options it can choose. The set is fixed by the
// configuration, so the clients are bounded whatever the requests say:
// passthrough buckets all use the origin's own client.
func (s *S3Origin) provisionRouter(repl *caddy.Replacer, base s3origin.Config) error {
	var cfg router.Config
	file := repl.ReplaceKnown(s.RouterFile, "")
	switch {
	case s.Router != nil:
		cfg = s.Router.config(repl)
	case file != "":
		var err error
		if cfg, err = router.LoadFile(file); err != nil {
			return fmt.Errorf("s3 origin %q: %w", s.OriginName, err)
		}
	default:
		if s.bucket != "*" && !router.ValidBucketName(s.bucket) {
			return fmt.Errorf("s3 origin %q: %q is not a valid S3 bucket name", s.OriginName, s.bucket)
		}
		return nil
	}
	rt, err := router.New(cfg)
	if err != nil {
		if file != "" {
			// Name the file, as LoadFile's own errors do.
			return fmt.Errorf("s3 origin %q: %s: %w", s.OriginName, file, err)
		}
		return fmt.Errorf("s3 origin %q: %w", s.OriginName, err)
	}
	s.router = rt
	s.routed = make(map[router.BucketOptions]*s3origin.Client)
	for _, b := range rt.Buckets() {
		key := b.Options
		if _, ok := s.routed[key]; ok || key == (router.BucketOptions{}) {
			continue
		}
		c, err := s.loadClient(inherit(base, b.Options))
		if err != nil {
			return fmt.Errorf("s3 origin %q, bucket %q: %w", s.OriginName, b.Name, err)
		}
		s.routed[key] = c
	}
	return nil
}

// inherit overlays a bucket's own options on the origin's.
func inherit(base s3origin.Config, o router.BucketOptions) s3origin.Config {
	pick := func(own, inherited string) string {
		if own != "" {
			return own
		}
		return inherited
	}
	cfg := base
	cfg.Region = pick(o.Region, base.Region)
	cfg.Endpoint = pick(o.Endpoint, base.Endpoint)
	if o.AccessKeyID != "" {
		// Credentials travel as a set: never a bucket's key id with the
		// origin's secret.
		cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken = o.AccessKeyID, o.SecretAccessKey, o.SessionToken
	}
	if o.PathStyle != nil {
		cfg.PathStyle = *o.PathStyle
	}
	return cfg
}

func (s *S3Origin) loadClient(cfg s3origin.Config) (*s3origin.Client, error) {
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

// CanonicalURL implements canonicaler.
func (s *S3Origin) CanonicalURL(escapedPath string) string {
	if s.canonical == "" {
		return ""
	}
	return s.canonical + escapedPath
}

// target is one bucket to try, with the client that reaches it.
type target struct {
	bucket string
	client *s3origin.Client
}

// resolve maps a request key to the buckets to try, in order, and the S3
// key. The folder applies after routing: it is the prefix inside whichever
// bucket was chosen.
func (s *S3Origin) resolve(key string) ([]target, string, error) {
	switch {
	case s.router != nil:
		rt, err := s.router.Route(key)
		if err != nil {
			return nil, "", &origin.Error{Kind: origin.NotFound, Code: "NoSuchBucket", Err: err}
		}
		targets := make([]target, len(rt.Buckets))
		for i, b := range rt.Buckets {
			c := s.routed[b.Options]
			if c == nil {
				c = s.client
			}
			targets[i] = target{bucket: b.Name, client: c}
		}
		return targets, s.folder + rt.Key, nil
	case s.bucket == "*":
		bucket, rest, err := router.SplitWildcard(key)
		if err != nil {
			return nil, "", &origin.Error{Kind: origin.NotFound, Code: "NoSuchBucket", Err: err}
		}
		return []target{{bucket: bucket, client: s.client}}, s.folder + rest, nil
	}
	return []target{{bucket: s.bucket, client: s.client}}, s.folder + key, nil
}

// Stat implements Origin: the first bucket that has the object answers.
func (s *S3Origin) Stat(ctx context.Context, key string) (origin.Info, error) {
	targets, s3key, err := s.resolve(key)
	if err != nil {
		return origin.Info{}, err
	}
	info, _, err := origin.FirstFound(targets, func(t target) (origin.Info, error) { return t.client.Stat(ctx, t.bucket, s3key) })
	return info, err
}

// Get implements Origin, with Stat's fallback order.
func (s *S3Origin) Get(ctx context.Context, key string, opts origin.GetOptions) (*origin.Object, error) {
	targets, s3key, err := s.resolve(key)
	if err != nil {
		return nil, err
	}
	obj, _, err := origin.FirstFound(targets, func(t target) (*origin.Object, error) { return t.client.Get(ctx, t.bucket, s3key, opts) })
	return obj, err
}

// normalizeFolder turns "/", "images", "/images/" into "" or "images/".
func normalizeFolder(f string) string {
	f = strings.Trim(f, "/")
	if f == "" {
		return ""
	}
	return f + "/"
}

// Interface guards.
var (
	_ caddy.Provisioner  = (*S3Origin)(nil)
	_ caddy.CleanerUpper = (*S3Origin)(nil)
	_ Origin             = (*S3Origin)(nil)
)
