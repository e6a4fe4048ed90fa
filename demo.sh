#!/usr/bin/env bash
# Builds Caddy with image_cdn (./xcaddy.sh) and serves Caddyfile.example on
# the sample images in ./samples. No cloud account needed. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")"

if ! pkg-config --exists vips 2>/dev/null; then
	echo "demo.sh: installing libvips-dev (apt)"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libvips-dev pkg-config gcc >/dev/null
fi

echo "demo.sh: building ./caddy with image_cdn (first build takes a few minutes)"
log=$(mktemp)
if ! ./xcaddy.sh >"$log" 2>&1; then
	cat "$log" >&2
	echo "demo.sh: the build failed (output above)" >&2
	exit 1
fi
rm -f "$log"

base=http://localhost:8080/demo
cat <<URLS

image_cdn is serving ./samples on $base — try:

  $base/photos/sunset.jpg                        the original, streamed as is
  $base/tr:w-400,h-300/photos/sunset.jpg         400×300, cropped to fill
  $base/tr:w-300,c-at_max,f-webp/photos/seeding.jpg
  $base/photos/seeding.jpg?tr=w-0.25,e-grayscale query form, quarter width
  $base/tr:w-600,h-200,cm-pad_resize,bg-F3F3F3/photos/umang%20(night).jpg
  $base/tr:h-40,f-png/logo.png                   PNG with alpha stays transparent
  $base/readme.txt                               non-image files pass through
  $base/missing.jpg                              404 with an Ik-Error header

  curl -sI '$base/tr:w-300/photos/sunset.jpg' -H 'Accept: image/avif,image/webp'

URLS
exec ./caddy run --config Caddyfile.example --adapter caddyfile
