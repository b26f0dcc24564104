#!/usr/bin/env bash
# run.sh runs a command against a local Kinesis-compatible server (kinesalite).
#
# Usage: internal/kinesalite/run.sh CMD [ARGS...]
#
# It installs kinesalite into .tools/kinesalite if it is missing, starts it in
# memory (no LevelDB path, so no native build) on a free loopback port, with
# streams that become ACTIVE at once, exports
# BATCHUTILS_KINESIS_ENDPOINT=http://127.0.0.1:PORT, runs CMD and exits with
# CMD's status. The server is stopped when CMD ends or fails, and when this
# script gets INT, TERM or HUP (the signal is passed on to CMD first). If
# BATCHUTILS_KINESIS_ENDPOINT is already set, CMD runs with it as is and no
# server is started. The machinery is internal/localserver/lib.sh.
#
# Environment:
#   KINESALITE_DIR            install directory (default: REPO/.tools/kinesalite)
#   KINESALITE_START_TIMEOUT  seconds to wait for the server to answer (default: 10)
#   KINESALITE_SHARD_LIMIT    shards the account may have in all (default: 100;
#                             kinesalite's own default, 10, is too few for tests
#                             that create streams of several shards in parallel)
#   NODE, NPM                 node and npm commands (default: node, npm)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../localserver/lib.sh
source "$root/internal/localserver/lib.sh"

server=kinesalite
server_version=3.3.3
endpoint_var=BATCHUTILS_KINESIS_ENDPOINT
start_timeout=${KINESALITE_START_TIMEOUT:-10}
dir=${KINESALITE_DIR:-$root/.tools/kinesalite}
shard_limit=${KINESALITE_SHARD_LIMIT:-100}

server_prepare() { npm_install kinesalite "$server_version" "$dir"; }

server_exec() {
	exec "$node" "$dir/node_modules/kinesalite/cli.js" --host 127.0.0.1 --port "$1" \
		--createStreamMs 0 --deleteStreamMs 0 --updateStreamMs 0 \
		--shardLimit "$shard_limit"
}

localserver_main "$@"
