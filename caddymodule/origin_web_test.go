package caddymodule

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestWebOriginsCaddyfile(t *testing.T) {
	tests := []struct {
		name, input string
		want        string // the origins' JSON, or an error's text
		fails       bool
	}{
		{"web minimal", "image_cdn {\n origin web https://a.example/m\n}", `[{"base_url":"https://a.example/m","source":"web"}]`, false},
		{"web full", "image_cdn {\n origin web shop https://a.example {\n forward_host\n allow_private 10.0.0.0/8 fd00::/8\n max_redirects 0\n max_size 1MiB\n connect_timeout 1s\n header_timeout 2s\n body_timeout 3s\n header X-A {env.A}\n }\n}",
			`[{"allow_private":["10.0.0.0/8","fd00::/8"],"base_url":"https://a.example","body_timeout":3000000000,"connect_timeout":1000000000,"forward_host":true,"header":{"X-A":["{env.A}"]},"header_timeout":2000000000,"max_redirects":0,"max_size":1048576,"name":"shop","source":"web"}]`, false},
		{"web_proxy", "image_cdn {\n origin web_proxy p {\n allow_hosts a.example *.b.example\n }\n}", `[{"allow_hosts":["a.example","*.b.example"],"name":"p","source":"web_proxy"}]`, false},
		{"web_proxy bare", "image_cdn {\n origin web_proxy\n}", `[{"source":"web_proxy"}]`, false},
		{"web without url", "image_cdn {\n origin web\n}", "want [<name>] <base-url>", true},
		{"web unknown option", "image_cdn {\n origin web https://a {\n allow_hosts x\n }\n}", `unknown option "allow_hosts"`, true},
		{"proxy two names", "image_cdn {\n origin web_proxy a b\n}", "want [<name>]", true},
		{"bad size", "image_cdn {\n origin web_proxy {\n max_size lots\n }\n}", "max_size: want a size", true},
		{"header one arg", "image_cdn {\n origin web_proxy {\n header X\n }\n}", "header: want <name> <value>", true},
		{"forward_host value", "image_cdn {\n origin web https://a {\n forward_host yes\n }\n}", "forward_host: takes no value", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if tt.fails {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(h.OriginsRaw)
			if string(b) != tt.want {
				t.Errorf("JSON\n got %s\nwant %s", b, tt.want)
			}
		})
	}
}

func TestWebOriginProvisionErrors(t *testing.T) {
	for _, tt := range []struct{ site, want string }{
		{"image_cdn {\n origin web http://127.0.0.1:9/\n}", "allow_private"},
		{"image_cdn {\n origin web ftp://a.example/\n}", "origin web"},
		{"image_cdn {\n origin web_proxy {\n allow_hosts a/b\n }\n}", "allow_hosts"},
		{"image_cdn {\n origin web_proxy {\n header Cookie x\n }\n}", "Cookie"},
		{"image_cdn {\n origin web_proxy {\n allow_private 10.0.0.0/99\n }\n}", "10.0.0.0/99"},
	} {
		err := loadError(t, tt.site)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one naming %q", tt.site, err, tt.want)
		}
	}
}
