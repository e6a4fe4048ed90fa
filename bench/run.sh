#!/usr/bin/env bash
# Load benchmark for image_cdn (issue 6): one command, measured against
# libvips itself, Caddy's file_server and the S3 server, in the same run.
#
#   ./bench/run.sh                   # everything; ~6-8 min on 2 cores
#   BENCH_DURATION=5 ./bench/run.sh  # shorter measurements
#
# Environment (all optional):
#   BENCH_DURATION     seconds per measurement (default 10)
#   BENCH_CONCURRENCY  concurrency levels (default "nproc 4×nproc")
#   BENCH_BIG_CONC     connections of the big-photo flood (default 64)
#   BENCH_NO_INSTALL=1 do not apt-get / go install anything
#   BENCH_KEEP=1       keep the work directory (logs, Caddyfiles, wrk output)
#   BENCH_PHASES       which parts to run (default "pass cold hot flood")
#   BENCH_CADDY_ENV    extra environment for Caddy, e.g. "MALLOC_ARENA_MAX=2"
#   BENCH_CADDY        a prebuilt Caddy binary to use instead of building one
#   BENCH_RESULTS      where to write the results (default bench/RESULTS.md;
#                      "-" to write nowhere)
#
# It installs what it needs (apt: libvips-dev libvips-tools wrk curl
# lomiri-wallpapers-16.04; go install versitygw), builds Caddy with the
# module, starts versitygw on 127.0.0.1, uploads a corpus through the S3
# API, starts Caddy with generated Caddyfiles (one process per profile, so
# RSS is per profile), drives it with wrk, and prints one markdown table,
# also written to bench/RESULTS.md with the machine it ran on. A feature
# the module does not have yet (its Caddyfile option is rejected, or a
# probe request does not answer 200 with the right type) shows as "n/a"
# with the reason under the table; the run goes on.
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
PHASES=" ${BENCH_PHASES-pass cold hot flood} "
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

