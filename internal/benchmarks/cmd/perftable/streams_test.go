package main

import (
	"strings"
	"testing"
)

func TestStreams(t *testing.T) {
	const out = `
BenchmarkSQS/inflight=4/impl=ours-2 2 1 ns/op 1000 items/s 20000 cli-cpu-ns/item 56 allocs/item 4000 srv-cpu-ns/item
BenchmarkSQS/inflight=4/impl=raw-2 2 1 ns/op 1000 items/s 20000 cli-cpu-ns/item 52 allocs/item 5000 srv-cpu-ns/item
BenchmarkSQS/inflight=4/impl=ours-2 2 1 ns/op 900 items/s 21000 cli-cpu-ns/item 56 allocs/item
BenchmarkSQS/inflight=4/impl=raw-2 2 1 ns/op 1000 items/s 20000 cli-cpu-ns/item 52 allocs/item
BenchmarkSQS/inflight=4/impl=ours-2 2 1 ns/op 1100 items/s 19000 cli-cpu-ns/item 56 allocs/item
BenchmarkSQS/inflight=4/impl=raw-2 2 1 ns/op 1000 items/s 20000 cli-cpu-ns/item 52 allocs/item
BenchmarkKinesis/inflight=16/impl=ours-2 2 1 ns/op 800 items/s 5000 cli-cpu-ns/item 6 allocs/item
BenchmarkKinesis/inflight=16/impl=raw-2 2 1 ns/op 1000 items/s 4000 cli-cpu-ns/item 4 allocs/item
`
	r, err := parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var w strings.Builder
	streams(&w, r)
	for _, want := range []string{
		"| SQS (SendMessageBatch, 10 per call) | 4 | 3 | 1000 | 1000 | 1.00 (0.90–1.10) | 20.00 | 20.00 | 1.00 (0.95–1.05) | 1.25 (1.25–1.25) | 56.0 | 52.0 | median met, 2 of 3 rounds | met in every round |",
		"| Kinesis (PutRecords, 500 per call) | 16 | 1 | 800 | 1000 | 0.80 (0.80–0.80) | 5.00 | 4.00 | 1.25 (1.25–1.25) | – | 6.0 | 4.0 | missed, 0 of 1 rounds | missed, 0 of 1 rounds |",
	} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("output lacks %q; it is:\n%s", want, w.String())
		}
	}
	if strings.Count(w.String(), "\n|") != 4 {
		t.Errorf("want a header, a rule and two rows; the output is:\n%s", w.String())
	}
}
