#!/usr/bin/env bash
# Load benchmark for image_cdn (issues 6 and 15): one command, measured
# against libvips itself, imgproxy and imagor, Caddy's file_server and
# reverse_proxy, and the S3 server, in the same run.
#
#   BENCH_IMGPROXY_SRC=/path/to/imgproxy-v4.0.12 \
#   BENCH_IMAGOR_SRC=/path/to/imagor-v1.4.17 ./bench/run.sh
#                                    # everything, rewrites bench/RESULTS.md
#                                    # and bench/figures/*.svg; ~25 min on 2 cores
#   ./bench/run.sh                   # the same without the peers (their rows
#                                    # say "skipped" and why)
#   BENCH_DURATION=3 BENCH_PHASES="cold peers" ./bench/run.sh   # a quick look
#
# Environment (all optional):
#   BENCH_DURATION     seconds per measurement (default 10)
#   BENCH_CONCURRENCY  concurrency levels (default "nproc 4×nproc")
#   BENCH_BIG_CONC     connections of the big-photo flood (default 64)
#   BENCH_NO_INSTALL=1 do not apt-get / go install anything
#   BENCH_KEEP=1       keep the work directory (logs, Caddyfiles, wrk output,
#                      sample outputs of every server)
#   BENCH_PHASES       which parts to run (default "pass cold peers hot scale flood soak")
#   BENCH_SOAK_DURATION each of the soak's two runs (clean, then 20 % hostile; default 3m)
#   BENCH_CADDY_ENV    extra environment for Caddy, e.g. "MALLOC_ARENA_MAX=2"
#   BENCH_CADDY        a prebuilt Caddy binary to use instead of building one
#   BENCH_RESULTS      where to write the results (default bench/RESULTS.md;
#                      "-" to write nowhere)
#   BENCH_FIGURES      where to write the SVG charts (default bench/figures
#                      when the results go to bench/RESULTS.md)
# Peers (phase "peers": side-by-side cold rows; phase "scale": imgproxy in
# the megapixel and connection sweeps). The script never downloads them:
# give a source checkout (built here with cgo against the system libvips)
# or a binary already built that way.
#   BENCH_IMGPROXY_SRC a checkout of github.com/imgproxy/imgproxy at v4.0.12
#   BENCH_IMGPROXY_BIN or its binary
#   BENCH_IMAGOR_SRC   a copy of github.com/cshum/imagor at v1.4.17
#   BENCH_IMAGOR_BIN   or its binary
#   BENCH_PEER_ENV     extra environment for the peers, e.g. "LD_PRELOAD=..."
# Scale (phase "scale"):
#   BENCH_SCALE_MP     source sizes in megapixels (default "1 3 9 20 35 50")
#   BENCH_SCALE_CONC   connection counts (default "1 2 4 8 16")
#
# How the peers were obtained for bench/RESULTS.md: see bench/README.md.
#
# It installs what it needs (apt: libvips-dev libvips-tools wrk curl
# lomiri-wallpapers-16.04; go install versitygw), builds Caddy with the
# module, starts versitygw on 127.0.0.1, uploads a corpus through the S3
# API, starts Caddy with generated Caddyfiles (one process per profile, so
# RSS is per profile) and the peers configured against the same S3 server,
# drives them with wrk, and prints markdown tables, also written to
# bench/RESULTS.md with the machine it ran on. A feature the module does
# not have yet (its Caddyfile option is rejected, or a probe request does
# not answer 200 with the right type) shows as "n/a" with the reason under
# the table; the run goes on.
# Everything listens on 127.0.0.1 only; every step is bounded in time; the
# processes it starts are stopped on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DUR=${BENCH_DURATION:-10}
NPROC=$(nproc)
CONCS=${BENCH_CONCURRENCY:-"$NPROC $((4 * NPROC))"}
BIG_CONC=${BENCH_BIG_CONC:-64}
RESULTS=${BENCH_RESULTS:-$HERE/RESULTS.md}
# A partial run does not overwrite the full table unless asked to.
[[ -n ${BENCH_PHASES+x} && -z ${BENCH_RESULTS:-} ]] && RESULTS=-
PHASES=" ${BENCH_PHASES-pass cold peers hot scale flood soak} "
FIGURES=${BENCH_FIGURES:-}
[[ -z $FIGURES && $RESULTS == "$HERE/RESULTS.md" ]] && FIGURES=$HERE/figures
SCALE_MP=${BENCH_SCALE_MP:-"1 3 9 20 35 50"}
SCALE_CONC=${BENCH_SCALE_CONC:-"1 2 4 8 16"}
phase() { [[ $PHASES == *" $1 "* ]]; }
TMO=60 # wrk's per-request timeout, seconds
AK=benchAccessKey
SK=benchSecretKey0123456789
BUCKET=bench
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

