// Package s3origin reads and writes objects on S3-compatible storage (AWS S3,
// MinIO, Wasabi, DigitalOcean Spaces, R2, versitygw, …) through minio-go. It
// knows nothing of images, routing or Caddy: it turns (bucket, key) into an
// origin.Object and classifies failures as origin.Error.
package s3conn

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultRegion is used when a configuration names none. Setting a region
// explicitly also keeps minio-go from asking the server for the bucket's
// location, a network call per bucket we do not want on the request path.
const DefaultRegion = "us-east-1"

// DefaultMaxRetries bounds minio-go's retries. Its own default (10, with
// back-off) turns a stopped server into a multi-second hang; a CDN origin
// should fail fast and let the client retry.
const DefaultMaxRetries = 2

// DefaultHeaderTimeout bounds the wait for an S3 server's response headers
// when nothing else is configured: a slow origin then answers 504 instead
// of holding the request. Streaming a body is not limited by it.
const DefaultHeaderTimeout = 10 * time.Second

// Config is everything that identifies one S3 client. Buckets are not part
// of it: one client serves every bucket reachable with the same endpoint,
// region, credentials and addressing style.
type Config struct {
	// Endpoint is a URL ("https://s3.wasabisys.com", "http://127.0.0.1:9000")
	// or a bare host[:port], which means HTTPS. Empty means AWS S3.
	Endpoint string
	// Region; empty means DefaultRegion.
	Region string
	// Static credentials. When AccessKeyID is empty the standard AWS chain is
	// used: environment, shared credentials file, then instance/task role.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// PathStyle addresses buckets as https://endpoint/bucket/key instead of
	// the default virtual-hosted https://bucket.endpoint/key.
	PathStyle bool
	// MaxRetries is minio-go's attempt count; 0 means DefaultMaxRetries.
	MaxRetries int
}

// Key identifies the client this configuration builds, for sharing clients
// between origins and across config reloads. Secrets are hashed so that the
// key can sit in maps and logs without revealing them.
func (c Config) Key() string {
	h := sha256.New()
	for _, s := range []string{c.Endpoint, c.region(), c.AccessKeyID, c.SecretAccessKey, c.SessionToken,
		fmt.Sprint(c.PathStyle), fmt.Sprint(c.maxRetries())} {
		// Length-prefix every field so that ("ab","c") and ("a","bc") differ.
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	return "s3:" + hex.EncodeToString(h.Sum(nil))
}

func (c Config) region() string {
	if c.Region == "" {
		return DefaultRegion
	}
	return c.Region
}

func (c Config) maxRetries() int {
	if c.MaxRetries <= 0 {
		return DefaultMaxRetries
	}
	return c.MaxRetries
}

// endpoint splits Endpoint into the host[:port] minio-go wants and whether
// to use TLS.
func (c Config) endpoint() (host string, secure bool, err error) {
	ep := strings.TrimSpace(c.Endpoint)
	if ep == "" {
		return "s3.amazonaws.com", true, nil
	}
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", false, fmt.Errorf("endpoint %q: %w", c.Endpoint, err)
	}
	switch u.Scheme {
	case "http", "https":
	default:
		return "", false, fmt.Errorf("endpoint %q: scheme must be http or https", c.Endpoint)
	}
	if u.Host == "" {
		return "", false, fmt.Errorf("endpoint %q: no host", c.Endpoint)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false, fmt.Errorf("endpoint %q: must be scheme://host[:port] with no path, query or user info", c.Endpoint)
	}
	return u.Host, u.Scheme == "https", nil
}

// Validate reports configuration mistakes without touching the network.
func (c Config) Validate() error {
	if _, _, err := c.endpoint(); err != nil {
		return err
	}
	if c.AccessKeyID != "" && c.SecretAccessKey == "" {
		return fmt.Errorf("access_key_id is set but secret_access_key is empty")
	}
	if c.AccessKeyID == "" && c.SecretAccessKey != "" {
		return fmt.Errorf("secret_access_key is set but access_key_id is empty")
	}
	if c.SessionToken != "" && c.AccessKeyID == "" {
		return fmt.Errorf("session_token needs access_key_id and secret_access_key")
	}
	return nil
}

// NormalizeFolder turns a folder as an operator writes it ("/", "images",
// "/images/") into the key prefix it means ("" or "images/").
func NormalizeFolder(f string) string {
	f = strings.Trim(f, "/")
	if f == "" {
		return ""
	}
	return f + "/"
}
