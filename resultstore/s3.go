package resultstore

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/router"
	"github.com/image-cdn/image_cdn/s3conn"
)

// MaxS3Variant bounds what reading a stored variant may cost: a variant is
// an output image, never near this size in practice.
const MaxS3Variant = 64 << 20

// S3 keeps variants in an S3-compatible bucket, so that several instances
// share them. The variant's metadata travels as x-amz-meta-* user metadata.
type S3 struct {
	// Client reaches the bucket.
	Client *s3conn.Client
	// Bucket holds the variants; "*" takes it from
	// the key's first segment (the source's bucket, for a wildcard origin).
	Bucket string
	// Folder is the key prefix inside the bucket, as s3conn.NormalizeFolder
	// returns it.
	Folder string
	// ACL is a canned ACL for written variants; empty keeps the bucket's
	// default.
	ACL string
}

// Metadata names stored with each variant (x-amz-meta-*).
const (
	metaVariantETag  = "variant-etag"
	metaSourceETag   = "source-etag"
	metaLastModified = "source-last-modified"
)

// locate maps a variant key to bucket and object key.
func (s *S3) locate(key string) (string, string, error) {
	if s.Bucket != "*" {
		return s.Bucket, s.Folder + key, nil
	}
	bucket, rest, err := router.SplitWildcard(key)
	if err != nil {
		return "", "", fmt.Errorf("resultstore: %s: %w", key, ErrNotFound)
	}
	return bucket, s.Folder + rest, nil
}

// Get implements Store. A stored object without the variant's metadata, or
// cut short, reads as not found: the variant is made again.
func (s *S3) Get(ctx context.Context, key string) (*Entry, error) {
	bucket, k, err := s.locate(key)
	if err != nil {
		return nil, err
	}
	obj, err := s.Client.Get(ctx, bucket, k, origin.GetOptions{})
	if err != nil {
		return nil, s3Error(err)
	}
	defer obj.Body.Close()
	if obj.Size > MaxS3Variant {
		return nil, fmt.Errorf("resultstore: stored variant %s/%s: %d bytes is over the %d limit", bucket, k, obj.Size, MaxS3Variant)
	}
	body, err := io.ReadAll(io.LimitReader(obj.Body, MaxS3Variant+1))
	if err != nil {
		return nil, fmt.Errorf("resultstore: reading stored variant %s/%s: %w", bucket, k, err)
	}
	e := entryFrom(obj.Info)
	if e == nil || int64(len(body)) != obj.Size {
		return nil, fmt.Errorf("resultstore: %s/%s: %w", bucket, k, ErrNotFound)
	}
	e.Body = body
	return e, nil
}

// Stat implements Store with a HEAD: no body is read.
func (s *S3) Stat(ctx context.Context, key string) (*Entry, error) {
	bucket, k, err := s.locate(key)
	if err != nil {
		return nil, err
	}
	info, err := s.Client.Stat(ctx, bucket, k)
	if err != nil {
		return nil, s3Error(err)
	}
	if e := entryFrom(info); e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("resultstore: %s/%s: %w", bucket, k, ErrNotFound)
}

// Put implements Store. S3 replaces an object atomically.
func (s *S3) Put(ctx context.Context, key string, e *Entry) error {
	bucket, k, err := s.locate(key)
	if err != nil {
		return fmt.Errorf("resultstore: result key %q has no bucket", key)
	}
	meta := map[string]string{
		metaVariantETag: strings.Trim(e.ETag, `"`),
		metaSourceETag:  strings.Trim(e.SourceETag, `"`),
	}
	if !e.LastModified.IsZero() {
		meta[metaLastModified] = e.LastModified.UTC().Format(time.RFC3339)
	}
	return s.Client.Put(ctx, bucket, k, e.Body, s3conn.PutOptions{
		ContentType: e.ContentType,
		ACL:         s.ACL,
		Metadata:    meta,
	})
}

// entryFrom rebuilds a variant's metadata from the stored object's; nil
// when the object lacks it.
func entryFrom(info origin.Info) *Entry {
	vt := info.Metadata[metaVariantETag]
	if vt == "" {
		return nil
	}
	e := &Entry{
		ContentType: info.ContentType,
		ETag:        `"` + vt + `"`,
		SourceETag:  `"` + info.Metadata[metaSourceETag] + `"`,
		Size:        info.Size,
	}
	if t, err := time.Parse(time.RFC3339, info.Metadata[metaLastModified]); err == nil {
		e.LastModified = t
	}
	return e
}

// s3Error reads a missing object as ErrNotFound; anything else means the
// store is unhealthy.
func s3Error(err error) error {
	if origin.IsNotFound(err) {
		return fmt.Errorf("resultstore: %w (%w)", ErrNotFound, err)
	}
	return err
}
