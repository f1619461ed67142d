#!/usr/bin/env bash
# docker cp of one file each way, dockling next to Docker (Debian's docker.io, a
# private daemon) in the same run, on the same busybox image (dockling's, loaded into
# Docker) and a running container each. Prints the median and 90th percentile wall
# time of each direction and Docker's time over dockling's.
#
#   bench/cp.sh            # as root; ROUNDS=7 rounds, MB=100 (the file's size)
#
# The engines take turns each round (order rotating), in both directions, so that a
# slow moment on this shared machine falls on both alike. The copies land on the same
# file system as the data roots (the host side in the script's temporary folder). A
# failed command ends the script with its output: no number from an incomplete set.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/sbin:/sbin:$PATH"
ROUNDS=${ROUNDS:-7}
MB=${MB:-100}
die() {
	echo "cp.sh: $*" >&2
	exit 1
}
for v in ROUNDS MB; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive whole number, not '${!v}'"
done
[ "$(id -u)" = 0 ] || die "needs root (it runs dockerd)"

tmp=$(mktemp -d)
chmod 755 "$tmp"
own_daemon=
cleanup() {
	set +e
	[ -x "$tmp/dockling" ] && DOCKLING_ROOT=$tmp/root "$tmp/dockling" rm -f cpbench >/dev/null 2>&1
	if [ -n "$own_daemon" ]; then
		tests/testdata/scripts/parity-daemon.sh stop /run/dockling-cpbench /var/lib/dockling-cpbench
	else
		/usr/bin/docker rm -f cpbench-dockling >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$tmp/dockling" ./cmd/dockling
dk() { DOCKLING_ROOT=$tmp/root "$tmp/dockling" "$@"; }
if [ -z "${DOCKER_HOST:-}" ] || ! /usr/bin/docker version >/dev/null 2>&1; then
	DOCKER_HOST=$(tests/testdata/scripts/parity-daemon.sh start /run/dockling-cpbench /var/lib/dockling-cpbench)
	own_daemon=1
fi
export DOCKER_HOST DOCKER_CONFIG=$tmp/docker-config

echo "== setup: busybox in both, a running container each, a ${MB} MB file of random bytes"
dk save busybox | /usr/bin/docker load >/dev/null
dk run -d --name cpbench busybox sleep 3600 >/dev/null
/usr/bin/docker run -d --network host --name cpbench-dockling busybox sleep 3600 >/dev/null
head -c $((MB << 20)) /dev/urandom >"$tmp/big"
declare -A ctr=([dockling]=cpbench [docker]=cpbench-dockling)
on() { # on ENGINE ARGS...
	local e=$1
	shift
	case $e in
	dockling) dk "$@" ;;
	docker) /usr/bin/docker "$@" ;;
	esac
}
# timed FILE ENGINE ARGS...: one run, its microseconds appended to FILE.
timed() {
	local f=$1 s e
	shift
	s=$EPOCHREALTIME
	on "$@" >/dev/null 2>"$tmp/stderr" || {
		cat "$tmp/stderr" >&2
		die "failed: $*"
	}
	e=$EPOCHREALTIME
	echo $((${e/./} - ${s/./})) >>"$f"
}
engines=(dockling docker)
for ((r = 0; r < ROUNDS; r++)); do
	for ((k = 0; k < 2; k++)); do
		e=${engines[$(((r + k) % 2))]}
		timed "$tmp/t.$e.in" "$e" cp "$tmp/big" "${ctr[$e]}:/big"
		rm -f "$tmp/out"
		timed "$tmp/t.$e.out" "$e" cp "${ctr[$e]}:/big" "$tmp/out"
		cmp -s "$tmp/big" "$tmp/out" || die "$e: the file copied out differs from the one copied in"
		on "$e" exec "${ctr[$e]}" rm /big
	done
done

stats() { # FILE: "median p90" in ms
	sort -n "$1" | awk '{a[NR] = $1} END {
		p = int(NR * 0.9 + 0.5); if (p < 1) p = 1
		printf "%.0f %.0f\n", a[int((NR + 1) / 2)] / 1000, a[p] / 1000 }'
}
echo
echo "Median (p90) wall time in ms of docker cp, a ${MB} MB file, a running container; $ROUNDS rounds; $(nproc) CPUs; $(uname -r)"
echo "docker: $(/usr/bin/docker version --format '{{.Server.Version}}' 2>/dev/null), storage $(/usr/bin/docker info --format '{{.Driver}}' 2>/dev/null)"
printf '%-22s%18s%18s%16s\n' operation dockling docker docker/dockling
for d in in out; do
	read -r dm dp <<<"$(stats "$tmp/t.dockling.$d")"
	read -r om op <<<"$(stats "$tmp/t.docker.$d")"
	label="cp host -> container"
	[ "$d" = in ] || label="cp container -> host"
	printf '%-22s%18s%18s%16s\n' "$label" "$dm ($dp)" "$om ($op)" "$(awk -v a="$om" -v b="$dm" 'BEGIN { printf "%.2fx", a / b }')"
done
