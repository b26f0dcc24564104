package main

import (
	"strings"
	"testing"
)

func TestPaired(t *testing.T) {
	const out = `
BenchmarkPaired/service=dynamodb/inflight=4-2 1 1 ns/op 21.8 ours-allocs/item 7000 ours-cpu-ns/item 200000 ours-items/s 0.90 ours/raw-cpu 1.10 ours/raw-items/s 31.2 raw-allocs/item 7800 raw-cpu-ns/item 180000 raw-items/s
BenchmarkPaired/service=dynamodb/inflight=4-2 1 1 ns/op 21.8 ours-allocs/item 7200 ours-cpu-ns/item 190000 ours-items/s 1.06 ours/raw-cpu 0.93 ours/raw-items/s 31.2 raw-allocs/item 6800 raw-cpu-ns/item 205000 raw-items/s
BenchmarkPaired/service=dynamodb/inflight=4-2 1 1 ns/op 21.8 ours-allocs/item 7100 ours-cpu-ns/item 210000 ours-items/s 0.95 ours/raw-cpu 1.05 ours/raw-items/s 31.2 raw-allocs/item 7400 raw-cpu-ns/item 200000 raw-items/s
BenchmarkPaired/service=kinesis/inflight=16-2 1 1 ns/op 2.0 ours-allocs/item 2000 ours-cpu-ns/item 650000 ours-items/s 0.92 ours/raw-cpu 1.08 ours/raw-items/s 4.6 raw-allocs/item 2200 raw-cpu-ns/item 600000 raw-items/s
`
	r, err := parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var w strings.Builder
	paired(&w, r)
	for _, want := range []string{
		"| DynamoDB (BatchWriteItem, 25 per call) | 4 | 3 | 200000 | 200000 | 1.05 (0.93–1.10) | 7.10 | 7.40 | 0.95 (0.90–1.06) | 21.8 | 31.2 | median met, 2 of 3 rounds | median met, 2 of 3 rounds |",
		"| Kinesis (PutRecords, 500 per call) | 16 | 1 | 650000 | 600000 | 1.08 (1.08–1.08) | 2.00 | 2.20 | 0.92 (0.92–0.92) | 2.0 | 4.6 | met in every round | met in every round |",
	} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("output lacks %q; it is:\n%s", want, w.String())
		}
	}
	if strings.Count(w.String(), "\n|") != 4 {
		t.Errorf("want a header, a rule and two rows; the output is:\n%s", w.String())
	}
	w.Reset()
	paired(&w, results{})
	if w.Len() != 0 {
		t.Errorf("without BenchmarkPaired, want no output; got:\n%s", w.String())
	}
}
