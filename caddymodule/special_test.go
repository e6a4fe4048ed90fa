package caddymodule

import (
	"net/http/httptest"
	"testing"
)

func TestSEOAndAttachmentParsing(t *testing.T) {
	tests := []struct {
		target, key, chain, name string
		attachment               bool
	}{
		{"/ik-seo/a/b/red-shoes.jpg", "a/b.jpg", "", "red-shoes.jpg", false},
		{"/ik-seo/a/b/red-shoes.webp", "a/b.webp", "", "red-shoes.webp", false},
		{"/tr:w-10/ik-seo/a/b/x.png", "a/b.png", "w-10", "x.png", false},
		{"/ik-seo/tr:w-10/a/b/x.png", "a/b.png", "w-10", "x.png", false},
		{"/ik-seo/x.png", "", "", "x.png", false},
		{"/ik-seo/a%20b/n%C3%A4me.jpg?ik-attachment=true", "a b.jpg", "", "näme.jpg", true},
		{"/a/ik-seo/b/c.jpg", "a/ik-seo/b/c.jpg", "", "c.jpg", false},
		{"/a/b.jpg?ik-attachment=TRUE", "a/b.jpg", "", "b.jpg", false},
	}
	for _, tt := range tests {
		q, err := parseRequest(httptest.NewRequest("GET", tt.target, nil))
		if err != nil {
			t.Fatalf("%s: %v", tt.target, err)
		}
		if q.key != tt.key || q.pathChain != tt.chain || q.fileName != tt.name || q.attachment != tt.attachment {
			t.Errorf("%s → key %q chain %q name %q attachment %v", tt.target, q.key, q.pathChain, q.fileName, q.attachment)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	for in, want := range map[string]string{
		"a.jpg":         `attachment; filename="a.jpg"`,
		"a b.jpg":       `attachment; filename="a b.jpg"`,
		`a"b.jpg`:       `attachment; filename="a_b.jpg"; filename*=utf-8''a%22b.jpg`,
		"näme.jpg":      `attachment; filename="n_me.jpg"; filename*=utf-8''n%C3%A4me.jpg`,
		"a\r\nX: y.jpg": `attachment; filename="a__X: y.jpg"; filename*=utf-8''a%0D%0AX%3A%20y.jpg`,
	} {
		if got := contentDisposition(in); got != want {
			t.Errorf("%q → %s, want %s", in, got, want)
		}
	}
}

func TestTakeDefaultImage(t *testing.T) {
	tests := []struct {
		chain, rest, key string
		has              bool
	}{
		{"w-10,di-a@@b.jpg", "w-10", "a/b.jpg", true},
		{"di-a@@b.jpg", "", "a/b.jpg", false},
		{"w-10:di-x.png,h-5", "w-10:h-5", "x.png", true},
		{"w-10", "w-10", "", true},
		{"w-10,,h-5::di-x.png", "w-10,,h-5:", "x.png", true}, // empty parts kept for the grammar
	}
	for _, tt := range tests {
		q := &request{pathChain: tt.chain, hasPathChain: true}
		if err := takeDefaultImage(q); err != nil {
			t.Fatal(err)
		}
		if q.pathChain != tt.rest || q.defaultKey != tt.key || q.hasPathChain != tt.has {
			t.Errorf("%q → %q %q %v", tt.chain, q.pathChain, q.defaultKey, q.hasPathChain)
		}
	}
	if err := takeDefaultImage(&request{pathChain: "di-", hasPathChain: true}); err == nil {
		t.Error("di- without a path accepted")
	}
}
