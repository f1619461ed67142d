#!/usr/bin/env bash
# Builds a minimal Debian bookworm root filesystem tarball with debootstrap, once per
# machine, and prints its path. Later runs reuse it while its stamp matches the recipe
# and the tarball's sha256, and it is younger than DOCKLING_ROOTFS_MAX_AGE_DAYS
# (default 30; the mirror moves on, and apt-get update in the tests copes with an old
# one anyway). An older one is rebuilt; when that fails (no network, say) the old one
# is used with a warning, since it still serves. A tarball that does not match its
# stamp is never used.
#
#   tests/testdata/scripts/bookworm-rootfs.sh            # as root; prints the tarball's path
#
# Environment: DOCKLING_CI_CACHE (default /var/cache/dockling-ci), DOCKLING_DEBIAN_MIRROR
# (default http://deb.debian.org/debian), DOCKLING_ROOTFS_MAX_AGE_DAYS.
#
# The tarball has an empty /dev, /proc and /sys (as an image's should) and no apt lists
# or downloaded packages, so the lecture's apt-get update has work to do. Progress goes
# to stderr; the only line on stdout is the path.
set -euo pipefail

cache=${DOCKLING_CI_CACHE:-/var/cache/dockling-ci}
mirror=${DOCKLING_DEBIAN_MIRROR:-http://deb.debian.org/debian}
max_age=${DOCKLING_ROOTFS_MAX_AGE_DAYS:-30}
out=$cache/bookworm-rootfs.tar
stamp=$out.stamp
# Bump v1 when the recipe below changes: the cached tarball is then rebuilt.
recipe="v1 debootstrap --variant=minbase bookworm $mirror $(dpkg --print-architecture)"

if [ "$(id -u)" != 0 ]; then
	echo "bookworm-rootfs.sh: needs root (debootstrap)" >&2
	exit 1
fi
command -v debootstrap >/dev/null || {
	echo "bookworm-rootfs.sh: debootstrap is not installed (apt-get install -y debootstrap)" >&2
	exit 1
}
mkdir -p "$cache"
chmod 755 "$cache"

# valid: the cached tarball is the one its stamp describes (same recipe, same sha256).
valid() {
	[ -f "$out" ] && [ -f "$stamp" ] && [ "$(head -n1 "$stamp")" = "$recipe" ] &&
		[ "$(sha256sum "$out" | cut -d' ' -f1)" = "$(sed -n 3p "$stamp")" ]
}
young() { [ -z "$(find "$stamp" -mtime +"$max_age")" ]; }

# One builder at a time; a second run waits and then finds the tarball fresh.
exec 9>"$cache/.lock"
flock 9
stale=
if valid; then
	if young; then
		echo "bookworm-rootfs.sh: cached ($(sed -n 2p "$stamp"))" >&2
		echo "$out"
		exit 0
	fi
	stale=1
	echo "bookworm-rootfs.sh: the cached tarball is older than $max_age days: rebuilding" >&2
elif [ -f "$out" ]; then
	echo "bookworm-rootfs.sh: the cached tarball does not match its stamp (recipe or sha256): rebuilding" >&2
fi

work=$(mktemp -d "$cache/build.XXXXXX")
cleanup() {
	# debootstrap mounts /proc and /sys inside the target while it runs and may leave
	# them mounted when it fails: unmount (deepest first) before deleting anything.
	findmnt -rn -o TARGET | awk -v w="$work/" 'index($0, w) == 1' | sort -r | while read -r m; do
		umount -l "$m" || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

echo "bookworm-rootfs.sh: debootstrap --variant=minbase bookworm $mirror (about 30 s)" >&2
start=$(date +%s)
debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
	tail -n 30 "$work/debootstrap.log" >&2
	if [ -n "$stale" ]; then
		echo "bookworm-rootfs.sh: WARNING: debootstrap failed; using the cached tarball, older than $max_age days ($(sed -n 2p "$stamp"))" >&2
		echo "$out"
		exit 0
	fi
	echo "bookworm-rootfs.sh: debootstrap failed" >&2
	exit 1
}
took=$(($(date +%s) - start))
rm -rf "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/var/cache/apt/*.bin "$work"/rootfs/var/cache/apt/archives/*.deb
tar --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" \
	--exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' .
chmod 644 "$work/rootfs.tar"
mv -f "$work/rootfs.tar" "$out"
{
	echo "$recipe"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in ${took}s, $(du -sh "$work/rootfs" | cut -f1) unpacked, $(du -h "$out" | cut -f1) tarball"
	sha256sum "$out" | cut -d' ' -f1
} >"$stamp.tmp"
mv -f "$stamp.tmp" "$stamp"
echo "bookworm-rootfs.sh: $(sed -n 2p "$stamp")" >&2
echo "$out"
