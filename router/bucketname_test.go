package router

import (
	"errors"
	"strings"
	"testing"
)

func TestValidBucketName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"abc", true},
		{"my-bucket", true},
		{"my.bucket.name", true},
		{"mysite-test", true},
		{"eu-west-1", true},
		{"123", true},
		{"1.2.3", true},        // three groups: not an address
		{"1.2.3.4.5", true},    // five groups: not an address
		{"a1.2.3.4", true},     // a letter: not an address
		{"bucket--name", true}, // double hyphen inside is allowed
		{"xn-bucket", true},    // only the full "xn--" prefix is reserved
		{"my-s3alias-x", true}, // reserved only as a suffix
		{strings.Repeat("a", 63), true},

		{"", false},
		{"ab", false},
		{strings.Repeat("a", 64), false},
		{"MyBucket", false},
		{"SG", false},
		{"my_bucket", false},
		{"my bucket", false},
		{"my/bucket", false},
		{"-bucket", false},
		{"bucket-", false},
		{".bucket", false},
		{"bucket.", false},
		{"my..bucket", false},
		{"my.-bucket", false},
		{"my-.bucket", false},
		{"192.168.5.4", false},
		{"10.0.0.1", false},
		{"999.999.999.999", false}, // shaped like an address is enough
		{"xn--bucket", false},
		{"sthree-bucket", false},
		{"sthree-configurator", false},
		{"amzn-s3-demo-bucket", false},
		{"bucket-s3alias", false},
		{"bucket--ol-s3", false},
		{"bucket.mrap", false},
		{"bucket--x-s3", false},
		{"bucket--table-s3", false},
		{"bücket", false},
		{"buck\x00et", false},
	} {
		if got := ValidBucketName(tc.name); got != tc.ok {
			t.Errorf("ValidBucketName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestSplitWildcard(t *testing.T) {
	for _, tc := range []struct {
		path, bucket, key string
		err               error
	}{
		{"/mysite-test/images/photo.jpg", "mysite-test", "images/photo.jpg", nil},
		{"mysite-prod/assets/logo.png", "mysite-prod", "assets/logo.png", nil},
		{"/my.bucket/a/b/c.jpg", "my.bucket", "a/b/c.jpg", nil},
		{"/bucket-a//double.jpg", "bucket-a", "/double.jpg", nil}, // the key is kept as written
		{"/bucket-a/tr:w-300/x.jpg", "bucket-a", "tr:w-300/x.jpg", nil},
		{"/mysite-test", "", "", ErrNoKey},
		{"/mysite-test/", "", "", ErrNoKey},
		{"", "", "", ErrNoBucket},
		{"/", "", "", ErrNoBucket},
		{"//bucket-a/x.jpg", "", "", ErrNoBucket},
		{"/MySite/x.jpg", "", "", ErrNoBucket},
		{"/../etc/passwd", "", "", ErrNoBucket},
		{"/10.0.0.1/x.jpg", "", "", ErrNoBucket},
		{"/ab/x.jpg", "", "", ErrNoBucket},
		{"/my_bucket/x.jpg", "", "", ErrNoBucket},
	} {
		bucket, key, err := SplitWildcard(tc.path)
		if !errors.Is(err, tc.err) || bucket != tc.bucket || key != tc.key {
			t.Errorf("SplitWildcard(%q) = %q, %q, %v; want %q, %q, %v", tc.path, bucket, key, err, tc.bucket, tc.key, tc.err)
		}
	}
}
