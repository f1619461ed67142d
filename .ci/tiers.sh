#!/usr/bin/env bash
# The slow test tiers, called by .ci/run:
#   - tests/distro: a Debian bookworm root filesystem (debootstrap, cached between runs
#     under /var/cache/dockling-ci) imported as ubuntu, and the commit and
#     images-vs-containers lectures run on it through the dockling CLI, as root and as
#     an unprivileged user;
#   - tests/parity: the same sequences on Docker itself (Debian's docker.io on a private
#     socket and data root) and on dockling, and what a learner sees compared.
#   - the embedded lessons' author test (content/internal/authortest) with that root
#     filesystem as the real ubuntu, which the commit lesson needs (apt-get).
# It installs debootstrap and docker.io when missing, builds or reuses the root
# filesystem, and runs DOCKLING_TIERS=1 go test -count=1 -p 1 -v on those packages:
# one package at a time, since on a 2-core machine the load of several at once made
# the terminal tests race a shell's redraw. With the gate on, nothing may skip: a test
# that reports SKIP fails the run, as does running this as another user than root.
#
#   .ci/tiers.sh              # as root
#
# Time on a 2-core machine: about 45 s for debootstrap on the first run (then cached),
# then the tests (see the report at the end of a run).
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/usr/local/go/bin:$HOME/go/bin:/usr/local/sbin:/usr/sbin:/sbin:$PATH"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

if [ "$(id -u)" != 0 ]; then
	echo "== tiers: FAILED: they need root (debootstrap, dockerd, and root to become the unprivileged user); run .ci/run or .ci/tiers.sh as root" >&2
	exit 1
fi

secs() { echo $(($(date +%s) - $1)); }
t0=$(date +%s)

# What the tiers need: debootstrap; Debian's dockerd and its client (/usr/bin/docker,
# not whatever else is called docker on PATH); flock and findmnt (util-linux).
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
{ [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ]; } || need+=(docker.io)
command -v newuidmap >/dev/null || need+=(uidmap) # the author test's learner has an id range

# Installing docker.io must not start Debian's own docker and containerd services (on
# a systemd host its maintainer scripts would): the tests run a private daemon of their
# own. A policy-rc.d that answers 101 ("action forbidden") stops invoke-rc.d and
# deb-systemd-invoke for the length of the install; one already there is put back.
policy=/usr/sbin/policy-rc.d
policy_saved=
restore_policy() {
	[ -n "$policy_saved" ] || return 0
	if [ "$policy_saved" = none ]; then rm -f "$policy"; else cp -p "$policy_saved" "$policy" && rm -f "$policy_saved"; fi
	policy_saved=
}
if [ "${#need[@]}" -gt 0 ]; then
	echo "== tiers: apt-get install ${need[*]} (services kept from starting by $policy)"
	if [ -e "$policy" ]; then
		policy_saved=$(mktemp)
		cp -p "$policy" "$policy_saved"
	else
		policy_saved=none
	fi
	trap restore_policy EXIT
	printf '#!/bin/sh\n# .ci/tiers.sh: no service starts while it installs docker.io; removed after.\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	restore_policy
	echo "   installed in $(secs "$t0") s"
fi

# Whatever happens to the tests (a failure, a kill), no daemon and no data are left:
# the Go tests stop theirs with t.Cleanup; this catches a test binary killed before
# its cleanups ran.
work=$(mktemp -d)
chmod 755 "$work"
learner=dockling-learner # see the author test below; removed at the end
. .ci/learner.sh
cleanup() {
	restore_policy
	if id "$learner" >/dev/null 2>&1; then learner_del "$learner"; fi
	tests/testdata/scripts/parity-daemon.sh stop /run/dockling-parity /var/lib/dockling-parity || true
	rm -rf "$work"
}
trap cleanup EXIT

t1=$(date +%s)
echo "== tiers: Debian bookworm root filesystem"
rootfs=$(tests/testdata/scripts/bookworm-rootfs.sh)
echo "   $rootfs ready in $(secs "$t1") s"

