#!/usr/bin/env bash
# Builds Caddy with image_cdn and serves Caddyfile.example on the sample
# images in ./samples: no cloud account needed. Prints the URLs to try
# once Caddy answers. Ctrl-C stops it.
#
# Needs Go 1.26.8 or newer (https://go.dev/dl/) and, when libvips-dev, gcc
# or pkg-config are missing, installs them with apt (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")"

PORT=8080          # as in Caddyfile.example
READY_TIMEOUT=30   # seconds Caddy gets to answer after it starts

say() { echo "demo.sh: $*"; }
die() { echo "demo.sh: $*" >&2; exit 1; }

# --- Go ----------------------------------------------------------------------
want_go=$(sed -n 's/^go \([0-9.]*\)$/\1/p' go.mod)
if ! command -v go >/dev/null 2>&1; then
	die "Go is not installed. Install Go $want_go or newer from https://go.dev/dl/ (unpack it into /usr/local, put /usr/local/go/bin on PATH), then run ./demo.sh again."
fi
have_go=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$want_go" "$have_go" | sort -V | head -n1)" != "$want_go" ]; then
	say "Go $have_go is older than the $want_go go.mod needs: the go command will try to download go$want_go itself (GOTOOLCHAIN=auto). If that fails, install Go $want_go from https://go.dev/dl/."
fi

# --- libvips (govips links it through cgo) ------------------------------------
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
pkg-config --exists vips 2>/dev/null || missing+=(libvips-dev)
pkg-config --exists libheif 2>/dev/null || missing+=(libheif-dev) # the AVIF encoder links it
pkg-config --exists dav1d 2>/dev/null || missing+=(libdav1d-dev)    # and the AV1 decoder
if ((${#missing[@]})); then
	SUDO=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || die "${missing[*]} missing and you are not root: run ./demo.sh as root, or install them (apt-get install ${missing[*]})"
		SUDO=(sudo)
	fi
	say "installing ${missing[*]} with apt${SUDO:+ (through sudo: it may ask for your password)}"
	"${SUDO[@]}" apt-get update -qq
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- build (once the port is known to be free) ----------------------------
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
	die "port $PORT is already in use (another ./demo.sh?): stop that server first"
fi
export CGO_ENABLED=1
say "building ./caddy with image_cdn (the first build takes a few minutes)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! ./xcaddy.sh >"$log" 2>&1; then
	# xcaddy resolves Caddy through the Go module proxy in a temporary module;
	# building ./cmd/caddy uses this repository's go.mod and its pinned versions.
	say "xcaddy failed (its output: see below); building ./cmd/caddy with go build instead"
	tail -n 5 "$log" | sed 's/^/    /'
	if ! go build -o caddy ./cmd/caddy >"$log" 2>&1; then
		cat "$log" >&2
		die "the build failed (output above)"
	fi
fi

# --- run, and wait until Caddy answers ----------------------------------------
caddylog=$(mktemp /tmp/image_cdn-demo-caddy.XXXXXX.log)
./caddy run --config Caddyfile.example --adapter caddyfile >"$caddylog" 2>&1 &
caddy_pid=$!
stop() {
	trap - INT TERM EXIT
	kill "$caddy_pid" 2>/dev/null || true
	wait "$caddy_pid" 2>/dev/null || true
	rm -f "$log" "$caddylog"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# answers reports whether Caddy serves the demo page: an HTTP 200 on /demo/
# from a server that says it is Caddy. Bash's own /dev/tcp, as curl may not
# be installed; a subshell, so that a refused connection cannot end the script.
answers() (
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
	printf 'GET /demo/ HTTP/1.0\r\nHost: localhost:%s\r\n\r\n' "$PORT" >&3
	IFS= read -r -t 2 status <&3 || exit 1
	[[ $status == "HTTP/1."?" 200"* ]] || exit 1
	while IFS= read -r -t 2 line <&3 && [[ $line != $'\r' && -n $line ]]; do
		[[ ${line,,} == "server: caddy"* ]] && exit 0
	done
	exit 1
)

deadline=$((SECONDS + READY_TIMEOUT))
until answers 2>/dev/null; do
	if ! kill -0 "$caddy_pid" 2>/dev/null; then
		cat "$caddylog" >&2
		die "Caddy stopped (log above). Is port $PORT already in use?"
	fi
	if ((SECONDS >= deadline)); then
		cat "$caddylog" >&2
		die "Caddy did not answer on port $PORT within ${READY_TIMEOUT}s (log above)"
	fi
	sleep 0.2
done

base=http://localhost:$PORT/demo
cat <<URLS

image_cdn is serving ./samples — open the demo page:

  $base/                                         gallery, signed URL and URL builder

or try:

  $base/photos/sunset.jpg                        the original, streamed as is
  $base/tr:w-400,h-300/photos/sunset.jpg         400×300, cropped to fill
  $base/tr:w-300,c-at_max,f-webp/photos/seeding.jpg
  $base/photos/seeding.jpg?tr=w-0.25,e-grayscale query form, quarter width
  $base/tr:w-600,h-200,cm-pad_resize,bg-F3F3F3/photos/umang%20(night).jpg
  $base/tr:h-40,f-png/logo.png                   PNG with alpha stays transparent
  $base/tr:n-thumb/photos/sunset.jpg             a named transformation
  $base/readme.txt                               non-image files pass through
  $base/missing.jpg                              404 with an Ik-Error header
  http://localhost:$PORT/signed/photos/sunset.jpg      401: this endpoint needs a signature

  curl -sI '$base/tr:w-300/photos/sunset.jpg' -H 'Accept: image/avif,image/webp'

Caddy's log: $caddylog (removed when Caddy stops). Ctrl-C stops Caddy.
URLS
rc=0
wait "$caddy_pid" || rc=$?
if ((rc != 0)); then
	cat "$caddylog" >&2
	die "Caddy stopped with status $rc (log above)"
fi
