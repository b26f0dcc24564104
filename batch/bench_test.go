package batch_test

import (
	"context"
	"strconv"
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
// the core per item, batching and dispatch included.
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
		b.Run(name+"/parallel", func(b *testing.B) {
			d, err := batch.New[item](nopSink{}, batch.Config{Duplicates: batch.ReplaceDuplicates})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
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
		})
	}
}
