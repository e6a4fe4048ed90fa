package caddymodule

import (
	"errors"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/image-cdn/image_cdn/resultstore"
	"github.com/image-cdn/image_cdn/router"
	"github.com/image-cdn/image_cdn/s3conn"
)

func init() {
	caddy.RegisterModule(FileResultStorage{})
	caddy.RegisterModule(S3ResultStorage{})
}

// FileResultStorage keeps variants in a local directory.
type FileResultStorage struct {
	// Root is the directory, created if missing. Placeholders are
	// resolved once at provision time.
	Root string `json:"root,omitempty"`

	// Dir is the store Root opens, set by Provision. Like the file
	// origin's folder, it is left to the requests a reload still finishes
	// and closes its descriptors when it is garbage.
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

	// S3Connection is how the service is reached (endpoint, region,
	// credentials, path_style, timeout, max_retries).
	S3Connection

	// ACL is a canned ACL for written variants ("public-read", …); empty
	// keeps the bucket's default.
	ACL string `json:"acl,omitempty"`

	// S3 is the store these settings open, set by Provision.
	*resultstore.S3 `json:"-"`
	poolKey         string
}

// CaddyModule returns the Caddy module information.
func (S3ResultStorage) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn.result_storage.s3",
		New: func() caddy.Module { return new(S3ResultStorage) },
	}
}

// Provision resolves placeholders, checks the block and takes a client
// from the shared pool; no network.
func (s *S3ResultStorage) Provision(caddy.Context) error {
	repl := caddy.NewReplacer()
	store := &resultstore.S3{
		Bucket: repl.ReplaceKnown(s.Bucket, ""),
		Folder: s3conn.NormalizeFolder(repl.ReplaceKnown(s.Folder, "")),
		ACL:    repl.ReplaceKnown(s.ACL, ""),
	}
	if store.Bucket == "" {
		return errors.New("result_storage s3: bucket is required")
	}
	if store.Bucket != "*" && !router.ValidBucketName(store.Bucket) {
		return fmt.Errorf("result_storage s3: %q is not a valid S3 bucket name", store.Bucket)
	}
	client, key, err := s.S3Connection.loadClient(s.S3Options.config(repl))
	if err != nil {
		return fmt.Errorf("result_storage s3: %w", err)
	}
	store.Client, s.poolKey = client, key
	s.S3 = store
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
	_ caddyfile.Unmarshaler = (*FileResultStorage)(nil)
)
