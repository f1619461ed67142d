#!/usr/bin/env bash
# Side by side, in one run: dockling, Docker (Debian's docker.io, a private daemon) and
# podman (when installed) on the same Debian root filesystem image. It prints the
# median and 90th percentile wall time of each operation and how many times slower
# than dockling each other engine is.
#
#   bench/compare.sh [ROOTFS.tar]     # as root; default: the tiers' cached bookworm rootfs
#
# Operations (each engine holds the same state: the base image under 5 tags and 20
# stopped containers, so images and ps -a have rows to print):
#   run --rm IMAGE true              a container's whole life, CLI to CLI
#   images                           list images
#   ps -a                            list containers
#   commit (64 MiB of new files)     commit a container whose layer holds 64 files of
#                                    1 MiB of random bytes (the image removed after each)
#   build, cold                      docker build --no-cache of a 5-instruction Dockerfile
#                                    on busybox (COPY of a small folder, RUN, ENV, WORKDIR,
#                                    CMD), the same busybox on every engine (dockling's,
#                                    loaded into the others); the image removed after each
#   build, cached                    the same build again, every step from the cache
#
# The engines take turns: each operation runs in rounds, every engine timed for a block
# of BLOCK runs per round (the order rotating), so that a slow minute on this shared
# machine falls on every engine alike rather than on whichever ran then; commits
# alternate one at a time. Any failed command ends the script with its output and a
# non-zero status: no number is printed from an incomplete set of runs.
#
# Environment: N (runs of run/images/ps per engine, default 20, rounded up to whole
# blocks), BLOCK (default 5), COMMITS (default 5), BUILDS (default 5). DOCKER_HOST,
# if set and answering, is used as is (e.g. the parity tier's daemon); otherwise a
# private daemon is started under /run/dockling-bench and removed at the end, also on
# failure or Ctrl-C. Commit the script, not its numbers: they belong to a machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/sbin:/sbin:$PATH"
N=${N:-20}
BLOCK=${BLOCK:-5}
COMMITS=${COMMITS:-5}
BUILDS=${BUILDS:-5}
die() {
	echo "compare.sh: $*" >&2
	exit 1
}
for v in N BLOCK COMMITS BUILDS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive whole number, not '${!v}'"
done
ROUNDS=$(((N + BLOCK - 1) / BLOCK))
N=$((ROUNDS * BLOCK))

if [ "$(id -u)" != 0 ]; then
	echo "compare.sh: needs root (it runs dockerd)" >&2
	exit 1
fi
rootfs=${1:-}
[ -n "$rootfs" ] || rootfs=$(tests/testdata/scripts/bookworm-rootfs.sh)

tmp=$(mktemp -d)
chmod 755 "$tmp"
own_daemon=
podman_images=
cleanup() {
	set +e
	[ -x "$tmp/dockling" ] && DOCKLING_ROOT=$tmp/root "$tmp/dockling" rm -f $(DOCKLING_ROOT=$tmp/root "$tmp/dockling" ps -aq) >/dev/null 2>&1
	if [ -n "$own_daemon" ]; then
		tests/testdata/scripts/parity-daemon.sh stop /run/dockling-bench /var/lib/dockling-bench
	elif [ -n "${DOCKER_HOST:-}" ]; then # someone else's daemon: remove only what we made
		/usr/bin/docker rm -f $(/usr/bin/docker ps -aq --filter label=dockling-bench) >/dev/null 2>&1
		/usr/bin/docker rmi -f $(/usr/bin/docker images -q --filter label=dockling-bench) >/dev/null 2>&1
	fi
	if [ -n "$podman_images" ]; then
		podman rm -f $(podman ps -aq --filter label=dockling-bench) >/dev/null 2>&1
		podman rmi -f $(podman images -q --filter label=dockling-bench) >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- engines -------------------------------------------------------------------------
go build -o "$tmp/dockling" ./cmd/dockling
dk() { DOCKLING_ROOT=$tmp/root "$tmp/dockling" "$@"; }
if [ -z "${DOCKER_HOST:-}" ] || ! /usr/bin/docker version >/dev/null 2>&1; then
	DOCKER_HOST=$(tests/testdata/scripts/parity-daemon.sh start /run/dockling-bench /var/lib/dockling-bench)
	own_daemon=1
fi
export DOCKER_HOST
export DOCKER_CONFIG=$tmp/docker-config
# No bridge on the private daemon: Docker's containers use the host network, which is
# also dockling's default, so both do the same work.
dr() {
	case $1 in
	run | create) local v=$1; shift; /usr/bin/docker "$v" --network host --label dockling-bench "$@" ;;
	*) /usr/bin/docker "$@" ;;
	esac
}
engines=(dockling docker)
if command -v podman >/dev/null && podman info >/dev/null 2>&1; then
	engines+=(podman)
	podman_images=1
