package s3conn

import (
	"context"
	"fmt"

	"github.com/minio/minio-go/v7"
)

// DeletePrefix deletes every object of bucket whose key starts with prefix
// and reports how many it deleted. Listing and deleting go in pages (S3's
// batch delete takes up to 1000 keys), so memory stays bounded however
// many objects match.
func (c *Client) DeletePrefix(ctx context.Context, bucket, prefix string) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objects := make(chan minio.ObjectInfo, 64)
	listErr := make(chan error, 1)
	go func() {
		defer close(objects)
		for o := range c.core.Client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if o.Err != nil {
				listErr <- classify(ctx, bucket, prefix, o.Err)
				return
			}
			select {
			case objects <- o:
			case <-ctx.Done():
				return
			}
		}
	}()
	counted := make(chan minio.ObjectInfo, 64)
	sent := 0 // written before counted closes, read after RemoveObjects ends
	go func() {
		defer close(counted)
		for o := range objects {
			sent++
			counted <- o
		}
	}()
	failed := 0
	var first error
	for e := range c.core.RemoveObjects(ctx, bucket, counted, minio.RemoveObjectsOptions{}) {
		if e.Err != nil {
			failed++
			if first == nil {
				first = fmt.Errorf("deleting %s/%s: %w", bucket, e.ObjectName, classify(ctx, bucket, e.ObjectName, e.Err))
			}
		}
	}
	n := sent - failed
	select {
	case err := <-listErr:
		if first == nil {
			first = err
		}
	default:
	}
	if first != nil {
		return n, first
	}
	return n, nil
}
