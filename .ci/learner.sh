# Sourced by .ci/tiers.sh and .ci/as-user.sh (as root): a learner on a laptop, an
# unprivileged user of its own with a range of 65536 subordinate ids (as adduser gives
# one), so that dockling maps them through newuidmap.
#
#   learner_add NAME HOME FIRST_SUBID   # (again) creates the user; HOME is not made
#   learner_del NAME                    # removes the user and its ranges

learner_del() {
	userdel "$1" >/dev/null 2>&1 || true
	sed -i "/^$1:/d" /etc/subuid /etc/subgid 2>/dev/null || true
}

learner_add() {
	learner_del "$1"
	touch /etc/subuid /etc/subgid
	PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" useradd --system --no-create-home --home-dir "$2" --shell /bin/sh "$1"
	echo "$1:$3:65536" >>/etc/subuid
	echo "$1:$3:65536" >>/etc/subgid
}
