// Command s3tool is the benchmark's S3 helper: it creates a bucket, uploads
// files through the S3 API (so the server computes ETags as it would for any
// client) and prints presigned GET URLs, so that the direct-from-S3 baseline
// is a real signed request. Loopback only; not part of the module.
//
//	s3tool -endpoint 127.0.0.1:9000 -ak AK -sk SK mb   <bucket>
//	s3tool ...                                     put  <bucket> <key>=<file> ...
//	s3tool ...                                     presign <bucket> <key> [expiry]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	endpoint := flag.String("endpoint", "127.0.0.1:9000", "host:port of the S3 server (plain HTTP)")
	ak := flag.String("ak", "", "access key id")
	sk := flag.String("sk", "", "secret access key")
	region := flag.String("region", "us-east-1", "region")
	flag.Parse()
	args := flag.Args()
	if len(args) < 2 {
		fail("usage: s3tool [flags] mb|put|presign <bucket> ...")
	}
	c, err := minio.New(*endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(*ak, *sk, ""),
		Secure:       false,
		Region:       *region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		fail("client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bucket := args[1]
	switch args[0] {
	case "mb":
		if ok, err := c.BucketExists(ctx, bucket); err == nil && ok {
			return
		}
		if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: *region}); err != nil {
			fail("make bucket %s: %v", bucket, err)
		}
	case "put":
		for _, kv := range args[2:] {
			key, file, ok := strings.Cut(kv, "=")
			if !ok {
				fail("put: want key=file, got %q", kv)
			}
			if _, err := c.FPutObject(ctx, bucket, key, file, minio.PutObjectOptions{
				ContentType:      contentType(key),
				DisableMultipart: true, // one PUT: a plain MD5 ETag, as for most origin objects
			}); err != nil {
				fail("put %s: %v", key, err)
			}
		}
	case "presign":
		if len(args) < 3 {
			fail("presign <bucket> <key> [expiry]")
		}
		exp := 2 * time.Hour
		if len(args) > 3 {
			if exp, err = time.ParseDuration(args[3]); err != nil {
				fail("expiry: %v", err)
			}
		}
		u, err := c.PresignedGetObject(ctx, bucket, args[2], exp, url.Values{})
		if err != nil {
			fail("presign: %v", err)
		}
		fmt.Println(u.String())
	default:
		fail("unknown command %q", args[0])
	}
}

func contentType(key string) string {
	switch {
	case strings.HasSuffix(key, ".jpg"), strings.HasSuffix(key, ".jpeg"):
		return "image/jpeg"
	case strings.HasSuffix(key, ".png"):
		return "image/png"
	}
	return "application/octet-stream"
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "s3tool: "+format+"\n", a...)
	os.Exit(1)
}
