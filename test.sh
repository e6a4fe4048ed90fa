#!/usr/bin/env bash
# Installs what the tests need on a Debian machine, then runs every test.
#   ./test.sh              # everything
#   ./test.sh -run TestX ./caddymodule/   # arguments go to `go test`
# The S3 server (versitygw) and Caddy are started on 127.0.0.1 by the tests
# themselves. apt-get needs root: run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
pkg-config --exists vips 2>/dev/null || need_apt+=(libvips-dev)
# The AVIF encoder and the AV1 decoder call libheif and libdav1d directly
# (Debian's libvips-dev brings both).
pkg-config --exists libheif 2>/dev/null || need_apt+=(libheif-dev)
pkg-config --exists dav1d 2>/dev/null || need_apt+=(libdav1d-dev)
# The demo page test (demo/) drives Debian's headless chromium.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# Video thumbnails (ik-thumbnail.jpg) take a frame with ffmpeg.
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
# Text layers are drawn with the DejaVu family, found through fontconfig.
{ command -v fc-list >/dev/null 2>&1 && fc-list | grep -q "DejaVu Sans"; } || need_apt+=(fonts-dejavu-core fontconfig)
if ((${#need_apt[@]})); then
	echo "test.sh: installing ${need_apt[*]} (apt)"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" pkg-config gcc >/dev/null
fi

VERSITYGW_VERSION=v1.8.0
# Where go install puts binaries: GOBIN when set, else GOPATH's bin.
GOBIN="$(go env GOBIN)"
[ -n "$GOBIN" ] || GOBIN="$(go env GOPATH | cut -d: -f1)/bin"
if ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$GOBIN/versitygw" ]; then
	echo "test.sh: installing versitygw $VERSITYGW_VERSION (go install, about a minute)"
	go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi
# Let's Encrypt's test ACME server, for the on-demand TLS test.
PEBBLE_VERSION=v2.10.3
if ! command -v pebble >/dev/null 2>&1 && [ ! -x "$GOBIN/pebble" ]; then
	echo "test.sh: installing pebble $PEBBLE_VERSION (go install)"
	CGO_ENABLED=0 go install "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION"
fi
# staticcheck finds what go vet does not: an error assigned inside an if's
# own scope and then lost, a function nothing calls.
STATICCHECK_VERSION=v0.8.2
if ! command -v staticcheck >/dev/null 2>&1 && [ ! -x "$GOBIN/staticcheck" ]; then
	echo "test.sh: installing staticcheck $STATICCHECK_VERSION (go install)"
	go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
# Every test runs: a tool missing here fails its test (internal/testenv).
export IMAGE_CDN_TOOLS_REQUIRED=1
export PATH="$PATH:$GOBIN"

export CGO_ENABLED=1
if (($#)); then
	exec go test "$@"
fi
go vet ./...
staticcheck ./...
exec go test -count=1 -timeout 15m ./...
