package caddymodule

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestRewriteCaddyfile(t *testing.T) {
	for input, want := range map[string]string{
		"image_cdn {\n rewrite imgix\n}":             "",
		"image_cdn {\n rewrite cloudinary\n}":        "",
		"image_cdn {\n rewrite akamai\n}":            `unknown "akamai"`,
		"image_cdn {\n rewrite\n}":                   "want exactly one value",
		"image_cdn {\n rewrite imgix\n rewrite x\n}": "specified more than once",
		"image_cdn {\n source_storage gcs\n}":        `source_storage: unknown type "gcs"`,
		"image_cdn {\n source_storage file a b\n}":   "want exactly one directory",
	} {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: error %v, want %q", input, err, want)
		}
	}
}
