package benchmarks

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/batchutils/batchutils/kinesisbatch"
)

// pairedSlices is the number of slices of one op of BenchmarkPaired: each
// contender runs as many, in turn with the other.
const pairedSlices = 10

// pairedDynamoDBSlice is the items of one slice of BenchmarkPaired on
// DynamoDB, a quarter of BenchmarkFake's: 1,000 calls, about a tenth of a
// second at 4 in flight. The SQS and Kinesis slices send all the items of
// BenchmarkSQS and BenchmarkKinesis: 2,000 calls, and 200. Shorter slices
// are mostly the start and the end of a run, whose wall time moves more
// than the host's drift does.
const pairedDynamoDBSlice = fakeItems / 4

// BenchmarkPaired runs ours and raw against the same in-process fake
// endpoint as BenchmarkFake, BenchmarkSQS and BenchmarkKinesis, but in turn
// within one op: ten slices each, ours then raw in one slice, raw then ours
// in the next. A slowdown of the shared machine that lasts longer than a
// slice (a tenth of a second to half a second) then falls on both
// contenders alike, where in the other benchmarks the two contenders of a
// round run a second or more apart, and the host's drift in between moves
// the round's ratio both ways by a fifth. Each slice is a run of its own
// (ours: New, Put or Send each item, Close), over a part of the items.
//
// It reports, for the op as a whole:
//
//	ours/raw-items/s  ours' items per second of its own wall time over raw's
//	ours/raw-cpu      ours' client CPU per item over raw's (the fake
//	                  server's handlers taken out, as in meter.stop)
//	ours-cpu-ns/item, raw-cpu-ns/item, ours-allocs/item, raw-allocs/item
//
// The garbage of one slice may be collected in the next, the other
// contender's: raw makes more, so what crosses over counts against ours
// rather than for it. Run it with -test.benchtime=1x -test.count=N for N
// rounds.
func BenchmarkPaired(b *testing.B) {
	b.Run("service=dynamodb", func(b *testing.B) {
		fake := &FakeDynamoDB{}
		client := serveDynamoDB(b, fake)
		benchPaired(b, fake, inFlights, makeItems(fakeItems), pairedDynamoDBSlice,
			func(ctx context.Context, items []Item, n int) error {
				_, err := runOurs(ctx, client, "bench", items, n, false)
				return err
			},
			func(ctx context.Context, items []Item, n int) error {
				_, err := runRaw(ctx, client, "bench", items, n, false)
				return err
			})
	})
	b.Run("service=sqs", func(b *testing.B) {
		fake, client, queueURL := serveSQS(b)
		bodies := makeBodies(sqsItems)
		benchPaired(b, fake, streamInFlights, bodies, len(bodies),
			func(ctx context.Context, bodies []string, n int) error {
				return runOursSQS(ctx, client, queueURL, bodies, n)
			},
			func(ctx context.Context, bodies []string, n int) error {
				return runRawSQS(ctx, client, queueURL, bodies, n)
			})
	})
	b.Run("service=kinesis", func(b *testing.B) {
		fake, client := serveKinesis(b)
		records := makeRecords(kinesisItems)
		benchPaired(b, fake, streamInFlights, records, len(records),
			func(ctx context.Context, records []kinesisbatch.Record, n int) error {
				return runOursKinesis(ctx, client, "bench", records, n)
			},
			func(ctx context.Context, records []kinesisbatch.Record, n int) error {
				return runRawKinesis(ctx, client, "bench", records, n)
			})
	})
}

// benchPaired runs BenchmarkPaired's sub-benchmark of each concurrency of
// inFlights: ours and raw, each given some of the items and the
// concurrency, in turn over items in slices of per (see runPaired).
func benchPaired[I any](b *testing.B, fake fakeServer, inFlights []int, items []I, per int, ours, raw func(ctx context.Context, items []I, inFlight int) error) {
	for _, n := range inFlights {
		b.Run(fmt.Sprintf("inflight=%d", n), func(b *testing.B) {
			runPaired(b, fake, len(items), per, func(ctx context.Context, isOurs bool, lo, hi int) error {
				run := raw
				if isOurs {
					run = ours
				}
				return run(ctx, items[lo:hi], n)
			})
		})
	}
}

// pairedTotals adds up what one contender used over the slices of an op.
type pairedTotals struct {
	items  int64
	wall   time.Duration
	cpu    time.Duration // the client's: the process's, the fake's handlers taken out
	allocs uint64
}

// runPaired runs ours and raw in turn, in pairedSlices slices of per of the
// items items each, once per b.Loop iteration (see BenchmarkPaired); run
// runs one contender over the items [lo, hi). Slice s takes the per items
// from s*per, around the end of the items, which per divides. A first pair
// of slices, not measured, warms up the heap and the idle connections.
func runPaired(b *testing.B, fake fakeServer, items, per int, run func(ctx context.Context, ours bool, lo, hi int) error) {
	ctx := context.Background()
	if per <= 0 || items%per != 0 {
		b.Fatalf("paired: slices of %d items do not divide %d", per, items)
	}
	for _, ours := range []bool{true, false} {
		if err := run(ctx, ours, 0, per); err != nil {
			b.Fatal(err)
		}
	}
	var totals [2]pairedTotals // ours, raw
	for b.Loop() {
		for s := range pairedSlices {
			lo := s * per % items
			for k := range 2 {
				ours := (s+k)%2 == 0 // ours first in even slices
				t := &totals[1]
				if ours {
					t = &totals[0]
				}
				if err := measureSlice(fake, t, per, func() error { return run(ctx, ours, lo, lo+per) }); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	o, r := totals[0], totals[1]
	if o.items == 0 || r.items == 0 || o.wall <= 0 || r.wall <= 0 {
		b.Fatal("paired: nothing measured")
	}
	perItem := func(d time.Duration, n int64) float64 { return float64(d.Nanoseconds()) / float64(n) }
	oRate, rRate := float64(o.items)/o.wall.Seconds(), float64(r.items)/r.wall.Seconds()
	b.ReportMetric(oRate, "ours-items/s")
	b.ReportMetric(rRate, "raw-items/s")
	b.ReportMetric(oRate/rRate, "ours/raw-items/s")
	b.ReportMetric(float64(o.allocs)/float64(o.items), "ours-allocs/item")
	b.ReportMetric(float64(r.allocs)/float64(r.items), "raw-allocs/item")
	if o.cpu > 0 && r.cpu > 0 {
		oCPU, rCPU := perItem(o.cpu, o.items), perItem(r.cpu, r.items)
		b.ReportMetric(oCPU, "ours-cpu-ns/item")
		b.ReportMetric(rCPU, "raw-cpu-ns/item")
		b.ReportMetric(oCPU/rCPU, "ours/raw-cpu")
	}
}

// measureSlice runs one slice of items items and adds what it used to t.
func measureSlice(fake fakeServer, t *pairedTotals, items int, run func() error) error {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	s0 := fake.Stats()
	cpu0 := ProcessCPU()
	start := time.Now()
	if err := run(); err != nil {
		return err
	}
	wall := time.Since(start)
	cpu := ProcessCPU() - cpu0
	s1 := fake.Stats()
	runtime.ReadMemStats(&m1)
	if s1.Errors != s0.Errors {
		return fmt.Errorf("the fake server refused %d calls; first: %s", s1.Errors-s0.Errors, s1.FirstError)
	}
	t.items += int64(items)
	t.wall += wall
	t.cpu += cpu - (s1.CPU - s0.CPU)
	t.allocs += m1.Mallocs - m0.Mallocs
	return nil
}