fi
pm() {
	case $1 in
	run | create) local v=$1; shift; podman "$v" --network host --label dockling-bench "$@" ;;
	*) podman "$@" ;;
	esac
}
on() { # on ENGINE ARGS...
	local e=$1
	shift
	case $e in
	dockling) dk "$@" ;;
	docker) dr "$@" ;;
	podman) pm "$@" ;;
	esac
}

# --- the same state everywhere ---------------------------------------------------------
echo "== setup: import $(basename "$rootfs"), 5 tags, 20 stopped containers per engine"
for e in "${engines[@]}"; do
	on "$e" import --change 'LABEL dockling-bench=1' "$rootfs" bench-base >/dev/null
	for i in 1 2 3 4 5; do on "$e" tag bench-base "bench-base:tag$i"; done
	for i in $(seq 1 20); do on "$e" run --name "bench-old-$i" bench-base true; done
	on "$e" run --rm bench-base true # warm the caches
done

# stats FILE WANT: FILE holds microseconds, one a line; prints "median p90" in ms, and
# fails unless there are exactly WANT of them.
stats() {
	local n
	n=$(grep -c . "$1" 2>/dev/null || true)
	[ "${n:-0}" = "$2" ] || die "$1: ${n:-0} timings where $2 were due"
	sort -n "$1" | awk '{a[NR] = $1} END {
		p = int(NR * 0.9 + 0.5); if (p < 1) p = 1
		printf "%.1f %.1f\n", a[int((NR + 1) / 2)] / 1000, a[p] / 1000 }'
}
# timed FILE N CMD...: runs CMD N times, appends one microsecond count a line to FILE.
# A failed run fails, showing what the command printed.
timed() {
	local f=$1 n=$2 i s e
	shift 2
	for ((i = 0; i < n; i++)); do
		s=$EPOCHREALTIME
		"$@" >/dev/null 2>"$tmp/stderr" || {
			echo "compare.sh: failed: $*" >&2
			cat "$tmp/stderr" >&2
			return 1
		}
		e=$EPOCHREALTIME
		echo $((${e/./} - ${s/./})) >>"$f"
	done
}
# op I ENGINE: operation I of ops on ENGINE.
op() {
	case $1 in
	0) on "$2" run --rm bench-base true ;;
	1) on "$2" images ;;
	2) on "$2" ps -a ;;
	esac
}
# commit_once ENGINE: one commit of bench-fat, timed into FILE; the image removed after.
commit_once() {
	local e=$1 f=$2 s t
	s=$EPOCHREALTIME
	on "$e" commit bench-fat bench-fat-img >/dev/null || die "commit on $e failed"
	t=$EPOCHREALTIME
	echo $((${t/./} - ${s/./})) >>"$f"
	on "$e" rmi bench-fat-img >/dev/null || die "rmi bench-fat-img on $e failed"
}

