package fileorigin

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/image-cdn/image_cdn/origin"
)

func TestFolderConfinesPaths(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for name, body := range map[string]string{
		"a.txt":           "hello",
		"dir/b c+d%.txt":  "nested",
		"dir/ünï.txt":     "unicode",
		"..dots/file.txt": "dotted dir",
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "link-out.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.txt", filepath.Join(root, "link-in.txt")); err != nil {
		t.Fatal(err)
	}
	f, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	tests := []struct {
		key  string
		want string // body, or "" for not found
	}{
		{"a.txt", "hello"},
		{"dir/b c+d%.txt", "nested"},
		{"dir/ünï.txt", "unicode"},
		{"..dots/file.txt", "dotted dir"},
		{"link-in.txt", "hello"},
		{"../" + filepath.Base(outside) + "/secret.txt", ""},
		{"dir/../../secret.txt", ""},
		{"dir/../a.txt", ""},
		{"./a.txt", ""},
		{"/etc/passwd", ""},
		{"link-out.txt", ""},
		{"dir-out/secret.txt", ""},
		{"a.txt\x00.jpg", ""},
		{"dir", ""},
		{"dir\\..\\a.txt", ""},
		{"", ""},
		{"missing.txt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			obj, err := f.Get(context.Background(), tt.key, origin.GetOptions{})
			if tt.want == "" {
				if !origin.IsNotFound(err) {
					t.Fatalf("Get(%q) = %v, want not found", tt.key, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Get(%q): %v", tt.key, err)
			}
			defer obj.Body.Close()
			b, _ := io.ReadAll(obj.Body)
			if string(b) != tt.want {
				t.Fatalf("Get(%q) body = %q, want %q", tt.key, b, tt.want)
			}
		})
	}
}

func TestFolderRange(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "f"), []byte("0123456789"), 0o644)
	f, _ := Open(root)
	defer f.Close()
	tests := []struct {
		header string
		want   string
		ok     bool
	}{
		{"bytes=2-4", "234", true},
		{"bytes=7-", "789", true},
		{"bytes=-3", "789", true},
		{"bytes=5-100", "56789", true},
		{"bytes=10-", "", false},
	}
	for _, tt := range tests {
		obj, err := f.Get(context.Background(), "f", origin.GetOptions{Range: origin.ParseRange(tt.header)})
		if !tt.ok {
			if origin.KindOf(err) != origin.RangeNotSatisfiable {
				t.Errorf("%s: err = %v, want range not satisfiable", tt.header, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.header, err)
		}
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if string(b) != tt.want || obj.Partial == nil || obj.Partial.Total != 10 {
			t.Errorf("%s: body %q partial %+v", tt.header, b, obj.Partial)
		}
	}
}
