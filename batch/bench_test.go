package batch_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkSubmitPaired measures what BenchmarkSubmit's nokey and keyed
// measure, in turn within one op: an op submits the 65,536 items of one
// kind and flushes them, then the 65,536 of the other, nokey first in one op
// and keyed first in the next, each into a dispatcher of its own. Where
// BenchmarkSubmit's nokey and keyed run a second or more apart, and a shared
// host's drift in between moves their ratio by a third, here a slowdown
// longer than a few milliseconds falls on both alike. It reports the time
// per item of each kind and keyed/nokey, their ratio; /parallel submits
// each slice from GOMAXPROCS goroutines, each its own part of the items.
func BenchmarkSubmitPaired(b *testing.B) {
	b.Run("serial", func(b *testing.B) { benchSubmitPaired(b, 1) })
	b.Run("parallel", func(b *testing.B) { benchSubmitPaired(b, runtime.GOMAXPROCS(0)) })
}

func benchSubmitPaired(b *testing.B, goroutines int) {
	ctx := context.Background()
	type kind struct {
		items []item
		d     *batch.Dispatcher[item]
		took  time.Duration
		n     int
	}
	var kinds [2]kind // nokey, keyed
	for k := range kinds {
		d, err := batch.New[item](nopSink{}, batch.Config{})
		if err != nil {
			b.Fatal(err)
		}
		kinds[k] = kind{items: benchItems(1<<16, k == 1), d: d}
	}
	// slice submits all of k's items and waits until they are written.
	slice := func(k *kind) {
		start := time.Now()
		var wg sync.WaitGroup
		per := len(k.items) / goroutines
		for g := range goroutines {
			part := k.items[g*per : (g+1)*per]
			wg.Go(func() {
				for _, it := range part {
					if err := k.d.Submit(ctx, it); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err := k.d.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		k.took += time.Since(start)
		k.n += per * goroutines
	}
	// A first pair, not measured, grows the key table and the free lists.
	for k := range kinds {
		slice(&kinds[k])
		kinds[k].took, kinds[k].n = 0, 0
	}
	i := 0
	for b.Loop() {
		slice(&kinds[i%2])
		slice(&kinds[(i+1)%2])
		i++
	}
	for k := range kinds {
		if err := kinds[k].d.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	nokey := float64(kinds[0].took.Nanoseconds()) / float64(kinds[0].n)
	keyed := float64(kinds[1].took.Nanoseconds()) / float64(kinds[1].n)
	b.ReportMetric(nokey, "nokey-ns/item")
	b.ReportMetric(keyed, "keyed-ns/item")
	b.ReportMetric(keyed/nokey, "keyed/nokey")
}
