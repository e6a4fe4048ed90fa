package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestApplyClientHints(t *testing.T) {
	tests := []struct {
		chain   string
		headers []string
		want    string
		has     bool
		vary    string
		dpr     string
	}{
		{"w-auto", []string{"Sec-CH-Width: 250"}, "w-300", true, "Sec-CH-Width", ""},
		{"w-auto", []string{"Sec-CH-Width: 300"}, "w-300", true, "Sec-CH-Width", ""},
		{"w-auto", []string{"Sec-CH-Width: 300.5"}, "w-400", true, "Sec-CH-Width", ""},
		{"w-auto", []string{"Width: 120"}, "w-200", true, "Width", ""},
		{"w-auto", []string{"Viewport-Width: 1024"}, "w-1100", true, "Viewport-Width", ""},
		{"w-auto", []string{"Sec-CH-Width: 99", "Width: 1000"}, "w-100", true, "Sec-CH-Width", ""},
		{"w-auto", []string{"Sec-CH-Width: abc"}, "", false, "Sec-CH-Width", ""},
		{"w-auto", []string{"Sec-CH-Width: 1e9"}, "", false, "Sec-CH-Width", ""},
		{"w-auto,h-50", nil, "h-50", true, "Sec-CH-Width", ""},
		{"w-100,dpr-auto", []string{"Sec-CH-DPR: 2"}, "w-100,dpr-2", true, "Sec-CH-DPR", "2"},
		{"w-100,dpr-auto", []string{"DPR: 2.625"}, "w-100,dpr-2.6", true, "DPR", "2.6"},
		{"w-100,dpr-auto", []string{"DPR: 9"}, "w-100", true, "Sec-CH-DPR", ""},
		{"w-auto,dpr-auto", []string{"Sec-CH-Width: 640", "Sec-CH-DPR: 1.5"}, "w-700,dpr-1.5", true, "Sec-CH-Width, Sec-CH-DPR", "1.5"},
		{"w-100", []string{"Sec-CH-Width: 640"}, "w-100", true, "", ""},
		{"w-100,fo-auto,f-auto", []string{"Sec-CH-Width: 640"}, "w-100,fo-auto,f-auto", true, "", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/a.jpg", nil)
		for _, h := range tt.headers {
			k, v, _ := strings.Cut(h, ":")
			r.Header.Set(k, strings.TrimSpace(v))
		}
		q := &request{pathChain: tt.chain, hasPathChain: true}
		if err := applyClientHints(r, q); err != nil {
			t.Fatal(err)
		}
		if q.pathChain != tt.want || q.hasPathChain != tt.has || q.hints.vary != tt.vary || q.hints.contentDPR != tt.dpr {
			t.Errorf("%s %q → %q %v vary %q dpr %q", tt.chain, tt.headers, q.pathChain, q.hasPathChain, q.hints.vary, q.hints.contentDPR)
		}
		hdr := http.Header{}
		setHintHeaders(hdr, q)
		if (hdr.Get("Accept-CH") != "") != (tt.vary != "") {
			t.Errorf("%s: Accept-CH %q", tt.chain, hdr.Get("Accept-CH"))
		}
	}
}
