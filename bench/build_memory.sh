#!/usr/bin/env bash
# The memory a docker build of a large context takes: a context of SIZE_MB (default
# 500) in a few large files and many small ones, COPY'd whole into an image (FROM
# scratch: no container, all of the time is the context), built once cold, once
# from the cache, and once from the same context as a tar on stdin. It prints the peak RSS of each build (GNU time's "Maximum resident
# set size") and fails when one is over LIMIT_MB (default 100): the context must
# stream through the builder, never be held in memory.
#
#   bench/build_memory.sh            # as root or not; needs /usr/bin/time
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
SIZE_MB=${SIZE_MB:-500}
LIMIT_MB=${LIMIT_MB:-100}
[[ $SIZE_MB =~ ^[1-9][0-9]*$ && $LIMIT_MB =~ ^[1-9][0-9]*$ ]] || { echo "build_memory.sh: SIZE_MB and LIMIT_MB are whole numbers" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "build_memory.sh: needs GNU time (apt-get install time)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/dockling" ./cmd/dockling
ctx=$tmp/ctx
mkdir -p "$ctx/big" "$ctx/small"
big=$((SIZE_MB * 9 / 10 / 4)) # four big files hold 90%, a thousand small ones the rest
for i in 1 2 3 4; do head -c "$((big << 20))" /dev/urandom >"$ctx/big/f$i"; done
small_kb=$(((SIZE_MB << 10) / 10 / 1000))
for i in $(seq 1 1000); do head -c "$((small_kb << 10))" /dev/urandom >"$ctx/small/f$i"; done
printf 'FROM scratch\nCOPY . /data/\n' >"$ctx/Dockerfile"
echo "== context: $(du -sm "$ctx" | cut -f1) MB in $(find "$ctx" -type f | wc -l) files"

status=0
tar -C "$ctx" -cf "$tmp/ctx.tar" .
for run in cold cached stdin; do
	src=$ctx
	[ "$run" != stdin ] || src=-
	/usr/bin/time -f '%M %e' -o "$tmp/time" env DOCKLING_ROOT="$tmp/root" "$tmp/dockling" build -q -t big "$src" <"$tmp/ctx.tar" >/dev/null
	read -r kb secs <"$tmp/time"
	mb=$((kb / 1024))
	verdict=ok
	[ "$mb" -le "$LIMIT_MB" ] || { verdict="OVER ${LIMIT_MB} MB"; status=1; }
	printf '%-7s peak RSS %4d MB, %6.1f s  %s\n' "$run" "$mb" "$secs" "$verdict"
done
exit $status
