#!/usr/bin/env bash
# fleet.sh runs BenchmarkFleet (eight writers on one throttled table: ours,
# and raw loops in the SDK's adaptive retry mode) for ROUNDS rounds (default
# 3), prints its output for benchstat, and draws the rates over time of the
# last round's runs with the calls over capacity refused into
# $PLOTS/fleet-ours.png and $PLOTS/fleet-adaptive.png (PLOTS defaults to
# ../../docs; empty: no plots). One round takes about 40 s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

go=${GO:-go}
rounds=${ROUNDS:-3}
plots=${PLOTS-../../docs}
timelines=$(mktemp -d)
trap 'rm -rf "$timelines"' EXIT

BENCH_TIMELINE_DIR=$timelines "$go" test -run='^$' -bench='^BenchmarkFleet$' -benchtime=1x -count="$rounds" -timeout=30m .
[[ -n $plots ]] || exit 0
for impl in ours raw-adaptive; do
	series=()
	for i in 0 1 2 3 4 5 6 7 8; do
		case $i in
		0) label='writer 1 (stays)' ;;
		8) label='joins at 4.5 s' ;;
		*) label="writer $((i + 1))" ;;
		esac
		series+=("$label=$timelines/Fleet_mode=refused_impl=${impl}_m$i.csv")
	done
	case $impl in
	ours)
		out=$plots/fleet-ours.png
		title='ours: 8 dispatchers, one table of 20,000 items/s, calls over it refused'
		;;
	*)
		out=$plots/fleet-adaptive.png
		title='raw loops, SDK adaptive retry mode: the same fleet'
		;;
	esac
	"$go" run ./cmd/rateplot -o "$out" -capacity 20000 -smooth 3 -legend-left -ymax 30000 \
		-what 'items/s each writer saw written' -title "$title" "${series[@]}"
	echo "# wrote $out" >&2
done
