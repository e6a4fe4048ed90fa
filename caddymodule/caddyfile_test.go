package caddymodule

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func TestUnmarshalCaddyfileErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"argument", `image_cdn foo`, "wrong argument count"},
		{"unknown subdirective", "image_cdn {\n bogus 1\n}", `unknown subdirective "bogus"`},
		{"origin without type", "image_cdn {\n origin\n}", "origin needs a type"},
		{"unknown origin type", "image_cdn {\n origin gcs\n}", `unknown origin type "gcs"`},
		{"file origin without root", "image_cdn {\n origin file\n}", "want [<name>] <root>"},
		{"file origin too many args", "image_cdn {\n origin file a b c\n}", "want [<name>] <root>"},
		{"file origin with block", "image_cdn {\n origin file /x {\n bucket b\n }\n}", "unexpected block"},
		{"s3 two names", "image_cdn {\n origin s3 a b {\n bucket x\n }\n}", "at most a name"},
		{"s3 unknown option", "image_cdn {\n origin s3 {\n bukket x\n }\n}", `unknown option "bukket"`},
		{"s3 duplicate option", "image_cdn {\n origin s3 {\n bucket x\n bucket y\n }\n}", "bucket specified more than once"},
		{"s3 option without value", "image_cdn {\n origin s3 {\n region\n }\n}", "region: want exactly one value, got 0"},
		{"s3 option two values", "image_cdn {\n origin s3 {\n endpoint a b\n }\n}", "endpoint: want exactly one value, got 2"},
		{"path_style not bool", "image_cdn {\n origin s3 {\n path_style maybe\n }\n}", `path_style: want true or false, got "maybe"`},
		{"bad timeout", "image_cdn {\n origin s3 {\n timeout soon\n }\n}", "timeout:"},
		{"bad retries", "image_cdn {\n origin s3 {\n max_retries 0\n }\n}", "max_retries: want a whole number ≥ 1"},
		{"router args", "image_cdn {\n origin s3 {\n router x\n }\n}", "router: takes a block"},
		{"router unknown", "image_cdn {\n origin s3 {\n router {\n patern x\n }\n }\n}", `router: unknown option "patern"`},
		{"router two defaults", "image_cdn {\n origin s3 {\n router {\n default a\n default b\n }\n }\n}", "default specified more than once"},
		{"rule without bucket", "image_cdn {\n origin s3 {\n router {\n rule x\n }\n }\n}", "rule needs a bucket name"},
		{"bucket option unknown", "image_cdn {\n origin s3 {\n router {\n default a {\n folder x\n }\n }\n }\n}", `bucket "a": unknown option "folder"`},
		{"allow empty", "image_cdn {\n origin s3 {\n router {\n allow\n }\n }\n}", "allow needs at least one"},
		{"duplicate cache_control", "image_cdn {\n cache_control a\n cache_control b\n}", "cache_control specified more than once"},
		{"bad not_found_max_age", "image_cdn {\n not_found_max_age x\n}", "not_found_max_age:"},
		{"sign_key without value", "image_cdn {\n sign_key\n}", "sign_key: want exactly one value"},
		{"named one arg", "image_cdn {\n named thumb\n}", "named: want <name> <transformation>"},
		{"named twice", "image_cdn {\n named a w-1\n named a w-2\n}", `named: "a" defined more than once`},
		{"avif not bool", "image_cdn {\n avif yes please\n}", "avif: takes at most one value"},
		{"workers zero", "image_cdn {\n workers 0\n}", "workers: want a whole number ≥ 1"},
		{"max_steps zero", "image_cdn {\n max_steps 0\n}", "max_steps: want a whole number ≥ 1"},
		{"max_cost not a number", "image_cdn {\n max_cost lots\n}", "max_cost:"},
		{"memory_budget not a size", "image_cdn {\n memory_budget big\n}", "memory_budget: want a size"},
		{"queue negative", "image_cdn {\n queue -1\n}", "queue: want a whole number ≥ 0"},
		{"bad size", "image_cdn {\n memory_cache lots\n}", `memory_cache: want a size such as 64MiB, got "lots"`},
		{"bad pixels", "image_cdn {\n max_source_pixels many\n}", "max_source_pixels: want a pixel count"},
		{"bad dimension", "image_cdn {\n max_output_dimension 0\n}", "max_output_dimension: want a whole number ≥ 1"},
		{"bad transform_timeout", "image_cdn {\n transform_timeout forever\n}", "transform_timeout:"},
		{"result_storage without type", "image_cdn {\n result_storage\n}", "result_storage: needs a type"},
		{"result_storage unknown type", "image_cdn {\n result_storage redis\n}", `result_storage: unknown type "redis"`},
		{"result_storage twice", "image_cdn {\n result_storage file /a\n result_storage file /b\n}", "result_storage specified more than once"},
		{"result_storage file args", "image_cdn {\n result_storage file\n}", "want exactly one directory"},
		{"result_storage s3 unknown", "image_cdn {\n result_storage s3 {\n router {\n }\n }\n}", `result_storage s3: unknown option "router"`},
		{"result_storage s3 duplicate", "image_cdn {\n result_storage s3 {\n acl a\n acl b\n }\n}", "acl specified more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestAdapt checks the Caddyfile → JSON translation of every option, and
// that the JSON is what the handler reads back.
func TestAdapt(t *testing.T) {
	input := `{
	admin off
}
:8080 {
	handle_path /ik/* {
		image_cdn {
			origin s3 primary {
				bucket            photos
				folder            /images/
				endpoint          https://s3.wasabisys.com
				region            eu-central-1
				access_key_id     {env.AK}
				secret_access_key {file./run/secret}
				session_token     tok
				path_style
				canonical         https://cdn.example.com/ik
				timeout           3s
				max_retries       1
			}
			origin s3 routed {
				router {
					pattern ` + "`^(?P<bucket>[^/]+)/(?P<path>.+)$`" + `
					default fallback-a
					fallback b1 {
						region us-west-2
						path_style false
					}
					rule sg bucket-sg {
						endpoint http://127.0.0.1:9000
						access_key_id ak2
						secret_access_key sk2
						path_style
					}
					allow tenant-*
				}
			}
			origin s3 {
				router_config /etc/imagor/router.yaml
			}
			origin file local ./samples
			cache_control "public, max-age=60"
			not_found_max_age 10s
			sign_key k1
			sign_key {env.K2}
			named thumb w-200,h-200,c-at_max
			named banner w-1200,ar-16-9
			restrict_unnamed
			avif
			workers 3
			queue 0
			transform_timeout 5s
			max_source_bytes 32MiB
			max_source_pixels 50MP
			max_output_dimension 4096
			max_frames 10
			max_steps 30
			max_cost 120
			memory_budget 512MiB
			result_storage s3 {
				bucket   variants
				folder   /v/
				endpoint http://127.0.0.1:9000
				region   eu-west-1
				access_key_id     a
				secret_access_key s
				session_token     t
				path_style
				acl      public-read
				timeout  2s
				max_retries 3
			}
			memory_cache 64MiB
			check_source
		}
	}
}`
	adapter := caddyconfig.GetAdapter("caddyfile")
	out, warnings, err := adapter.Adapt([]byte(input), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		if strings.Contains(w.Message, "not formatted") {
			continue // the aligned values above are easier to read
		}
		t.Errorf("warning: %v", w)
	}
	// Pull the image_cdn handler out of the adapted config.
	var cfg struct {
		Apps struct {
			HTTP struct {
				Servers map[string]struct {
					Routes []json.RawMessage `json:"routes"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	raw := string(out)
	i := strings.Index(raw, `{"avif"`)
	if i < 0 {
		t.Fatalf("no image_cdn handler in %s", out)
	}
	var h Handler
	dec := json.NewDecoder(strings.NewReader(raw[i:]))
	dec.DisallowUnknownFields()
	var got map[string]any
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got["handler"] != "image_cdn" {
		t.Fatalf("handler = %v", got["handler"])
	}
	b, _ := json.Marshal(got)
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	want := `{"avif":true,"cache_control":"public, max-age=60","check_source":true,"handler":"image_cdn",` +
		`"max_cost":120,"max_frames":10,"max_output_dimension":4096,"max_source_bytes":33554432,"max_source_pixels":50000000,"max_steps":30,` +
		`"memory_budget":536870912,"memory_cache":67108864,` +
		`"named":{"banner":"w-1200,ar-16-9","thumb":"w-200,h-200,c-at_max"},"not_found_max_age":10000000000,"origins":[` +
		`{"access_key_id":"{env.AK}","bucket":"photos","canonical":"https://cdn.example.com/ik","endpoint":"https://s3.wasabisys.com","folder":"/images/","max_retries":1,"name":"primary","path_style":true,"region":"eu-central-1","secret_access_key":"{file./run/secret}","session_token":"tok","source":"s3","timeout":3000000000},` +
		`{"name":"routed","router":{"allow":["tenant-*"],"default":{"name":"fallback-a"},"fallbacks":[{"name":"b1","path_style":false,"region":"us-west-2"}],"pattern":"^(?P\u003cbucket\u003e[^/]+)/(?P\u003cpath\u003e.+)$","rules":[{"bucket":{"access_key_id":"ak2","endpoint":"http://127.0.0.1:9000","name":"bucket-sg","path_style":true,"secret_access_key":"sk2"},"match":"sg"}]},"source":"s3"},` +
		`{"router_config":"/etc/imagor/router.yaml","source":"s3"},` +
		`{"name":"local","root":"./samples","source":"file"}],"queue":0,"restrict_unnamed":true,` +
		`"result_storage":{"access_key_id":"a","acl":"public-read","backend":"s3","bucket":"variants","endpoint":"http://127.0.0.1:9000","folder":"/v/","max_retries":3,"path_style":true,"region":"eu-west-1","secret_access_key":"s","session_token":"t","timeout":2000000000},` +
		`"sign_keys":["k1","{env.K2}"],"transform_timeout":5000000000,"workers":3}`
	if string(b) != want {
		t.Errorf("adapted handler:\n got %s\nwant %s", b, want)
	}
	if len(h.OriginsRaw) != 4 {
		t.Errorf("origins = %d, want 4", len(h.OriginsRaw))
	}
	// The JSON round-trips through the handler's own struct: nothing is
	// lost or rewritten on the way back.
	again, err := json.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(again, &back); err != nil {
		t.Fatal(err)
	}
	back["handler"] = "image_cdn"
	if !reflect.DeepEqual(back, got) {
		t.Errorf("round trip:\n got %s\nwant %s", again, b)
	}
}

// TestQueueJSON checks that the JSON says what the Caddyfile said: queue 0
// is no queue, an absent queue is the default, and only the handler turns
// that into transform's convention.
func TestQueueJSON(t *testing.T) {
	for _, tt := range []struct {
		caddyfile string
		json      string
		length    int // transform.Config.QueueLength
	}{
		{"image_cdn {\n}", `{}`, 0},
		{"image_cdn {\n queue 0\n}", `{"queue":0}`, -1},
		{"image_cdn {\n queue 7\n}", `{"queue":7}`, 7},
	} {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.caddyfile)); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(&h)
		if string(b) != tt.json {
			t.Errorf("%q → %s, want %s", tt.caddyfile, b, tt.json)
		}
		var back Handler
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.processorConfig().QueueLength; got != tt.length {
			t.Errorf("%s → QueueLength %d, want %d", b, got, tt.length)
		}
	}
}
