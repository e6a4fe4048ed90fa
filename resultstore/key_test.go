package resultstore

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestKeyExamples(t *testing.T) {
	tests := []struct {
		path, chain, ext, want string
	}{
		{"images/red dress.jpg", "w-300,h-300", "webp", "images/red dress.jpg/w-300,h-300.webp"},
		{"images/red dress.jpg", "", "webp", "images/red dress.jpg/_.webp"},
		{"images/red dress.jpg", "_", "webp", "images/red dress.jpg/%5F.webp"},
		{"a.jpg", "w-300:rt-90", "avif", "a.jpg/w-300:rt-90.avif"},
		{"a.jpg", "w-0.5", "jpg", "a.jpg/w-0.5.jpg"},
		{"a.jpg", "l-image,i-x@@y.png,l-end", "png", "a.jpg/l-image,i-x@@y.png,l-end.png"},
		{"a.jpg", "x/y", "png", "a.jpg/x%2Fy.png"},
		{"a.jpg", ".x", "png", "a.jpg/%2Ex.png"},
		{"a.jpg", "w-1", "tar.gz", "a.jpg/w-1.tar%2Egz"},
		{"a.jpg", "w-1", "", "a.jpg/w-1."},
		{"продукты/платье 1.jpg", "w-1", "webp", "продукты/платье 1.jpg/w-1.webp"},
		{"100%.jpg", "w-1", "webp", "100%25.jpg/w-1.webp"},
		{"/abs.jpg", "w-1", "webp", "%2Fabs.jpg/w-1.webp"},
		{"dir/", "w-1", "webp", "dir%2F/w-1.webp"},
		{"a//b.jpg", "w-1", "webp", "a%2F%2Fb.jpg/w-1.webp"},
		{"../../etc/passwd", "w-1", "webp", "%2E%2E/%2E%2E/etc/passwd/w-1.webp"},
		{"a/./b", "w-1", "webp", "a/%2E/b/w-1.webp"},
		{"a/.hidden/..x", "w-1", "webp", "a/.hidden/..x/w-1.webp"},
		{"nul\x00byte\n.jpg", "w-1", "webp", "nul%00byte%0A.jpg/w-1.webp"},
		{"bad\xffutf8.jpg", "w-1", "webp", "bad%FFutf8.jpg/w-1.webp"},
		{`win\dows.jpg`, "w-1", "webp", "win%5Cdows.jpg/w-1.webp"},
	}
	for _, tt := range tests {
		if got := Key(tt.path, tt.chain, tt.ext); got != tt.want {
			t.Errorf("Key(%q, %q, %q) = %q, want %q", tt.path, tt.chain, tt.ext, got, tt.want)
		}
	}
}

func TestKeyHashed(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name, path, chain, ext, wantPrefix, wantSuffix string
	}{
		{"empty path", "", "w-1", "webp", "%~", ".webp"},
		{"long segment", "images/" + long + ".jpg", "w-1", "webp", "images/%~", ".webp"},
		{"long chain", "images/a.jpg", strings.Repeat("w-1:", 100), "webp", "images/a.jpg/%~", ".webp"},
		{"long key", strings.Repeat("abcdefghij/", 100) + "a.jpg", "w-1", "webp", "abcdefghij/", ".webp"},
		{"long ext dropped", "a.jpg", "w-1", long, "a.jpg/%~", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Key(tt.path, tt.chain, tt.ext)
			if !strings.HasPrefix(got, tt.wantPrefix) || !strings.HasSuffix(got, tt.wantSuffix) || !strings.Contains(got, hashedMarker) {
				t.Errorf("Key = %q, want %q…%%~<hash>%s", got, tt.wantPrefix, tt.wantSuffix)
			}
			checkSafe(t, got)
		})
	}
}

// checkSafe asserts what every key promises, readable or hashed.
func checkSafe(t *testing.T, key string) {
	t.Helper()
	if key == "" || len(key) > MaxKeyBytes || !utf8.ValidString(key) || !filepath.IsLocal(key) {
		t.Fatalf("key %q: empty, too long, invalid UTF-8 or not local", key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." || len(seg) > maxSegmentBytes {
			t.Fatalf("key %q has segment %q", key, seg)
		}
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' || (r >= 0x80 && r < 0xa0) {
			t.Fatalf("key %q has control or backslash %U", key, r)
		}
	}
}

// trickyInputs are object paths, chains and extensions that exercise every
// escape; all their combinations must give distinct, safe keys.
var (
	trickyPaths = []string{
		"a", "a.jpg", "a/b.jpg", "a//b.jpg", "a/%2F/b.jpg", "a%2F%2Fb.jpg", "/a", "a/", "//", "/", ".", "..",
		"a/.", "a/..", "%2E", "%2E%2E", "a/_.jpg", "a/_", "a.jpg/w-1.webp", "a.jpg/w-1", "a b", "a+b",
		"a\x00b", "a%00b", "\xff", "%FF", "é", "%C3%A9", "a/%~x", "a~x", strings.Repeat("y", 250), "",
	}
	trickyChains = []string{"", "_", "%5F", "w-1", "w-1.webp", "w-1.", ".w", "%2Ew", "a/b", "a%2Fb", "w-0.5"}
	trickyExts   = []string{"webp", "", "web.p", "web%2Ep", "p/q", "jpg"}
)

func TestKeyUniqueAndSafe(t *testing.T) {
	seen := map[string][3]string{}
	for _, p := range trickyPaths {
		for _, c := range trickyChains {
			for _, x := range trickyExts {
				k := Key(p, c, x)
				checkSafe(t, k)
				in := [3]string{p, c, x}
				if prev, dup := seen[k]; dup {
					t.Fatalf("Key%q = Key%q = %q", prev, in, k)
				}
				seen[k] = in
				if !strings.Contains(k, hashedMarker) {
					// Readable keys: the path part percent-decodes to the path.
					pathPart := k[:strings.LastIndexByte(k, '/')]
					if got, err := url.PathUnescape(pathPart); err != nil || got != p {
						t.Errorf("Key%q: path part %q decodes to %q, %v", in, pathPart, got, err)
					}
				}
			}
		}
	}
}

func FuzzKey(f *testing.F) {
	for _, p := range trickyPaths {
		f.Add(p, "w-1", "webp")
	}
	f.Fuzz(func(t *testing.T, p, c, x string) {
		k := Key(p, c, x)
		checkSafe(t, k)
		if k != Key(p, c, x) {
			t.Fatalf("Key is not deterministic for %q %q %q", p, c, x)
		}
	})
}

func BenchmarkKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Key("images/summer/red dress.jpg", "w-300,h-300,c-at_max", "webp")
	}
}
