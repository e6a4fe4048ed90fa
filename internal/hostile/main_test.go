package hostile

import (
	"os"
	"testing"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp"

	_ "github.com/image-cdn/image_cdn"
)

// serveEnv makes the test binary run Caddy (with this module) on the
// Caddyfile it names instead of running tests: the suites start the server
// under test as a child process of their own binary, so that a crash is a
// crash of the child and its memory is its own, without building a
// separate Caddy.
const serveEnv = "IMAGE_CDN_HOSTILE_SERVE"

func TestMain(m *testing.M) {
	if cf := os.Getenv(serveEnv); cf != "" {
		os.Args = []string{"caddy", "run", "--config", cf, "--adapter", "caddyfile"}
		caddycmd.Main()
		return
	}
	os.Exit(m.Run())
}
