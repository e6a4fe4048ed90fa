package s3test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

var loopbackNetDialer = &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}

// LoopbackDialer dials 127.0.0.1 on addr's port whatever addr's host is, so
// virtual-hosted names such as "mybucket.localhost:PORT" (which do not
// resolve on every machine) reach the local server. The Host header is not
// touched: the server still sees "mybucket.localhost:PORT". Use it as
// http.Transport.DialContext.
func LoopbackDialer(ctx context.Context, network, addr string) (net.Conn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("s3test: LoopbackDialer: %w", err)
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
		network = "tcp4"
	}
	return loopbackNetDialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
}

// LoopbackTransport returns a new http.Transport that dials through
// LoopbackDialer and ignores HTTP(S)_PROXY (a proxy would not resolve
// "bucket.localhost" to this machine).
func LoopbackTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           LoopbackDialer,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
}

// LoopbackClient is an http.Client over LoopbackTransport.
func LoopbackClient() *http.Client {
	return &http.Client{Transport: LoopbackTransport(), Timeout: 30 * time.Second}
}
