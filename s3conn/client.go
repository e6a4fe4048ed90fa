package s3conn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/image-cdn/image_cdn/origin"
)

// Client talks to one S3-compatible endpoint with one set of credentials.
// It is safe for concurrent use and cheap to share.
type Client struct {
	core *minio.Core
	// HeaderTimeout bounds the wait for the server's response headers (0:
	// DefaultHeaderTimeout); the body may then stream for as long as the
	// client reads it. Writes get four times as long.
	HeaderTimeout time.Duration
}

// New builds a client. It does not touch the network: minio-go connects
// lazily, and an explicit region avoids its bucket-location look-up.
func New(cfg Config, transport http.RoundTripper) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, secure, err := cfg.endpoint()
	if err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupDNS
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	core, err := minio.NewCore(host, &minio.Options{
		Creds:        credentialsFor(cfg, transport),
		Secure:       secure,
		Region:       cfg.region(),
		BucketLookup: lookup,
		Transport:    transport,
		MaxRetries:   cfg.maxRetries(),
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client for %s: %w", host, err)
	}
	return &Client{core: core}, nil
}

// credentialsFor returns static credentials when configured, else the
// standard AWS chain. The chain is resolved lazily, on the first request.
func credentialsFor(cfg Config, transport http.RoundTripper) *credentials.Credentials {
	if cfg.AccessKeyID != "" {
		return credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	}
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
		&credentials.IAM{Client: &http.Client{Transport: transport, Timeout: 5 * time.Second}},
	})
}

// maxKeyBytes is S3's limit on object keys: a longer key cannot exist, so
// asking for it would only earn a 400 (KeyTooLongError) from the server.
const maxKeyBytes = 1024

// checkKey refuses, as not found and without a request, keys that no
// object of ours can have: over S3's length, with control characters (which
// S3's XML cannot list and file-backed servers refuse, some with a 500), or
// with "." or ".." segments (file-backed servers resolve or refuse them, so
// such a key either aliases another object or is a traversal attempt).
func checkKey(bucket, key string) error {
	why := ""
	switch {
	case len(key) > maxKeyBytes:
		why = fmt.Sprintf("key of %d bytes is over S3's %d", len(key), maxKeyBytes)
	case strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		why = "key has a control character"
	default:
		for _, seg := range strings.Split(key, "/") {
			if seg == "." || seg == ".." {
				why = "key has a . or .. segment"
				break
			}
		}
	}
	if why == "" {
		return nil
	}
	return &origin.Error{Kind: origin.NotFound, Code: "NoSuchKey", Err: fmt.Errorf("%s: %s", bucket, why)}
}

// errHeaderTimeout is the cancellation cause when the origin is too slow.
var errHeaderTimeout = errors.New("timed out waiting for the origin's response headers")

// Get opens an object, or the requested range of it. The returned body
// streams from the origin; the caller must close it.
func (c *Client) Get(ctx context.Context, bucket, key string, opts origin.GetOptions) (*origin.Object, error) {
	if err := checkKey(bucket, key); err != nil {
		return nil, err
	}
	var gopts minio.GetObjectOptions
	if r := opts.Range; r != nil {
		var err error
		switch {
		case r.Suffix > 0:
			err = gopts.SetRange(0, -r.Suffix)
		case r.End < 0 && r.Start == 0:
			// "bytes=0-": minio's SetRange(0, 0) would ask for the first byte only.
			gopts.Set("Range", "bytes=0-")
		case r.End < 0:
			err = gopts.SetRange(r.Start, 0)
		default:
			err = gopts.SetRange(r.Start, r.End)
		}
		if err != nil {
			return nil, &origin.Error{Kind: origin.RangeNotSatisfiable, Err: err}
		}
	}

	// Cancel the request if the headers are late, but not once the body
	// streams: a 2 GB video may legitimately take minutes.
	ctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(c.headerTimeout(), func() { cancel(errHeaderTimeout) })
	body, info, header, err := c.core.GetObject(ctx, bucket, key, gopts)
	if !timer.Stop() && err == nil {
		// The timer fired as the headers arrived: the body is already dead.
		body.Close()
		err = errHeaderTimeout
	}
	if err != nil {
		cancel(nil)
		return nil, classify(ctx, bucket, key, err)
	}

	obj := &origin.Object{
		Info: infoFrom(info, header),
		Body: &cancelOnClose{ReadCloser: body, cancel: cancel},
	}
	if span, ok := origin.ParseContentRange(header.Get("Content-Range")); ok {
		obj.Partial = &span
		obj.Size = span.Total
	}
	return obj, nil
}

