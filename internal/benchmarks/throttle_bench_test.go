package benchmarks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Throttling scenarios of BenchmarkThrottle (issue 10).
const (
	// capacityItemsPerSec is the table's capacity in the capacity runs.
	capacityItemsPerSec = 20_000
	// capacityBurst is its token bucket: a quarter of a second's worth. It
	// is more than 16 writers' calls of 25 at once (400), so that the jitter
	// of a shared 2-core machine (a GC pause, a writer descheduled for a few
	// milliseconds) does not waste capacity, and small enough next to the
	// 2 s that 40,000 items take that it does not make the run: the
	// fraction of the capacity sustained counts it out.
	capacityBurst = capacityItemsPerSec / 4
	// hotFor is how long a hot key is throttled after it is first seen;
	// one key in hotEvery is hot (5%).
	hotFor   = 500 * time.Millisecond
	hotEvery = 20
	// randomSeed seeds the random-fraction runs.
	randomSeed = 10
)

// A throttleScenario is one way the fake endpoint pushes back, with the
// counts written: items for ours and raw, gureguItems for guregu, whose
// waits (from 500 ms, per call) make its runs long.
type throttleScenario struct {
	name        string
	throttling  Throttling
	items       int
	gureguItems int
}

var throttleScenarios = []throttleScenario{
	// The unthrottled reference for hot keys: the same count.
	{name: "none", items: 5_000, gureguItems: 5_000},
	{name: "random=10%", throttling: Throttling{UnprocessedFraction: 0.1, Seed: randomSeed}, items: 2_000, gureguItems: 100},
	{name: "random=30%", throttling: Throttling{UnprocessedFraction: 0.3, Seed: randomSeed}, items: 2_000, gureguItems: 100},
	{name: "capacity=unprocessed", throttling: Throttling{Capacity: capacityItemsPerSec, Burst: capacityBurst}, items: 40_000, gureguItems: 40_000},
	{name: "capacity=refused", throttling: Throttling{Capacity: capacityItemsPerSec, Burst: capacityBurst, RefuseOverCapacity: true}, items: 40_000, gureguItems: 40_000},
	{name: "hotkeys=5%", throttling: Throttling{HotEvery: hotEvery, HotFor: hotFor}, items: 5_000, gureguItems: 500},
}

// throttleContenders are the contenders of BenchmarkThrottle, each at its
// concurrency: ours and raw at 4 and 16 in flight, guregu serial. All retry
// with their default backoff (tiny is false): ours and raw the same policy,
// guregu its own.
var throttleContenders = []struct {
	c        contender
	inFlight int
}{
	{contenders[0], 4}, {contenders[1], 4},
	{contenders[0], 16}, {contenders[1], 16},
	{contenders[2], 1},
}

// BenchmarkThrottle writes small typed items through each contender to the
// fake endpoint while it throttles (see throttleScenarios): random fraction
// (10% and 30% of each call's write requests left unprocessed), capacity (a
// token bucket of 20,000 items/s, the excess left unprocessed or the call
// refused with ProvisionedThroughputExceededException), hot keys (5% of the
// keys throttled for their first 500 ms), and none. One op writes all the
// items of the scenario; run it with -benchtime=1x. Beyond the meter's
// figures it reports:
//
//	items           items written per op
//	calls/25        BatchWriteItem calls per 25 items (the ideal is 1/(1-p)),
//	                those refused and those the SDK's retryer sent again
//	                included
//	refused-calls   calls refused whole over capacity, per op
//	drain-ms        from the last Put to Close returning
//	srv-items/s     items the endpoint accepted per second, from its first
//	                call to the last item accepted
//	cap-frac        capacity runs: the fraction of the capacity sustained,
//	                (accepted - burst) / span / capacity
//	nonhot-items/s  hot keys: the items of the other keys accepted per
//	                second while some hot key was still throttled
//
// With BENCH_TIMELINE_DIR set, each run writes the endpoint's accepted items
// per 50 ms to a CSV file there, named after the benchmark, for
// cmd/rateplot.
func BenchmarkThrottle(b *testing.B) {
	for _, sc := range throttleScenarios {
		b.Run("scenario="+sc.name, func(b *testing.B) {
			fake := &FakeDynamoDB{Throttling: sc.throttling}
			srv := fake.Start()
			defer srv.Close()
			client, closeIdle := newClient(srv.URL)
			defer closeIdle()
			all := makeItems(max(sc.items, sc.gureguItems))
			for _, tc := range throttleContenders {
				items := all[:sc.items]
				if tc.c.serial {
					items = all[:sc.gureguItems]
				}
				b.Run(fmt.Sprintf("inflight=%d/impl=%s", tc.inFlight, tc.c.name), func(b *testing.B) {
					runThrottled(b, tc.c, fake, func(ctx context.Context) (time.Duration, error) {
						return tc.c.run(ctx, client, "bench", items, tc.inFlight, false)
					}, len(items))
				})
			}
		})
	}
}

