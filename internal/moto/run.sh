#!/usr/bin/env bash
# run.sh runs a command against a local moto_server, which serves SQS,
# CloudWatch, Firehose (to S3), EventBridge and SNS on one port.
#
# Usage: internal/moto/run.sh CMD [ARGS...]
#
# It starts moto_server on a free loopback port, waits until it answers,
# exports BATCHUTILS_MOTO_ENDPOINT=http://127.0.0.1:PORT, runs CMD and exits with
# CMD's status. The server is stopped when CMD ends or fails, and when this
# script gets INT, TERM or HUP (the signal is passed on to CMD first). If
# BATCHUTILS_MOTO_ENDPOINT is already set, CMD runs with it as is and no server
# is started. The machinery is internal/localserver/lib.sh.
#
# moto is a Python package and is not installed by this script: where
# moto_server is missing it fails and says how to get it
# (pip install "moto[server]"; moto 5.2.1 is what the project's machines have).
#
# Environment:
#   MOTO_SERVER         the moto_server command (default: moto_server on PATH,
#                       else ~/.pyenv/shims/moto_server)
#   MOTO_START_TIMEOUT  seconds to wait for the server to answer (default: 20)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../localserver/lib.sh
source "$root/internal/localserver/lib.sh"

server=moto_server
server_version=
endpoint_var=BATCHUTILS_MOTO_ENDPOINT
start_timeout=${MOTO_START_TIMEOUT:-20}

server_prepare() {
	moto=${MOTO_SERVER:-}
	if [ -z "$moto" ]; then
		if command -v moto_server >/dev/null 2>&1; then
			moto=moto_server
		elif [ -x "$HOME/.pyenv/shims/moto_server" ]; then
			moto=$HOME/.pyenv/shims/moto_server
		fi
	fi
	if [ -z "$moto" ] || ! command -v "$moto" >/dev/null 2>&1; then
		die 'moto_server not found: install it with pip install "moto[server]" (Python 3.9 or later), set MOTO_SERVER to its path, or set BATCHUTILS_MOTO_ENDPOINT to a server of your own'
	fi
}

server_exec() { exec "$moto" -H 127.0.0.1 -p "$1"; }

localserver_main "$@"
