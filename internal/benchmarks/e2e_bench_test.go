package benchmarks

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
)

// Sizes of the end-to-end runs on the fake endpoint.
const (
	fakeItems = 100_000
	// gureguUnprocessedItems is smaller: with unprocessed items guregu waits
	// about half a second per batch (its backoff cannot be configured), so
	// 100,000 items would take most of an hour.
	gureguUnprocessedItems = 100
	// defaultsUnprocessedItems is the size of the run of ours at its
	// defaults, default backoff included (waits from 50 ms), with
	// unprocessed items: the comparison with guregu at its defaults.
	defaultsUnprocessedItems = 2_500
)

// inFlights are the concurrencies measured.
var inFlights = []int{1, 4, 16}

// BenchmarkFake writes small typed items through each contender to the
// in-process fake DynamoDB endpoint, at 1, 4 and 16 calls in flight (guregu
// is serial: 1 only), with every call answered at once, and with 10% of the
// write requests left unprocessed at random (unprocessed=10%: retries
// included, at once for ours and raw). With unprocessed items,
// impl=ours-defaults is ours at every default, backoff included (4 in
// flight), on 2,500 items: the one to hold against guregu at its defaults.
// One op writes all the items; every figure is reported per item.
//
// Compare the contenders with benchstat -col /impl.
func BenchmarkFake(b *testing.B) {
	for _, pct := range []int{0, 10} {
		b.Run(fmt.Sprintf("unprocessed=%d%%", pct), func(b *testing.B) {
			// At random, not every n-th: a dispatcher that puts a retried
			// item at the head of its next call of 25 would meet the same
			// n-th position again and again.
			fake := &FakeDynamoDB{Throttling: Throttling{UnprocessedFraction: float64(pct) / 100, Seed: randomSeed}}
			client := serveDynamoDB(b, fake)
			all := makeItems(fakeItems)
			for _, n := range inFlights {
				for _, c := range contenders {
					if c.serial && n != 1 {
						continue
					}
					items := all
					if c.name == "guregu" && pct > 0 {
						items = all[:gureguUnprocessedItems]
					}
					b.Run(fmt.Sprintf("inflight=%d/impl=%s", n, c.name), func(b *testing.B) {
						runContender(b, c, fake, client, "bench", items, n, pct > 0)
					})
				}
			}
			if pct > 0 {
				c := contender{name: "ours-defaults", run: runOurs}
				b.Run(fmt.Sprintf("inflight=%d/impl=%s", batch.DefaultMaxInFlight, c.name), func(b *testing.B) {
					runContender(b, c, fake, client, "bench", all[:defaultsUnprocessedItems], batch.DefaultMaxInFlight, false)
				})
			}
		})
	}
}

// runContender runs c over items once per b.Loop iteration and reports the
// figures per item.
func runContender(b *testing.B, c contender, fake *FakeDynamoDB, client *dynamodb.Client, table string, items []Item, inFlight int, tiny bool) {
	b.ReportAllocs()
	ctx := context.Background()
	var written int64
	var srv fakeServer // nil against a real server: a nil *FakeDynamoDB in it would not be
	if fake != nil {
		srv = fake
	}
	m := startMeter(srv)
	for b.Loop() {
		if _, err := c.run(ctx, client, table, items, inFlight, tiny); err != nil {
			b.Fatal(err)
		}
		written += int64(len(items))
	}
	m.stop(b, written)
}

// BenchmarkBufferGC is not part of make bench: it measures what the size of
// ours' buffer costs in garbage collection, on the fake endpoint at 4 in
// flight. A dispatcher that runs ahead of its writers holds MaxBuffered
// marshalled items live (about 1 KB each here), which every GC cycle marks
// again; the raw loop holds a few batches.
func BenchmarkBufferGC(b *testing.B) {
	fake := &FakeDynamoDB{}
	client := serveDynamoDB(b, fake)
	items := makeItems(fakeItems)
	for _, maxBuffered := range []int{10_000, batch.DefaultMaxBuffered, 200} {
		c := contender{name: "ours", run: func(ctx context.Context, client *dynamodb.Client, table string, items []Item, inFlight int, _ bool) (time.Duration, error) {
			return runOursConfig(ctx, client, items, dynamo.Config{
				Table:        table,
				PartitionKey: "id",
				Batch:        batch.Config{MaxInFlight: inFlight, MaxBuffered: maxBuffered},
			})
		}}
		b.Run(fmt.Sprintf("maxbuffered=%d/impl=ours", maxBuffered), func(b *testing.B) {
			runContender(b, c, fake, client, "bench", items, 4, false)
		})
	}
	b.Run("maxbuffered=none/impl=raw", func(b *testing.B) {
		runContender(b, contenders[1], fake, client, "bench", items, 4, false)
	})
}
