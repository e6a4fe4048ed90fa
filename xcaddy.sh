#!/usr/bin/env bash
# Builds ./caddy: Caddy with the image_cdn module, through xcaddy.
# Versions are pinned; cgo is on because govips links libvips, and the AVIF
# encoder and AV1 decoder libheif and libdav1d (install libvips-dev first,
# which brings libheif-dev and libdav1d-dev: sudo apt-get install -y libvips-dev).
#
#   ./xcaddy.sh            # builds ./caddy
#   ./xcaddy.sh --with github.com/caddyserver/cache-handler@v0.16.0   # extra plugins
set -euo pipefail
cd "$(dirname "$0")"

CADDY_VERSION=v2.11.9
MODULE=github.com/image-cdn/image_cdn
# The module is not published: xcaddy needs a version to replace, any will do.
PLACEHOLDER=v0.0.0-00010101000000-000000000000

export CGO_ENABLED=1
# xcaddy is a tool dependency in go.mod (go get -tool), pinned to v0.4.5.
exec go tool xcaddy build "$CADDY_VERSION" \
	--output ./caddy \
	--with "$MODULE@$PLACEHOLDER=./" \
	"$@"
