#!/usr/bin/env bash
# Networking, side by side with Docker where its daemon allows, in one run:
#   run --rm busybox true              default network (dockling: own namespace + pasta)
#   run --rm --network none busybox true
#   100 MB host -> container through a published port (-p), root and rootless (uid 65534)
# It prints medians in ms (and MB/s for the transfer). Docker is timed when DOCKER_HOST
# answers (its busybox is loaded from dockling's: no registry needed); a daemon without
# a bridge (the parity tier's) cannot publish ports, which is then said.
#
#   bench/network.sh        # as root; N (runs per case, default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/sbin:/sbin:$PATH"
N=${N:-20}
[ "$(id -u)" = 0 ] || { echo "network.sh: needs root (it also runs as uid 65534)" >&2; exit 1; }
command -v pasta >/dev/null || { echo "network.sh: needs pasta (apt-get install passt)" >&2; exit 1; }
command -v busybox >/dev/null || { echo "network.sh: needs busybox (apt-get install busybox-static)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/dockling-netbench.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	for r in "$tmp/root" "$tmp/user/root"; do
		[ -d "$r" ] && DOCKLING_ROOT=$r "$tmp/dockling" rm -f $(DOCKLING_ROOT=$r "$tmp/dockling" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	done
	if [ -n "${DOCKER_HOST:-}" ]; then
		docker rm -f $(docker ps -aq --filter label=dockling-netbench) >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
go build -o "$tmp/dockling" ./cmd/dockling
mkdir -p "$tmp/user"
chown 65534:65534 "$tmp/user"
dk() { DOCKLING_ROOT=$tmp/root "$tmp/dockling" "$@"; }
du() { setpriv --reuid 65534 --regid 65534 --clear-groups env HOME=$tmp/user DOCKLING_ROOT=$tmp/user/root "$tmp/dockling" "$@"; }
docker_ok=
if [ -n "${DOCKER_HOST:-}" ] && docker version >/dev/null 2>&1; then
	docker_ok=1
	dk save busybox | docker load >/dev/null
fi

# median CMD...: runs CMD N times, prints the median wall time in ms.
median() {
	local i s e
	for i in $(seq 1 "$N"); do
		s=$(date +%s%N)
		"$@" >/dev/null
		e=$(date +%s%N)
		echo $(((e - s) / 1000))
	done | sort -n | awk '{a[NR] = $1} END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}
dk run --rm busybox true >/dev/null # warm: builds busybox
du run --rm busybox true >/dev/null
echo "== run --rm busybox true (median of $N, ms)"
d=$(median dk run --rm busybox true)
printf "dockling default (own netns + pasta)  %s\n" "$d"
printf "dockling --network none               %s\n" "$(median dk run --rm --network none busybox true)"
printf "dockling rootless default             %s\n" "$(median du run --rm busybox true)"
if [ -n "$docker_ok" ]; then
	k=$(median docker run --rm --label dockling-netbench busybox true)
	printf "docker default                        %s  (dockling/docker = %s)\n" "$k" "$(awk -v a="$d" -v b="$k" 'BEGIN { printf "%.2f", a / b }')"
else
	echo "docker: not timed (set DOCKER_HOST to a daemon that answers)"
fi

# transfer ENGINE-FN PORT: 100 MB from the host into a container's nc through -p.
head -c 100000000 /dev/urandom >"$tmp/payload"
chmod 644 "$tmp/payload"
transfer() {
	local run=$1 port=$2 s e
	$run run -d --name sink -p "$port:9000" busybox sh -c 'nc -l -p 9000 >/dev/null; echo got' >/dev/null
	until $run exec sink sh -c 'netstat -ltn | grep -q ":9000 "'; do :; done
	s=$(date +%s%N)
	busybox nc 127.0.0.1 "$port" <"$tmp/payload" >/dev/null
	$run wait sink >/dev/null
	e=$(date +%s%N)
	$run rm -f sink >/dev/null
	awk -v ns=$((e - s)) 'BEGIN { printf "%.0f ms, %.0f MB/s\n", ns / 1e6, 100 / (ns / 1e9) }'
}
echo "== 100 MB host -> container through -p"
printf "dockling root       %s" "$(transfer dk 18901)"
echo
printf "dockling rootless   %s" "$(transfer du 18902)"
echo
if [ -n "$docker_ok" ]; then
	if out=$(transfer "docker" 18903 2>&1); then
		printf "docker              %s\n" "$out"
	else
		echo "docker: cannot publish here ($(echo "$out" | tail -1))"
	fi
fi
