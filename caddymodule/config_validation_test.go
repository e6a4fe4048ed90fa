package caddymodule

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// validate is `caddy validate` on a site: adapt, then provision and
// validate every module without starting anything.
func validate(t *testing.T, siteBody string) error {
	t.Helper()
	cf := "{\n\tadmin off\n\tpersist_config off\n\tauto_https off\n}\nhttp://127.0.0.1:1 {\n" + siteBody + "\n}\n"
	out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
	if err != nil {
		return err
	}
	var cfg caddy.Config
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	return caddy.Validate(&cfg)
}

// TestConfigMistakes checks that half-configured blocks fail validation
// with a message naming the block, instead of being silently ignored.
func TestConfigMistakes(t *testing.T) {
	ep := "endpoint " + s3srv.Endpoint()
	block := func(name string, lines ...string) string {
		return fmt.Sprintf("image_cdn {\n origin s3 %s {\n  %s\n }\n}", name, strings.Join(lines, "\n  "))
	}
	store := func(lines ...string) string {
		return fmt.Sprintf("image_cdn {\n origin file %s\n result_storage s3 {\n  %s\n }\n}", t.TempDir(), strings.Join(lines, "\n  "))
	}
	router := func(bucketBlock string) string {
		return block("r", ep, "router {\n   pattern `^(?P<bucket>[^/]+)/`\n   default cm-default {\n    "+bucketBlock+"\n   }\n  }")
	}
	for _, tt := range []struct {
		name, site string
		want       string // "" when the configuration is valid
	}{
		{"origin: key id alone", block("o", ep, "bucket cm-b", "access_key_id AK"), `s3 origin "o": access_key_id is set but secret_access_key is empty`},
		{"origin: secret alone", block("o", ep, "bucket cm-b", "secret_access_key SK"), `s3 origin "o": secret_access_key is set but access_key_id is empty`},
		{"origin: token without keys", block("o", ep, "bucket cm-b", "session_token T"), `s3 origin "o": session_token needs access_key_id and secret_access_key`},
		{"origin: secret from an unset placeholder", block("o", ep, "bucket cm-b", "access_key_id AK", "secret_access_key {env.IMAGE_CDN_TEST_UNSET}"), `s3 origin "o": access_key_id is set but secret_access_key is empty`},
		{"origin: full credentials", block("o", ep, "bucket cm-b", "access_key_id AK", "secret_access_key SK", "session_token T"), ""},
		{"origin: no credentials (AWS chain)", block("o", ep, "bucket cm-b"), ""},
		{"origin: bucket and router", block("o", ep, "bucket cm-b", "router {\n   pattern `^(?P<bucket>[^/]+)/`\n  }"), `s3 origin "o": exactly one of bucket, router or router_config is required`},
		{"origin: bucket and router_config", block("o", ep, "bucket cm-b", "router_config /nonexistent.yaml"), `s3 origin "o": exactly one of bucket, router or router_config is required`},
		{"origin: no bucket at all", block("o", ep), `s3 origin "o": exactly one of bucket, router or router_config is required`},
		{"origin: invalid bucket", block("o", ep, "bucket Not_A_Bucket"), `s3 origin "o": "Not_A_Bucket" is not a valid S3 bucket name`},
		{"origin: canonical not a URL", block("o", ep, "bucket cm-b", "canonical cdn.example.com"), `s3 origin "o": canonical must be an http(s) base URL`},
		{"router bucket: key id alone", router("access_key_id AK"), `s3 origin "r": router: default bucket "cm-default": access_key_id is set but secret_access_key is empty`},
		{"router bucket: secret alone", router("secret_access_key SK"), `s3 origin "r": router: default bucket "cm-default": secret_access_key is set but access_key_id is empty`},
		{"router bucket: token without keys", router("session_token T"), `s3 origin "r": router: default bucket "cm-default": session_token needs access_key_id and secret_access_key`},
		{"router bucket: full credentials", router("access_key_id AK\n    secret_access_key SK"), ""},
		{"router: allow with a default", block("r", ep, "router {\n   pattern `^(?P<bucket>[^/]+)/`\n   default cm-d\n   allow t-*\n  }"), `s3 origin "r": router: allow applies only to passthrough`},
		{"result storage: key id alone", store("bucket cm-v", ep, "access_key_id AK"), `result_storage s3: access_key_id is set but secret_access_key is empty`},
		{"result storage: secret alone", store("bucket cm-v", ep, "secret_access_key SK"), `result_storage s3: secret_access_key is set but access_key_id is empty`},
		{"result storage: token without keys", store("bucket cm-v", ep, "session_token T"), `result_storage s3: session_token needs access_key_id and secret_access_key`},
		{"result storage: no bucket", store(ep), `result_storage s3: bucket is required`},
		{"result storage: full credentials", store("bucket cm-v", ep, "access_key_id AK", "secret_access_key SK"), ""},
		{"handler: no origin", "image_cdn {\n memory_cache 1MiB\n}", "at least one origin is required"},
		{"handler: check_source without a cache", "image_cdn {\n origin file " + t.TempDir() + "\n check_source\n}", "check_source needs result_storage or memory_cache"},
		{"handler: sign keys all empty", "image_cdn {\n origin file " + t.TempDir() + "\n sign_key {env.IMAGE_CDN_TEST_UNSET}\n}", "every key is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := validate(t, tt.site)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("valid configuration refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error = %v\nwant it to contain %s", err, tt.want)
			}
		})
	}
}
