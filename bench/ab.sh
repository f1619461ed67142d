#!/usr/bin/env bash
# Compares `run --rm busybox true` of two builds of dockling in one run: the working
# tree against a git revision REV.
# The builds take turns in blocks (each run's trash emptier finishes during the next
# run, so single alternations would charge one build for the other's work) and the
# block order rotates each round. Prints each build's median, min and p90 and the
# difference of the medians.
#
#   bench/ab.sh REV [ROUNDS] [BLOCK]     # default 8 rounds of 25 runs each
#
# Both builds use their own temporary data root, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bench/ab.sh REV [ROUNDS] [BLOCK]}
rounds=${2:-8}
block=${3:-25}

tmp=$(mktemp -d)
cleanup() {
	for b in base new; do
		[ -x "$tmp/$b" ] || continue
		ids=$(DOCKLING_ROOT=$tmp/root-$b "$tmp/$b" ps -aq --no-trunc 2>/dev/null || true)
		[ -z "$ids" ] || DOCKLING_ROOT=$tmp/root-$b "$tmp/$b" rm -f $ids >/dev/null 2>&1 || true
	done
	git worktree remove --force "$tmp/src" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

git worktree add -q --detach "$tmp/src" "$rev"
(cd "$tmp/src" && go build -o "$tmp/base" ./cmd/dockling)
go build -o "$tmp/new" ./cmd/dockling

for b in base new; do
	DOCKLING_ROOT=$tmp/root-$b "$tmp/$b" run --rm busybox true >/dev/null 2>&1 ||
		{ echo "ab.sh: $b cannot run containers here:" >&2; DOCKLING_ROOT=$tmp/root-$b "$tmp/$b" run --rm busybox true; exit 1; }
done

# block B N: N timed runs of build B, one microsecond count a line appended to $tmp/B.
block() {
	local b=$1 n=$2 i s e
	for ((i = 0; i < n; i++)); do
		s=$EPOCHREALTIME
		DOCKLING_ROOT=$tmp/root-$b "$tmp/$b" run --rm busybox true >/dev/null 2>&1
		e=$EPOCHREALTIME
		echo $((${e/./} - ${s/./})) >>"$tmp/$b.times"
	done
}
for ((r = 0; r < rounds; r++)); do
	if ((r % 2 == 0)); then block base "$block"; block new "$block"; else block new "$block"; block base "$block"; fi
done
stats() {
	sort -n "$1" | awk '{a[NR] = $1} END {
		printf "%.2f %.2f %.2f\n", a[int((NR + 1) / 2)] / 1000, a[1] / 1000, a[int(NR * 0.9 + 0.5)] / 1000 }'
}
read -r bm bmin bp90 < <(stats "$tmp/base.times")
read -r nm nmin np90 < <(stats "$tmp/new.times")
echo "run --rm busybox true, $((rounds * block)) runs each, alternating blocks of $block"
echo "  $rev: median $bm ms  min $bmin ms  p90 $bp90 ms"
echo "  working tree: median $nm ms  min $nmin ms  p90 $np90 ms"
awk -v a="$bm" -v b="$nm" 'BEGIN { printf "  difference of medians: %+.2f ms\n", b - a }'