// runThrottled runs one contender once per b.Loop iteration on a fake reset
// before each, and reports the meter's figures and the throttling ones.
func runThrottled(b *testing.B, c contender, fake *FakeDynamoDB, run func(context.Context) (time.Duration, error), n int) {
	b.ReportAllocs()
	ctx := context.Background()
	var (
		written            int64
		drain              time.Duration
		rate, frac, nonHot float64
		iters              int
		tl                 Timeline
	)
	s0 := fake.Stats()
	m := startMeter(fake)
	for b.Loop() {
		fake.Reset()
		d, err := run(ctx)
		if err != nil {
			b.Fatalf("%s: %v", c.name, err)
		}
		tl = fake.Timeline()
		if tl.Total != int64(n) {
			b.Fatalf("%s: the endpoint accepted %d items, want %d", c.name, tl.Total, n)
		}
		written += int64(n)
		drain += d
		rate += tl.Rate()
		if th := fake.Throttling; th.Capacity > 0 {
			frac += (float64(tl.Total) - th.burst()) / tl.Span.Seconds() / th.Capacity
		}
		nonHot += tl.NonHotRate()
		iters++
	}
	s1 := fake.Stats()
	m.stop(b, written)
	k := float64(iters)
	b.ReportMetric(float64(n), "items")
	b.ReportMetric(25*float64(s1.Calls-s0.Calls)/float64(written), "calls/25")
	b.ReportMetric(float64(s1.Throttled-s0.Throttled)/k, "refused-calls")
	b.ReportMetric(float64(drain.Milliseconds())/k, "drain-ms")
	b.ReportMetric(rate/k, "srv-items/s")
	if fake.Throttling.Capacity > 0 {
		b.ReportMetric(frac/k, "cap-frac")
	}
	if fake.Throttling.HotEvery > 0 {
		b.ReportMetric(nonHot/k, "nonhot-items/s")
	}
	if dir := os.Getenv("BENCH_TIMELINE_DIR"); dir != "" {
		if err := writeTimeline(filepath.Join(dir, timelineFile(b.Name())), tl); err != nil {
			b.Fatal(err)
		}
	}
}

// timelineFile names the CSV file of a benchmark's timeline:
// BenchmarkThrottle/scenario=capacity=unprocessed/inflight=4/impl=ours gives
// Throttle_scenario=capacity=unprocessed_inflight=4_impl=ours.csv.
func timelineFile(name string) string {
	name = strings.TrimPrefix(name, "Benchmark")
	name = strings.NewReplacer("/", "_", "%", "pct").Replace(name)
	return name + ".csv"
}

// writeTimeline writes one line per bucket: its start in milliseconds from
// the first call, and the items accepted in it per second.
func writeTimeline(path string, tl Timeline) error {
	var sb strings.Builder
	sb.WriteString("ms,items_per_s\n")
	for i, n := range tl.Accepted {
		fmt.Fprintf(&sb, "%d,%.0f\n", (time.Duration(i) * tl.Bucket).Milliseconds(), float64(n)/tl.Bucket.Seconds())
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}
