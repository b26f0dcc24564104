package benchmarks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Throttling scenarios of BenchmarkThrottle.
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
// counts each contender writes. Ours sends an item left to retry with the
// fresh items pending when its backoff ends, so it needs a run longer than
// a few backoffs to show its steady state: with fewer items, most retries
// come back after the last fresh item was sent and go in calls of their
// own. Raw's rate does not depend on the count (each writer sends a batch
// and waits through its retries, again and again), so it writes fewer where
// it is slow; guregu's waits (from 500 ms per call) make it slower still.
type throttleScenario struct {
	name        string
	throttling  Throttling
	items       int // ours
	rawItems    int
	gureguItems int
}

var throttleScenarios = []throttleScenario{
	// The unthrottled reference for hot keys: the same counts.
	{name: "none", items: 20_000, rawItems: 20_000, gureguItems: 20_000},
	{name: "random=10%", throttling: Throttling{UnprocessedFraction: 0.1, Seed: randomSeed}, items: 20_000, rawItems: 2_000, gureguItems: 100},
	{name: "random=30%", throttling: Throttling{UnprocessedFraction: 0.3, Seed: randomSeed}, items: 20_000, rawItems: 2_000, gureguItems: 100},
	{name: "capacity=unprocessed", throttling: Throttling{Capacity: capacityItemsPerSec, Burst: capacityBurst}, items: 40_000, rawItems: 40_000, gureguItems: 40_000},
	{name: "capacity=refused", throttling: Throttling{Capacity: capacityItemsPerSec, Burst: capacityBurst, RefuseOverCapacity: true}, items: 40_000, rawItems: 40_000, gureguItems: 40_000},
	{name: "hotkeys=5%", throttling: Throttling{HotEvery: hotEvery, HotFor: hotFor}, items: 20_000, rawItems: 2_000, gureguItems: 500},
}

// count returns how many items contender c writes in sc.
func (sc throttleScenario) count(c contender) int {
	switch c.name {
	case "raw":
		return sc.rawItems
	case "guregu":
		return sc.gureguItems
	}
	return sc.items
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
//	items/s-99      the first 99% of the items per second, from the first
//	                call to the end of the 50 ms in which they were all
//	                accepted: the rate without the last few items' long
//	                backoffs
//	cap-frac        capacity runs: the fraction of the capacity sustained,
//	                (accepted - burst) / span / capacity
//	low-ms          capacity runs: the longest time the endpoint accepted
//	                less than 0.7 of the capacity, in 50 ms buckets, after
//	                it first reached it and before 95% of the items were
//	                accepted (Timeline.LongestBelow)
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
			all := makeItems(max(sc.items, sc.rawItems, sc.gureguItems))
			for _, tc := range throttleContenders {
				items := all[:sc.count(tc.c)]
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
		written      int64
		drain        time.Duration
		rate, rate99 float64
		frac, nonHot float64
		low          time.Duration
		iters        int
		tl           Timeline
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
		if t99 := tl.TimeTo(0.99); t99 > 0 {
			rate99 += 0.99 * float64(tl.Total) / t99.Seconds()
		}
		if th := fake.Throttling; th.Capacity > 0 {
			frac += (float64(tl.Total) - th.burst()) / tl.Span.Seconds() / th.Capacity
			low += tl.LongestBelow(0.7*th.Capacity, 0.95)
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
	b.ReportMetric(rate99/k, "items/s-99")
	if fake.Throttling.Capacity > 0 {
		b.ReportMetric(frac/k, "cap-frac")
		b.ReportMetric(float64(low.Milliseconds())/k, "low-ms")
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

// BenchmarkThrottleSpot is not part of make bench: the spot checks of
// docs/performance.md that explain BenchmarkThrottle's figures.
//
//   - scenario=random: ours alone on ten times the items (20,000), so that
//     most of its retries meet fresh items to share a call with, where in
//     BenchmarkThrottle's 2,000 most of them come back after the last fresh
//     item was sent.
//   - scenario=capacity=refused/sdk-attempts=1: the capacity runs with the
//     call refused, on a client whose SDK retryer makes one attempt only, so
//     that each ProvisionedThroughputExceededException reaches the
//     contender (and ours' rate control) at once instead of after the
//     SDK's own wait of up to 2 s.
func BenchmarkThrottleSpot(b *testing.B) {
	for _, p := range []float64{0.1, 0.3} {
		b.Run(fmt.Sprintf("scenario=random=%.0f%%/items=20000", 100*p), func(b *testing.B) {
			fake := &FakeDynamoDB{Throttling: Throttling{UnprocessedFraction: p, Seed: randomSeed}}
			srv := fake.Start()
			defer srv.Close()
			client, closeIdle := newClient(srv.URL)
			defer closeIdle()
			items := makeItems(20_000)
			for _, n := range []int{4, 16} {
				b.Run(fmt.Sprintf("inflight=%d/impl=ours", n), func(b *testing.B) {
					runThrottled(b, contenders[0], fake, func(ctx context.Context) (time.Duration, error) {
						return runOurs(ctx, client, "bench", items, n, false)
					}, len(items))
				})
			}
		})
	}
	b.Run("scenario=capacity=refused/sdk-attempts=1", func(b *testing.B) {
		fake := &FakeDynamoDB{Throttling: Throttling{Capacity: capacityItemsPerSec, Burst: capacityBurst, RefuseOverCapacity: true}}
		srv := fake.Start()
		defer srv.Close()
		client, closeIdle := newClient(srv.URL, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
		defer closeIdle()
		items := makeItems(40_000)
		for _, tc := range throttleContenders[:4] {
			b.Run(fmt.Sprintf("inflight=%d/impl=%s", tc.inFlight, tc.c.name), func(b *testing.B) {
				runThrottled(b, tc.c, fake, func(ctx context.Context) (time.Duration, error) {
					return tc.c.run(ctx, client, "bench", items, tc.inFlight, false)
				}, len(items))
			})
		}
	})
}
