package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/resultstore"
	"github.com/image-cdn/image_cdn/router"
	"github.com/image-cdn/image_cdn/s3origin"
)

func init() {
	caddy.RegisterModule(FileResultStorage{})
	caddy.RegisterModule(S3ResultStorage{})
}

// maxStoredVariant bounds what reading a stored variant may cost: a
// variant is an output image, never near this size in practice.
const maxStoredVariant = 64 << 20

// FileResultStorage keeps variants in a local directory.
type FileResultStorage struct {
	// Root is the directory, created if missing.
	Root string `json:"root,omitempty"`

	*resultstore.Dir `json:"-"`
}

// CaddyModule returns the Caddy module information.
func (FileResultStorage) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn.result_storage.file",
		New: func() caddy.Module { return new(FileResultStorage) },
	}
}

// Provision opens (and creates) the directory.
func (f *FileResultStorage) Provision(caddy.Context) error {
	root := caddy.NewReplacer().ReplaceKnown(f.Root, "")
	if root == "" {
		return errors.New("result_storage file: a directory is required")
	}
	dir, err := resultstore.NewDir(root)
	if err != nil {
		return fmt.Errorf("result_storage file: %w", err)
	}
	f.Dir = dir
	return nil
}

// Cleanup closes the directory.
func (f *FileResultStorage) Cleanup() error {
	if f.Dir != nil {
		return f.Dir.Close()
	}
	return nil
}

// UnmarshalCaddyfile parses `result_storage file <dir>`.
func (f *FileResultStorage) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // "file"
	args := d.RemainingArgs()
	if len(args) != 1 {
		return d.Err("result_storage file: want exactly one directory")
	}
	f.Root = args[0]
	if d.NextBlock(d.Nesting()) {
		return d.Errf("result_storage file: unexpected block starting at %q", d.Val())
	}
	return nil
}

// S3ResultStorage keeps variants in an S3-compatible bucket, so that
// several Caddy instances share them.
type S3ResultStorage struct {
	// Bucket for the variants; "*" takes it from the first path segment,
	// like the origin's wildcard.
	Bucket string `json:"bucket,omitempty"`
	// Folder is the base directory inside the bucket.
	Folder string `json:"folder,omitempty"`
	S3Connection
	// ACL is a canned ACL for written variants ("public-read", …); empty
	// keeps the bucket's default.
	ACL string `json:"acl,omitempty"`

	bucket, folder string
	client         *s3origin.Client
	poolKey        string
}

// CaddyModule returns the Caddy module information.
func (S3ResultStorage) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn.result_storage.s3",
		New: func() caddy.Module { return new(S3ResultStorage) },
	}
}

// Provision resolves placeholders and takes a client from the shared pool;
// no network.
func (s *S3ResultStorage) Provision(caddy.Context) error {
	repl := caddy.NewReplacer()
	s.bucket = repl.ReplaceKnown(s.Bucket, "")
	s.folder = normalizeFolder(repl.ReplaceKnown(s.Folder, ""))
	if s.bucket == "" {
		return errors.New("result_storage s3: bucket is required")
	}
	if s.bucket != "*" && !router.ValidBucketName(s.bucket) {
		return fmt.Errorf("result_storage s3: %q is not a valid S3 bucket name", s.bucket)
	}
	client, key, err := s.S3Connection.loadClient(s.S3Options.config(repl))
	if err != nil {
		return fmt.Errorf("result_storage s3: %w", err)
	}
	s.client, s.poolKey = client, key
	return nil
}

// Cleanup releases the pooled client.
func (s *S3ResultStorage) Cleanup() error {
	if s.poolKey == "" {
		return nil
	}
	_, err := s3Clients.Delete(s.poolKey)
	return err
}

// locate maps a variant key to bucket and object key.
func (s *S3ResultStorage) locate(key string) (string, string, error) {
	if s.bucket != "*" {
		return s.bucket, s.folder + key, nil
	}
	bucket, rest, err := router.SplitWildcard(key)
	if err != nil {
		return "", "", resultstore.ErrNotFound
	}
	return bucket, s.folder + rest, nil
}

// Metadata names stored with each variant (x-amz-meta-*).
const (
	metaVariantETag  = "variant-etag"
	metaSourceETag   = "source-etag"
	metaLastModified = "source-last-modified"
)

