#!/usr/bin/env bash
# Networking, side by side with Docker where its daemon allows, in one run:
#   run --rm busybox true              default network (dockling: own namespace + pasta)
#   run --rm --network none busybox true
#   100 MB host -> container through a published port (-p), root and rootless (uid 65534)
# It prints medians in ms (and MB/s for the transfer). Docker runs on DOCKER_HOST when it
# answers, else on a private daemon (tests/testdata/scripts/parity-daemon.sh), with
# busybox loaded from dockling's (no registry needed). That daemon has no bridge (no
# iptables here): Docker's containers then use --network host, and its transfer goes
# to the container's port on the host network, which is said next to its figures.
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
	if [ -n "${own_daemon:-}" ]; then
		tests/testdata/scripts/parity-daemon.sh stop /run/dockling-netbench /var/lib/dockling-netbench >/dev/null 2>&1 || true
	elif [ -n "${DOCKER_HOST:-}" ]; then
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
docker_ok= dnet=()
if command -v docker >/dev/null; then
	if [ -z "${DOCKER_HOST:-}" ] || ! docker version >/dev/null 2>&1; then
		own_daemon=1
		DOCKER_HOST=$(tests/testdata/scripts/parity-daemon.sh start /run/dockling-netbench /var/lib/dockling-netbench) || own_daemon=
		export DOCKER_HOST
	fi
	if docker version >/dev/null 2>&1; then
		docker_ok=1
		[ -z "${own_daemon:-}" ] || dnet=(--network host)
	fi
fi
dr() { # docker with the bench's label (and --network host on a daemon without a bridge)
	case $1 in
	run) shift; docker run --label dockling-netbench "${dnet[@]}" "$@" ;;
	*) docker "$@" ;;
	esac
}

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
[ -z "$docker_ok" ] || { dk save busybox | docker load >/dev/null; dr run --rm busybox true; }
echo "== run --rm busybox true (median of $N, ms)"
d=$(median dk run --rm busybox true)
printf "dockling default (own netns + pasta)  %s\n" "$d"
printf "dockling --network none               %s\n" "$(median dk run --rm --network none busybox true)"
printf "dockling rootless default             %s\n" "$(median du run --rm busybox true)"
if [ -n "$docker_ok" ]; then
	k=$(median dr run --rm busybox true)
	printf "docker %-30s %s  (dockling/docker = %s)\n" "${dnet[*]:-default}" "$k" "$(awk -v a="$d" -v b="$k" 'BEGIN { printf "%.2f", a / b }')"
else
	echo "docker: not timed (no docker, or its daemon did not start)"
fi

# transfer ENGINE-FN PORT: 100 MB from the host into a container's nc through -p.
head -c 100000000 /dev/urandom >"$tmp/payload"
chmod 644 "$tmp/payload"
transfer() {
	local run=$1 port=$2 s e
	local pub=(-p "$port:9000") lport=9000
	if [ "$run" = dr ] && [ ${#dnet[@]} -gt 0 ]; then pub=() lport=$port; fi
	$run run -d --name sink "${pub[@]}" busybox sh -c "nc -l -p $lport | wc -c" >/dev/null
	until $run exec sink sh -c "netstat -ltn | grep -q ':$lport '"; do :; done
	s=$(date +%s%N)
	cat "$tmp/payload" >"/dev/tcp/127.0.0.1/$port"
	$run wait sink >/dev/null
	e=$(date +%s%N)
	got=$($run logs sink)
	$run rm -f sink >/dev/null
	[ "$got" = 100000000 ] || { echo "transfer: the container got $got bytes, not 100000000" >&2; return 1; }
	awk -v ns=$((e - s)) 'BEGIN { printf "%.0f ms, %.0f MB/s\n", ns / 1e6, 100 / (ns / 1e9) }'
}
echo "== 100 MB host -> container through -p"
printf "dockling root       %s" "$(transfer dk 18901)"
echo
printf "dockling rootless   %s" "$(transfer du 18902)"
echo
if [ -n "$docker_ok" ]; then
	if out=$(transfer dr 18903 2>&1); then
		printf "docker %-12s %s\n" "${dnet[*]:-(-p)}" "$out"
	else
		echo "docker: cannot publish here ($(echo "$out" | tail -1))"
	fi
fi
