// Package imagecdn is what xcaddy imports (`xcaddy build --with
// github.com/image-cdn/image_cdn`): it registers the image_cdn Caddy
// modules, which live in the caddymodule package.
package imagecdn

import (
	_ "github.com/image-cdn/image_cdn/caddymodule"
)
