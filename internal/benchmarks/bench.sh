#!/usr/bin/env bash
# bench.sh runs the benchmarks of this module for benchstat and prints their
# output: RUNS rounds (default 6) of the core and end-to-end benchmarks
# (DynamoDB, SQS, Kinesis, and the same three paired), each round running
# every contender once in turn, so that a slow spell of a shared machine does
# not fall on one contender only; then the streaming heap benchmark, once
# (it reports peaks). `make bench` runs it under internal/dynalite/run.sh,
# which sets BATCHUTILS_DYNAMODB_ENDPOINT: without it, the dynalite rows are
# skipped.
#
# Environment: GO (default go), RUNS (default 6), THROTTLE_RUNS (default 3),
# PLOT (default ../../docs/rate-capacity.png; empty: no plot), TIMELINES (a
# directory to keep the timelines in; default: a temporary one).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

go=${GO:-go}
runs=${RUNS:-6}
throttle_runs=${THROTTLE_RUNS:-3}
plot=${PLOT-../../docs/rate-capacity.png}
if [[ -n ${TIMELINES:-} ]]; then
	timelines=$TIMELINES
	mkdir -p "$timelines"
else
	timelines=$(mktemp -d)
	trap 'rm -rf "$timelines"' EXIT
fi

for ((i = 1; i <= runs; i++)); do
	echo "# round $i of $runs" >&2
	# One op is one item: the default benchtime (1s) gives millions.
	"$go" test -run='^$' -bench='^BenchmarkCore$' -count=1 .
	# One op writes 100,000 items (20,000 on dynalite): two ops each.
	"$go" test -run='^$' -bench='^Benchmark(Fake|Dynalite)$' -benchtime=2x -count=1 -timeout=30m .
	# One op sends 20,000 SQS messages or puts 100,000 Kinesis records, on
	# their fake endpoints: two ops each.
	"$go" test -run='^$' -bench='^Benchmark(SQS|Kinesis)$' -benchtime=2x -count=1 -timeout=30m .
	# One op runs ours and raw in turn, ten slices each, on the three fake
	# endpoints: one op each.
	"$go" test -run='^$' -bench='^BenchmarkPaired$' -benchtime=1x -count=1 -timeout=30m .
	if ((i <= throttle_runs)); then
		# One op writes a scenario's items once, with its waits: one op each.
		BENCH_TIMELINE_DIR=$timelines "$go" test -run='^$' -bench='^BenchmarkThrottle$' -benchtime=1x -count=1 -timeout=30m .
	fi
done
if [[ -n $plot && -s $timelines/Throttle_scenario=capacity=unprocessed_inflight=4_impl=ours.csv ]]; then
	"$go" run ./cmd/rateplot -o "$plot" -capacity 20000 -smooth 3 \
		-title 'capacity 20,000 items/s (excess unprocessed), 4 in flight' \
		"ours=$timelines/Throttle_scenario=capacity=unprocessed_inflight=4_impl=ours.csv" \
		"raw=$timelines/Throttle_scenario=capacity=unprocessed_inflight=4_impl=raw.csv"
	echo "# wrote $plot" >&2
fi
"$go" test -run='^$' -bench='^BenchmarkStreamHeap$' -benchtime=1x -count=1 -timeout=10m .