// Stat returns an object's metadata with a HEAD request.
func (c *Client) Stat(ctx context.Context, bucket, key string) (origin.Info, error) {
	if err := checkKey(bucket, key); err != nil {
		return origin.Info{}, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.headerTimeout(), errHeaderTimeout)
	defer cancel()
	info, err := c.core.StatObject(ctx, bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return origin.Info{}, classify(ctx, bucket, key, err)
	}
	return infoFrom(info, info.Metadata), nil
}

// PutOptions describe how a written object is stored.
type PutOptions struct {
	ContentType  string
	CacheControl string
	// ACL is a canned ACL ("private", "public-read", …); empty leaves the
	// bucket's default.
	ACL string
	// Metadata is stored as x-amz-meta-* user metadata.
	Metadata map[string]string
}

// Put writes a whole object from memory.
func (c *Client) Put(ctx context.Context, bucket, key string, body []byte, opts PutOptions) error {
	meta := make(map[string]string, len(opts.Metadata)+1)
	for k, v := range opts.Metadata {
		meta[k] = v
	}
	if opts.ACL != "" {
		// minio-go sends x-amz-* keys of UserMetadata as headers verbatim.
		meta["x-amz-acl"] = opts.ACL
	}
	ctx, cancel := context.WithTimeoutCause(ctx, 4*c.headerTimeout(), errHeaderTimeout)
	defer cancel()
	// A plainly signed PUT: the payload hash precomputed, and
	// DisableContentSha256 so that minio-go does not switch to aws-chunked
	// streaming signatures over plain HTTP (it does whatever hash is
	// given). Some servers store that framing as a Content-Encoding, and
	// versitygw, given an empty body that way, leaves bytes of it on the
	// connection to spoil the next request.
	sum := sha256.Sum256(body)
	_, err := c.core.PutObject(ctx, bucket, key, bytes.NewReader(body), int64(len(body)), "", hex.EncodeToString(sum[:]), minio.PutObjectOptions{
		ContentType:          opts.ContentType,
		CacheControl:         opts.CacheControl,
		UserMetadata:         meta,
		DisableContentSha256: true,
	})
	if err != nil {
		return classify(ctx, bucket, key, err)
	}
	return nil
}

func (c *Client) headerTimeout() time.Duration {
	if c.HeaderTimeout <= 0 {
		return DefaultHeaderTimeout
	}
	return c.HeaderTimeout
}

// infoFrom keeps the ETag exactly as the server sent it (minio-go strips
// the quotes in ObjectInfo) because it is passed on to HTTP clients.
func infoFrom(info minio.ObjectInfo, header http.Header) origin.Info {
	etag := header.Get("ETag")
	if etag == "" && info.ETag != "" {
		etag = `"` + info.ETag + `"`
	}
	var meta map[string]string
	if len(info.UserMetadata) > 0 {
		meta = make(map[string]string, len(info.UserMetadata))
		for k, v := range info.UserMetadata {
			meta[strings.ToLower(k)] = v
		}
	}
	return origin.Info{
		Size:               info.Size,
		ContentType:        header.Get("Content-Type"),
		ETag:               etag,
		LastModified:       info.LastModified,
		Metadata:           meta,
		ContentEncoding:    storedEncoding(header.Get("Content-Encoding")),
		ContentDisposition: header.Get("Content-Disposition"),
	}
}

