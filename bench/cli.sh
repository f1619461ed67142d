#!/usr/bin/env bash
# Wall time of short commands with the built binary, process start to exit, as a
# learner's shell sees it: `version` (start-up alone), `images` with 20 images in the
# store (target: median ≤ 5 ms) and `ps -a` with 200 containers (target: ≤ 10 ms;
# created, not started, so any user can run it). Medians of N runs after 3 warm-up runs.
#
#   bench/cli.sh [N]      # N runs each (default 200); any user
#
# It builds ./cmd/dockling into a temporary folder and uses a temporary data root, both
# removed at the end. Numbers belong to a machine: commit the script, not them.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DOCKLING_ROOT="$tmp/root"
go build -o "$tmp/dockling" ./cmd/dockling
dk="$tmp/dockling"

# 20 images, each its own one-file layer.
mkdir "$tmp/rootfs"
for i in $(seq -w 1 20); do
	echo "image $i" >"$tmp/rootfs/file.txt"
	tar -C "$tmp/rootfs" -cf "$tmp/layer.tar" .
	"$dk" import "$tmp/layer.tar" "img$i:v1" >/dev/null
done

# time_runs N CMD...: "median min p90" in milliseconds.
time_runs() {
	local count=$1 i s e
	shift
	for i in 1 2 3; do "$@" >/dev/null 2>&1; done
	for ((i = 0; i < count; i++)); do
		s=$EPOCHREALTIME
		"$@" >/dev/null 2>&1
		e=$EPOCHREALTIME
		echo $((${e/./} - ${s/./}))
	done | sort -n | awk '{a[NR] = $1} END {
		printf "median %.2f ms  min %.2f ms  p90 %.2f ms\n", a[int((NR + 1) / 2)] / 1000, a[1] / 1000, a[int(NR * 0.9 + 0.5)] / 1000 }'
}

echo "dockling version               ($n runs): $(time_runs "$n" "$dk" version)"
echo "dockling images, 20 images     ($n runs): $(time_runs "$n" "$dk" images)"

for i in $(seq 200); do "$dk" create busybox sh -c "exit $((i % 3))" >/dev/null; done
echo "dockling ps -a, 200 containers ($n runs): $(time_runs "$n" "$dk" ps -a)"
