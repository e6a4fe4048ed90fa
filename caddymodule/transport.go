package caddymodule

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// dialContext opens connections to origins. Tests replace it to send
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
