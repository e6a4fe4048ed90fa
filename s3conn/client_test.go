package s3conn

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/image-cdn/image_cdn/origin"
)

func TestConfigEndpoint(t *testing.T) {
	tests := []struct {
		endpoint, host string
		secure         bool
		err            string
	}{
		{"", "s3.amazonaws.com", true, ""},
		{"https://s3.wasabisys.com", "s3.wasabisys.com", true, ""},
		{"http://127.0.0.1:9000", "127.0.0.1:9000", false, ""},
		{"http://127.0.0.1:9000/", "127.0.0.1:9000", false, ""},
		{"fra1.digitaloceanspaces.com", "fra1.digitaloceanspaces.com", true, ""},
		{"ftp://x", "", false, "scheme must be http or https"},
		{"https://x/bucket", "", false, "no path"},
		{"https://user:pw@x", "", false, "no path, query or user info"},
		{"https://", "", false, "no host"},
	}
	for _, tt := range tests {
		host, secure, err := Config{Endpoint: tt.endpoint}.endpoint()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.endpoint, err, tt.err)
			}
			continue
		}
		if err != nil || host != tt.host || secure != tt.secure {
			t.Errorf("%q = %q %v %v, want %q %v", tt.endpoint, host, secure, err, tt.host, tt.secure)
		}
	}
}

func TestConfigValidateAndKey(t *testing.T) {
	for _, c := range []struct {
		cfg Config
		err string
	}{
		{Config{AccessKeyID: "a"}, "secret_access_key is empty"},
		{Config{SecretAccessKey: "s"}, "access_key_id is empty"},
		{Config{SessionToken: "t"}, "session_token needs"},
		{Config{AccessKeyID: "a", SecretAccessKey: "s", SessionToken: "t"}, ""},
	} {
		err := c.cfg.Validate()
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.err)
		}
	}
	a := Config{AccessKeyID: "ab", SecretAccessKey: "c"}
	b := Config{AccessKeyID: "a", SecretAccessKey: "bc"}
	if a.Key() == b.Key() {
		t.Error("different credentials share a client key")
	}
	if a.Key() != (Config{AccessKeyID: "ab", SecretAccessKey: "c", Region: DefaultRegion}).Key() {
		t.Error("the default region is not the same client")
	}
	if strings.Contains(Config{SecretAccessKey: "topsecret", AccessKeyID: "x"}.Key(), "topsecret") {
		t.Error("the key reveals the secret")
	}
	if _, err := New(Config{Endpoint: "http://127.0.0.1:1", AccessKeyID: "a", SecretAccessKey: "b"}, http.DefaultTransport); err != nil {
		t.Errorf("New must not need the network: %v", err)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		kind origin.Kind
		code string
	}{
		{"missing key", minio.ErrorResponse{StatusCode: 404, Code: "NoSuchKey"}, origin.NotFound, "NoSuchKey"},
		{"missing bucket", minio.ErrorResponse{StatusCode: 404, Code: "NoSuchBucket"}, origin.NotFound, "NoSuchBucket"},
		{"HEAD 404 without a body", minio.ErrorResponse{StatusCode: 404}, origin.NotFound, "NoSuchKey"},
		{"wrong secret", minio.ErrorResponse{StatusCode: 403, Code: "SignatureDoesNotMatch"}, origin.Denied, "SignatureDoesNotMatch"},
		{"unknown key answered 404", minio.ErrorResponse{StatusCode: 404, Code: "XAdminUserNotFound"}, origin.Denied, "XAdminUserNotFound"},
		{"403 without a code", minio.ErrorResponse{StatusCode: 403}, origin.Denied, "AccessDenied"},
		{"range", minio.ErrorResponse{StatusCode: 416, Code: "InvalidRange"}, origin.RangeNotSatisfiable, "InvalidRange"},
		{"server error", minio.ErrorResponse{StatusCode: 503, Code: "SlowDown"}, origin.Unavailable, "SlowDown"},
		{"server error without a code", minio.ErrorResponse{StatusCode: 500}, origin.Unavailable, "500"},
		{"hostile code", minio.ErrorResponse{StatusCode: 500, Code: "Bad\r\nX-Injected: 1"}, origin.Unavailable, "500"},
		{"key too long", minio.ErrorResponse{StatusCode: 400, Code: "KeyTooLongError"}, origin.NotFound, "KeyTooLongError"},
		{"network", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), origin.Unavailable, "Unreachable"},
		{"deadline", context.DeadlineExceeded, origin.Timeout, "Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(context.Background(), "b", "k", tt.err)
			var oe *origin.Error
			if !errors.As(err, &oe) || oe.Kind != tt.kind || oe.Code != tt.code {
				t.Errorf("classify = %#v, want %v %q", err, tt.kind, tt.code)
			}
		})
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errHeaderTimeout)
	if k := origin.KindOf(classify(ctx, "b", "k", context.Canceled)); k != origin.Timeout {
		t.Errorf("header timeout = %v, want timeout", k)
	}
}

func TestStoredEncoding(t *testing.T) {
	for in, want := range map[string]string{"": "", "gzip": "gzip", "aws-chunked": "", "aws-chunked, gzip": "gzip", "gzip,aws-chunked": "gzip"} {
		if got := storedEncoding(in); got != want {
			t.Errorf("storedEncoding(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckKey: keys no object can have are not found before any request.
func TestCheckKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"a/b.jpg", true},
		{"a b/+#?%[]&=.jpg", true},
		{"a/..b/c..d/.e", true},
		{strings.Repeat("k", 1024), true},
		{strings.Repeat("k", 1025), false},
		{"a/\x00.png", false},
		{"a\nb.jpg", false},
		{"a\x7f", false},
		{"../../etc/passwd", false},
		{"a/./b.jpg", false},
		{"a/..", false},
	}
	for _, tt := range tests {
		err := checkKey("bucket", tt.key)
		var oe *origin.Error
		switch {
		case tt.ok && err != nil:
			t.Errorf("checkKey(%.40q) = %v, want nil", tt.key, err)
		case !tt.ok && (!errors.As(err, &oe) || oe.Kind != origin.NotFound):
			t.Errorf("checkKey(%.40q) = %v, want a NotFound origin.Error", tt.key, err)
		}
	}
}
