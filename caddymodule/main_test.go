package caddymodule

import (
	"fmt"
	"os"
	"testing"

	"github.com/image-cdn/image_cdn/internal/s3test"
)

// s3srv is the real S3 server (versitygw on 127.0.0.1) shared by this
// package's integration tests; each test uses its own buckets.
var s3srv *s3test.Server

func TestMain(m *testing.M) {
	srv, err := s3test.New(s3test.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the S3 server:", err)
		os.Exit(1)
	}
	s3srv = srv
	// Virtual-hosted names (bucket.localhost) do not resolve here: send
	// every origin connection to loopback, keeping the Host header.
	dialContext = s3test.LoopbackDialer
	code := m.Run()
	srv.Close()
	os.Exit(code)
}
