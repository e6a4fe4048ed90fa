package rewrite

import (
	"strings"
	"testing"
)

// FuzzRewrite: any path and query either map or fail with an *Error; a
// mapped chain never holds a "/" (it would end the tr: segment) and the
// path is never empty.
func FuzzRewrite(f *testing.F) {
	for _, s := range [][2]string{
		{"/image/upload/w_300,h_200,c_fill/v123/path.jpg", ""},
		{"/image/fetch/w_100/https://example.com/a.jpg", "ik-s=1"},
		{"/image/upload/d_a:b.png,e_blur:300/a.jpg", ""},
		{"/a.jpg", "w=300&h=200&fit=crop&auto=format"},
		{"/a.jpg", "bg=%23fff&crop=top,left&rot=-90"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		for name, fn := range map[string]func(string, string) (*Result, error){"cloudinary": Cloudinary, "imgix": Imgix} {
			res, err := fn(path, query)
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("%s: error %T %v", name, err, err)
				}
				continue
			}
			if res.Path == "" || strings.Contains(res.Chain, "/") {
				t.Fatalf("%s(%q, %q) = %+v", name, path, query, res)
			}
		}
	})
}
