package s3test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/signer"
)

const adminTimeout = 15 * time.Second

// MakeBucket creates bucket name (path-style) or fails the test. A bucket
// this server already owns is fine, so tests can run with -count=N.
func (s *Server) MakeBucket(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	err := s.client.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: s.Region})
	if minio.ToErrorResponse(err).Code == "BucketAlreadyOwnedByYou" {
		return
	}
	if err != nil {
		t.Fatalf("s3test: make bucket %q: %v", name, err)
	}
}

// MakeEmptyBucket is MakeBucket for a test that needs the bucket empty:
// whatever an earlier run (go test -count=N) left in it is removed.
func (s *Server) MakeEmptyBucket(t testing.TB, name string) {
	t.Helper()
	s.MakeBucket(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	for obj := range s.client.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("s3test: listing %q: %v", name, obj.Err)
		}
		if err := s.client.RemoveObject(ctx, name, obj.Key, minio.RemoveObjectOptions{}); err != nil {
			t.Fatalf("s3test: emptying %s/%q: %v", name, obj.Key, err)
		}
	}
}

// Put stores body under bucket/key with contentType ("" lets minio-go send
// application/octet-stream) and returns the upload info (ETag etc.). It
// signs with UNSIGNED-PAYLOAD (DisableContentSha256), never aws-chunked.
func (s *Server) Put(t testing.TB, bucket, key string, body []byte, contentType string) minio.UploadInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	info, err := s.client.PutObject(ctx, bucket, key, bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ContentType: contentType, DisableContentSha256: true})
	if err != nil {
		t.Fatalf("s3test: put %s/%q: %v", bucket, key, err)
	}
	return info
}

// PutWithOptions stores body with full control over metadata (Cache-Control,
// user metadata, ...). DisableContentSha256 is forced on: see the package
// comment on aws-chunked.
func (s *Server) PutWithOptions(t testing.TB, bucket, key string, body []byte, opts minio.PutObjectOptions) minio.UploadInfo {
	t.Helper()
	opts.DisableContentSha256 = true
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	info, err := s.client.PutObject(ctx, bucket, key, bytes.NewReader(body), int64(len(body)), opts)
	if err != nil {
		t.Fatalf("s3test: put %s/%q: %v", bucket, key, err)
	}
	return info
}

// PutFile uploads the local file at path to bucket/key. An empty
// contentType is guessed from the file extension by minio-go
// (application/octet-stream when unknown).
func (s *Server) PutFile(t testing.TB, bucket, key, path, contentType string) minio.UploadInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	info, err := s.client.FPutObject(ctx, bucket, key, path, minio.PutObjectOptions{ContentType: contentType, DisableContentSha256: true})
	if err != nil {
		t.Fatalf("s3test: put file %s -> %s/%q: %v", path, bucket, key, err)
	}
	return info
}

// Get returns the object's body or fails the test.
func (s *Server) Get(t testing.TB, bucket, key string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	obj, err := s.client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("s3test: get %s/%q: %v", bucket, key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("s3test: get %s/%q: %v", bucket, key, err)
	}
	return b
}

// Delete removes bucket/key (a missing key is not an error) or fails the test.
func (s *Server) Delete(t testing.TB, bucket, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := s.client.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{}); err != nil {
		t.Fatalf("s3test: delete %s/%q: %v", bucket, key, err)
	}
}

// SignRequest returns req signed with this server's root credentials
// (SigV4 header auth, X-Amz-Content-Sha256 UNSIGNED-PAYLOAD unless already
// set) and returns the signed request. req.Host (or req.URL.Host) must be
// final: it is part of the signature.
func (s *Server) SignRequest(req *http.Request) *http.Request {
	if req.Header.Get("X-Amz-Content-Sha256") == "" {
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	}
	return signer.SignV4(*req, s.AccessKey, s.SecretKey, "", s.Region)
}
