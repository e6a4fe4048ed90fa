// Package s3test runs a real S3 server (versitygw v1.8.0, posix backend) on
// 127.0.0.1 for integration tests, with a Host-recording, fault-injecting
// reverse proxy and minio-go admin helpers.
//
//	s := s3test.Start(t, s3test.Options{Buckets: []string{"media"}})
//	s.Put(t, "media", "a b/c.jpg", jpegBytes, "image/jpeg")
//	p := s.RecordingProxy(t)             // origin for the code under test
//	cfg.Endpoint = p.VirtualEndpoint()   // "http://localhost:PROXYPORT"
//	transport.DialContext = s3test.LoopbackDialer
//	... p.Requests()[0].Host == "media.localhost:PROXYPORT"
//	s.Stop(); ...; s.Restart()           // outage on the same port and data
//	p.SetStatus(503); p.SetDelay(2*time.Second)
//
// From TestMain use New and Close instead of Start.
//
// # Binary
//
// Lookup order: $VERSITYGW, PATH, $(go env GOBIN), $(go env GOPATH)/bin. If
// absent, `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0` runs
// once (sync.Once per process, flock across the parallel test processes of
// `go test ./...`). A missing or broken server fails the test; it never skips.
//
// # Command line
//
//	versitygw --access AK --secret SK --region us-east-1 --port 127.0.0.1:PORT
//	  --health /_s3test_health --virtual-domain localhost --keep-alive --quiet
//	  posix DIR
//
// Start-up takes ~30 ms; readiness is polled on the --health path (GET,
// unauthenticated). Without --keep-alive versitygw answers every request with
// "Connection: close". The process runs in its own process group (Setpgid,
// Pdeathsig) and Stop/Close SIGKILL the group; posix writes are atomic, so the
// data survives for Restart.
//
// # Virtual-hosted style
//
// --virtual-domain D makes versitygw cut "."+D out of the Host header and
// treat what precedes it as the bucket (middlewares.HostStyleParser:
// strings.Cut(host, ".localhost")). Consequences:
//   - Use "localhost" WITHOUT a port: "media.localhost:ANYPORT" then maps to
//     bucket "media", so the same server works directly and behind the proxy
//     (whose port differs). "localhost:PORT" would only match the direct port.
//   - Path-style keeps working: Hosts "127.0.0.1:PORT" and "localhost:PORT"
//     contain no ".localhost", so the first path segment is the bucket.
//   - SigV4 is verified against the original Host and wire path, so proxies
//     must forward Host unchanged (the Proxy does).
//   - "bucket.localhost" does not resolve everywhere: dial with LoopbackDialer
//     (or LoopbackTransport / LoopbackClient), which ignore the host name and
//     HTTP(S)_PROXY. minio-go with BucketLookupDNS and endpoint
//     "localhost:PORT" builds those hosts itself.
//
// # Behaviour worth knowing (v1.8.0; checked by the tests here unless marked)
//
//   - Keys: spaces, + % # ? [ ] & = ; , @ $ ( ) * ' " ~ | ^ ` \ unicode and
//     nested folders round-trip in both styles and via presigned URLs.
//   - Posix key aliasing: keys are file paths, so "a//b" is stored as "a/b",
//     "./x" as "x" and "x/../y" as "y"; a key ending in "/" is a directory and
//     a PUT with a body is rejected ("Directory object contains data payload").
//   - ETag: quoted hex MD5 for single PUTs ("5d41402a..."), "<md5>-N" for
//     multipart (observed). If-None-Match gives 304; Range gives 206 + Content-Range;
//     an unsatisfiable range 416 InvalidRange.
//   - Content-Type: as sent; a PUT without one is served as
//     "binary/octet-stream" (minio-go itself sends application/octet-stream
//     when none is given). Cache-Control and x-amz-meta-* are kept.
//   - aws-chunked: minio-go's default PutObject over plain http signs with
//     STREAMING-AWS4-HMAC-SHA256-PAYLOAD, and versitygw stores and replays
//     "Content-Encoding: aws-chunked" on GET. The helpers here set
//     DisableContentSha256 (UNSIGNED-PAYLOAD) to avoid it; code that writes
//     with minio-go (result storage) should do the same, and code that relays
//     origin headers should drop an "aws-chunked" Content-Encoding.
//   - Successful GET responses carry X-Amz-Request-Id and X-Amz-Id-2 twice
//     (logged, not asserted).
//   - Unknown access key: 404 XAdminUserNotFound (AWS: 403
//     InvalidAccessKeyId); a HEAD therefore reads as "not found". Wrong
//     secret: 403 SignatureDoesNotMatch. Missing key: 404 NoSuchKey; missing
//     bucket: 404 NoSuchBucket; HEAD errors have no body.
//   - Bucket names are strictly validated (3-63 chars etc.).
//
// # Proxy
//
// RecordingProxy/NewProxy listen on their own 127.0.0.1 port, forward to the
// server with Host preserved and record Host, method, decoded and raw path,
// query, Range, headers and final status (recorded on arrival, status filled
// in when answered; 499 if the client gave up during a delay, 502 if the
// server is stopped). SetDelay delays response headers; SetStatus answers
// everything itself with an S3 XML error (ServiceUnavailable, InternalError,
// AccessDenied, NoSuchKey, ...; no body for HEAD).
package s3test
