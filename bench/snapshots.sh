#!/usr/bin/env bash
# bench/snapshots.sh [DOCKLING]: wall time of the author tests that issue 14 item 5
# times (snapshots instead of replays): `author test content/images-vs-containers.yaml`,
# and `author test content/commit.yaml` on an ubuntu imported from the Debian bookworm
# root filesystem the test tiers cache (apt-get then fetches from the Debian mirror).
# DOCKLING is the binary to time (default: built from this tree); CPU time is
# printed too, as wall time on a shared machine says more about the neighbours.
# The reset of a lecture step is a Go benchmark:
#   go test -run '^$' -bench ResetStep -benchtime 20x ./lessons/session/
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/dockling-snapbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bin=${1:-}
if [ -z "$bin" ]; then
	go build -o "$work/dockling" ./cmd/dockling
	bin=$work/dockling
fi
rootfs=${ROOTFS:-$(tests/testdata/scripts/bookworm-rootfs.sh)}
mkdir -p "$work/images"
DOCKLING_ROOT=$work/imp "$bin" import "$rootfs" ubuntu >/dev/null
DOCKLING_ROOT=$work/imp "$bin" save -o "$work/images/ubuntu.tar" ubuntu
rm -rf "$work/imp"
timed() { # timed LESSON: prints the author test's wall time and CPU time (user+sys)
	/usr/bin/time -f "%e %U %S" -o "$work/time.txt" env DOCKLING_ROOT="$work/root" \
		"$bin" author test --images "$work/images" "$1" >"$work/out.txt" 2>&1 ||
		{ cat "$work/out.txt"; echo "author test $1 failed" >&2; exit 1; }
	read -r wall user sys <"$work/time.txt"
	printf '%-40s %6.1f s wall %6.1f s cpu\n' "$1" "$wall" "$(echo "$user + $sys" | bc)"
}
timed content/images-vs-containers.yaml
timed content/commit.yaml
