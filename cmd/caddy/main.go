// Command caddy is Caddy with the image_cdn module and Caddy's standard
// modules, for `go build ./cmd/caddy` without xcaddy (see xcaddy.sh for the
// xcaddy way).
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/image-cdn/image_cdn"
)

func main() {
	caddycmd.Main()
}
