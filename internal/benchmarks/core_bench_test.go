package benchmarks

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"google.golang.org/api/support/bundler"

	"github.com/batchutils/batchutils/batch"
)

// coreItem is what the core benchmarks submit: a value with a key and a
// size, as a backend's Measure would find them.
type coreItem struct {
	Key  string
	Size int
}

// nopSink is a batch.Sink that takes every batch at once, with DynamoDB's
// limits: what is left is the core's own cost.
type nopSink struct{}

func (nopSink) Limits() batch.Limits {
	return batch.Limits{MaxItems: 25, MaxItemBytes: 400_000, MaxBatchBytes: 16_000_000}
}

func (nopSink) Measure(it coreItem) (string, int, error) { return it.Key, it.Size, nil }

func (nopSink) Write(context.Context, []coreItem) (batch.Outcome, error) { return batch.Outcome{}, nil }

// coreItems are submitted in turn: 65,536 of them, so that a keyed item's
// key is no longer pending when it comes round again.
func coreItems(keyed bool) []coreItem {
	items := make([]coreItem, 1<<16)
	for i := range items {
		items[i].Size = 100
		if keyed {
			items[i].Key = strconv.Itoa(i)
		}
	}
	return items
}

// BenchmarkCore measures the cost per item of the batching core alone:
// batch.Dispatcher (Submit) against google's support/bundler (Add), both
// with batches of 25 and a handler that does nothing, each at its other
// defaults (ours: 4 writers; bundler: 1 handler). ours/keyed also checks each
// item's key for duplicates, as the DynamoDB backend does; bundler has no
// such check. One op is one item; /parallel submits from GOMAXPROCS
// goroutines.
//
// Compare with benchstat -col /impl.
func BenchmarkCore(b *testing.B) {
	ctx := context.Background()
	for _, parallel := range []bool{false, true} {
		mode := "serial"
		if parallel {
			mode = "parallel"
		}
		for _, keyed := range []bool{false, true} {
			name := "ours"
			if keyed {
				name = "ours-keyed"
			}
			items := coreItems(keyed)
			b.Run("submit="+mode+"/impl="+name, func(b *testing.B) {
				cfg := batch.Config{}
				if parallel {
					// Submitters that meet the same key (a goroutine that
					// comes round to the place where another started):
					// the last wins.
					cfg.Duplicates = batch.ReplaceDuplicates
				}
				d, err := batch.New[coreItem](nopSink{}, cfg)
				if err != nil {
					b.Fatal(err)
				}
				submit := func(i int) {
					if err := d.Submit(ctx, items[i&(len(items)-1)]); err != nil {
						b.Error(err)
					}
				}
				runCore(b, parallel, submit, func() {
					if err := d.Close(ctx); err != nil {
						b.Fatal(err)
					}
				}, keyed, func() {
					if err := d.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
		items := coreItems(false)
		b.Run("submit="+mode+"/impl=bundler", func(b *testing.B) {
			bu := bundler.NewBundler(coreItem{}, func(any) {})
			bu.BundleCountThreshold = 25
			submit := func(i int) {
				if err := bu.Add(items[i&(len(items)-1)], 100); err != nil {
					b.Error(err)
				}
			}
			runCore(b, parallel, submit, bu.Flush, false, nil)
		})
	}
}

// runCore calls submit once per op, serially or from parallel goroutines,
// then done, and reports the figures per item. With keyed, flush is called
// each time the items come round again, so that no key is still pending.
// Parallel goroutines each start at a place of their own, an eighth of the
// items apart, so that they do not submit the same keys at once.
func runCore(b *testing.B, parallel bool, submit func(int), done func(), keyed bool, flush func()) {
	b.ReportAllocs()
	var n int64
	m := startMeter(nil)
	if parallel {
		var goroutines atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i := int(goroutines.Add(1)-1) << 13
			for pb.Next() {
				submit(i)
				i++
			}
		})
		n = int64(b.N)
	} else {
		for b.Loop() {
			submit(int(n))
			n++
			if keyed && n&(1<<16-1) == 0 {
				flush()
			}
		}
	}
	done()
	m.stop(b, n)
}
