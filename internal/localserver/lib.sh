# lib.sh is the machinery of the scripts that run a command against a local
# server (internal/dynalite/run.sh, internal/kinesalite/run.sh,
# internal/moto/run.sh): sourced by them, never run on its own.
#
# A script sets, before it calls localserver_main "$@":
#   server          the server's name, for messages (dynalite)
#   server_version  its version, for messages ("" if unknown)
#   endpoint_var    the variable to export (BATCHUTILS_DYNAMODB_ENDPOINT)
#   start_timeout   seconds to wait for the server to answer
# and defines:
#   server_prepare  installs the server or checks that it is there; it runs
#                   only when endpoint_var is not already set
#   server_exec P   execs the server in the foreground on 127.0.0.1:P
#
# localserver_main CMD [ARGS...] starts the server on a free loopback port,
# exports endpoint_var=http://127.0.0.1:PORT, runs CMD and exits with CMD's
# status. The server is stopped when CMD ends or fails, and when the script
# gets INT, TERM or HUP (the signal is passed on to CMD first). No process
# started here outlives the script, unless the script itself is killed with
# SIGKILL. If endpoint_var is already set, CMD runs with it as is.
#
# CMD runs in its own process group so that a signal reaches all of it (go test
# and the test binary it starts). When stdin is a terminal, CMD reads
# /dev/null instead: a background process group must not read the terminal.
# shellcheck shell=bash disable=SC2317 # functions run from traps look unreachable

prog=${0##*/}

die() {
	echo "$prog: $*" >&2
	exit 1
}

# npm_install PACKAGE VERSION DIR installs PACKAGE@VERSION into DIR unless it
# is there already, with node and npm ($NODE, $NPM).
npm_install() {
	local pkg=$1 version=$2 dir=$3 npm_log
	node=${NODE:-node}
	local npm=${NPM:-npm}
	command -v "$node" >/dev/null 2>&1 || die "node not found: install Node.js 20 or later, or set $endpoint_var"
	if [ "$(npm_installed "$pkg" "$dir")" != "$version" ]; then
		command -v "$npm" >/dev/null 2>&1 || die "npm not found: it is needed once to install $pkg into $dir"
		mkdir -p "$dir"
		# Two runs starting at once (make -j) must not both install.
		if command -v flock >/dev/null 2>&1; then
			exec 9>"$dir/.install.lock"
			flock 9
		fi
	fi
	if [ "$(npm_installed "$pkg" "$dir")" != "$version" ]; then
		echo "$prog: installing $pkg@$version into $dir" >&2
		if ! npm_log=$("$npm" install --no-audit --no-fund --no-update-notifier --save-exact \
			--loglevel=error --prefix "$dir" "$pkg@$version" </dev/null 2>&1); then
			echo "$npm_log" >&2
			die "npm install $pkg@$version failed"
		fi
		[ "$(npm_installed "$pkg" "$dir")" = "$version" ] || die "$pkg@$version is not in $dir after npm install"
	fi
	exec 9>&- # release the install lock, if taken
}

# npm_installed PACKAGE DIR prints the version of PACKAGE installed in DIR, if
# any.
npm_installed() {
	[ -f "$2/node_modules/$1/package.json" ] || return 0
	"$node" -p "require(process.argv[1]).version" "$2/node_modules/$1/package.json" 2>/dev/null || true
}

server_pid=
cmd_pid=
cmd_pgid=
log=

# stop_server stops the server and waits for it.
stop_server() {
	if [ -n "$server_pid" ]; then
		kill -TERM -- "-$server_pid" 2>/dev/null || kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=
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
	stop_server
	rm -f "$log"
}

on_signal() {
	local sig=$1
	trap '' INT TERM HUP
	echo "$prog: got SIG$sig, stopping" >&2
	stop_cmd "$sig"
	stop_server
	rm -f "$log"
	trap - EXIT "$sig"
	kill "-$sig" $$ # die of the same signal, so that the caller (make) sees it
	exit $((128 + $(kill -l "$sig")))
}

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
	server_exec "$port" </dev/null >"$log" 2>&1 &
	server_pid=$!
	set +m # job control stays off otherwise: no job status lines on stderr
	deadline=$((SECONDS + start_timeout))
	until answers "$port"; do
		if gone "$server_pid"; then
			wait "$server_pid" 2>/dev/null || true
			server_pid=
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			stop_server
			echo "$prog: $server did not answer on 127.0.0.1:$port within ${start_timeout}s; its output:" >&2
			cat "$log" >&2
			exit 1
		fi
		sleep 0.05
	done
}

localserver_main() {
	if [ $# -eq 0 ]; then
		echo "usage: $prog CMD [ARGS...]" >&2
		exit 2
	fi
	if [ -n "${!endpoint_var:-}" ]; then
		echo "$prog: using $endpoint_var=${!endpoint_var}" >&2
		exec "$@"
	fi
	server_prepare
	log=$(mktemp "${TMPDIR:-/tmp}/$server.XXXXXX")
	trap cleanup EXIT
	trap 'on_signal INT' INT
	trap 'on_signal TERM' TERM
	trap 'on_signal HUP' HUP

	local port= p attempt
	for attempt in 1 2 3 4 5; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		port_in_use "$p" && continue
		if start "$p"; then
			port=$p
			break
		fi
		echo "$prog: $server failed to start on port $p (attempt $attempt):" >&2
		cat "$log" >&2
	done
	[ -n "$port" ] || die "could not start $server; see the output above"

	export "$endpoint_var=http://127.0.0.1:$port"
	echo "$prog: $server${server_version:+ $server_version} at ${!endpoint_var} (pid $server_pid)" >&2

	# CMD runs in a process group of its own (set -m), so that a signal
	# reaches all of it at once and a terminal's Ctrl-C reaches only this
	# script, which passes it on. A background process group must not read
	# the terminal.
	set -m
	if [ -t 0 ]; then
		"$@" </dev/null &
	else
		"$@" &
	fi
	cmd_pid=$! cmd_pgid=$!
	set +m
	local status=0
	wait "$cmd_pid" || status=$?
	cmd_pid=
	exit "$status" # the EXIT trap ends what CMD left behind, then the server
}
