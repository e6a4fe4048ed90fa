package caddymodule

import (
	"encoding/json"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// FuzzUnmarshalCaddyfile feeds arbitrary text to the image_cdn directive
// parser (and through it to every origin and storage block parser): it may
// refuse, never panic, and what it accepts must marshal to JSON that reads
// back. Text the Caddyfile lexer itself refuses is skipped (NewTestDispenser
// would exit the process on it).
func FuzzUnmarshalCaddyfile(f *testing.F) {
	for _, seed := range []string{
		"image_cdn {\n origin file ./samples\n}",
		"image_cdn {\n origin s3 o {\n  bucket b\n  endpoint http://127.0.0.1:9000\n  path_style\n  access_key_id a\n  secret_access_key s\n }\n queue 0\n}",
		"image_cdn {\n origin s3 {\n  router {\n   pattern `^(?P<bucket>[^/]+)/`\n   default d { region r }\n   fallback f1\n   rule sg bucket-sg { path_style false }\n   allow t-*\n  }\n }\n}",
		"image_cdn {\n result_storage s3 {\n  bucket *\n  acl private\n  timeout 2s\n  max_retries 3\n }\n memory_cache 64MiB\n check_source\n}",
		"image_cdn {\n result_storage file /tmp/x\n named thumb w-200\n sign_key k\n max_source_pixels 10MP\n}",
		"image_cdn {\n origin s3 {\n  router {\n   rule\n  }\n }\n}",
		"image_cdn {\n origin s3 {\n  router {\n   default {\n  }\n }\n}",
		"image_cdn {\n origin\n}",
		"image_cdn a b",
		"image_cdn {\n{\n}",
		"image_cdn {\n restrict_unnamed maybe\n avif true false\n}",
		"image_cdn {\n origin web w https://a.example/m {\n  forward_host\n  allow_private 10.0.0.0/8\n  max_redirects 0\n  header X-A b\n }\n origin web_proxy {\n  allow_hosts *.a.example\n  max_size 1MiB\n }\n source_storage s3 {\n  bucket b\n  folder /o/\n }\n rewrite imgix\n}",
		"image_cdn {\n source_storage file /tmp/s\n rewrite cloudinary\n origin web_proxy p {\n  body_timeout 1s\n }\n}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		tokens, err := caddyfile.Tokenize([]byte(input), "Caddyfile")
		if err != nil {
			return
		}
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewDispenser(tokens)); err != nil {
			return
		}
		b, err := json.Marshal(&h)
		if err != nil {
			t.Fatalf("accepted %q but its JSON does not marshal: %v", input, err)
		}
		var back Handler
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("accepted %q but its JSON %s does not read back: %v", input, b, err)
		}
	})
}
