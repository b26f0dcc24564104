package main

import (
	"strings"
	"testing"
)

func TestThrottleGoals(t *testing.T) {
	const after = `
BenchmarkThrottle/scenario=none/inflight=4/impl=ours-2 1 1 ns/op 20000 items 1000 srv-items/s
BenchmarkThrottle/scenario=random=10%/inflight=4/impl=ours-2 1 1 ns/op 20000 items 1.2 calls/25 900 items/s
BenchmarkThrottle/scenario=random=10%/inflight=4/impl=ours-2 1 1 ns/op 20000 items 1.3 calls/25 1100 items/s
BenchmarkThrottle/scenario=random=10%/inflight=4/impl=raw-2 1 1 ns/op 2000 items 2.2 calls/25 250 items/s
BenchmarkThrottle/scenario=capacity=unprocessed/inflight=4/impl=ours-2 1 1 ns/op 40000 items 1.02 calls/25 0.96 cap-frac 20000 items/s
BenchmarkThrottle/scenario=hotkeys=5%/inflight=4/impl=ours-2 1 1 ns/op 20000 items 700 nonhot-items/s
`
	const before = `
BenchmarkThrottle/scenario=random=10%/inflight=4/impl=ours-2 1 1 ns/op 2000 items 2.2 calls/25 250 items/s
`
	r, err := parse(strings.NewReader(after))
	if err != nil {
		t.Fatal(err)
	}
	b, err := parse(strings.NewReader(before))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	throttle(&out, r, b)
	for _, want := range []string{
		"| 10% unprocessed at random | ours | 4 | 20,000 | 1.25 | – | 1,000 | – | – |  |  | – |",
		"| random=10%: calls/25 over the ideal 1.11 | 4 | 1.12 | ≤ 1.1 | missed |",
		"| random=10%: ours items/s over ours before | 4 | 4.00 | ≥ 3 | met |",
		"| random=10%: ours/raw items/s | 4 | 4.00 | ≥ 3 | met |",
		"| capacity=unprocessed: fraction of the capacity sustained | 4 | 0.96 | ≥ 0.95 | met |",
		"| capacity=unprocessed: calls/25 | 4 | 1.02 | ≤ 1.1 | met |",
		"| hot keys: non-hot items/s over no throttling | 4 | 0.700 | ≥ 0.8 | missed |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q; it is:\n%s", want, out.String())
		}
	}
}
