package benchmarks

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
)

// heapSampleEvery is how often the heap is read while items stream in.
const heapSampleEvery = time.Millisecond

// heapSampler reads the heap in use, and the dispatcher's buffer, at a
// steady pace, and keeps the largest values seen.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup

	peakObjects uint64 // bytes of heap objects, live or not yet swept
	peakLive    uint64 // bytes of heap marked live by the last GC
	peakBuf     int    // items pending or in flight
}

func startHeapSampler(stats func() batch.Stats) *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	read := func() {
		metrics.Read(samples)
		h.peakObjects = max(h.peakObjects, samples[0].Value.Uint64())
		h.peakLive = max(h.peakLive, samples[1].Value.Uint64())
		if stats != nil {
			s := stats()
			h.peakBuf = max(h.peakBuf, s.Pending+s.InFlight)
		}
	}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(heapSampleEvery)
		defer t.Stop()
		for {
			read()
			select {
			case <-t.C:
			case <-h.stop:
				read()
				return
			}
		}
	}()
	return h
}

func (h *heapSampler) finish() {
	close(h.stop)
	h.done.Wait()
}

// BenchmarkStreamHeap streams items, made one at a time as they are put,
// into a dynamo.Dispatcher at its defaults (4 in flight, MaxBuffered
// 1,000, or 10,000 where the name says so, the default before) writing to a
// fake endpoint that takes 1 ms to answer each call, so that Put waits for
// room most of the time. It reports the peak heap, as sampled every
// millisecond, for 100,000 and for 1,000,000 items: bounded by MaxBuffered,
// not by the count, the two are the same; ten times the buffer takes several
// times the heap. impl=raw is the hand-written loop (runRaw) streaming the
// same items to the same endpoint at the same 4 in flight: the heap any
// program writing this stream needs, the floor to hold ours against.
//
//	peak-heap-MB  largest heap in use (objects live or not yet collected)
//	peak-live-MB  largest heap found live by a GC
//	peak-buffered largest number of items pending or in flight (ours)
//	base-heap-MB  heap in use before the first item
func BenchmarkStreamHeap(b *testing.B) {
	fake := &FakeDynamoDB{Delay: time.Millisecond}
	srv := fake.Start()
	defer srv.Close()
	client, closeIdle := newClient(srv.URL)
	defer closeIdle()
	ctx := context.Background()
	for _, run := range []struct {
		items, maxBuffered int
		raw                bool
	}{
		{items: 100_000, maxBuffered: batch.DefaultMaxBuffered},
		{items: 1_000_000, maxBuffered: batch.DefaultMaxBuffered},
		{items: 1_000_000, raw: true},
		{items: 1_000_000, maxBuffered: 10_000},
	} {
		n := run.items
		name := fmt.Sprintf("maxbuffered=%d/items=%d/impl=ours", run.maxBuffered, n)
		if run.raw {
			name = fmt.Sprintf("maxbuffered=none/items=%d/impl=raw", n)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var peakObjects, peakLive uint64
			var peakBuf int
			var base uint64
			var written int64
			m := startMeter(fake)
			for b.Loop() {
				var h *heapSampler
				if run.raw {
					runtime.GC()
					base = heapObjects()
					h = startHeapSampler(nil)
					if _, err := runRawStream(ctx, client, "bench", n, makeItem, batch.DefaultMaxInFlight, false); err != nil {
						b.Fatal(err)
					}
				} else {
					d, err := dynamo.New[Item](client, dynamo.Config{
						Table:        "bench",
						PartitionKey: "id",
						Batch:        batch.Config{MaxBuffered: run.maxBuffered},
					})
					if err != nil {
						b.Fatal(err)
					}
					runtime.GC()
					base = heapObjects()
					h = startHeapSampler(d.Stats)
					for i := range n {
						if err := d.Put(ctx, makeItem(i)); err != nil {
							b.Fatal(err)
						}
					}
					if err := d.Close(ctx); err != nil {
						b.Fatal(err)
					}
				}
				h.finish()
				peakObjects = max(peakObjects, h.peakObjects)
				peakLive = max(peakLive, h.peakLive)
				peakBuf = max(peakBuf, h.peakBuf)
				written += int64(n)
			}
			m.stop(b, written)
			b.ReportMetric(float64(peakObjects)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(peakLive)/(1<<20), "peak-live-MB")
			b.ReportMetric(float64(base)/(1<<20), "base-heap-MB")
			if !run.raw {
				b.ReportMetric(float64(peakBuf), "peak-buffered")
			}
		})
	}
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
