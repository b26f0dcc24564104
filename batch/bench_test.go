package batch_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/batchutils/batchutils/batch"
)

// nopSink accepts everything at once.
type nopSink struct{}

func (nopSink) Limits() batch.Limits {
	return batch.Limits{MaxItems: 25, MaxItemBytes: 400_000, MaxBatchBytes: 16_000_000}
}

func (nopSink) Measure(it item) (string, int, error) { return it.Key, it.Size, nil }

func (nopSink) Write(context.Context, []item) (batch.Outcome, error) { return batch.Outcome{}, nil }

func benchItems(n int, keyed bool) []item {
	items := make([]item, n)
	for i := range items {
		items[i].Size = 100
		if keyed {
			items[i].Key = strconv.Itoa(i)
		}
	}
	return items
}

// BenchmarkSubmit measures Submit into a sink that does nothing: the cost of
// the core per item, batching and dispatch included. nokey and keyed submit
// from one goroutine, each item of keyed with a key of its own; /parallel
// submits the same from GOMAXPROCS goroutines, and keyed/dupes as well, but
// with every goroutine walking the same keys, so that a Submit often meets
// a pending item of its key, which it replaces.
func BenchmarkSubmit(b *testing.B) {
	for _, keyed := range []bool{false, true} {
		name := "nokey"
		if keyed {
			name = "keyed"
		}
		items := benchItems(1<<16, keyed)
		b.Run(name, func(b *testing.B) {
			d, err := batch.New[item](nopSink{}, batch.Config{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := d.Submit(ctx, items[i&(len(items)-1)]); err != nil {
					b.Fatal(err)
				}
				i++
				if i&(len(items)-1) == 0 && keyed {
					// Keys repeat: let the pending ones go first.
					if err := d.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := d.Close(ctx); err != nil {
				b.Fatal(err)
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) { benchSubmitParallel(b, items, false) })
		if keyed {
			b.Run(name+"/dupes", func(b *testing.B) { benchSubmitParallel(b, items, true) })
		}
	}
}

// benchSubmitParallel submits items from GOMAXPROCS goroutines, with
// duplicates replaced. Each goroutine walks the items from a place of its
// own, an eighth of them apart, so that the keys pending are distinct; with
// dupes, every goroutine walks them from the first, and submits each key
// about when the others do, while it may still be pending.
func benchSubmitParallel(b *testing.B, items []item, dupes bool) {
	d, err := batch.New[item](nopSink{}, batch.Config{Duplicates: batch.ReplaceDuplicates})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	var goroutines atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		if !dupes {
			i = int(goroutines.Add(1)-1) * len(items) / 8
		}
		for pb.Next() {
			if err := d.Submit(ctx, items[i&(len(items)-1)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	if err := d.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
