package main

import (
	"fmt"
	"io"
)

// pairedServices are the services of BenchmarkPaired, with their labels and
// concurrencies.
var pairedServices = []struct {
	name, label string
	inFlights   []int
}{
	{"dynamodb", "DynamoDB (BatchWriteItem, 25 per call)", []int{1, 4, 16}},
	{"sqs", "SQS (SendMessageBatch, 10 per call)", []int{4, 16}},
	{"kinesis", "Kinesis (PutRecords, 500 per call)", []int{4, 16}},
}

// paired prints the table of BenchmarkPaired, where ours and raw run in turn
// within each op, which reports their ratios itself: each ratio as its
// median over the rounds with its range, and whether it meets its target
// (the same as on SQS and Kinesis).
func paired(w io.Writer, r results) {
	if !r.has("BenchmarkPaired") {
		return
	}
	fmt.Fprintf(w, "\nEnd to end, ours and raw in turn within each round (BenchmarkPaired: ratios are the median over the rounds, range in brackets; CPU is the client's, the fake server's handlers taken out; targets: ours/raw items/s ≥ %.2f, CPU ≤ %.2f):\n\n",
		streamMinThroughput, streamMaxCPU)
	fmt.Fprintln(w, "| service | in flight | rounds | ours items/s | raw items/s | **ours/raw** items/s | ours CPU µs/item | raw CPU µs/item | **ours/raw** CPU | ours allocs/item | raw allocs/item | items/s target | CPU target |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|")
	for _, s := range pairedServices {
		for _, n := range s.inFlights {
			name := fmt.Sprintf("BenchmarkPaired/service=%s/inflight=%d", s.name, n)
			if _, ok := r[name]; !ok {
				continue
			}
			items, cpu := r[name]["ours/raw-items/s"], r[name]["ours/raw-cpu"]
			itemsVerdict, cpuVerdict := verdicts(items, cpu)
			fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				s.label, n, len(items),
				r.cell(name, "ours-items/s", 1, 0), r.cell(name, "raw-items/s", 1, 0), spread(items),
				r.cell(name, "ours-cpu-ns/item", 1000, 2), r.cell(name, "raw-cpu-ns/item", 1000, 2), spread(cpu),
				r.cell(name, "ours-allocs/item", 1, 1), r.cell(name, "raw-allocs/item", 1, 1), itemsVerdict, cpuVerdict)
		}
	}
}
