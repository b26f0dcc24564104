#!/usr/bin/env bash
# run.sh runs a command against a local Kinesis-compatible server (kinesalite).
#
# Usage: internal/kinesalite/run.sh CMD [ARGS...]
#
# It installs kinesalite into .tools/kinesalite if it is missing, starts it in
# memory (no LevelDB path, so no native build) on a free loopback port, with
# streams that become ACTIVE at once, exports
# BATCHUTILS_KINESIS_ENDPOINT=http://127.0.0.1:PORT,
# runs CMD and exits with CMD's status. The server is stopped when CMD ends or
# fails, and when this script gets INT, TERM or HUP (the signal is passed on to
# CMD first). No process started here outlives the script, unless the script
# itself is killed with SIGKILL.
#
# If BATCHUTILS_KINESIS_ENDPOINT is already set, CMD runs with it as is and no
# server is started: that is how to test against a server of your own.
#
# CMD runs in its own process group so that a signal reaches all of it (go test
# and the test binary it starts). When stdin is a terminal, CMD reads
# /dev/null instead: a background process group must not read the terminal.
#
# Environment:
#   KINESALITE_DIR            install directory (default: REPO/.tools/kinesalite)
#   KINESALITE_START_TIMEOUT  seconds to wait for the server to answer (default: 10)
#   KINESALITE_SHARD_LIMIT    shards the account may have in all (default: 100;
#                           kinesalite's own default, 10, is too few for tests
#                           that create streams of several shards in parallel)
#   NODE, NPM               node and npm commands (default: node, npm)
# shellcheck disable=SC2317 # functions run from traps look unreachable
set -euo pipefail

readonly kinesalite_version=3.3.3
prog=${0##*/}

die() {
	echo "$prog: $*" >&2
	exit 1
}

if [ $# -eq 0 ]; then
	echo "usage: $prog CMD [ARGS...]" >&2
	exit 2
fi

if [ -n "${BATCHUTILS_KINESIS_ENDPOINT:-}" ]; then
	echo "$prog: using BATCHUTILS_KINESIS_ENDPOINT=$BATCHUTILS_KINESIS_ENDPOINT" >&2
	exec "$@"
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${KINESALITE_DIR:-$root/.tools/kinesalite}
start_timeout=${KINESALITE_START_TIMEOUT:-10}
shard_limit=${KINESALITE_SHARD_LIMIT:-100}
node=${NODE:-node}
npm=${NPM:-npm}
cli=$dir/node_modules/kinesalite/cli.js

command -v "$node" >/dev/null 2>&1 || die "node not found: install Node.js 20 or later, or set BATCHUTILS_KINESIS_ENDPOINT"

# installed_version prints the version of the installed kinesalite, if any.
installed_version() {
	[ -f "$dir/node_modules/kinesalite/package.json" ] || return 0
	"$node" -p "require(process.argv[1]).version" "$dir/node_modules/kinesalite/package.json" 2>/dev/null || true
}

if [ "$(installed_version)" != "$kinesalite_version" ]; then
	command -v "$npm" >/dev/null 2>&1 || die "npm not found: it is needed once to install kinesalite into $dir"
	mkdir -p "$dir"
	# Two runs starting at once (make -j) must not both install.
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$dir/.install.lock"
		flock 9
	fi
fi
if [ "$(installed_version)" != "$kinesalite_version" ]; then
	echo "$prog: installing kinesalite@$kinesalite_version into $dir" >&2
	if ! npm_log=$("$npm" install --no-audit --no-fund --no-update-notifier --save-exact \
		--loglevel=error --prefix "$dir" "kinesalite@$kinesalite_version" </dev/null 2>&1); then
		echo "$npm_log" >&2
		die "npm install kinesalite@$kinesalite_version failed"
	fi
	[ "$(installed_version)" = "$kinesalite_version" ] || die "kinesalite@$kinesalite_version is not in $dir after npm install"
fi
exec 9>&- # release the install lock, if taken

node_pid=
cmd_pid=
cmd_pgid=
log=$(mktemp "${TMPDIR:-/tmp}/kinesalite.XXXXXX")

# stop_node stops the server and waits for it.
stop_node() {
	if [ -n "$node_pid" ]; then
		kill -TERM -- "-$node_pid" 2>/dev/null || kill -TERM "$node_pid" 2>/dev/null || true
		wait "$node_pid" 2>/dev/null || true
		node_pid=
	fi
}

# gone reports whether process $1 has exited (it may be an unreaped zombie).
gone() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	Z* | '') return 0 ;;
	esac
	return 1
}

