#!/usr/bin/env bash
# run.sh runs a command against a local SQS-compatible server (moto_server).
#
# Usage: internal/moto/run.sh CMD [ARGS...]
#
# It starts moto_server on a free loopback port, waits until it answers,
# exports BATCHUTILS_SQS_ENDPOINT=http://127.0.0.1:PORT, runs CMD and exits with
# CMD's status. The server is stopped when CMD ends or fails, and when this
# script gets INT, TERM or HUP (the signal is passed on to CMD first). No
# process started here outlives the script, unless the script itself is killed
# with SIGKILL.
#
# moto is a Python package and is not installed by this script: where
# moto_server is missing it fails and says how to get it
# (pip install "moto[server]"; moto 5.2.1 is what the project's machines have).
#
# If BATCHUTILS_SQS_ENDPOINT is already set, CMD runs with it as is and no
# server is started: that is how to test against a server of your own.
#
# CMD runs in its own process group so that a signal reaches all of it (go test
# and the test binary it starts). When stdin is a terminal, CMD reads
# /dev/null instead: a background process group must not read the terminal.
#
# Environment:
#   MOTO_SERVER         the moto_server command (default: moto_server on PATH,
#                       else ~/.pyenv/shims/moto_server)
#   MOTO_START_TIMEOUT  seconds to wait for the server to answer (default: 20)
# shellcheck disable=SC2317 # functions run from traps look unreachable
set -euo pipefail

prog=${0##*/}

die() {
	echo "$prog: $*" >&2
	exit 1
}

if [ $# -eq 0 ]; then
	echo "usage: $prog CMD [ARGS...]" >&2
	exit 2
fi

if [ -n "${BATCHUTILS_SQS_ENDPOINT:-}" ]; then
	echo "$prog: using BATCHUTILS_SQS_ENDPOINT=$BATCHUTILS_SQS_ENDPOINT" >&2
	exec "$@"
fi

start_timeout=${MOTO_START_TIMEOUT:-20}
moto=${MOTO_SERVER:-}
if [ -z "$moto" ]; then
	if command -v moto_server >/dev/null 2>&1; then
		moto=moto_server
	elif [ -x "$HOME/.pyenv/shims/moto_server" ]; then
		moto=$HOME/.pyenv/shims/moto_server
	fi
fi
if [ -z "$moto" ] || ! command -v "$moto" >/dev/null 2>&1; then
	die 'moto_server not found: install it with pip install "moto[server]" (Python 3.9 or later), set MOTO_SERVER to its path, or set BATCHUTILS_SQS_ENDPOINT to a server of your own'
fi

moto_pid=
cmd_pid=
cmd_pgid=
log=$(mktemp "${TMPDIR:-/tmp}/moto.XXXXXX")

# stop_moto stops the server and waits for it.
stop_moto() {
	if [ -n "$moto_pid" ]; then
		kill -TERM -- "-$moto_pid" 2>/dev/null || kill -TERM "$moto_pid" 2>/dev/null || true
		wait "$moto_pid" 2>/dev/null || true
		moto_pid=
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
	stop_moto
	rm -f "$log"
}

on_signal() {
	local sig=$1
	trap '' INT TERM HUP
	echo "$prog: got SIG$sig, stopping" >&2
	stop_cmd "$sig"
	stop_moto
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

# answers reports whether moto on 127.0.0.1:$1 answers HTTP (its dashboard
# API lists what it holds).
answers() {
	if command -v curl >/dev/null 2>&1; then
		curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$1/moto-api/data.json"
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
	"$moto" -H 127.0.0.1 -p "$port" </dev/null >"$log" 2>&1 &
	moto_pid=$!
	set +m # job control stays off otherwise: no job status lines on stderr
	deadline=$((SECONDS + start_timeout))
	until answers "$port"; do
		if gone "$moto_pid"; then
			wait "$moto_pid" 2>/dev/null || true
			moto_pid=
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			stop_moto
			echo "$prog: moto_server did not answer on 127.0.0.1:$port within ${start_timeout}s; its output:" >&2
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
	echo "$prog: moto_server failed to start on port $p (attempt $attempt):" >&2
	cat "$log" >&2
done
[ -n "$port" ] || die "could not start moto_server; see the output above"

export BATCHUTILS_SQS_ENDPOINT=http://127.0.0.1:$port
echo "$prog: moto_server at $BATCHUTILS_SQS_ENDPOINT (pid $moto_pid)" >&2

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
