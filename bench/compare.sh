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
#
# Environment: N (runs of run/images/ps, default 20), COMMITS (default 5). DOCKER_HOST,
# if set and answering, is used as is (e.g. the parity tier's daemon); otherwise a
# private daemon is started under /run/dockling-bench and removed at the end, also on
# failure or Ctrl-C. Commit the script, not its numbers: they belong to a machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/sbin:/sbin:$PATH"
N=${N:-20}
COMMITS=${COMMITS:-5}

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

# ms_stats: reads microseconds, one a line; prints "median p90" in ms.
ms_stats() {
	sort -n | awk '{a[NR] = $1} END { if (NR == 0) { print "- -"; exit }
		p = int(NR * 0.9 + 0.5); if (p < 1) p = 1
		printf "%.1f %.1f\n", a[int((NR + 1) / 2)] / 1000, a[p] / 1000 }'
}
# timed N CMD...: runs CMD N times, prints one microsecond count a line. Fails loudly.
timed() {
	local n=$1 i s e
	shift
	for ((i = 0; i < n; i++)); do
		s=$EPOCHREALTIME
		"$@" >/dev/null || { echo "compare.sh: failed: $*" >&2; return 1; }
		e=$EPOCHREALTIME
		echo $((${e/./} - ${s/./}))
	done
}
# commit_runs ENGINE: COMMITS commits of a container holding 64 MiB of new files.
commit_runs() {
	local e=$1 i s t
	on "$e" rm -f bench-fat >/dev/null 2>&1 || true
	on "$e" run --name bench-fat bench-base sh -c 'mkdir /data && for i in $(seq 1 64); do head -c 1048576 /dev/urandom > /data/f$i; done'
	for ((i = 0; i < COMMITS; i++)); do
		s=$EPOCHREALTIME
		on "$e" commit bench-fat bench-fat-img >/dev/null
		t=$EPOCHREALTIME
		echo $((${t/./} - ${s/./}))
		on "$e" rmi bench-fat-img >/dev/null
	done
	on "$e" rm -f bench-fat >/dev/null
}

declare -A med p90
ops=("run --rm bench-base true" "images" "ps -a" "commit (64 MiB of new files)")
for e in "${engines[@]}"; do
	echo "== $e"
	read -r m p < <(timed "$N" on "$e" run --rm bench-base true | ms_stats)
	med[$e,0]=$m p90[$e,0]=$p
	read -r m p < <(timed "$N" on "$e" images | ms_stats)
	med[$e,1]=$m p90[$e,1]=$p
	read -r m p < <(timed "$N" on "$e" ps -a | ms_stats)
	med[$e,2]=$m p90[$e,2]=$p
	read -r m p < <(commit_runs "$e" | ms_stats)
	med[$e,3]=$m p90[$e,3]=$p
done

echo
echo "Median (p90) wall time in ms; N=$N runs, $COMMITS commits; $(nproc) CPUs; $(uname -r)"
echo "docker: $(/usr/bin/docker version --format '{{.Server.Version}}' 2>/dev/null), storage $(/usr/bin/docker info --format '{{.Driver}}' 2>/dev/null)"
printf '%-30s' "operation"
for e in "${engines[@]}"; do printf '%22s' "$e"; done
for e in "${engines[@]:1}"; do printf '%18s' "$e/dockling"; done
echo
for i in "${!ops[@]}"; do
	printf '%-30s' "${ops[$i]}"
	for e in "${engines[@]}"; do printf '%22s' "${med[$e,$i]} (${p90[$e,$i]})"; done
	for e in "${engines[@]:1}"; do
		printf '%18s' "$(awk -v a="${med[$e,$i]}" -v b="${med[dockling,$i]}" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')"
	done
	echo
done
[ "${#engines[@]}" -gt 2 ] || echo "(podman: not installed or not working here, left out)"
