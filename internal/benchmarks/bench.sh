#!/usr/bin/env bash
# bench.sh runs the benchmarks of this module for benchstat and prints their
# output: RUNS rounds (default 6) of the core and end-to-end benchmarks, each
# round running every contender once in turn, so that a slow spell of a
# shared machine does not fall on one contender only; then the streaming heap
# benchmark, once (it reports peaks). `make bench` runs it under
# internal/dynalite/run.sh, which sets BATCHUTILS_DYNAMODB_ENDPOINT: without
# it, the dynalite rows are skipped.
#
# Environment: GO (default go), RUNS (default 6).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

go=${GO:-go}
runs=${RUNS:-6}

for ((i = 1; i <= runs; i++)); do
	echo "# round $i of $runs" >&2
	# One op is one item: the default benchtime (1s) gives millions.
	"$go" test -run='^$' -bench='^BenchmarkCore$' -count=1 .
	# One op writes 100,000 items (20,000 on dynalite): two ops each.
	"$go" test -run='^$' -bench='^Benchmark(Fake|Dynalite)$' -benchtime=2x -count=1 -timeout=30m .
done
"$go" test -run='^$' -bench='^BenchmarkStreamHeap$' -benchtime=1x -count=1 -timeout=10m .
