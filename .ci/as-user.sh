#!/usr/bin/env bash
# The Go tests of the packages with runtime behaviour, once more as a learner on a
# laptop: an unprivileged user of its own with a subordinate id range (as adduser gives
# one), so the runtime maps 65536 ids through newuidmap, and commit, diff and export
# read the containers' files through the mapped helper. Called by .ci/run as root;
# the test binaries are built here as root and run as that user in their package's
# folder. About 45 s of tests on a 2-core machine, and the linking of the binaries
# (143 s in all on a loaded one).
#
#   .ci/as-user.sh     # as root, from .ci/run (which sets PATH and GOFLAGS)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "== as a user: needs root to create the user" >&2; exit 1; }
. .ci/learner.sh
pkgs=(sandbox sandbox/runtime sandbox/build lessons/session)
# The import-order check runs go list, which needs root's module cache: root runs it.
skip='^TestRuntimeImportsStayEarly$'

t0=$(date +%s)
learner=dockling-ci-user
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
	learner_del "$learner"
	rm -rf "$work" # as root: files of subordinate ids are not the user's to remove
}
trap cleanup EXIT
learner_add "$learner" "$work/home" 3100000
mkdir -p "$work/home" "$work/tmp" "$work/bin"
chown "$learner:" "$work/home" "$work/tmp"

status=0
for p in "${pkgs[@]}"; do
	bin="$work/bin/$(echo "$p" | tr / _).test"
	go test -c -o "$bin" "./$p"
	chmod 755 "$bin"
	echo "== go test ./$p as $learner (uid $(id -u "$learner"), subordinate ids 3100000+65536)"
	if ! (cd "$p" && setpriv --reuid="$learner" --regid="$learner" --init-groups \
		env -i PATH="$PATH" HOME="$work/home" TMPDIR="$work/tmp" USER="$learner" \
		"$bin" -test.count=1 -test.timeout=10m -test.skip="$skip"); then
		status=1
	fi
done
echo "== as a user: $([ "$status" = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - t0)) s"
exit "$status"
