package caddymodule

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestParseRequest(t *testing.T) {
	for _, tt := range []struct {
		target string
		want   request
		code   string // Ik-Error code of a refusal
	}{
		{target: "/a/b.jpg", want: request{key: "a/b.jpg", escapedPath: "/a/b.jpg"}},
		{target: "/tr:w-300,h-200/a/b.jpg", want: request{key: "a/b.jpg", escapedPath: "/a/b.jpg", pathChain: "w-300,h-200", hasPathChain: true}},
		{target: "/a/b.jpg?tr=w-300", want: request{key: "a/b.jpg", escapedPath: "/a/b.jpg", queryChain: "w-300", hasQueryChain: true}},
		{target: "/tr:w-1/a.jpg?tr=h-2", want: request{key: "a.jpg", escapedPath: "/a.jpg", pathChain: "w-1", hasPathChain: true, queryChain: "h-2", hasQueryChain: true}},
		// Absent and empty differ: the caller refuses an empty chain.
		{target: "/tr:/a.jpg?tr=", want: request{key: "a.jpg", escapedPath: "/a.jpg", hasPathChain: true, hasQueryChain: true}},
		// The key is decoded once; an encoded slash stays inside the key.
		{target: "/red%20dress%2B1%20%232.jpg", want: request{key: "red dress+1 #2.jpg", escapedPath: "/red%20dress%2B1%20%232.jpg"}},
		{target: "/a%2Fb.jpg", want: request{key: "a/b.jpg", escapedPath: "/a%2Fb.jpg"}},
		// An encoded tr: segment is still the chain; later segments are not.
		{target: "/tr%3Aw-10/a.jpg", want: request{key: "a.jpg", escapedPath: "/a.jpg", pathChain: "w-10", hasPathChain: true}},
		{target: "/a/tr:w-10/b.jpg", want: request{key: "a/tr:w-10/b.jpg", escapedPath: "/a/tr:w-10/b.jpg"}},
		// The query chain is unescaped; other parameters are ignored.
		{target: "/a.jpg?x=1&tr=w-10%3Ah-5&ik-s=abc", want: request{key: "a.jpg", escapedPath: "/a.jpg", queryChain: "w-10:h-5", hasQueryChain: true}},
		{target: "/", want: request{key: "", escapedPath: "/"}},
		{target: "/a.jpg?tr=w-1&tr=w-2", code: "ETRANSFORM"},
		{target: "/a.jpg?tr=%zz", code: "ETRANSFORM"},
	} {
		t.Run(tt.target, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://x"+tt.target, nil)
			got, err := parseRequest(r)
			if tt.code != "" {
				var ce *clientError
				if !errors.As(err, &ce) || ce.code != tt.code || ce.status != http.StatusBadRequest {
					t.Fatalf("err = %v, want 400 %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.fileName = "" // special_test.go checks it
			if *got != tt.want {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestAllowMethod(t *testing.T) {
	for _, m := range []string{"GET", "HEAD"} {
		if err := allowMethod(httptest.NewRequest(m, "/", nil)); err != nil {
			t.Errorf("%s refused: %v", m, err)
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS", "PATCH"} {
		var ce *clientError
		if err := allowMethod(httptest.NewRequest(m, "/", nil)); !errors.As(err, &ce) ||
			ce.status != http.StatusMethodNotAllowed || ce.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %v, want 405 with Allow: GET, HEAD", m, err)
		}
	}
}