// storedEncoding drops "aws-chunked": it describes how an upload was
// signed, yet some servers store and replay it as if it were the object's.
func storedEncoding(v string) string {
	if !strings.Contains(v, "aws-chunked") {
		return v
	}
	var keep []string
	for _, tok := range strings.Split(v, ",") {
		if tok = strings.TrimSpace(tok); tok != "" && tok != "aws-chunked" {
			keep = append(keep, tok)
		}
	}
	return strings.Join(keep, ", ")
}

// classify turns a minio-go error into an origin.Error. Only the S3 error
// code travels on to clients; messages stay in the wrapped error for logs.
func classify(ctx context.Context, bucket, key string, err error) error {
	if errors.Is(context.Cause(ctx), errHeaderTimeout) || errors.Is(err, errHeaderTimeout) {
		return &origin.Error{Kind: origin.Timeout, Code: "Timeout", Err: fmt.Errorf("%s/%s: %w", bucket, key, errHeaderTimeout)}
	}
	wrapped := fmt.Errorf("%s/%s: %w", bucket, key, err)
	resp := minio.ToErrorResponse(err)
	code := safeCode(resp.Code)
	switch {
	case deniedCodes[resp.Code]:
		return &origin.Error{Kind: origin.Denied, Code: code, Err: wrapped}
	case resp.StatusCode == http.StatusNotFound, resp.Code == "NoSuchKey", resp.Code == "NoSuchBucket",
		// Names no object can have: minio-go refuses some before sending,
		// servers answer 400 for others.
		resp.Code == minio.InvalidBucketName, resp.Code == "XMinioInvalidObjectName",
		resp.Code == "KeyTooLongError", resp.Code == "InvalidObjectName":
		if code == "" {
			code = "NoSuchKey"
		}
		return &origin.Error{Kind: origin.NotFound, Code: code, Err: wrapped}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable || resp.Code == "InvalidRange":
		return &origin.Error{Kind: origin.RangeNotSatisfiable, Code: "InvalidRange", Err: wrapped}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		if code == "" {
			code = "AccessDenied"
		}
		return &origin.Error{Kind: origin.Denied, Code: code, Err: wrapped}
	case resp.StatusCode == http.StatusGatewayTimeout || resp.StatusCode == http.StatusRequestTimeout ||
		errors.Is(err, context.DeadlineExceeded):
		return &origin.Error{Kind: origin.Timeout, Code: "Timeout", Err: wrapped}
	case resp.StatusCode == 0:
		// No HTTP answer at all: connection refused, DNS, TLS, reset.
		return &origin.Error{Kind: origin.Unavailable, Code: "Unreachable", Err: wrapped}
	default:
		if code == "" {
			code = strconv.Itoa(resp.StatusCode)
		}
		return &origin.Error{Kind: origin.Unavailable, Code: code, Err: wrapped}
	}
}

// deniedCodes are refusals whatever status carries them: some
// S3-compatible servers answer an unknown access key with 404
// (versitygw: XAdminUserNotFound), which must not read as a missing object.
var deniedCodes = map[string]bool{
	"AccessDenied": true, "InvalidAccessKeyId": true, "SignatureDoesNotMatch": true,
	"XAdminUserNotFound": true, "ExpiredToken": true, "InvalidToken": true, "TokenRefreshRequired": true,
	"AllAccessDisabled": true, "AccountProblem": true,
}

// safeCode keeps an S3 error code only if it looks like one (letters,
// digits, dots), so nothing a server put in it reaches a header unchecked.
func safeCode(code string) string {
	if len(code) > 64 {
		return ""
	}
	for _, c := range code {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.') {
			return ""
		}
	}
	return code
}

// cancelOnClose releases the request context once the body is done with.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel(nil)
	return err
}