log() { printf '[bench %4ds] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/image_cdn-bench.XXXXXX")
PIDS=()
cleanup() {
	local rc=$?
	set +e
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [[ ${BENCH_KEEP:-} == 1 ]]; then
		log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() { # stop one process we started and forget it
	local pid=$1 keep=() p
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# ---------------------------------------------------------------- install
SUDO=""
[[ $(id -u) == 0 ]] || SUDO=sudo
CORPUS_DIR=/usr/share/backgrounds
if [[ ${BENCH_NO_INSTALL:-} != 1 ]]; then
	need=()
	command -v wrk >/dev/null || need+=(wrk)
	command -v vips >/dev/null || need+=(libvips-tools)
	command -v curl >/dev/null || need+=(curl)
	command -v gcc >/dev/null || need+=(gcc)
	command -v pkg-config >/dev/null || need+=(pkg-config)
	pkg-config --exists vips 2>/dev/null || need+=(libvips-dev)
	dpkg -s lomiri-wallpapers-16.04 >/dev/null 2>&1 || need+=(lomiri-wallpapers-16.04)
	if ((${#need[@]})); then
		log "apt-get install ${need[*]}"
		export DEBIAN_FRONTEND=noninteractive
		timeout 600 $SUDO apt-get update -qq
		timeout 900 $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	fi
fi
command -v go >/dev/null || die "Go is needed (see go.mod for the version)"
for t in wrk vips curl; do command -v $t >/dev/null || die "$t is missing (run without BENCH_NO_INSTALL)"; done
if dpkg -L lomiri-wallpapers-16.04 >/dev/null 2>&1; then
	CORPUS_DIR=$(dirname "$(dpkg -L lomiri-wallpapers-16.04 | grep -m1 '\.jpg$')")
fi
mapfile -t PHOTOS < <(ls "$CORPUS_DIR"/*.jpg 2>/dev/null | sort)
((${#PHOTOS[@]} >= 4)) || die "no photo corpus in $CORPUS_DIR"

VERSITYGW=${VERSITYGW:-}
if [[ -z $VERSITYGW ]]; then
	for c in "$(command -v versitygw || true)" "$(go env GOBIN)/versitygw" "$(go env GOPATH)/bin/versitygw"; do
		if [[ -n $c && -x $c && ! -d $c ]]; then VERSITYGW=$c; break; fi
	done
fi
if [[ -z $VERSITYGW ]]; then
	[[ ${BENCH_NO_INSTALL:-} != 1 ]] || die "versitygw not found"
	log "go install versitygw@v1.8.0"
	(cd "$WORK" && GOWORK=off GOFLAGS='' timeout 900 go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)
	VERSITYGW=$(go env GOPATH)/bin/versitygw
	[[ -n $(go env GOBIN) ]] && VERSITYGW=$(go env GOBIN)/versitygw
fi

# ------------------------------------------------------------------ build
mkdir -p "$WORK/bin" "$WORK/out"
BUILD_NOTE=""
gobuild() { # gobuild <output> <package>; CGO for govips
	if (cd "$ROOT" && CGO_ENABLED=1 timeout 900 go build ${GOMODFLAG:-} -o "$1" "$2") 2>"$WORK/build.err"; then
		return 0
	fi
	if [[ -z ${GOMODFLAG:-} ]] && grep -q 'missing go.sum entry' "$WORK/build.err"; then
		# The repository's go.sum lacks an entry (a dependency being added
		# right now). Build with a private copy so the benchmark can still
		# run; the repository is not touched.
		log "WARNING: go.sum is missing entries; building with a private copy of go.mod/go.sum"
		cp "$ROOT/go.mod" "$WORK/go.mod"; cp "$ROOT/go.sum" "$WORK/go.sum"
		GOMODFLAG="-modfile=$WORK/go.mod"
		sed -n 's/.*go get \(.*\)$/\1/p' "$WORK/build.err" | sort -u | while read -r m; do
			(cd "$ROOT" && GOFLAGS=-mod=mod timeout 600 go get -modfile="$WORK/go.mod" "$m" >/dev/null 2>&1 || true)
		done
		BUILD_NOTE="Built with a private copy of go.mod/go.sum: the repository's go.sum was missing entries."
		gobuild "$@"
		return
	fi
	cat "$WORK/build.err" >&2
	return 1
}
log "building caddy, vipsrate, s3tool"
GOMODFLAG=""
if [[ -n ${BENCH_CADDY:-} ]]; then
	cp "$BENCH_CADDY" "$WORK/bin/caddy"
else
	gobuild "$WORK/bin/caddy" ./cmd/caddy || die "caddy build failed"
fi
gobuild "$WORK/bin/vipsrate" ./bench/vipsrate || die "vipsrate build failed"
gobuild "$WORK/bin/s3tool" ./bench/s3tool || die "s3tool build failed"
TRANSFORMRATE=$WORK/bin/transformrate
if ! gobuild "$TRANSFORMRATE" ./bench/transformrate 2>/dev/null; then
	TRANSFORMRATE=""
	TR_NOTE="bench/transformrate did not build (transform API changed?): the in-process transform-package rate is left out."
fi
CADDY=$WORK/bin/caddy
CHART=$WORK/bin/chart
gobuild "$CHART" ./bench/chart || CHART=""

# ------------------------------------------------------------------ peers
# Each peer is built from the directory the user gives (never fetched
# here), with cgo against the same system libvips as the module, outside
# this repository's module (GOWORK=off). PEER_SKIP says why one is left out.
declare -A PEER_BIN=() PEER_SKIP=() PEER_VERSION=()
PEERS=()
peer_build() { # peer_build <name> <src var> <bin var> <package> [go flags]
	local name=$1 srcvar=$2 binvar=$3 pkg=$4 flags=${5:-}
	local src=${!srcvar:-} bin=${!binvar:-}
	if ! phase peers && ! { [[ $name == imgproxy ]] && phase scale; }; then
		return
	fi
	if [[ -n $bin ]]; then
		if [[ -x $bin ]]; then PEER_BIN[$name]=$bin; else PEER_SKIP[$name]="$binvar=$bin is not an executable"; fi
	elif [[ -n $src ]]; then
		if [[ ! -f $src/go.mod ]]; then
			PEER_SKIP[$name]="$srcvar=$src has no go.mod"
		else
			log "building $name from $src (cgo, system libvips $(pkg-config --modversion vips 2>/dev/null))"
			if (cd "$src" && GOWORK=off GOFLAGS="$flags" CGO_ENABLED=1 CGO_LDFLAGS_ALLOW='-s|-w' \
				timeout 2400 go build -o "$WORK/bin/$name" "$pkg") >"$WORK/build.$name.log" 2>&1; then
				PEER_BIN[$name]=$WORK/bin/$name
			else
				PEER_SKIP[$name]="the build from $srcvar failed: $(grep -m1 -iE 'error|undefined|cannot' "$WORK/build.$name.log" | cut -c1-160)"
			fi
		fi
	else
		PEER_SKIP[$name]="neither $srcvar nor $binvar was given"
	fi
	if [[ -n ${PEER_BIN[$name]:-} ]]; then
		PEERS+=("$name")
		PEER_VERSION[$name]=$(go version -m "${PEER_BIN[$name]}" 2>/dev/null | awk '$1 == "mod" { print $3 }')
		[[ -n ${PEER_VERSION[$name]} && ${PEER_VERSION[$name]} != "(devel)" ]] || PEER_VERSION[$name]="from ${!srcvar:-${!binvar}}"
	else
		log "peer $name skipped: ${PEER_SKIP[$name]}"
	fi
}
peer_build imgproxy BENCH_IMGPROXY_SRC BENCH_IMGPROXY_BIN ./cli
peer_build imagor BENCH_IMAGOR_SRC BENCH_IMAGOR_BIN ./cmd/imagor -mod=mod

# ----------------------------------------------------------------- corpus
log "preparing the corpus"
mkdir -p "$WORK/corpus/img" "$WORK/corpus/png" "$WORK/corpus/big"
# The cold corpus: every photo scaled (enlarged or reduced, JPEG Q90) to
# 20, 9 or 3 MP in turn, so that a third of the requests decode each size.
IMGS=()
i=0
for f in "${PHOTOS[@]}"; do
	mp=$(cut -d' ' -f$((i % 3 + 1)) <<<"20 9 3"); i=$((i + 1))
	px=$(($(vipsheader -f width "$f") * $(vipsheader -f height "$f")))
	out=$(basename "${f%.jpg}")_${mp}mp.jpg
	timeout 120 vips resize "$f" "$WORK/corpus/img/${out}[Q=90]" "$(awk -v p="$px" -v m="$mp" 'BEGIN{ printf "%.5f", sqrt(m * 1e6 / p) }')"
	IMGS+=("$out")
done
# The four largest photos, enlarged to 20+ MP (22-27 MP), for the flood test.
BIGS=()
while read -r px f; do
	scale=$(awk -v p="$px" 'BEGIN{ s = sqrt(22.5e6 / p); if (s < 1) s = 1; printf "%.3f", s }')
	out=big_$(basename "$f")
	timeout 120 vips resize "$f" "$WORK/corpus/big/${out}[Q=90]" "$scale"
	BIGS+=("$out")
done < <(for f in "${PHOTOS[@]}"; do
	echo "$(($(vipsheader -f width "$f") * $(vipsheader -f height "$f"))) $f"
done | sort -rn | head -4)
# PNGs with alpha (a radial fade to transparent), 2048 px wide.
PNGS=()
for f in "${PHOTOS[@]:0:3}"; do
	out=$(basename "${f%.jpg}").png
	t=$WORK/corpus/t.v
	timeout 120 vips thumbnail "$f" "$t" 2048
	w=$(vipsheader -f width "$t"); h=$(vipsheader -f height "$t")
	# alpha = 255 at the centre falling to 0 at the corners: 255 - 255·r²/r²max
	timeout 60 vips xyz "$WORK/corpus/xy.v" "$w" "$h"
	timeout 60 vips linear -- "$WORK/corpus/xy.v" "$WORK/corpus/c.v" "1 1" "$((-w / 2)) $((-h / 2))"
	timeout 60 vips extract_band "$WORK/corpus/c.v" "$WORK/corpus/cx.v" 0
	timeout 60 vips extract_band "$WORK/corpus/c.v" "$WORK/corpus/cy.v" 1
	timeout 60 vips multiply "$WORK/corpus/cx.v" "$WORK/corpus/cx.v" "$WORK/corpus/cx2.v"
	timeout 60 vips multiply "$WORK/corpus/cy.v" "$WORK/corpus/cy.v" "$WORK/corpus/cy2.v"
	timeout 60 vips add "$WORK/corpus/cx2.v" "$WORK/corpus/cy2.v" "$WORK/corpus/r2.v"
	r2max=$(((w * w + h * h) / 4))
	timeout 60 vips linear --uchar -- "$WORK/corpus/r2.v" "$WORK/corpus/a.v" "$(awk -v m="$r2max" 'BEGIN{printf "%.10f", -255/m}')" 255
	timeout 60 vips bandjoin "$t $WORK/corpus/a.v" "$WORK/corpus/png/$out"
	rm -f "$WORK/corpus/"*.v
	PNGS+=("$out")
done
BIG_MP=$(for f in "${BIGS[@]}"; do echo "$(vipsheader -f width "$WORK/corpus/big/$f") $(vipsheader -f height "$WORK/corpus/big/$f")"; done |
	awk '{ p = $1 * $2 / 1e6; if (!mn || p < mn) mn = p; if (p > mx) mx = p } END { printf "%.0f–%.0f", mn, mx }')
# The megapixel sweep: the largest photo scaled to each size (JPEG Q90).
mkdir -p "$WORK/corpus/scale"
SCALE_FILES=()
if phase scale; then
	read -r px0 f0 < <(for f in "${PHOTOS[@]}"; do
		echo "$(($(vipsheader -f width "$f") * $(vipsheader -f height "$f"))) $f"
	done | sort -rn | head -1)
	for mp in $SCALE_MP; do
		out=mp$mp.jpg
		timeout 300 vips resize "$f0" "$WORK/corpus/scale/${out}[Q=90]" "$(awk -v p="$px0" -v m="$mp" 'BEGIN{ printf "%.5f", sqrt(m * 1e6 / p) }')"
		SCALE_FILES+=("$out")
	done
fi
head -c $((200 * 1024 * 1024)) /dev/urandom >"$WORK/corpus/big.bin"
BIG_BIN_SIZE=$((200 * 1024 * 1024))

# Peak RSS counts the pages of a server's own binary that it maps, and how
# many it maps depends on the page cache: a binary just written (Caddy,
# built a minute ago) sits in large folios and comes in whole (measured:
# 59 MB of Caddy's 60 MB of code and data resident at idle), one read back
# from disk comes in as touched (40 MB). So that no server is charged for
# when it was built, the page cache is emptied once here, where the script
# may (root); otherwise the results say it was not.
PAGE_CACHE="not emptied (not root): a server whose binary was written recently counts more of it in RSS"
if [[ -w /proc/sys/vm/drop_caches ]]; then
	sync && echo 1 >/proc/sys/vm/drop_caches && PAGE_CACHE="emptied once before the servers started, so that every binary is read back from disk alike"
fi

# ----------------------------------------------------------------- ports
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
wait_http() { # wait_http <url> <seconds>: until anything answers
	local i code
	for ((i = 0; i < $2 * 5; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true)
		[[ $code != 000 ]] && return 0
		sleep 0.2
	done
	return 1
}

# ------------------------------------------------------------ S3 server
S3PORT=$(free_port)
mkdir -p "$WORK/s3"
log "starting versitygw on 127.0.0.1:$S3PORT"
"$VERSITYGW" --access "$AK" --secret "$SK" --region us-east-1 --port "127.0.0.1:$S3PORT" --quiet \
	posix "$WORK/s3" >"$WORK/versitygw.log" 2>&1 &
S3PID=$!
PIDS+=("$S3PID")
wait_http "http://127.0.0.1:$S3PORT/" 30 || { cat "$WORK/versitygw.log" >&2; die "versitygw did not start"; }
S3=("$WORK/bin/s3tool" -endpoint "127.0.0.1:$S3PORT" -ak "$AK" -sk "$SK")
log "uploading the corpus"
"${S3[@]}" mb "$BUCKET"
puts=()
for f in "${IMGS[@]}"; do puts+=("img/$f=$WORK/corpus/img/$f"); done
for f in "${PNGS[@]}"; do puts+=("png/$f=$WORK/corpus/png/$f"); done
for f in "${BIGS[@]}"; do puts+=("big/$f=$WORK/corpus/big/$f"); done
for f in "${SCALE_FILES[@]}"; do puts+=("scale/$f=$WORK/corpus/scale/$f"); done
puts+=("big.bin=$WORK/corpus/big.bin")
timeout 300 "${S3[@]}" put "$BUCKET" "${puts[@]}"
PRESIGNED=$("${S3[@]}" presign "$BUCKET" big.bin 3h)
code=$(curl -s -o /dev/null -w '%{http_code}' -r 0-1023 "$PRESIGNED")
[[ $code == 206 || $code == 200 ]] || die "presigned GET answered $code"

# ------------------------------------------------------------ Caddy
NOTES=()
note() { NOTES+=("$*"); }
[[ -n $BUILD_NOTE ]] && note "$BUILD_NOTE"
[[ -n ${TR_NOTE:-} ]] && note "$TR_NOTE"
export HOME=$WORK XDG_DATA_HOME=$WORK/xdg XDG_CONFIG_HOME=$WORK/xdg

caddyfile() { # caddyfile <port> <directive lines...>: a site; "FS <root>" for file_server
	local port=$1; shift
	printf '{\n\tadmin off\n\tauto_https off\n\tgrace_period 1s\n}\n\n'
	printf 'http://127.0.0.1:%s {\n\tbind 127.0.0.1\n' "$port"
	if [[ ${1:-} == FS ]]; then
		printf '\troot * %s\n\tfile_server\n}\n' "$2"
		return
	fi
	printf '\timage_cdn {\n\t\torigin s3 {\n\t\t\tbucket %s\n\t\t\tendpoint http://127.0.0.1:%s\n' "$BUCKET" "$S3PORT"
	printf '\t\t\tregion us-east-1\n\t\t\tpath_style\n\t\t\taccess_key_id %s\n\t\t\tsecret_access_key %s\n\t\t}\n' "$AK" "$SK"
	local l
	for l in "$@"; do [[ -n $l ]] && printf '\t\t%s\n' "$l"; done
	printf '\t}\n}\n'
}

CADDY_PID=""
CADDY_PORT=""
# start_caddy <name> <directive lines...>: starts Caddy with that profile;
# returns 1 (and sets CADDY_ERR) when the Caddyfile is rejected.
start_caddy() {
	local name=$1; shift
	CADDY_NAME=$name CADDY_ARGS=("$@")
	CADDY_PORT=${CADDY_FIXED_PORT:-$(free_port)}
	local cf=$WORK/Caddyfile.$name
	caddyfile "$CADDY_PORT" "$@" >"$cf"
	if ! timeout 60 "$CADDY" validate --config "$cf" --adapter caddyfile >"$WORK/validate.$name.log" 2>&1; then
		CADDY_ERR=$(grep -E '"level":"error"|^Error' "$WORK/validate.$name.log" | tail -1 |
			sed -e 's/.*"msg":"\([^"]*\)".*/\1/' -e "s#$WORK/##g" | cut -c1-200)
		[[ -n $CADDY_ERR ]] || CADDY_ERR=$(tail -1 "$WORK/validate.$name.log" | cut -c1-200)
		return 1
	fi
	# shellcheck disable=SC2086 # BENCH_CADDY_ENV is a list of VAR=value words
	env ${BENCH_CADDY_ENV:-} "$CADDY" run --config "$cf" --adapter caddyfile >>"$WORK/caddy.$name.log" 2>&1 &
	CADDY_PID=$!
	PIDS+=("$CADDY_PID")
	if ! wait_http "http://127.0.0.1:$CADDY_PORT/" 30; then
		CADDY_ERR="caddy did not answer: $(tail -1 "$WORK/caddy.$name.log" | cut -c1-160)"
		stop_pid "$CADDY_PID"
		return 1
	fi
}
stop_caddy() { [[ -n $CADDY_PID ]] && stop_pid "$CADDY_PID"; CADDY_PID=""; }

# caddy_check <row>: when the Caddy under test has died, say why in the
# notes, keep its log, and start it again on the same port so that the
# remaining rows still run. Sets CRASHED=1 when it had died.
CRASHED=0
caddy_check() {
	CRASHED=0
	[[ -n $CADDY_PID ]] || return 0
	kill -0 "$CADDY_PID" 2>/dev/null && return 0
	CRASHED=1
	local rc=0 keep reason
	wait "$CADDY_PID" 2>/dev/null || rc=$?
	keep=/tmp/image_cdn-bench-crash-$CADDY_NAME-$(date -u +%H%M%S).log
	cp "$WORK/caddy.$CADDY_NAME.log" "$keep" 2>/dev/null || true
	reason=$(grep -m1 -E '^(panic|fatal error|SIG[A-Z]+)|runtime error|signal [0-9]' "$keep" 2>/dev/null | cut -c1-160 || true)
	note "**Caddy died** during \"$1\" (exit status $rc${reason:+: $reason}); its log is kept in $keep. It was restarted for the rows after."
	log "Caddy ($CADDY_NAME) died during $1 (exit $rc); restarting"
	local keep_pids=() p
	for p in "${PIDS[@]}"; do [[ $p == "$CADDY_PID" ]] || keep_pids+=("$p"); done
	PIDS=("${keep_pids[@]}")
	CADDY_PID=""
	CADDY_FIXED_PORT=$CADDY_PORT start_caddy "$CADDY_NAME" "${CADDY_ARGS[@]}" || log "restart failed: $CADDY_ERR"
}

# ------------------------------------------------------------ peer servers
# Each peer gets the same work as the module's cold profile: sources from
# the same S3 server (path style, same keys), nproc workers, no result
# cache, metadata stripped, Q80 and the encoder effort the module uses
# (WebP effort 4, AVIF effort 1 = speed 8, imgproxy's default), and the malloc setting its own
# Docker image sets (MALLOC_ARENA_MAX=2; the module sets it itself). It
# starts with an empty environment so nothing of the caller's leaks in.
declare -A PEER_ENV=(
	[imgproxy]="IMGPROXY_USE_S3=true IMGPROXY_S3_ENDPOINT=http://127.0.0.1:@S3PORT@ IMGPROXY_S3_ENDPOINT_USE_PATH_STYLE=true IMGPROXY_S3_REGION=us-east-1 IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES=true AWS_ACCESS_KEY_ID=@AK@ AWS_SECRET_ACCESS_KEY=@SK@ AWS_EC2_METADATA_DISABLED=true IMGPROXY_WORKERS=$NPROC IMGPROXY_QUALITY=80 IMGPROXY_FORMAT_QUALITY=jpeg=80,webp=80,avif=80 IMGPROXY_WEBP_EFFORT=4 IMGPROXY_AVIF_SPEED=8 IMGPROXY_STRIP_METADATA=true IMGPROXY_MAX_SRC_RESOLUTION=100 IMGPROXY_LOG_LEVEL=error MALLOC_ARENA_MAX=2 VIPS_WARNING=0"
	[imagor]="IMAGOR_UNSAFE=1 S3_ENDPOINT=http://127.0.0.1:@S3PORT@ S3_FORCE_PATH_STYLE=1 S3_LOADER_BUCKET=$BUCKET AWS_ACCESS_KEY_ID=@AK@ AWS_SECRET_ACCESS_KEY=@SK@ AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true HTTP_LOADER_DISABLE=1 IMAGOR_PROCESS_CONCURRENCY=$NPROC IMAGOR_PROCESS_QUEUE_SIZE=$((4 * NPROC)) VIPS_STRIP_METADATA=1 VIPS_AVIF_SPEED=8 MALLOC_ARENA_MAX=2 VIPS_WARNING=0"
)
declare -A PEER_LISTEN=([imgproxy]="IMGPROXY_BIND=127.0.0.1:@PORT@" [imagor]="BIND=127.0.0.1:@PORT@ PORT=@PORT@")
PEER_PID="" PEER_PORT="" PEER_NAME=""
start_peer() { # start_peer <name>: sets PEER_PID and PEER_PORT, or PEER_ERR and returns 1
	local name=$1 envs
	PEER_NAME=$name PEER_PORT=$(free_port)
	envs=$(sed -e "s/@PORT@/$PEER_PORT/g" -e "s/@S3PORT@/$S3PORT/g" -e "s/@AK@/$AK/g" -e "s/@SK@/$SK/g" <<<"${PEER_LISTEN[$name]} ${PEER_ENV[$name]}")
	# shellcheck disable=SC2086 # lists of VAR=value words
	env -i PATH="$PATH" HOME="$WORK" $envs ${BENCH_PEER_ENV:-} "${PEER_BIN[$name]}" >>"$WORK/$name.log" 2>&1 &
	PEER_PID=$!
	PIDS+=("$PEER_PID")
	if ! wait_http "http://127.0.0.1:$PEER_PORT/" 30; then
		PEER_ERR="$name did not answer: $(tail -1 "$WORK/$name.log" | cut -c1-160)"
		stop_pid "$PEER_PID"; PEER_PID=""
		return 1
	fi
}
stop_peer() { [[ -n $PEER_PID ]] && stop_pid "$PEER_PID"; PEER_PID=""; }
declare -A PEER_EXT=([jpeg]=jpg [webp]=webp [avif]=avif)
# peer_path <server> <format> <prefix/file> <cache-buster>: the request of
# a 300×300 centre fill crop at Q80 with metadata stripped, in each
# server's grammar. The buster changes the server's variant key, not the
# work (imgproxy's cachebuster option; an imagor filter it does not know,
# which it keeps in the key and ignores).
peer_path() {
	case $1 in
	image_cdn) echo "/tr:w-300,h-300,bg-$4${FMT_PARAM[$2]}/$3" ;;
	imgproxy) echo "/_/rs:fill:300:300/g:ce/q:80/cb:$4/plain/s3://$BUCKET/$3@${PEER_EXT[$2]}" ;;
	imagor) echo "/unsafe/300x300/filters:format($2):quality(80):strip_metadata():cb($4)/$3" ;;
	esac
}
declare -A FMT_PARAM=([jpeg]="" [webp]=",f-webp" [avif]=",f-avif")
declare -A FMT_TYPE=([jpeg]="image/jpeg" [webp]="image/webp" [avif]="image/avif")
declare -A FMT_LOADER=([jpeg]="jpegload" [webp]="webpload" [avif]="heifload")

# sample_check <server> <format>: the body of the last probe, checked with
# vipsheader: 300×300 in the right format, which metadata is left; and its mean
# absolute difference from image_cdn's output of the same request (0–255),
# which shows the same crop and a similar quality. One table row.
SAMPLE_ROWS=()
sample_check() {
	local server=$1 fmt=$2 f w h loader meta diff="-" bytes
	mkdir -p "$WORK/samples"
	f=$WORK/samples/${server}_$fmt.${PEER_EXT[$fmt]}
	cp "$WORK/probe.body" "$f"
	bytes=$(stat -c %s "$f")
	w=$(vipsheader -f width "$f" 2>/dev/null || echo "?"); h=$(vipsheader -f height "$f" 2>/dev/null || echo "?")
	loader=$(vipsheader -f vips-loader "$f" 2>/dev/null || echo "?")
	meta=$(vipsheader -a "$f" 2>/dev/null | sed -n 's/^\(exif-data\|xmp-data\|iptc-data\|icc-profile-data\): \([0-9]*\) bytes.*/\1 \2 B/p' | paste -sd, - | sed 's/,/, /g')
	local ref=$WORK/samples/image_cdn_$fmt.${PEER_EXT[$fmt]}
	if [[ $server != image_cdn && -r $ref && $w == "$(vipsheader -f width "$ref")" && $h == "$(vipsheader -f height "$ref")" ]]; then
		diff=$(timeout 60 vips subtract "$f" "$ref" "$WORK/samples/d.v" 2>/dev/null && timeout 60 vips abs "$WORK/samples/d.v" "$WORK/samples/a.v" &&
			timeout 60 vips avg "$WORK/samples/a.v" | awk '{ printf "%.2f", $1 }' || echo "?")
		rm -f "$WORK/samples/"*.v
	fi
	local ok="✓"
	[[ $w == 300 && $h == 300 && $loader == "${FMT_LOADER[$fmt]}" ]] || ok="✗"
	SAMPLE_ROWS+=("| $server | ${fmt^^} | ${w}×${h} | $loader | $bytes | ${meta:-none} | $diff | $ok |")
}

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # user+system ticks of a process (0 when there is none)
	[[ -n $1 && -r /proc/$1/stat ]] || { echo 0; return; }
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
HWM_RESET=1
rss_reset() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || HWM_RESET=0; }

FORCE_NA=""
probe() { # probe <url> <content-type prefix> [<code> [curl args]]: fails with PROBE_ERR set
	local got url=$1 type=$2 want=${3:-200}
	shift $(($# < 3 ? $# : 3))
	if [[ -n $FORCE_NA ]]; then PROBE_ERR=$FORCE_NA; return 1; fi
	got=$(curl -s -o "$WORK/probe.body" -w '%{http_code} %{content_type}' --max-time 60 "$@" "$url" || echo "000 -")
	if [[ $got == "$want $type"* ]]; then return 0; fi
	PROBE_ERR="probe answered HTTP ${got% *} (${got#* }): $(head -c 100 "$WORK/probe.body" | tr -c '[:print:]' ' ')"
	return 1
}

# ------------------------------------------------------------ measuring
# wrk_run <name> <conc> <url> [VAR=value ...]: one wrk run; sets W_* from
# the BENCH line of bench/wrk.lua (rates per second, latencies in ms). The
# server whose CPU is counted is the Caddy under test, or WRK_PID (a peer).
wrk_run() {
	local name=$1 conc=$2 url=$3; shift 3
	local threads=$((conc < NPROC ? conc : NPROC)) out=$WORK/out/$name.txt
	local spid=${WRK_PID:-$CADDY_PID}
	log "wrk $name c=$conc"
	local t0
	t0=$(cpu_ticks "$spid")
	env "$@" timeout $((DUR + TMO + 30)) wrk -t"$threads" -c"$conc" -d"${DUR}s" --timeout "${TMO}s" \
		-s "$HERE/wrk.lua" "$url" >"$out" 2>&1 || true
	local line t1
	t1=$(cpu_ticks "$spid")
	if [[ -z ${WRK_PID:-} ]]; then caddy_check "$name"; else CRASHED=0; kill -0 "$spid" 2>/dev/null || CRASHED=1; fi
	line=$(grep '^BENCH ' "$out" | tail -1 || true)
	if [[ -z $line ]]; then
		W_OK=0; W_ERR="wrk failed: $(tail -1 "$out" | cut -c1-120)"
		return
	fi
	f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
	local secs req ok
	secs=$(f secs); req=$(f requests); ok=$(f s2xx)
	[[ $ok == -1 ]] && ok=$((req - $(f non2xx)))
	W_OK=1
	# Caddy's CPU per successful answer: steadier than a rate on a shared machine.
	W_CPU=$(awk -v d="$((t1 - t0))" -v hz="$CLK_TCK" -v n="$ok" 'BEGIN{ if (n > 0 && d >= 0) printf "%.3g", d * 1000 / hz / n; else printf "n/a" }')
	W_RATE=$(awk -v n="$ok" -v s="$secs" 'BEGIN{ printf "%.1f", n / s }')
	W_MBPS=$(awk -v b="$(f bytes)" -v s="$secs" 'BEGIN{ printf "%.0f", b / s / 1048576 }')
	# Mean answer size (headers included): a check that servers send alike outputs.
	W_KB=$(awk -v b="$(f bytes)" -v n="$req" 'BEGIN{ if (n > 0) printf "%.1f", b / n / 1024; else printf "n/a" }')
	W_P50=$(awk -v u="$(f p50_us)" 'BEGIN{ printf "%.1f", u / 1000 }')
	W_P99=$(awk -v u="$(f p99_us)" 'BEGIN{ printf "%.1f", u / 1000 }')
	W_MAX=$(awk -v u="$(f max_us)" 'BEGIN{ printf "%.1f", u / 1000 }')
	W_NON2XX=$(f non2xx); W_S503=$(f s503); W_S5XX=$(f s5xx)
	W_SOCK=$(($(f errconnect) + $(f errread) + $(f errwrite) + $(f errtimeout)))
	W_TIMEOUTS=$(f errtimeout)
	[[ $W_SOCK -gt 0 ]] && W_NON2XX="$W_NON2XX (+$W_SOCK socket errors)"
	W_FIRST_ERR=$(sed -n 's/^BENCH_FIRST_ERR //p' "$out" | head -1 | tr -d '|' | cut -c1-70)
	if [[ -n $W_FIRST_ERR && $W_NON2XX != 0 && $name != flood* ]]; then
		note "$name: $W_NON2XX answers not 2xx; the first: \`$W_FIRST_ERR\`"
	fi
	[[ $CRASHED == 1 ]] && W_NON2XX="$W_NON2XX **server crashed**" && W_CPU=n/a
	return 0
}

# vips_run <conc> <format> <files...>: the in-process libvips baseline.
vips_run() {
	local conc=$1 fmt=$2; shift 2
	log "vipsrate $fmt c=$conc"
	local line
	line=$(timeout $((DUR + 60)) "$WORK/bin/vipsrate" -c "$conc" -d "${DUR}s" -w 300 -h 300 -q 80 -format "$fmt" "$@" 2>&1 | grep '^VIPSRATE' || true)
	if [[ -z $line ]]; then V_OK=0; return; fi
	f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
	V_OK=1; V_RATE=$(f rate); V_P50=$(f p50_ms); V_P99=$(f p99_ms); V_CPU=$(f cpu_ms_per_op); V_RSS=$(f peak_rss_mb)
}

# vips_bracket: V_* becomes the mean of the libvips run kept in V1 (ok,
# rate, cpu, p50, p99, rss) and the one just made, or whichever of the two
# succeeded; peak RSS is the larger.
vips_bracket() {
	if [[ ${V1[0]} != 1 ]]; then return; fi
	if [[ $V_OK != 1 ]]; then
		V_OK=1 V_RATE=${V1[1]} V_CPU=${V1[2]} V_P50=${V1[3]} V_P99=${V1[4]} V_RSS=${V1[5]}
		return
	fi
	log "libvips either side of image_cdn: ${V1[1]} and $V_RATE ops/s"
	V_RATE=$(mean "${V1[1]}" "$V_RATE") V_CPU=$(mean "${V1[2]}" "$V_CPU") V_P50=$(mean "${V1[3]}" "$V_P50") V_P99=$(mean "${V1[4]}" "$V_P99")
	V_RSS=$(( V_RSS > V1[5] ? V_RSS : V1[5] ))
}

# tr_run <conc> <chain> <files...>: the module's transform package in
# process, to tell the pipeline's cost from HTTP and S3.
tr_run() {
	local conc=$1 chain=$2; shift 2
	T_RATE=n/a
	[[ -n $TRANSFORMRATE ]] || return 0
	log "transformrate $chain c=$conc"
	local line
	line=$(timeout $((DUR + 60)) "$TRANSFORMRATE" -c "$conc" -d "${DUR}s" -tr "$chain" "$@" 2>&1 | grep '^TRANSFORMRATE' || true)
	[[ -n $line ]] && T_RATE=$(sed -n 's/.* rate=\([^ ]*\).*/\1/p' <<<" $line")
	return 0
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
mean() { awk -v a="$1" -v b="$2" -v f="${3:-%.1f}" 'BEGIN{ printf f, (a + b) / 2 }'; } # mean <a> <b> [printf format]
rss_peak() { # the Caddy's peak RSS since the last rss_reset, for a table cell
	if [[ $CRASHED == 1 ]]; then printf 'n/a (crashed)'; else printf '%s MB peak' "$(mb "$(status_kb "$CADDY_PID" VmHWM)")"; fi
}
mark() { # mark <value> <op> <limit>: ✓ or ✗ (nothing when the value is missing)
	if [[ $CRASHED == 1 ]]; then printf '✗ (Caddy crashed)'; return; fi
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{ if (v !~ /^[0-9.]+$/) exit; ok = (op == ">=") ? v + 0 >= t + 0 : v + 0 < t + 0; printf "%s", ok ? "✓" : "✗" }'
}
mb() { awk -v k="$1" 'BEGIN{ printf "%.0f", k / 1024 }'; }

# Table rows: | row | c | module | baseline | ratio | target | p50 ms | p99 ms | non-2xx | Caddy RSS |
ROWS_cold=() ROWS_hot=() ROWS_pass=() ROWS_flood=() ROWS_side=() ROWS_scale=()
SECTION=cold
row() { local IFS='|'; local -n rows=ROWS_$SECTION; rows+=("| $* |"); }
declare -A NA_ROWS=()
NA_ORDER=()
na_row() { # na_row <row> <c> <baseline> <target> <why>
	row " $1 " " $2 " " n/a " " $3 " " n/a " " $4 " " - " " - " " - " " - " " - "
	[[ -n ${NA_ROWS[$5]:-} ]] || NA_ORDER+=("$5")
	NA_ROWS[$5]+="${NA_ROWS[$5]:+; }$1 c=$2"
}

# ------------------------------------------------ phase 0: pass-through
# A Caddy of its own, fresh, so that the RSS growth while streaming is not
# hidden by memory a transform left behind.
SECTION=pass
PASS_URL=""
if ! phase pass; then
	log "phase 0: pass-through skipped"
elif log "phase 0: pass-through"; start_caddy passthrough; then
	PASS_URL=http://127.0.0.1:$CADDY_PORT
else
	FORCE_NA="Caddy with a plain image_cdn configuration did not start: $CADDY_ERR"
fi
# Caddy's own reverse_proxy to the same object, through the presigned URL
# (the signature covers the Host header, so it is set to the S3 server's).
RP_PID="" RP_URL=""
if phase pass; then
	RP_PORT=$(free_port)
	printf '{\n\tadmin off\n\tauto_https off\n\tgrace_period 1s\n}\n\nhttp://127.0.0.1:%s {\n\tbind 127.0.0.1\n\trewrite * %s\n\treverse_proxy 127.0.0.1:%s {\n\t\theader_up Host 127.0.0.1:%s\n\t}\n}\n' \
		"$RP_PORT" "${PRESIGNED#http://127.0.0.1:"$S3PORT"}" "$S3PORT" "$S3PORT" >"$WORK/Caddyfile.reverseproxy"
	"$CADDY" run --config "$WORK/Caddyfile.reverseproxy" --adapter caddyfile >>"$WORK/caddy.reverseproxy.log" 2>&1 &
	RP_PID=$!
	PIDS+=("$RP_PID")
	if wait_http "http://127.0.0.1:$RP_PORT/" 30 && probe "http://127.0.0.1:$RP_PORT/big.bin" application/octet-stream 206 -r 0-1023; then
		RP_URL=http://127.0.0.1:$RP_PORT/big.bin
	else
		note "Caddy reverse_proxy to the presigned object did not answer 206: ${PROBE_ERR:-$(tail -1 "$WORK/caddy.reverseproxy.log" | cut -c1-160)}"
	fi
fi
for c in $(phase pass && echo "$CONCS"); do
	# pass-through: the 200 MB object, whole, then 1 MiB ranges. The direct
	# GET runs right before and right after the module's whole-object run,
	# and its mean is the baseline, as for libvips in the cold rows.
	label="pass-through 200 MB object (MB/s)"
	wrk_run "s3_whole_c$c" "$c" "$PRESIGNED"
	s3first=$([[ $W_OK == 1 ]] && echo "$W_MBPS" || echo n/a)
	probed=0 M_OK=0
	if probe "$PASS_URL/big.bin" application/octet-stream 206 -r 0-1023; then
		probed=1
		before=$(status_kb "$CADDY_PID" VmRSS)
		rss_reset "$CADDY_PID"
		wrk_run "pass_whole_c$c" "$c" "$PASS_URL/big.bin"
		growth=$(($(status_kb "$CADDY_PID" VmHWM) - before))
		M_OK=$W_OK M_MBPS=${W_MBPS:-} M_CPU=${W_CPU:-} M_P50=${W_P50:-} M_P99=${W_P99:-} M_NON2XX=${W_NON2XX:-} M_ERR=${W_ERR:-}
	fi
	wrk_run "s3_whole_again_c$c" "$c" "$PRESIGNED"
	s3mbps=$s3first
	if [[ $W_OK == 1 && $s3first != n/a ]]; then
		log "direct S3 GET either side of image_cdn: $s3first and $W_MBPS MB/s"
		s3mbps=$(mean "$s3first" "$W_MBPS" %.0f)
	elif [[ $W_OK == 1 ]]; then
		s3mbps=$W_MBPS
	fi
	rpmbps=n/a
	if [[ -n $RP_URL ]]; then
		before=$(status_kb "$RP_PID" VmRSS)
		rss_reset "$RP_PID"
		WRK_PID=$RP_PID wrk_run "rp_whole_c$c" "$c" "$RP_URL"
		rpgrowth=$(($(status_kb "$RP_PID" VmHWM) - before))
		if [[ $W_OK == 1 ]]; then
			rpmbps=$W_MBPS
			row " Caddy reverse_proxy, same object (MB/s) " " $c " " $W_MBPS " " $s3mbps (S3 direct) " " $(ratio "$W_MBPS" "$s3mbps") " " - " " $W_CPU " " $W_P50 " " $W_P99 " " $W_NON2XX " " +$(mb "$rpgrowth") MB "
		else
			na_row "Caddy reverse_proxy, same object (MB/s)" "$c" "$s3mbps (S3 direct)" "-" "$W_ERR"
		fi
	fi
	wrk_run "s3_range_c$c" "$c" "$PRESIGNED" BENCH_RANGE=$BIG_BIN_SIZE
	s3rate=$([[ $W_OK == 1 ]] && echo "$W_RATE" || echo n/a)
	if [[ $probed == 1 ]]; then
		if [[ $M_OK == 1 ]]; then
			row " $label " " $c " " $M_MBPS " " $s3mbps (S3 direct); $rpmbps (reverse_proxy) " \
				" $(ratio "$M_MBPS" "$s3mbps"); $(ratio "$M_MBPS" "$rpmbps") " " ≥ 0.9 $(mark "$(ratio "$M_MBPS" "$s3mbps")" ">=" 0.9); RSS +<64 MB $(mark "$(mb "$growth")" "<" 64) " " $M_CPU " " $M_P50 " " $M_P99 " " $M_NON2XX " " +$(mb "$growth") MB "
		else
			na_row "$label" "$c" "$s3mbps (S3 direct)" "≥ 0.9" "$M_ERR"
		fi
		label="pass-through 1 MiB ranges (req/s)"
		rss_reset "$CADDY_PID"
		wrk_run "pass_range_c$c" "$c" "$PASS_URL/big.bin" BENCH_RANGE=$BIG_BIN_SIZE
		if [[ $W_OK == 1 ]]; then
			row " $label " " $c " " $W_RATE " " $s3rate (S3 direct) " \
				" $(ratio "$W_RATE" "$s3rate") " " - " " $W_CPU " " $W_P50 " " $W_P99 " " $W_NON2XX " " $(rss_peak) "
		else
			na_row "$label" "$c" "$s3rate (S3 direct)" "-" "$W_ERR"
		fi
	else
		na_row "$label" "$c" "$s3mbps (S3 direct)" "≥ 0.9" "$PROBE_ERR"
		na_row "pass-through 1 MiB ranges (req/s)" "$c" "$s3rate (S3 direct)" "-" "$PROBE_ERR"
	fi
done
stop_caddy
[[ -n $RP_PID ]] && stop_pid "$RP_PID"

# ------------------------------------------------ phase 1: cold transforms
log "phase 1: cold transforms (caches off)"
SECTION=cold
AVIF_LINE=""
if start_caddy avifprobe "avif"; then
	AVIF_LINE="avif"; stop_caddy
fi
FORCE_NA=""
if ! start_caddy cold "$AVIF_LINE"; then
	FORCE_NA="Caddy with a plain image_cdn configuration did not start: $CADDY_ERR"
	log "$FORCE_NA"
fi
COLD_URL=http://127.0.0.1:$CADDY_PORT
# Every request must be a distinct variant: the module coalesces concurrent
# requests for one variant (whatever the query string), so a query
# cache-buster is not enough. bg-<colour> changes the variant key and not
# the work (nothing is padded or flattened here); if the module normalises
# it away (same ETag), the width varies over 300..349 instead.
COLD_CHAIN="w-300,h-300,bg-{bg}"
etag_of() { curl -s -o /dev/null -D - --max-time 60 "$1" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2 }'; }
if [[ -z $FORCE_NA ]]; then
	e1=$(etag_of "$COLD_URL/tr:w-300,h-300,bg-000001/img/${IMGS[0]}")
	e2=$(etag_of "$COLD_URL/tr:w-300,h-300,bg-000002/img/${IMGS[0]}")
	if [[ -n $e1 && $e1 == "$e2" ]]; then
		COLD_CHAIN="w-{w},h-300"
		note "bg-<colour> does not change the variant key, so the cold URLs vary the width over 300..349 (vipsrate stays at 300)."
	fi
fi
for fmt in jpeg webp avif; do
	: >"$WORK/cold_$fmt.urls"
	for f in "${IMGS[@]}"; do echo "/tr:$COLD_CHAIN${FMT_PARAM[$fmt]}/img/$f" >>"$WORK/cold_$fmt.urls"; done
done
: >"$WORK/cold_png.urls"
for f in "${PNGS[@]}"; do echo "/tr:$COLD_CHAIN,f-webp/png/$f" >>"$WORK/cold_png.urls"; done

# The bytes the hot rows serve: the module's variant if it can make it,
# else libvips' own thumbnail of the same photo (file_server row only).
mkdir -p "$WORK/fsroot/tr"
HOT_PATH="/tr:w-300,h-300/img/${IMGS[0]}"
if probe "$COLD_URL$HOT_PATH" image/jpeg; then
	cp "$WORK/probe.body" "$WORK/fsroot/tr/hot.jpg"
	HOT_SRC="the module's w-300,h-300 variant"
else
	timeout 60 vips thumbnail "$WORK/corpus/img/${IMGS[0]}" "$WORK/fsroot/tr/hot.jpg[Q=80,strip]" 300 --height 300 --crop centre
	HOT_SRC="vips thumbnail (the module could not make the variant)"
fi

# The peers, fresh, beside the cold Caddy (idle while the others run); the
# same requests in each one's grammar, checked on a sample first.
declare -A P_PID=() P_PORT=()
SIDE=(image_cdn)
if phase peers; then
	for p in "${PEERS[@]}"; do
		if start_peer "$p"; then
			P_PID[$p]=$PEER_PID P_PORT[$p]=$PEER_PORT; SIDE+=("$p")
		else
			PEER_SKIP[$p]=$PEER_ERR; log "peer $p skipped: $PEER_ERR"
		fi
	done
	for fmt in jpeg webp avif; do
		for p in "${SIDE[@]}"; do
			base=$COLD_URL
			[[ $p != image_cdn ]] && base=http://127.0.0.1:${P_PORT[$p]}
			: >"$WORK/cold_${p}_$fmt.urls"
			for f in "${IMGS[@]}"; do peer_path "$p" "$fmt" "img/$f" "{bg}" >>"$WORK/cold_${p}_$fmt.urls"; done
			if probe "$base$(peer_path "$p" "$fmt" "img/${IMGS[0]}" ABC123)" "${FMT_TYPE[$fmt]}"; then
				sample_check "$p" "$fmt"
			else
				SAMPLE_ROWS+=("| $p | ${fmt^^} | $PROBE_ERR | | | | | ✗ |")
			fi
		done
	done
fi
declare -A S_RATE S_CPU S_P50 S_P99 S_KB S_RSS S_NON2XX
# side_rows <label> <c> <fmt>: one row per server from S_*, against libvips
# (V_*) and imgproxy, in the same run.
side_rows() {
	local label=$1 c=$2 fmt=$3 p target ir=${S_RATE[imgproxy]:-n/a} irss=${S_RSS[imgproxy]:-n/a}
	CRASHED=0 # a peer's crash is in its own row, not in image_cdn's marks
	for p in "${SIDE[@]}"; do
		target=""
		if [[ $p == image_cdn ]]; then
			[[ $fmt == jpeg ]] && target="≥1.10× libvips $(mark "$(ratio "${S_RATE[$p]}" "$V_RATE")" ">=" 1.10); "
			target+="> imgproxy $(mark "$(ratio "${S_RATE[$p]}" "$ir")" ">=" 1.0001); RSS ≤ imgproxy $(mark "$(ratio "${S_RSS[$p]}" "$irss")" "<" 1.0001)"
			[[ $c == "$NPROC" ]] && target+="; RSS ≤ 150 MB $(mark "${S_RSS[$p]}" "<" 150.5)"
		fi
		SECTION=side row " $label " " $c " " $p " " ${S_RATE[$p]} " " $(ratio "${S_RATE[$p]}" "$V_RATE") " " $(ratio "$V_CPU" "${S_CPU[$p]}") " \
			" $([[ $p == imgproxy ]] && echo 1 || ratio "${S_RATE[$p]}" "$ir") " " ${S_P50[$p]} " " ${S_P99[$p]} " " ${S_CPU[$p]} " " ${S_KB[$p]} " " ${S_RSS[$p]} " " ${S_NON2XX[$p]} " " $target "
	done
}

# Rows run as concurrency:format pairs, the PNG rows after all the others: a
# PNG with alpha decodes in full, and what it leaves in the malloc arena would
# count in the peak RSS of the next side-by-side row, a load the peers never
# get.
pairs=()
if phase cold || phase peers; then
	for c in $CONCS; do for fmt in jpeg webp avif; do pairs+=("$c:$fmt"); done; done
	for c in $CONCS; do pairs+=("$c:png"); done
fi
for pair in "${pairs[@]}"; do
	c=${pair%%:*} fmt=${pair#*:}
	[[ $fmt == png ]] && ! phase cold && continue
	if [[ $fmt == png ]]; then
		label="cold PNG+alpha→WebP w-300,h-300 (transforms/s)"; vfmt=webp; files=("${PNGS[@]/#/$WORK/corpus/png/}")
		purl="$COLD_URL/tr:w-300,h-300,f-webp/png/${PNGS[0]}?cb=probe"; ptype=image/webp
	else
		label="cold ${fmt^^} w-300,h-300 (transforms/s)"; vfmt=$fmt; files=("${IMGS[@]/#/$WORK/corpus/img/}")
		purl="$COLD_URL/tr:w-300,h-300${FMT_PARAM[$fmt]}/img/${IMGS[0]}?cb=probe"; ptype=${FMT_TYPE[$fmt]}
	fi
	V_CPU=n/a V_RATE=n/a V_RSS=n/a
	vips_run "$c" "$vfmt" "${files[@]}"
	V1=("$V_OK" "${V_RATE:-}" "${V_CPU:-}" "${V_P50:-}" "${V_P99:-}" "${V_RSS:-}")
	for p in "${SIDE[@]}"; do S_RATE[$p]=n/a S_CPU[$p]=n/a S_P50[$p]=- S_P99[$p]=- S_KB[$p]=- S_RSS[$p]=n/a S_NON2XX[$p]=-; done
	W_OK=0 probed=0
	if probe "$purl" "$ptype"; then
		probed=1
		rss_reset "$CADDY_PID"
		wrk_run "cold_${fmt}_c$c" "$c" "$COLD_URL/" BENCH_URLS="$WORK/cold_$fmt.urls" BENCH_COUNT=1
	fi
	# libvips again right after image_cdn: the baseline is the mean of the
	# runs either side of it, so the machine's drift over the row (it is
	# shared, and rates move by 10 % in a minute) weighs on both alike.
	vips_run "$c" "$vfmt" "${files[@]}"
	vips_bracket
	tr_run "$c" "w-300,h-300${FMT_PARAM[$vfmt]}" "${files[@]}"
	base=n/a; vlat=""
	if [[ $V_OK == 1 ]]; then base="$V_RATE (libvips)"; vlat=" / $V_P50"; fi
	[[ -n $TRANSFORMRATE ]] && base+="; $T_RATE (transform pkg)"
	if [[ $probed == 0 ]]; then
		na_row "$label" "$c" "$base" "≥ 0.85" "$PROBE_ERR"
	else
		if [[ $W_OK != 1 ]]; then
			na_row "$label" "$c" "$base" "≥ 0.85" "$W_ERR"
		else
			S_RATE[image_cdn]=$W_RATE S_CPU[image_cdn]=$W_CPU S_P50[image_cdn]=$W_P50 S_P99[image_cdn]=$W_P99 S_KB[image_cdn]=$W_KB S_NON2XX[image_cdn]=$W_NON2XX
			S_RSS[image_cdn]=$( ((CRASHED)) && echo n/a || mb "$(status_kb "$CADDY_PID" VmHWM)")
			phase cold && row " $label " " $c " " $W_RATE " " $base " " $(ratio "$W_RATE" "${V_RATE:-}") (cpu $(ratio "${V_CPU:-}" "$W_CPU")) " " ≥ 0.85 $(mark "$(ratio "$W_RATE" "${V_RATE:-}")" ">=" 0.85) " \
				" $W_CPU / ${V_CPU:-n/a} " " $W_P50${vlat} " " $W_P99${vlat:+ / $V_P99} " " $W_NON2XX " " $(rss_peak) (libvips ${V_RSS:-n/a} MB) "
		fi
	fi
	[[ $fmt == png ]] || ! phase peers && continue
	for p in "${SIDE[@]:1}"; do
		rss_reset "${P_PID[$p]}"
		WRK_PID=${P_PID[$p]} wrk_run "cold_${p}_${fmt}_c$c" "$c" "http://127.0.0.1:${P_PORT[$p]}/" BENCH_URLS="$WORK/cold_${p}_$fmt.urls" BENCH_COUNT=1
		[[ $W_OK == 1 ]] || { S_NON2XX[$p]=$W_ERR; continue; }
		S_RATE[$p]=$W_RATE S_CPU[$p]=$W_CPU S_P50[$p]=$W_P50 S_P99[$p]=$W_P99 S_KB[$p]=$W_KB S_NON2XX[$p]=$W_NON2XX
		S_RSS[$p]=$( ((CRASHED)) && echo "n/a (crashed)" || mb "$(status_kb "${P_PID[$p]}" VmHWM)")
	done
	side_rows "cold ${fmt^^} 300×300 fill" "$c" "$fmt"
done
for p in "${SIDE[@]:1}"; do stop_pid "${P_PID[$p]}"; done
stop_caddy

# ------------------------------------------------ phase 2: hot hits
if phase hot; then
	log "phase 2: hot hits (memory cache, result storage, file_server)"
	SECTION=hot
	declare -A FS_RATE FS_CPU
	if start_caddy fileserver FS "$WORK/fsroot"; then
		for c in $CONCS; do
			wrk_run "fs_c$c" "$c" "http://127.0.0.1:$CADDY_PORT/tr/hot.jpg"
			FS_RATE[$c]=$([[ $W_OK == 1 ]] && echo "$W_RATE" || echo n/a)
			FS_CPU[$c]=$([[ $W_OK == 1 ]] && echo "$W_CPU" || echo n/a)
			row " Caddy file_server, same bytes (hits/s) " " $c " " $W_RATE " " - " " - " " baseline " " $W_CPU " " $W_P50 " " $W_P99 " " $W_NON2XX " " $(mb "$(status_kb "$CADDY_PID" VmHWM)") MB "
		done
		stop_caddy
	else
		note "file_server: $CADDY_ERR"
	fi
	hot_rows() { # hot_rows <label> <profile> <target> <directive>
		local label=$1 name=$2 target=$3 directive=$4 c
		if ! start_caddy "$name" "$directive"; then
			for c in $CONCS; do na_row "$label" "$c" "${FS_RATE[$c]:-n/a} (file_server)" "$target" "\`$directive\`: $CADDY_ERR"; done
			return
		fi
		local url="http://127.0.0.1:$CADDY_PORT$HOT_PATH"
		if ! probe "$url" image/jpeg || ! probe "$url" image/jpeg; then # first request fills, second hits
			for c in $CONCS; do na_row "$label" "$c" "${FS_RATE[$c]:-n/a} (file_server)" "$target" "$PROBE_ERR"; done
			stop_caddy
			return
		fi
		for c in $CONCS; do
			rss_reset "$CADDY_PID"
			wrk_run "${name}_c$c" "$c" "$url"
			if [[ $W_OK != 1 ]]; then na_row "$label" "$c" "${FS_RATE[$c]:-n/a} (file_server)" "$target" "$W_ERR"; continue; fi
			row " $label " " $c " " $W_RATE " " ${FS_RATE[$c]:-n/a} (file_server) " " $(ratio "$W_RATE" "${FS_RATE[$c]:-}") (cpu $(ratio "${FS_CPU[$c]:-}" "$W_CPU")) " " $target $([[ $target == "≥ "* ]] && mark "$(ratio "$W_RATE" "${FS_RATE[$c]:-}")" ">=" "${target#≥ }") " \
				" $W_CPU / ${FS_CPU[$c]:-n/a} " " $W_P50 " " $W_P99 " " $W_NON2XX " " $(rss_peak) "
		done
		stop_caddy
	}
	hot_rows "hot hit, memory cache (hits/s)" memcache "≥ 0.7" "memory_cache 256MiB"
	mkdir -p "$WORK/results"
	hot_rows "hot hit, result storage file (hits/s)" resultstore "-" "result_storage file $WORK/results"
fi

# ------------------------------------------------ phase 4: how cost grows
# Cold JPEG 300×300 fill crops against the source size (one photo scaled
# to each size, nproc connections) and against the connection count (the
# cold corpus), for image_cdn and imgproxy, each point on a fresh process
# (peak RSS = VmHWM since its start) beside libvips in process.
POINTS=$WORK/points.tsv
: >"$POINTS"
if phase scale; then
	log "phase 4: cost against source megapixels and connections"
	SECTION=scale
	SCALE_SERVERS=(image_cdn)
	if [[ -n ${PEER_BIN[imgproxy]:-} ]]; then SCALE_SERVERS+=(imgproxy); else note "scale: imgproxy skipped: ${PEER_SKIP[imgproxy]:-not built}"; fi
	{
		printf 'chart\tscale_mp_rate\tCold JPEG 300×300 fill vs source size (c=%s)\tsource megapixels\ttransforms/s\n' "$NPROC"
		printf 'chart\tscale_mp_rss\tPeak RSS vs source size (c=%s)\tsource megapixels\tpeak RSS (MB)\n' "$NPROC"
		printf 'chart\tscale_conc_rate\tCold JPEG 300×300 fill vs connections (20/9/3 MP corpus)\tconnections\ttransforms/s\n'
		printf 'chart\tscale_conc_rss\tPeak RSS vs connections (20/9/3 MP corpus)\tconnections\tpeak RSS (MB)\n'
	} >>"$POINTS"
	# scale_point <sweep> <x> <conc> <urls prefix> <files...>: libvips, then
	# each server fresh, on the same sources; rows and chart points.
	#
	# image_cdn's default admission (workers + 4 × workers waiting) answers
	# 503 beyond that, which wrk resends at once, and imgproxy queues without
	# a bound; so that every point compares the same work, image_cdn's queue
	# here holds at least the connections.
	scale_point() {
		local sweep=$1 x=$2 conc=$3 urls=$4 srv base pid rate rss irate=n/a queue=(); shift 4
		((conc > 5 * NPROC)) && queue=("queue $conc")
		vips_run "$conc" jpeg "$@"
		[[ $V_OK == 1 ]] || V_RATE=n/a V_RSS=n/a
		for srv in "${SCALE_SERVERS[@]}"; do
			rate=n/a rss=n/a
			if [[ $srv == image_cdn ]]; then
				start_caddy "scale_${sweep}_$x" "${queue[@]}" && pid=$CADDY_PID base=http://127.0.0.1:$CADDY_PORT || { pid="" PROBE_ERR=$CADDY_ERR; }
			else
				start_peer "$srv" && pid=$PEER_PID base=http://127.0.0.1:$PEER_PORT || { pid="" PROBE_ERR=$PEER_ERR; }
			fi
			if [[ -n $pid ]] && probe "$base$(head -1 "$urls.$srv" | sed 's/{bg}/ABC123/')" image/jpeg; then
				WRK_PID=$pid wrk_run "scale_${sweep}_${x}_$srv" "$conc" "$base/" BENCH_URLS="$urls.$srv" BENCH_COUNT=1
				if [[ $W_OK == 1 && $CRASHED == 0 ]]; then
					rate=$W_RATE rss=$(mb "$(status_kb "$pid" VmHWM)")
					row " $sweep " " $x " " $srv " " $rate " " $(ratio "$rate" "$V_RATE") " " $([[ $srv == imgproxy ]] && echo 1 || echo '@IR@') " " $W_P50 " " $W_P99 " " $W_CPU " " $rss " " ${V_RSS:-n/a} " " $W_NON2XX "
				else
					row " $sweep " " $x " " $srv " " n/a " " - " " - " " - " " - " " - " " - " " - " " ${W_ERR:-crashed} "
				fi
			else
				row " $sweep " " $x " " $srv " " n/a " " - " " - " " - " " - " " - " " - " " - " " $PROBE_ERR "
			fi
			[[ $srv == imgproxy ]] && irate=$rate
			printf 'point\tscale_%s_rate\t%s\t%s\t%s\n' "$sweep" "$srv" "$x" "$rate" >>"$POINTS"
			printf 'point\tscale_%s_rss\t%s\t%s\t%s\n' "$sweep" "$srv" "$x" "$rss" >>"$POINTS"
			if [[ $srv == image_cdn ]]; then stop_caddy; else stop_peer; fi
		done
		printf 'point\tscale_%s_rate\tlibvips in process\t%s\t%s\n' "$sweep" "$x" "$V_RATE" >>"$POINTS"
		printf 'point\tscale_%s_rss\tlibvips in process\t%s\t%s\n' "$sweep" "$x" "$V_RSS" >>"$POINTS"
		# image_cdn's row against imgproxy's rate of the same point
		local last=${#ROWS_scale[@]} i
		for ((i = last - ${#SCALE_SERVERS[@]}; i < last; i++)); do
			local r=${ROWS_scale[$i]} ir
			ir=$(awk -F'|' '{ print $5 }' <<<"$r" | tr -d ' ')
			ROWS_scale[$i]=${r/@IR@/$(ratio "$ir" "$irate")}
		done
	}
	for mp in $SCALE_MP; do
		for srv in "${SCALE_SERVERS[@]}"; do
			if [[ $srv == image_cdn ]]; then echo "/tr:$COLD_CHAIN/scale/mp$mp.jpg"; else peer_path "$srv" jpeg "scale/mp$mp.jpg" "{bg}"; fi >"$WORK/scale_mp$mp.urls.$srv"
		done
		scale_point mp "$mp" "$NPROC" "$WORK/scale_mp$mp.urls" "$WORK/corpus/scale/mp$mp.jpg"
	done
	for srv in "${SCALE_SERVERS[@]}"; do
		for f in "${IMGS[@]}"; do
			if [[ $srv == image_cdn ]]; then echo "/tr:$COLD_CHAIN/img/$f"; else peer_path "$srv" jpeg "img/$f" "{bg}"; fi
		done >"$WORK/scale_conc.urls.$srv"
	done
	for c in $SCALE_CONC; do
		scale_point conc "$c" "$c" "$WORK/scale_conc.urls" "${IMGS[@]/#/$WORK/corpus/img/}"
	done
	if [[ -n $FIGURES && -n $CHART ]]; then
		"$CHART" -in "$POINTS" -out "$FIGURES" || note "chart: drawing the SVG charts failed"
	fi
fi

# ------------------------------------------------ phase 3: big-photo flood
if phase flood; then
	log "phase 3: $BIG_CONC concurrent cold requests of 20+ MP photos"
	SECTION=flood
	: >"$WORK/big.urls"
	for f in "${BIGS[@]}"; do
		echo "/tr:$COLD_CHAIN/big/$f" >>"$WORK/big.urls"
		echo "/tr:w-2400,bg-{bg}/big/$f" >>"$WORK/big.urls"
	done
	label="flood: $BIG_CONC× cold ${BIG_MP} MP photos (transforms/s)"
	FLOOD_TIMEOUT=30s
	if start_caddy flood "$AVIF_LINE" "transform_timeout $FLOOD_TIMEOUT" && probe "http://127.0.0.1:$CADDY_PORT/tr:w-300,h-300/big/${BIGS[0]}?cb=probe" image/jpeg; then
		for backoff in 0 100; do
			lbl=$label; extra=()
			if ((backoff)); then
				lbl="flood, clients back off ${backoff} ms after a 503 (transforms/s)"; extra=("BENCH_BACKOFF_MS=$backoff")
			fi
			rss_reset "$CADDY_PID"
			wrk_run "flood_backoff$backoff" "$BIG_CONC" "http://127.0.0.1:$CADDY_PORT/" BENCH_URLS="$WORK/big.urls" BENCH_COUNT=1 "${extra[@]}"
			peak=$(mb "$(status_kb "$CADDY_PID" VmHWM)")
			alive=yes
			if [[ $CRASHED == 1 ]]; then alive="NO (crashed)"; peak=n/a; fi
			if [[ $W_OK == 1 ]]; then
				row " $lbl " " $BIG_CONC " " $W_RATE " " - " " - " " RSS<1.5 GB $(mark "$peak" "<" 1536), no 5xx≠503 $(mark "$W_S5XX" "<" 1), max<$FLOOD_TIMEOUT $(mark "$W_MAX" "<" "$((${FLOOD_TIMEOUT%s} * 1000))") " " $W_CPU " " $W_P50 " " $W_P99 (max $W_MAX) " \
					" $W_NON2XX: 503×$W_S503, other 5xx×$W_S5XX " " $peak MB peak "
				note "flood (back-off ${backoff} ms): slowest request $W_MAX ms (transform_timeout $FLOOD_TIMEOUT; wrk timeout ${TMO}s, wrk timeouts: $W_TIMEOUTS); 503 answers $W_S503; 5xx other than 503: $W_S5XX; Caddy alive after: $alive."
			else
				na_row "$lbl" "$BIG_CONC" "-" "RSS<1.5 GB" "$W_ERR"
			fi
		done
		note "flood URLs alternate tr:$COLD_CHAIN and tr:w-2400,bg-{bg} on the 20+ MP photos (the second allows only 2× shrink-on-load); default workers (nproc) and queue (4× workers). Without back-off wrk resends at once after a 503, so most answers are fast 503s and the 2xx rate is what the 503 storm leaves over."
		stop_caddy
	else
		na_row "$label" "$BIG_CONC" "-" "RSS<1.5 GB" "${PROBE_ERR:-$CADDY_ERR}"
		stop_caddy
	fi
fi

# ------------------------------------------------ phase 5: soak with hostile requests
# internal/hostile's BenchmarkSoak: the cold workload (distinct variants of
# the corpus photos, negotiated WebP, 8 connections) clean, then with 20 %
# of the hostile corpus mixed in, against Caddy as its own process under
# GOTRACEBACK=crash (issue 10). It starts its own S3 server.
if phase soak; then
	SOAK_DURATION=${BENCH_SOAK_DURATION:-3m}
	log "phase 5: soak, $SOAK_DURATION clean then $SOAK_DURATION with hostile requests"
	SECTION=flood
	label="soak: cold WebP, 8 connections, then 20 % hostile (legit transforms/s)"
	if (cd "$ROOT" && SOAK_DURATION=$SOAK_DURATION SOAK_PHOTOS=$CORPUS_DIR SOAK_RSS_TRACE=$WORK/soak_rss.tsv CGO_ENABLED=1 PATH="$PATH:$(dirname "$VERSITYGW")" \
		timeout 1800 go test -run '^$' -bench '^BenchmarkSoak$' -benchtime 1x -timeout 30m ./internal/hostile/) >"$WORK/soak.out" 2>&1; then
		line=$(grep -m1 '^BenchmarkSoak' "$WORK/soak.out")
		metric() { awk -v k="$1" '{ for (i = 2; i < NF; i++) if ($(i + 1) == k) print $i }' <<<"$line"; }
		clean=$(metric clean-ok/s) mixed=$(metric mixed-ok/s) ratio=$(metric legit-ratio)
		outside=$(metric outside-contract) shed=$(metric 503s) peak=$(metric peak-RSS-MiB)
		# Flat memory (issue 15): each run's highest RSS in its last third
		# against its middle third, within 10 %.
		drift() { awk -v m="$(metric "$1-rss-mid-MiB")" -v l="$(metric "$1-rss-last-MiB")" 'BEGIN{ if (m > 0) printf "%.2f", l / m }'; }
		cdrift=$(drift clean) mdrift=$(drift mixed)
		worst=$(awk -v a="$cdrift" -v b="$mdrift" 'BEGIN{ if (a != "" && b != "") print (a + 0 > b + 0 ? a : b) }')
		row " $label " " 8 " " $mixed " " $clean (clean) " " $ratio " " ≥ 0.8 $(mark "$ratio" ">=" 0.8), 0 outside contract $(mark "$outside" "<" 1), RSS<1280 MiB $(mark "$peak" "<" 1280), flat RSS $(mark "$worst" "<" 1.10) " \
			" - " " - " " - " " outside contract: $outside; 503: $shed " " $peak MiB peak "
		note "soak: $SOAK_DURATION per run; no crash (the benchmark fails on one); answers outside the hostile cases' documented statuses: $outside."
		note "soak RSS, sampled every second: clean run $(metric clean-rss-mid-MiB) MiB at most in its middle third, $(metric clean-rss-last-MiB) in its last (×$cdrift); with hostile requests $(metric mixed-rss-mid-MiB) and $(metric mixed-rss-last-MiB) (×$mdrift). Flat = the last third's highest within 10 % of the middle third's (the first third is warm-up)."
		if [[ -s $WORK/soak_rss.tsv && -n $FIGURES && -n $CHART ]]; then
			{
				printf 'chart\tsoak_rss\tCaddy RSS over the soak (cold WebP, 8 connections)\tseconds\tRSS (MiB)\n'
				# every fifth second: a marker a second would hide the line
				awk -F'\t' '$2 % 5 == 0 { printf "point\tsoak_rss\t%s\t%s\t%s\n", ($1 == "clean" ? "clean" : "20 % hostile"), $2, $3 }' "$WORK/soak_rss.tsv"
			} >>"$POINTS"
			"$CHART" -in "$POINTS" -out "$FIGURES" && SOAK_FIGURE=1 || note "chart: drawing the soak's RSS chart failed"
		fi
	else
		na_row "$label" 8 "-" "≥ 0.8" "BenchmarkSoak failed: $(grep -m1 -E 'FAIL|crash|Error' "$WORK/soak.out" | head -c 200)"
	fi
fi

stop_pid "$S3PID"

# ------------------------------------------------ report
[[ $HWM_RESET == 1 ]] || note "Could not reset VmHWM (/proc/PID/clear_refs): peak RSS figures are since the profile's start."
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
RAM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
VIPSV=$(pkg-config --modversion vips 2>/dev/null || vips --version)
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(cd "$ROOT" && git status --porcelain 2>/dev/null | grep -qv '^?? bench/' && echo " + uncommitted changes" || true)
{
	echo "# Load benchmark results"
	echo
	echo "Produced by \`bench/run.sh\` (issues 6 and 15); rerun with \`BENCH_IMGPROXY_SRC=… BENCH_IMAGOR_SRC=… ./bench/run.sh\` (see bench/README.md; about 30 minutes on 2 cores)."
	echo
	echo "## Machine"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $COMMIT$DIRTY"
	echo "- nproc: $NPROC; CPU: $CPU; RAM: $RAM; kernel: $(uname -r)"
	echo "- libvips $VIPSV; $(go version | cut -d' ' -f3); wrk $(wrk -v 2>&1 | head -1 | awk '{ print $2 }'); versitygw $(go version -m "$VERSITYGW" 2>/dev/null | awk '$1 == "mod" { print $3 }') (posix backend)"
	echo "- load average at start: $LOAD0, at end: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine makes rates noisy; the CPU-per-op figures are steadier)"
	[[ -n ${BENCH_CADDY_ENV:-} ]] && echo "- Caddy ran with: \`$BENCH_CADDY_ENV\`"
	echo "- ${DUR} s per measurement; concurrency $CONCS; wrk threads = min(c, nproc); all on 127.0.0.1"
	echo "- page cache: $PAGE_CACHE"
	for p in imgproxy imagor; do
		if [[ -n ${PEER_BIN[$p]:-} ]]; then echo "- peer $p: ${PEER_VERSION[$p]}, built with cgo against libvips $VIPSV (see bench/README.md)"
		else echo "- peer $p: **skipped**: ${PEER_SKIP[$p]:-phase not run}"; fi
	done
	if ((${#ROWS_side[@]})); then
		echo
		echo "## Side by side: cold transforms, image_cdn and its peers (same run)"
		echo
		echo "Every request a distinct variant: a 300×300 centre fill crop of a 20, 9 or 3 MP photo from S3, Q80, metadata stripped. Ratios against libvips in process (\`bench/vipsrate\`, run right before and right after image_cdn, the mean of the two) and against imgproxy, measured one after the other in this run; peak RSS is each process's VmHWM over the row (reset before it). image_cdn's PNG+alpha rows, which the peers do not run, come after all of these, so that no row here carries what a full PNG decode left in its malloc arena."
		echo
		echo "| row | c | server | req/s | × libvips | × libvips (CPU) | × imgproxy | p50 ms | p99 ms | CPU ms/op | KB/answer | peak RSS MB | non-2xx | issue 15 target |"
		echo "| --- | --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- | --- |"
		printf '%s\n' "${ROWS_side[@]}"
		echo
		echo "### Output check (one request per server and format, with vipsheader)"
		echo
		echo "| server | format | size | loader | bytes | metadata left | mean abs. difference from image_cdn (0–255) | size and format ok |"
		echo "| --- | --- | --- | --- | --: | --: | --: | --- |"
		printf '%s\n' "${SAMPLE_ROWS[@]}"
	fi
	if ((${#ROWS_scale[@]})); then
		echo
		echo "## How cost grows (cold JPEG 300×300 fill; a fresh process per point)"
		echo
		echo "![req/s against source megapixels](figures/scale_mp_rate.svg)"
		echo "![peak RSS against source megapixels](figures/scale_mp_rss.svg)"
		echo
		echo "![req/s against connections](figures/scale_conc_rate.svg)"
		echo "![peak RSS against connections](figures/scale_conc_rss.svg)"
		echo
		echo "Each point a fresh process. In the connection sweep, where the connections outnumber image_cdn's default admission (workers + 4 × workers), its \`queue\` is set to the connections, so that it queues what imgproxy queues rather than answering 503."
		echo
		echo "| sweep | x (MP or connections) | server | req/s | × libvips | × imgproxy | p50 ms | p99 ms | CPU ms/op | peak RSS MB | libvips peak RSS MB | non-2xx |"
		echo "| --- | --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --- |"
		printf '%s\n' "${ROWS_scale[@]}"
	fi
	echo
	echo "## Table (image_cdn against libvips, file_server, S3)"
	echo
	echo "| row | c | module | baseline (same run) | ratio | target | CPU ms/op (module / baseline) | p50 ms (module / baseline) | p99 ms | non-2xx | Caddy RSS |"
	echo "| --- | --: | --: | --: | --: | --- | --: | --: | --: | --- | --: |"
	printf '%s\n' "${ROWS_cold[@]}" "${ROWS_hot[@]}" "${ROWS_pass[@]}" "${ROWS_flood[@]}"
	if [[ -n ${SOAK_FIGURE:-} ]]; then
		echo
		echo "![Caddy's RSS over the soak](figures/soak_rss.svg)"
	fi
	echo
	echo "## Notes"
	echo
	echo "- Corpus: ${#IMGS[@]} JPEG photos from Debian's lomiri-wallpapers-16.04 ($CORPUS_DIR, CC0/CC-BY, 1.5–16 MP), each scaled (JPEG Q90) to 20, 9 or 3 MP in turn (5 of each; the cold and side-by-side rows decode these), ${#PNGS[@]} PNGs with a radial alpha fade made from them (2048 px wide), the ${#BIGS[@]} largest photos enlarged to ${BIG_MP} MP for the flood, $(phase scale && echo "the largest photo scaled to $SCALE_MP MP for the megapixel sweep, ")and a 200 MiB random object; uploaded through the S3 API to versitygw (posix backend)."
	phase hot && echo "- Hot rows serve $HOT_SRC; file_server serves the same bytes from disk."
	for n in "${NOTES[@]}"; do echo "- $n"; done
	for r in "${NA_ORDER[@]}"; do echo "- **n/a**: ${NA_ROWS[$r]} — $r"; done
	echo
	if [[ -r $HERE/findings.md ]]; then
		cat "$HERE/findings.md"
		echo
	fi
	echo "## How the peers were configured"
	echo
	echo "Each peer runs from an empty environment with exactly these variables (@PORT@ is its port, @S3PORT@ versitygw's, @AK@/@SK@ the same keys the module uses):"
	echo
	for p in imgproxy imagor; do echo "- **$p**: \`${PEER_LISTEN[$p]} ${PEER_ENV[$p]}\`"; done
	echo "- Requests: image_cdn \`$(peer_path image_cdn jpeg img/F '{bg}')\`; imgproxy \`$(peer_path imgproxy jpeg img/F '{bg}')\`; imagor \`$(peer_path imagor jpeg img/F '{bg}')\` (WebP/AVIF: f-webp/f-avif, @webp/@avif, format(webp)/format(avif)). \`{bg}\` is unique per request: each server coalesces or caches by its variant key, and each of these changes the key, not the work (imgproxy's cachebuster option; an imagor filter it does not know)."
	echo "- Same work as image_cdn's defaults: nproc workers (image_cdn: its default nproc workers), no result cache or storage, libvips operation cache off (all three), JPEG optimised Huffman not progressive, WebP effort 4, AVIF effort 1 (speed 8), metadata stripped. imgproxy's own Docker image sets MALLOC_ARENA_MAX=2 and the glibc allocator; imagor's sets MALLOC_ARENA_MAX=2 and preloads jemalloc, which is not installed here, so it runs on glibc. The module caps glibc arenas at 1 itself, from the moment its binary loads."
	echo "- imgproxy needs IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES: its S3 client goes through the same guarded transport as HTTP sources, which refuses 127.0.0.1. imagor gets a queue of 4× its workers, as image_cdn's default: with its default (none) it answers 429 to a request that arrives before the previous one has given back its slot, even at c = workers. imgproxy's queue is unbounded by default."
	echo
	echo "## What each row measures"
	echo
	echo "- **cold … (transforms/s)**: wrk at c connections, every request a distinct variant (\`tr:$COLD_CHAIN\` with a value unique to the request: the module coalesces concurrent requests for one variant, so a query cache-buster would not do; no memory cache, no result storage), rotating over the corpus; each request fetches the source from S3 and transforms it. Counted: 2xx per second. Baseline: \`bench/vipsrate\`, c goroutines in one process calling govips thumbnail-from-buffer 300×300 centre crop + export with the module's encoder settings (Q80; JPEG optimised Huffman; WebP effort 4; AVIF effort 1), same files, same c, libvips concurrency 1, cache off, run right before and right after the module's row and averaged, so that the machine's drift over the row weighs on both sides alike. Ratio = module / libvips (target ≥ 0.85). \`transform pkg\` = \`bench/transformrate\`, the module's transform package called in process on the same files (no HTTP, no S3): the gap between it and libvips is the pipeline's, the rest is fetching and serving."
	echo "- **hot hit (hits/s)**: one variant requested again and again from a Caddy whose only cache is the memory cache, or only result storage (file), against Caddy's \`file_server\` serving the same bytes from disk (target for the memory cache ≥ 0.7)."
	echo "- **pass-through 200 MB object (MB/s)**: whole-object GETs of a 200 MiB object through the module, against a presigned GET straight to versitygw run right before and right after it (the mean of the two); Caddy RSS column = growth of peak RSS over the RSS before the row (target < 64 MB). **1 MiB ranges (req/s)**: random 1 MiB-aligned \`Range\` requests, same comparison."
	echo "- **flood**: $BIG_CONC connections of cold requests on 20+ MP photos with the default worker/queue limits and \`transform_timeout 30s\`: the module must answer 2xx or a deliberate 503, keep peak RSS under 1.5 GB and answer every request within the timeout. Run twice: wrk resending at once after a 503, and backing off 100 ms after a 503 as a client honouring Retry-After would."
	echo "- Ratio = module / baseline rate; \`(cpu …)\` = baseline CPU per op / module CPU per op, i.e. the same ratio measured in CPU time (Caddy's utime+stime from /proc/PID/stat over the row, vipsrate's getrusage), which other load on the machine disturbs much less. CPU per op for the module excludes the S3 server's own CPU.
- Latencies are wrk's (module) and vipsrate's (baseline); non-2xx counts answers ≥ 400 (and socket errors in brackets); Caddy RSS is VmHWM of that Caddy process over the row (reset through /proc/PID/clear_refs before each row, so it still includes memory kept from earlier rows of the same Caddy); \`libvips N MB\` is vipsrate's own peak, a fresh process per row."
} >"$WORK/results.md"
cat "$WORK/results.md"
if [[ $RESULTS != - ]]; then
	cp "$WORK/results.md" "$RESULTS"
	log "written to $RESULTS"
fi
log "done in $(($(date +%s) - T0)) s"