# The embedded lessons' own author test (content/internal/authortest: every reference
# solution and wrong answer, checked) takes a real ubuntu from a docker-save archive;
# here that is the Debian root filesystem, imported and saved by dockling.
t2=$(date +%s)
go build -o "$work/dockling" ./cmd/dockling
DOCKLING_ROOT=$work/root "$work/dockling" import "$rootfs" ubuntu >/dev/null
DOCKLING_ROOT=$work/root "$work/dockling" save -o "$work/ubuntu.tar" ubuntu
chmod 644 "$work/ubuntu.tar" # TestCommitAsUser loads it as the unprivileged user
rm -rf "$work/root"
echo "   ubuntu archive for the lessons' author test ready in $(secs "$t2") s"

t3=$(date +%s)
echo "== tiers: DOCKLING_TIERS=1 go test -count=1 -p 1 -v ./tests/... ./content/internal/authortest/"
set +e
DOCKLING_TIERS=1 DOCKLING_TIERS_ROOTFS="$rootfs" DOCKLING_PARITY_REPORT="$work/parity-report.txt" \
	DOCKLING_TEST_UBUNTU_TAR="$work/ubuntu.tar" \
	go test -count=1 -p 1 -v -timeout 45m ./tests/... ./content/internal/authortest/ 2>&1 | tee "$work/test.log"
status=${PIPESTATUS[0]}
set -e
echo "   tests took $(secs "$t3") s"

# The command line's own `dockling author test` on every embedded lesson, as an
# instructor runs it offline: the real ubuntu is the Debian root filesystem, found in
# an images folder (--images) rather than pulled. As root, then as the unprivileged
# user (rootless), each in a data root of its own.
t4=$(date +%s)
mkdir -p "$work/images" "$work/lessons"
cp "$work/ubuntu.tar" "$work/images/ubuntu.tar"
cp content/*.yaml "$work/lessons/"
chmod -R a+rX "$work/images" "$work/lessons"
author_test() { # author_test WHO LESSONS CMD...: runs dockling author test through CMD
	local who=$1 lessons=$2
	shift 2
	echo "== tiers: dockling author test --images (as $who)"
	if ! "$@" env DOCKLING_ROOT="$work/author-$who" HOME="$work/home-$who" \
		"$work/dockling" author test --images "$work/images" $lessons; then
		echo "   FAILED: dockling author test as $who"
		status=1
	fi
}
author_test root "$work/lessons"
# The unprivileged run is a learner on a laptop: a user of their own with a range of
# subordinate ids (as adduser gives one), so dockling maps 65536 ids through newuidmap
# and apt-get in the container can change to its own _apt user as the lesson says.
# (The Go tiers cover the user without a range, where apt needs its sandbox option.)
learner_add "$learner" "$work/home-user" 3000000
mkdir -p "$work/home-user" "$work/author-user"
chown "$learner:" "$work/home-user" "$work/author-user"
# Every lesson: commit, diff and export read the files the container gave to other
# ids (apt-get's) as the containers' root, in a helper with the same id mapping.
author_test user "$work/lessons" setpriv --reuid="$learner" --regid="$learner" --init-groups
echo "   author tests took $(secs "$t4") s"

echo "== tiers: summary"
grep -E '^(ok|FAIL)\s|--- (FAIL|SKIP)' "$work/test.log" | sed 's/^/   /' || true
# The gate is on: a skipped test, or a package that ran no test, proved nothing.
skipped=$(grep -cE -- '--- SKIP|^testing: warning: no tests to run' "$work/test.log" || true)
if [ "$skipped" -gt 0 ]; then
	echo "   $skipped test(s) skipped or not run although the tiers are on: each must run (see the reasons above)"
	[ "$status" != 0 ] || status=1
fi
if [ -s "$work/parity-report.txt" ]; then
	echo "== tiers: differences between dockling and Docker (shown side by side above)"
	grep -E '^\[TestAgainstDocker' "$work/parity-report.txt" | sed 's/^/   /'
fi
echo "== tiers: $([ "$status" = 0 ] && echo passed || echo FAILED) in $(secs "$t0") s"
exit "$status"
