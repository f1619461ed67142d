#!/usr/bin/env bash
# A private Docker daemon (Debian's docker.io) for comparisons with dockling: its own
# socket, data root, exec root and pid file, no iptables rules, no bridge (containers
# need --network host), and an empty config so /etc/docker/daemon.json does not apply.
#
#   parity-daemon.sh start RUNDIR DATAROOT    # prints the DOCKER_HOST to use; waits until it answers
#   parity-daemon.sh stop  RUNDIR DATAROOT    # removes its containers, stops it, deletes RUNDIR and DATAROOT
#
# This script is the one place the daemon's flags are written: tests/parity starts
# and stops its daemon through it (tierkit.Dockerd); .ci/tiers.sh calls stop from its
# trap in case the test binary was killed before its cleanups ran; bench/compare.sh
# uses start and stop with folders of its own. Exit status of start: 0 when the daemon
# answers, 3 when dockerd exited at start (its log on stderr), 1 otherwise.
set -euo pipefail

cmd=${1:?start or stop}
run=${2:?RUNDIR}
data=${3:?DATAROOT}
sock=$run/docker.sock
pidfile=$run/docker.pid

ours() { # is the pid in our pid file a dockerd using our data root?
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
		tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qx -- "$data" &&
		[ "$(basename "$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n1)")" = dockerd ] &&
		echo "$pid"
}

unmount_under() {
	findmnt -rn -o TARGET | awk -v d="$1" '$0 == d || index($0, d "/") == 1' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

case $cmd in
start)
	if pid=$(ours); then
		echo "parity-daemon.sh: dockerd $pid already runs on $sock" >&2
		echo "unix://$sock"
		exit 0
	fi
	command -v dockerd >/dev/null || {
		echo "parity-daemon.sh: dockerd not found (apt-get install -y docker.io)" >&2
		exit 1
	}
	mkdir -p "$run"
	chmod 700 "$run"
	echo '{}' >"$run/daemon.json"
	setsid dockerd --host "unix://$sock" --data-root "$data" --exec-root "$run/exec" \
		--pidfile "$pidfile" --config-file "$run/daemon.json" \
		--iptables=false --ip6tables=false --bridge=none >"$run/dockerd.log" 2>&1 </dev/null &
	dpid=$!
	for _ in $(seq 1 600); do # up to a minute
		if DOCKER_HOST="unix://$sock" /usr/bin/docker version >/dev/null 2>&1; then
			echo "unix://$sock"
			exit 0
		fi
		if ! kill -0 "$dpid" 2>/dev/null; then
			echo "parity-daemon.sh: dockerd refused to start:" >&2
			tail -n 20 "$run/dockerd.log" >&2
			rm -rf "$run" "$data"
			exit 3
		fi
		sleep 0.1
	done
	echo "parity-daemon.sh: dockerd did not answer within a minute:" >&2
	tail -n 20 "$run/dockerd.log" >&2
	exit 1
	;;
stop)
	if pid=$(ours); then
		ids=$(DOCKER_HOST="unix://$sock" /usr/bin/docker ps -aq 2>/dev/null || true)
		# shellcheck disable=SC2086
		[ -z "$ids" ] || DOCKER_HOST="unix://$sock" /usr/bin/docker rm -f $ids >/dev/null 2>&1 || true
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 300); do # up to 30 s, then its whole process group
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "parity-daemon.sh: dockerd $pid ignored SIGTERM; killing its process group" >&2
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	unmount_under "$data"
	unmount_under "$run"
	rm -rf "$run" "$data"
	;;
*)
	echo "usage: parity-daemon.sh start|stop RUNDIR DATAROOT" >&2
	exit 2
	;;
esac
