package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// streamBenchmarks are the end-to-end benchmarks of the stream services,
// each on its in-process fake endpoint, with their labels.
var streamBenchmarks = []struct{ name, label string }{
	{"BenchmarkSQS", "SQS (SendMessageBatch, 10 per call)"},
	{"BenchmarkKinesis", "Kinesis (PutRecords, 500 per call)"},
}

// Targets of ours against the raw loop on SQS and Kinesis.
const (
	streamMinThroughput = 0.95 // ours/raw items/s, at least
	streamMaxCPU        = 1.05 // ours/raw CPU per item, at most
)

// roundRatios returns the ratios of a's values of unit to b's, round by
// round: bench.sh runs every contender once per round, in turn, so the
// i-th value of each comes from the same round.
func (r results) roundRatios(a, b, unit string) []float64 {
	x, y := r[a][unit], r[b][unit]
	out := make([]float64, 0, min(len(x), len(y)))
	for i := range min(len(x), len(y)) {
		if y[i] != 0 {
			out = append(out, x[i]/y[i])
		}
	}
	return out
}

// normalized divides each round's CPU ratio by its ratio of the fake
// server's CPU per item: the server does the same work for both contenders
// (the same calls of the same size), so that ratio is how much slower the
// shared machine ran during ours' run than during raw's, and dividing by it
// takes that out. It is a second view, not a replacement: the server's code
// is not the client's, and does not slow down in the same way.
func normalized(cpu, srv []float64) []float64 {
	out := make([]float64, 0, len(cpu))
	for i := range min(len(cpu), len(srv)) {
		if srv[i] != 0 {
			out = append(out, cpu[i]/srv[i])
		}
	}
	return out
}

// spread formats the median of ratios and their range, as "0.98 (0.95–1.01)",
// or "–" without any.
func spread(ratios []float64) string {
	if len(ratios) == 0 {
		return "–"
	}
	vs := slices.Sorted(slices.Values(ratios))
	med := medianOf(vs)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	return fmt.Sprintf("%s (%s–%s)", f(med), f(vs[0]), f(vs[len(vs)-1]))
}

// medianOf returns the median of sorted values, which must not be empty.
func medianOf(vs []float64) float64 {
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

// verdict says whether every ratio is within the target, or only the
// median, or not even that.
func verdict(ratios []float64, ok func(float64) bool) string {
	if len(ratios) == 0 {
		return "–"
	}
	n := 0
	for _, v := range ratios {
		if ok(v) {
			n++
		}
	}
	med := medianOf(slices.Sorted(slices.Values(ratios)))
	switch {
	case n == len(ratios):
		return "met in every round"
	case ok(med):
		return fmt.Sprintf("median met, %d of %d rounds", n, len(ratios))
	}
	return fmt.Sprintf("missed, %d of %d rounds", n, len(ratios))
}

// verdicts says whether ratios of items/s and of CPU per item, ours over
// raw's, meet their targets.
func verdicts(items, cpu []float64) (string, string) {
	return verdict(items, func(v float64) bool { return v >= streamMinThroughput }),
		verdict(cpu, func(v float64) bool { return v <= streamMaxCPU })
}

// streams prints the table of the SQS and Kinesis benchmarks: ours against
// the raw loop, each ratio as its median over the rounds with its range,
// and whether it meets its target.
func streams(w io.Writer, r results) {
	if !r.has("BenchmarkSQS") && !r.has("BenchmarkKinesis") {
		return
	}
	fmt.Fprintf(w, "\nEnd to end, SQS and Kinesis on fake endpoints (ratios: median over the rounds, range in brackets; CPU is the client's, the fake server's handlers taken out, and server-normalized also divided by the ratio of the server's CPU per item in the same round, a gauge of how fast the shared machine ran; targets: ours/raw items/s ≥ %.2f, CPU ≤ %.2f):\n\n",
		streamMinThroughput, streamMaxCPU)
	fmt.Fprintln(w, "| service | in flight | rounds | ours items/s | raw items/s | **ours/raw** items/s | ours CPU µs/item | raw CPU µs/item | **ours/raw** CPU | ours/raw CPU, server-normalized | ours allocs/item | raw allocs/item | items/s target | CPU target |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|")
	for _, b := range streamBenchmarks {
		for _, n := range []int{4, 16} {
			base := fmt.Sprintf("%s/inflight=%d/impl=", b.name, n)
			ours, raw := base+"ours", base+"raw"
			if _, ok := r[ours]; !ok {
				continue
			}
			items := r.roundRatios(ours, raw, "items/s")
			cpu := r.roundRatios(ours, raw, "cli-cpu-ns/item")
			norm := normalized(cpu, r.roundRatios(ours, raw, "srv-cpu-ns/item"))
			itemsVerdict, cpuVerdict := verdicts(items, cpu)
			fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				b.label, n, len(items),
				r.cell(ours, "items/s", 1, 0), r.cell(raw, "items/s", 1, 0), spread(items),
				r.cell(ours, "cli-cpu-ns/item", 1000, 2), r.cell(raw, "cli-cpu-ns/item", 1000, 2), spread(cpu), spread(norm),
				r.cell(ours, "allocs/item", 1, 1), r.cell(raw, "allocs/item", 1, 1), itemsVerdict, cpuVerdict)
		}
	}
}
