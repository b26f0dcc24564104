#!/usr/bin/env bash
# run.sh runs a command against a local DynamoDB-compatible server (dynalite).
#
# Usage: internal/dynalite/run.sh CMD [ARGS...]
#
# It installs dynalite into .tools/dynalite if it is missing, starts it on a
# free loopback port, exports BATCHUTILS_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT,
# runs CMD and exits with CMD's status. The server is stopped when CMD ends or
# fails, and when this script gets INT, TERM or HUP (the signal is passed on to
# CMD first). If BATCHUTILS_DYNAMODB_ENDPOINT is already set, CMD runs with it
# as is and no server is started: that is how to test against a server of your
# own. The machinery is internal/localserver/lib.sh.
#
# Environment:
#   DYNALITE_DIR            install directory (default: REPO/.tools/dynalite)
#   DYNALITE_START_TIMEOUT  seconds to wait for the server to answer (default: 10)
#   NODE, NPM               node and npm commands (default: node, npm)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../localserver/lib.sh
source "$root/internal/localserver/lib.sh"

server=dynalite
server_version=4.0.0
endpoint_var=BATCHUTILS_DYNAMODB_ENDPOINT
start_timeout=${DYNALITE_START_TIMEOUT:-10}
dir=${DYNALITE_DIR:-$root/.tools/dynalite}

server_prepare() { npm_install dynalite "$server_version" "$dir"; }

server_exec() {
	exec "$node" "$dir/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$1" \
		--createTableMs 0 --deleteTableMs 0 --updateTableMs 0
}

localserver_main "$@"
