// Package s3origin is the S3 origin: it maps an object path to the buckets
// that may hold it (a fixed bucket, the wildcard bucket, or the buckets a
// router chooses with their fallbacks) and asks them in order through
// s3conn clients. It knows nothing of images or Caddy.
package s3origin

import (
	"context"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/router"
	"github.com/image-cdn/image_cdn/s3conn"
)

// Wildcard as the bucket name takes the bucket from the first path segment.
const Wildcard = "*"

// Origin serves objects from S3 buckets. Exactly one of Bucket and Router
// chooses the bucket. It is immutable once built and safe for concurrent
// use.
type Origin struct {
	// Client reaches Bucket, and every bucket the router chooses that has
	// no connection options of its own (passthrough buckets included).
	Client *s3conn.Client
	// Bucket is a fixed bucket name, or Wildcard.
	Bucket string
	// Folder is the prefix inside whichever bucket is chosen, as
	// s3conn.NormalizeFolder returns it ("" or "images/").
	Folder string
	// Router chooses the bucket from the path, imagor-style, instead of
	// Bucket.
	Router *router.Router
	// Routed holds the client for each distinct set of bucket options the
	// router can choose (see ClientConfig); a bucket whose options are not
	// here uses Client.
	Routed map[router.BucketOptions]*s3conn.Client
}

// target is one bucket to try, with the client that reaches it.
type target struct {
	bucket string
	client *s3conn.Client
}

// resolve maps a request key to the buckets to try, in order, and the S3
// key. The folder applies after routing: it is the prefix inside whichever
// bucket was chosen. A path that maps to no bucket is NotFound: S3 is never
// asked.
func (o *Origin) resolve(key string) ([]target, string, error) {
	switch {
	case o.Router != nil:
		rt, err := o.Router.Route(key)
		if err != nil {
			return nil, "", &origin.Error{Kind: origin.NotFound, Code: "NoSuchBucket", Err: err}
		}
		targets := make([]target, len(rt.Buckets))
		for i, b := range rt.Buckets {
			c := o.Routed[b.Options]
			if c == nil {
				c = o.Client
			}
			targets[i] = target{bucket: b.Name, client: c}
		}
		return targets, o.Folder + rt.Key, nil
	case o.Bucket == Wildcard:
		bucket, rest, err := router.SplitWildcard(key)
		if err != nil {
			return nil, "", &origin.Error{Kind: origin.NotFound, Code: "NoSuchBucket", Err: err}
		}
		return []target{{bucket: bucket, client: o.Client}}, o.Folder + rest, nil
	}
	return []target{{bucket: o.Bucket, client: o.Client}}, o.Folder + key, nil
}

// Stat returns the metadata of the object in the first bucket that has it.
func (o *Origin) Stat(ctx context.Context, key string) (origin.Info, error) {
	targets, s3key, err := o.resolve(key)
	if err != nil {
		return origin.Info{}, err
	}
	info, _, err := origin.FirstFound(targets, func(t target) (origin.Info, error) { return t.client.Stat(ctx, t.bucket, s3key) })
	return info, err
}

// Get opens the object in the first bucket that has it, in Stat's order.
func (o *Origin) Get(ctx context.Context, key string, opts origin.GetOptions) (*origin.Object, error) {
	targets, s3key, err := o.resolve(key)
	if err != nil {
		return nil, err
	}
	obj, _, err := origin.FirstFound(targets, func(t target) (*origin.Object, error) { return t.client.Get(ctx, t.bucket, s3key, opts) })
	return obj, err
}

// ClientConfig overlays a routed bucket's own options on the origin's
// connection settings: what the bucket leaves out is inherited.
// Credentials travel as a set: never a bucket's key id with the origin's
// secret.
func ClientConfig(base s3conn.Config, o router.BucketOptions) s3conn.Config {
	pick := func(own, inherited string) string {
		if own != "" {
			return own
		}
		return inherited
	}
	cfg := base
	cfg.Region = pick(o.Region, base.Region)
	cfg.Endpoint = pick(o.Endpoint, base.Endpoint)
	if o.AccessKeyID != "" {
		cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken = o.AccessKeyID, o.SecretAccessKey, o.SessionToken
	}
	if o.PathStyle != nil {
		cfg.PathStyle = *o.PathStyle
	}
	return cfg
}
