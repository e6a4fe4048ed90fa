package router

import "strings"

// SplitWildcard implements the wildcard bucket (`bucket *`), as imagor does
// with S3_LOADER_BUCKET=*: the first segment of p is the bucket, the rest is
// the key. One leading "/" is ignored, so "/mysite-test/images/photo.jpg"
// gives bucket "mysite-test" and key "images/photo.jpg".
//
// A first segment that is not a valid S3 bucket name gives ErrNoBucket; an
// empty key ("mysite-test" or "mysite-test/") gives ErrNoKey. Either way the
// handler answers 404 without calling S3.
func SplitWildcard(p string) (bucket, key string, err error) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	if !ValidBucketName(bucket) {
		return "", "", ErrNoBucket
	}
	if key == "" {
		return "", "", ErrNoKey
	}
	return bucket, key, nil
}

// reserved prefixes and suffixes of general purpose bucket names, from the
// AWS S3 user guide "General purpose bucket naming rules".
var (
	reservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// ValidBucketName reports whether name follows the AWS S3 naming rules for
// general purpose buckets: 3 to 63 characters; lowercase letters, digits,
// dots and hyphens only; a letter or digit first and last; no ".." and no
// dot next to a hyphen (each dot-separated label must be a DNS label, which
// virtual-hosted URLs need); not shaped like an IPv4 address; none of the
// reserved prefixes (xn--, sthree-, amzn-s3-demo-) or suffixes (-s3alias,
// --ol-s3, .mrap, --x-s3, --table-s3).
//
// It is used both on operator-configured names (at provision time) and on
// names taken from request paths (passthrough, wildcard), so that a name S3
// would refuse never reaches it.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return false
	}
	allDigitsAndDots, dots := true, 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z':
			allDigitsAndDots = false
		case c >= '0' && c <= '9':
		case c == '-':
			allDigitsAndDots = false
			if name[i-1] == '.' || name[i+1] == '.' {
				return false
			}
		case c == '.':
			dots++
			if name[i-1] == '.' {
				return false
			}
		default:
			return false
		}
	}
	if allDigitsAndDots && dots == 3 {
		return false // formatted as an IPv4 address, e.g. 192.168.5.4
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range reservedSuffixes {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
