package caddymodule

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/image-cdn/image_cdn/s3conn"
)

// S3Options are the connection settings of an S3-compatible service. Every
// value accepts placeholders ({env.X}, {file./path}), resolved once at
// provision time and never from request data.
type S3Options struct {
	// Endpoint is the URL of an S3-compatible service
	// ("https://s3.wasabisys.com", "http://127.0.0.1:9000"). Empty means
	// AWS S3.
	Endpoint string `json:"endpoint,omitempty"`

	// Region of the service. Default: us-east-1.
	Region string `json:"region,omitempty"`

	// AccessKeyID is the static access key; it needs SecretAccessKey.
	// Without both, the AWS chain is used: environment
	// (AWS_ACCESS_KEY_ID, …), shared credentials file, instance/task role.
	AccessKeyID string `json:"access_key_id,omitempty"`

	// SecretAccessKey goes with AccessKeyID; one without the other is a
	// configuration error.
	SecretAccessKey string `json:"secret_access_key,omitempty"`

	// SessionToken completes temporary credentials; it needs AccessKeyID
	// and SecretAccessKey.
	SessionToken string `json:"session_token,omitempty"`

	// PathStyle addresses buckets as https://endpoint/bucket/key instead
	// of the default virtual-hosted https://bucket.endpoint/key.
	PathStyle bool `json:"path_style,omitempty"`
}

// config resolves placeholders into a client configuration.
func (o S3Options) config(repl *caddy.Replacer) s3conn.Config {
	r := func(s string) string { return repl.ReplaceKnown(s, "") }
	return s3conn.Config{
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

	// Timeout bounds the wait for response headers: a slow origin gives
	// 504. Streaming a body is not limited by it; a write gets four times
	// as long. Default: 10s (s3conn.DefaultHeaderTimeout).
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// MaxRetries bounds attempts on network errors and 5xx. Default: 2.
	MaxRetries int `json:"max_retries,omitempty"`
}

// s3Clients shares S3 clients across origins, stores and config reloads,
// keyed by endpoint, region, credentials, addressing style and timeout: a
// reload does not drop warm connections or re-resolve credentials.
var s3Clients = caddy.NewUsagePool()

type pooledClient struct{ *s3conn.Client }

// Destruct implements caddy.Destructor. The transport is process-wide, so
// there is nothing to close.
func (pooledClient) Destruct() error { return nil }

// loadClient takes the client for cfg (the connection's options, or a
// routed bucket's) from the shared pool, and returns its pool key for
// Cleanup. It checks cfg first, so that a half-configured block fails
// provisioning.
func (c *S3Connection) loadClient(cfg s3conn.Config) (*s3conn.Client, string, error) {
	cfg.MaxRetries = c.MaxRetries
	if err := cfg.Validate(); err != nil {
		return nil, "", err
	}
	timeout := time.Duration(c.Timeout)
	if timeout <= 0 {
		timeout = s3conn.DefaultHeaderTimeout
	}
	key := cfg.Key() + "|" + timeout.String()
	v, _, err := s3Clients.LoadOrNew(key, func() (caddy.Destructor, error) {
		client, err := s3conn.New(cfg, originTransport())
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

// dialContext opens connections to S3 services. Tests replace it to send
// virtual-hosted names such as bucket.localhost to the loopback server.
var dialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext

var (
	transportOnce   sync.Once
	sharedTransport *http.Transport
)

// originTransport is the one HTTP transport every S3 client of the process
// shares, so connections are pooled across origins, buckets and config
// reloads. Go's default keeps only 2 idle connections per host, which under
// load means a new TCP (and TLS) handshake for most origin requests.
func originTransport() *http.Transport {
	transportOnce.Do(func() {
		sharedTransport = &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return dialContext(ctx, network, addr)
			},
			MaxIdleConns:          1024,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: 1 * time.Second,
			// Objects are images and files, mostly already compressed; asking
			// for gzip would also make Content-Length and ranges unreliable.
			DisableCompression: true,
			ForceAttemptHTTP2:  true,
		}
	})
	return sharedTransport
}