// Get implements resultstore.Store.
func (s *S3ResultStorage) Get(ctx context.Context, key string) (*resultstore.Entry, error) {
	bucket, k, err := s.locate(key)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.Get(ctx, bucket, k, origin.GetOptions{})
	if err != nil {
		return nil, storeError(err)
	}
	defer obj.Body.Close()
	if obj.Size > maxStoredVariant {
		return nil, fmt.Errorf("stored variant %s/%s: %d bytes is over the %d limit", bucket, k, obj.Size, maxStoredVariant)
	}
	body, err := io.ReadAll(io.LimitReader(obj.Body, maxStoredVariant+1))
	if err != nil {
		return nil, fmt.Errorf("reading stored variant %s/%s: %w", bucket, k, err)
	}
	e := entryFrom(obj.Info)
	if e == nil || int64(len(body)) != obj.Size {
		return nil, resultstore.ErrNotFound // written by something else, or cut short: make it again
	}
	e.Body = body
	return e, nil
}

// Stat implements resultstore.Store with a HEAD: no body is read.
func (s *S3ResultStorage) Stat(ctx context.Context, key string) (*resultstore.Entry, error) {
	bucket, k, err := s.locate(key)
	if err != nil {
		return nil, err
	}
	info, err := s.client.Stat(ctx, bucket, k)
	if err != nil {
		return nil, storeError(err)
	}
	if e := entryFrom(info); e != nil {
		return e, nil
	}
	return nil, resultstore.ErrNotFound
}

// Put implements resultstore.Store.
func (s *S3ResultStorage) Put(ctx context.Context, key string, e *resultstore.Entry) error {
	bucket, k, err := s.locate(key)
	if err != nil {
		return fmt.Errorf("result key %q has no bucket", key)
	}
	meta := map[string]string{
		metaVariantETag: strings.Trim(e.ETag, `"`),
		metaSourceETag:  strings.Trim(e.SourceETag, `"`),
	}
	if !e.LastModified.IsZero() {
		meta[metaLastModified] = e.LastModified.UTC().Format(time.RFC3339)
	}
	return s.client.Put(ctx, bucket, k, e.Body, s3origin.PutOptions{
		ContentType: e.ContentType,
		ACL:         s.ACL,
		Metadata:    meta,
	})
}

// entryFrom rebuilds a variant's metadata from the stored object's; nil
// when the object lacks it.
func entryFrom(info origin.Info) *resultstore.Entry {
	vt := info.Metadata[metaVariantETag]
	if vt == "" {
		return nil
	}
	e := &resultstore.Entry{
		ContentType: info.ContentType,
		ETag:        `"` + vt + `"`,
		SourceETag:  `"` + info.Metadata[metaSourceETag] + `"`,
	}
	if t, err := time.Parse(time.RFC3339, info.Metadata[metaLastModified]); err == nil {
		e.LastModified = t
	}
	return e
}

func storeError(err error) error {
	if origin.IsNotFound(err) {
		return resultstore.ErrNotFound
	}
	return err
}

// UnmarshalCaddyfile parses
//
//	result_storage s3 {
//		bucket <bucket> | *
//		folder <prefix>
//		endpoint, region, access_key_id, secret_access_key, session_token, path_style
//		acl <canned-acl>
//		timeout <duration>
//		max_retries <n>
//	}
func (s *S3ResultStorage) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // "s3"
	if d.NextArg() {
		return d.Err("result_storage s3: takes a block, not arguments")
	}
	own := map[string]*string{"bucket": &s.Bucket, "folder": &s.Folder, "acl": &s.ACL}
	return s.S3Connection.unmarshalBlock(d, "result_storage s3", own, nil)
}

// Interface guards.
var (
	_ resultstore.Store     = (*FileResultStorage)(nil)
	_ resultstore.Store     = (*S3ResultStorage)(nil)
	_ caddy.Provisioner     = (*S3ResultStorage)(nil)
	_ caddy.CleanerUpper    = (*S3ResultStorage)(nil)
	_ caddyfile.Unmarshaler = (*S3ResultStorage)(nil)
	_ caddy.Provisioner     = (*FileResultStorage)(nil)
	_ caddy.CleanerUpper    = (*FileResultStorage)(nil)
	_ caddyfile.Unmarshaler = (*FileResultStorage)(nil)
)