# stop_cmd passes signal $1 to CMD's process group and waits for all of it to
# end; what is still running 10 seconds later is killed. Without a running
# CMD, it only ends what CMD left behind in its process group.
stop_cmd() {
	local sig=$1 i
	[ -n "$cmd_pgid" ] || return 0
	kill "-$sig" -- "-$cmd_pgid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		if [ -n "$cmd_pid" ] && gone "$cmd_pid"; then
			wait "$cmd_pid" 2>/dev/null || true
			cmd_pid=
		fi
		kill -0 -- "-$cmd_pgid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$cmd_pgid" 2>/dev/null || true
	if [ -n "$cmd_pid" ]; then
		wait "$cmd_pid" 2>/dev/null || true
		cmd_pid=
	fi
	cmd_pgid=
}

cleanup() {
	stop_cmd TERM
	stop_node
	rm -f "$log"
}

on_signal() {
	local sig=$1
	trap '' INT TERM HUP
	echo "$prog: got SIG$sig, stopping" >&2
	stop_cmd "$sig"
	stop_node
	rm -f "$log"
	trap - EXIT "$sig"
	kill "-$sig" $$ # die of the same signal, so that the caller (make) sees it
	exit $((128 + $(kill -l "$sig")))
}

trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# port_in_use reports whether something accepts connections on 127.0.0.1:$1.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# answers reports whether the server on 127.0.0.1:$1 answers HTTP.
answers() {
	if command -v curl >/dev/null 2>&1; then
		curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"
	else
		port_in_use "$1"
	fi
}

# start tries to start the server on port $1; it fails if the server exits
# (for example because another process took the port) or does not answer in
# time.
start() {
	local port=$1 deadline
	set -m # own process group: a terminal's Ctrl-C reaches only this script
	"$node" "$cli" --host 127.0.0.1 --port "$port" \
		--createStreamMs 0 --deleteStreamMs 0 --updateStreamMs 0 \
		--shardLimit "$shard_limit" </dev/null >"$log" 2>&1 &
	node_pid=$!
	set +m # job control stays off otherwise: no job status lines on stderr
	deadline=$((SECONDS + start_timeout))
	until answers "$port"; do
		if gone "$node_pid"; then
			wait "$node_pid" 2>/dev/null || true
			node_pid=
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			stop_node
			echo "$prog: kinesalite did not answer on 127.0.0.1:$port within ${start_timeout}s; its output:" >&2
			cat "$log" >&2
			exit 1
		fi
		sleep 0.05
	done
}

port=
for attempt in 1 2 3 4 5; do
	p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
	port_in_use "$p" && continue
	if start "$p"; then
		port=$p
		break
	fi
	echo "$prog: kinesalite failed to start on port $p (attempt $attempt):" >&2
	cat "$log" >&2
done
[ -n "$port" ] || die "could not start kinesalite; see the output above"

export BATCHUTILS_KINESIS_ENDPOINT=http://127.0.0.1:$port
echo "$prog: kinesalite $kinesalite_version at $BATCHUTILS_KINESIS_ENDPOINT (pid $node_pid)" >&2

# CMD runs in a process group of its own (set -m), so that a signal reaches
# all of it at once and a terminal's Ctrl-C reaches only this script, which
# passes it on. A background process group must not read the terminal.
set -m
if [ -t 0 ]; then
	"$@" </dev/null &
else
	"$@" &
fi
cmd_pid=$! cmd_pgid=$!
set +m
status=0
wait "$cmd_pid" || status=$?
cmd_pid=
exit "$status" # the EXIT trap ends what CMD left behind, then the server