# ----------------------------------------------------------------- corpus
log "preparing the corpus"
mkdir -p "$WORK/corpus/img" "$WORK/corpus/png" "$WORK/corpus/big"
IMGS=()
for f in "${PHOTOS[@]}"; do
	ln -s "$f" "$WORK/corpus/img/$(basename "$f")"
	IMGS+=("$(basename "$f")")
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
head -c $((200 * 1024 * 1024)) /dev/urandom >"$WORK/corpus/big.bin"
BIG_BIN_SIZE=$((200 * 1024 * 1024))

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
# the BENCH line of bench/wrk.lua (rates per second, latencies in ms).
wrk_run() {
	local name=$1 conc=$2 url=$3; shift 3
	local threads=$((conc < NPROC ? conc : NPROC)) out=$WORK/out/$name.txt
	log "wrk $name c=$conc"
	local t0
	t0=$(cpu_ticks "$CADDY_PID")
	env "$@" timeout $((DUR + TMO + 30)) wrk -t"$threads" -c"$conc" -d"${DUR}s" --timeout "${TMO}s" \
		-s "$HERE/wrk.lua" "$url" >"$out" 2>&1 || true
	local line t1
	t1=$(cpu_ticks "$CADDY_PID")
	caddy_check "$name"
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
	W_P50=$(awk -v u="$(f p50_us)" 'BEGIN{ printf "%.1f", u / 1000 }')
	W_P99=$(awk -v u="$(f p99_us)" 'BEGIN{ printf "%.1f", u / 1000 }')
	W_MAX=$(awk -v u="$(f max_us)" 'BEGIN{ printf "%.1f", u / 1000 }')
	W_NON2XX=$(f non2xx); W_S503=$(f s503); W_S5XX=$(f s5xx)
	W_SOCK=$(($(f errconnect) + $(f errread) + $(f errwrite) + $(f errtimeout)))
	W_TIMEOUTS=$(f errtimeout)
	[[ $W_SOCK -gt 0 ]] && W_NON2XX="$W_NON2XX (+$W_SOCK socket errors)"
	[[ $CRASHED == 1 ]] && W_NON2XX="$W_NON2XX **Caddy crashed**" && W_CPU=n/a
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
rss_peak() { # the Caddy's peak RSS since the last rss_reset, for a table cell
	if [[ $CRASHED == 1 ]]; then printf 'n/a (crashed)'; else printf '%s MB peak' "$(mb "$(status_kb "$CADDY_PID" VmHWM)")"; fi
}
mark() { # mark <value> <op> <limit>: ✓ or ✗ (nothing when the value is missing)
	if [[ $CRASHED == 1 ]]; then printf '✗ (Caddy crashed)'; return; fi
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{ if (v !~ /^[0-9.]+$/) exit; ok = (op == ">=") ? v + 0 >= t + 0 : v + 0 < t + 0; printf "%s", ok ? "✓" : "✗" }'
}
mb() { awk -v k="$1" 'BEGIN{ printf "%.0f", k / 1024 }'; }

# Table rows: | row | c | module | baseline | ratio | target | p50 ms | p99 ms | non-2xx | Caddy RSS |
ROWS_cold=() ROWS_hot=() ROWS_pass=() ROWS_flood=()
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
for c in $(phase pass && echo "$CONCS"); do
	# pass-through: the 200 MB object, whole, then 1 MiB ranges
	label="pass-through 200 MB object (MB/s)"
	wrk_run "s3_whole_c$c" "$c" "$PRESIGNED"
	s3mbps=$([[ $W_OK == 1 ]] && echo "$W_MBPS" || echo n/a)
	wrk_run "s3_range_c$c" "$c" "$PRESIGNED" BENCH_RANGE=$BIG_BIN_SIZE
	s3rate=$([[ $W_OK == 1 ]] && echo "$W_RATE" || echo n/a)
	if probe "$PASS_URL/big.bin" application/octet-stream 206 -r 0-1023; then
		before=$(status_kb "$CADDY_PID" VmRSS)
		rss_reset "$CADDY_PID"
		wrk_run "pass_whole_c$c" "$c" "$PASS_URL/big.bin"
		growth=$(($(status_kb "$CADDY_PID" VmHWM) - before))
		if [[ $W_OK == 1 ]]; then
			row " $label " " $c " " $W_MBPS " " $s3mbps (S3 direct) " \
				" $(ratio "$W_MBPS" "$s3mbps") " " ≥ 0.8 $(mark "$(ratio "$W_MBPS" "$s3mbps")" ">=" 0.8); RSS +<64 MB $(mark "$(mb "$growth")" "<" 64) " " $W_CPU " " $W_P50 " " $W_P99 " " $W_NON2XX " " +$(mb "$growth") MB "
		else
			na_row "$label" "$c" "$s3mbps (S3 direct)" "≥ 0.8" "$W_ERR"
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
		na_row "$label" "$c" "$s3mbps (S3 direct)" "≥ 0.8" "$PROBE_ERR"
		na_row "pass-through 1 MiB ranges (req/s)" "$c" "$s3rate (S3 direct)" "-" "$PROBE_ERR"
	fi
done
stop_caddy

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
declare -A FMT_PARAM=([jpeg]="" [webp]=",f-webp" [avif]=",f-avif")
declare -A FMT_TYPE=([jpeg]="image/jpeg" [webp]="image/webp" [avif]="image/avif")
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

for c in $(phase cold && echo "$CONCS"); do
	for fmt in jpeg webp avif png; do
		if [[ $fmt == png ]]; then
			label="cold PNG+alpha→WebP w-300,h-300 (transforms/s)"; vfmt=webp; files=("${PNGS[@]/#/$WORK/corpus/png/}")
			purl="$COLD_URL/tr:w-300,h-300,f-webp/png/${PNGS[0]}?cb=probe"; ptype=image/webp
		else
			label="cold ${fmt^^} w-300,h-300 (transforms/s)"; vfmt=$fmt; files=("${IMGS[@]/#/$WORK/corpus/img/}")
			purl="$COLD_URL/tr:w-300,h-300${FMT_PARAM[$fmt]}/img/${IMGS[0]}?cb=probe"; ptype=${FMT_TYPE[$fmt]}
		fi
		V_CPU=n/a V_RATE=n/a V_RSS=n/a
		vips_run "$c" "$vfmt" "${files[@]}"
		tr_run "$c" "w-300,h-300${FMT_PARAM[$vfmt]}" "${files[@]}"
		base=n/a; vlat=""
		if [[ $V_OK == 1 ]]; then base="$V_RATE (libvips)"; vlat=" / $V_P50"; fi
		[[ -n $TRANSFORMRATE ]] && base+="; $T_RATE (transform pkg)"
		if ! probe "$purl" "$ptype"; then
			na_row "$label" "$c" "$base" "≥ 0.85" "$PROBE_ERR"
			continue
		fi
		rss_reset "$CADDY_PID"
		wrk_run "cold_${fmt}_c$c" "$c" "$COLD_URL/" BENCH_URLS="$WORK/cold_$fmt.urls" BENCH_COUNT=1
		if [[ $W_OK != 1 ]]; then na_row "$label" "$c" "$base" "≥ 0.85" "$W_ERR"; continue; fi
		row " $label " " $c " " $W_RATE " " $base " " $(ratio "$W_RATE" "${V_RATE:-}") (cpu $(ratio "${V_CPU:-}" "$W_CPU")) " " ≥ 0.85 $(mark "$(ratio "$W_RATE" "${V_RATE:-}")" ">=" 0.85) " \
			" $W_CPU / ${V_CPU:-n/a} " " $W_P50${vlat} " " $W_P99${vlat:+ / $V_P99} " " $W_NON2XX " " $(rss_peak) (libvips ${V_RSS:-n/a} MB) "
	done

done
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
	echo "Produced by \`bench/run.sh\` (issue 6); rerun with \`./bench/run.sh\` (about 6–8 minutes on 2 cores)."
	echo
	echo "## Machine"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $COMMIT$DIRTY"
	echo "- nproc: $NPROC; CPU: $CPU; RAM: $RAM; kernel: $(uname -r)"
	echo "- libvips $VIPSV; $(go version | cut -d' ' -f3); wrk $(wrk -v 2>&1 | head -1 | awk '{ print $2 }'); versitygw $(go version -m "$VERSITYGW" 2>/dev/null | awk '$1 == "mod" { print $3 }') (posix backend)"
	echo "- load average at start: $LOAD0, at end: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine makes rates noisy; the CPU-per-op figures are steadier)"
	[[ -n ${BENCH_CADDY_ENV:-} ]] && echo "- Caddy ran with: \`$BENCH_CADDY_ENV\`"
	echo "- ${DUR} s per measurement; concurrency $CONCS; wrk threads = min(c, nproc); all on 127.0.0.1"
	echo
	echo "## Table"
	echo
	echo "| row | c | module | baseline (same run) | ratio | target | CPU ms/op (module / baseline) | p50 ms (module / baseline) | p99 ms | non-2xx | Caddy RSS |"
	echo "| --- | --: | --: | --: | --: | --- | --: | --: | --: | --- | --: |"
	printf '%s\n' "${ROWS_cold[@]}" "${ROWS_hot[@]}" "${ROWS_pass[@]}" "${ROWS_flood[@]}"
	echo
	echo "## Notes"
	echo
	echo "- Corpus: ${#IMGS[@]} JPEG photos from Debian's lomiri-wallpapers-16.04 ($CORPUS_DIR, CC0/CC-BY, 1.5–16 MP), ${#PNGS[@]} PNGs with a radial alpha fade made from them (2048 px wide), the ${#BIGS[@]} largest photos enlarged to ${BIG_MP} MP for the flood, and a 200 MiB random object; uploaded through the S3 API to versitygw (posix backend)."
	phase hot && echo "- Hot rows serve $HOT_SRC; file_server serves the same bytes from disk."
	for n in "${NOTES[@]}"; do echo "- $n"; done
	for r in "${NA_ORDER[@]}"; do echo "- **n/a**: ${NA_ROWS[$r]} — $r"; done
	echo
	if [[ -r $HERE/findings.md ]]; then
		cat "$HERE/findings.md"
		echo
	fi
	echo "## What each row measures"
	echo
	echo "- **cold … (transforms/s)**: wrk at c connections, every request a distinct variant (\`tr:$COLD_CHAIN\` with a value unique to the request: the module coalesces concurrent requests for one variant, so a query cache-buster would not do; no memory cache, no result storage), rotating over the corpus; each request fetches the source from S3 and transforms it. Counted: 2xx per second. Baseline: \`bench/vipsrate\`, c goroutines in one process calling govips thumbnail-from-buffer 300×300 centre crop + export with the module's encoder settings (Q80; JPEG optimised Huffman; WebP effort 4; AVIF effort 2), same files, same c, libvips concurrency 1, cache off. Ratio = module / libvips (target ≥ 0.85). \`transform pkg\` = \`bench/transformrate\`, the module's transform package called in process on the same files (no HTTP, no S3): the gap between it and libvips is the pipeline's, the rest is fetching and serving."
	echo "- **hot hit (hits/s)**: one variant requested again and again from a Caddy whose only cache is the memory cache, or only result storage (file), against Caddy's \`file_server\` serving the same bytes from disk (target for the memory cache ≥ 0.7)."
	echo "- **pass-through 200 MB object (MB/s)**: whole-object GETs of a 200 MiB object through the module, against a presigned GET straight to versitygw; Caddy RSS column = growth of peak RSS over the RSS before the row (target < 64 MB). **1 MiB ranges (req/s)**: random 1 MiB-aligned \`Range\` requests, same comparison."
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
