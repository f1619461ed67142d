#!/usr/bin/env bash
# Times `dockling run --rm busybox true` end to end with the built binary and prints the
# median wall time (target: ≤ 15 ms), then the resident memory of one shim (target:
# ≤ 10 MiB). Compares with podman and docker when they are installed, work, and have
# busybox locally (nothing is pulled).
#
#   bench/run.sh [N]          # N runs (default 50); as root, or a user with user namespaces
#
# It builds ./cmd/dockling into a temporary folder and uses a temporary data root, both
# removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}

tmp=$(mktemp -d)
export DOCKLING_ROOT="$tmp/root"
cleanup() {
	if [ -x "$tmp/dockling" ]; then
		ids=$("$tmp/dockling" ps -aq --no-trunc 2>/dev/null || true)
		[ -z "$ids" ] || "$tmp/dockling" rm -f $ids >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/dockling" ./cmd/dockling
dk="$tmp/dockling"

# time_runs N CMD...: runs CMD N times (after 3 warm-up runs) and prints
# "median min p90" in milliseconds.
time_runs() {
	local count=$1
	shift
	local i s e
	for i in 1 2 3; do "$@" >/dev/null 2>&1; done
	for ((i = 0; i < count; i++)); do
		s=$EPOCHREALTIME
		"$@" >/dev/null 2>&1
		e=$EPOCHREALTIME
		echo $(((${e/./} - ${s/./})))
	done | sort -n | awk '{a[NR] = $1} END {
		printf "median %.2f ms  min %.2f ms  p90 %.2f ms\n", a[int((NR + 1) / 2)] / 1000, a[1] / 1000, a[int(NR * 0.9 + 0.5)] / 1000 }'
}

"$dk" run --rm busybox true >/dev/null 2>&1 || { echo "dockling cannot run containers here:"; "$dk" run --rm busybox true; exit 1; }
echo "dockling run --rm busybox true   ($n runs): $(time_runs "$n" "$dk" run --rm busybox true)"

id=$("$dk" run -d busybox sleep 60)
shim=$(cat "$DOCKLING_ROOT/sandboxes/default/containers/$id/shim.pid")
sleep 0.5 # a shim sheds its start-up pages once its container has run 50 ms
# VmRSS counts the binary's pages the shim has mapped, shared with every other dockling
# process through the page cache; RssAnon is its own memory.
echo "dockling shim of run -d busybox sleep 60: $(grep -E '^(VmRSS|RssAnon)' "/proc/$shim/status" | tr -s ' \t\n' ' ')"
"$dk" rm -f "$id" >/dev/null

if command -v podman >/dev/null && podman image exists busybox 2>/dev/null; then
	echo "podman run --rm busybox true     ($n runs): $(time_runs "$n" podman run --rm busybox true)"
else
	echo "podman: not installed, or no local busybox image (skipped)"
fi
if command -v docker >/dev/null && docker image inspect busybox >/dev/null 2>&1; then
	echo "docker run --rm busybox true     ($n runs): $(time_runs "$n" docker run --rm busybox true)"
else
	echo "docker: no daemon reachable, or no local busybox image (skipped)"
fi