declare -A med p90
ops=("run --rm bench-base true" "images" "ps -a" "commit (64 MiB of new files)" "build, cold (5 instructions)" "build, cached")
ne=${#engines[@]}
for i in 0 1 2; do
	echo "== ${ops[$i]}: $ROUNDS rounds, $BLOCK runs per engine each, engines taking turns"
	for ((r = 0; r < ROUNDS; r++)); do
		for ((k = 0; k < ne; k++)); do
			e=${engines[$(((r + k) % ne))]}
			timed "$tmp/t.$e.$i" "$BLOCK" op "$i" "$e" || die "${ops[$i]} on $e failed"
		done
	done
done
echo "== ${ops[3]}: $COMMITS rounds, one commit per engine each, engines taking turns"
for e in "${engines[@]}"; do
	on "$e" rm -f bench-fat >/dev/null 2>&1 || true
	on "$e" run --name bench-fat bench-base sh -c 'mkdir /data && for i in $(seq 1 64); do head -c 1048576 /dev/urandom > /data/f$i; done' ||
		die "making bench-fat on $e failed"
done
for ((r = 0; r < COMMITS; r++)); do
	for ((k = 0; k < ne; k++)); do
		commit_once "${engines[$(((r + k) % ne))]}" "$tmp/t.${engines[$(((r + k) % ne))]}.3"
	done
done
for e in "${engines[@]}"; do
	on "$e" rm -f bench-fat >/dev/null || die "removing bench-fat on $e failed"
done

# --- docker build: a 5-instruction Dockerfile on busybox, cold and fully cached ---------
mkdir -p "$tmp/buildctx/files"
for i in 1 2 3 4; do echo "file $i" >"$tmp/buildctx/files/f$i.txt"; done
printf 'FROM busybox\nCOPY files /files\nRUN cat /files/* > /all.txt\nENV APP=bench\nWORKDIR /app\nCMD ["cat", "/all.txt"]\n' >"$tmp/buildctx/Dockerfile"
dk pull -q busybox >/dev/null
for e in "${engines[@]:1}"; do dk save busybox | on "$e" load -q >/dev/null; done
build_once() { # build_once ENGINE FILE [--no-cache]: one timed build
	local e=$1 f=$2 s t
	shift 2
	s=$EPOCHREALTIME
	DOCKER_BUILDKIT=0 on "$e" build -q "$@" --label dockling-bench=1 -t bench-build "$tmp/buildctx" >/dev/null 2>"$tmp/stderr" ||
		die "build on $e failed: $(cat "$tmp/stderr")"
	t=$EPOCHREALTIME
	echo $((${t/./} - ${s/./})) >>"$f"
}
echo "== ${ops[4]} and ${ops[5]}: $BUILDS rounds, one build per engine each, engines taking turns"
for ((r = 0; r < BUILDS; r++)); do
	for ((k = 0; k < ne; k++)); do
		e=${engines[$(((r + k) % ne))]}
		build_once "$e" "$tmp/t.$e.4" --no-cache
		build_once "$e" "$tmp/t.$e.5"
		on "$e" rmi bench-build >/dev/null || die "rmi bench-build on $e failed"
	done
done

for e in "${engines[@]}"; do
	for i in "${!ops[@]}"; do
		want=$N
		[ "$i" -lt 3 ] || want=$COMMITS
		[ "$i" -lt 4 ] || want=$BUILDS
		st=$(stats "$tmp/t.$e.$i" "$want")
		read -r "med[$e,$i]" "p90[$e,$i]" <<<"$st"
	done
done

echo
echo "Median (p90) wall time in ms; N=$N runs ($ROUNDS rounds of $BLOCK, engines taking turns), $COMMITS commits; $(nproc) CPUs; $(uname -r)"
echo "docker: $(/usr/bin/docker version --format '{{.Server.Version}}' 2>/dev/null), storage $(/usr/bin/docker info --format '{{.Driver}}' 2>/dev/null)"
printf '%-30s' "operation"
for e in "${engines[@]}"; do printf '%22s' "$e"; done
for e in "${engines[@]:1}"; do printf '%18s' "$e/dockling"; done
echo
for i in "${!ops[@]}"; do
	printf '%-30s' "${ops[$i]}"
	for e in "${engines[@]}"; do printf '%22s' "${med[$e,$i]} (${p90[$e,$i]})"; done
	for e in "${engines[@]:1}"; do
		ratio=$(awk -v a="${med[$e,$i]}" -v b="${med[dockling,$i]}" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2fx", a / b; else exit 1 }') ||
			die "no ratio for ${ops[$i]}: $e ${med[$e,$i]} ms, dockling ${med[dockling,$i]} ms"
		printf '%18s' "$ratio"
	done
	echo
done
[ "${#engines[@]}" -gt 2 ] || echo "(podman: not installed or not working here, left out)"
