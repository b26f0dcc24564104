package kinesisbatch_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
)

// BenchmarkShards puts records into an in-memory stream of 4 shards that
// enforces Kinesis's limits on each shard (testutil.ShardedKinesis: 1,000
// records/s and 1 MiB/s, token buckets of one second, per-record
// ProvisionedThroughputExceededException beyond them), with and without
// Config.Aggregate, for records of 100 bytes and 1 KiB keyed by 1,000
// users; keys=hot sends half the records to keys of one shard;
// transport=http puts the real SDK client and HTTP between the dispatcher
// and the stream (testutil.ShardedKinesisHandler). Each
// sub-benchmark first runs one untimed round (the rate control learns the
// shards' limits), then empties the shards' buckets, so that their burst
// is not counted: the figures are the sustained rate.
// It reports user records/s; limit-share, the share of what the shards'
// byte limits allow that the user records' data fills (with keys=hot, of
// what the hot shard allows: twice its limit); the process's CPU per user
// record (the fake's included); and the Kinesis records throttled per user
// record.
//
//	go test -run '^$' -bench Shards -benchtime 3x -count 3 ./kinesisbatch/
func BenchmarkShards(b *testing.B) {
	const shards, users = 4, 1_000
	for _, tc := range []struct {
		size int
		agg  bool
		hot  bool
		http bool
	}{
		{100, false, false, false}, {100, true, false, false}, {1024, false, false, false}, {1024, true, false, false},
		{100, true, true, false},
		{100, false, false, true}, {100, true, false, true},
	} {
		name := fmt.Sprintf("size=%d/aggregate=%v", tc.size, tc.agg)
		if tc.hot {
			name += "/keys=hot"
		}
		if tc.http {
			name += "/transport=http"
		}
		b.Run(name, func(b *testing.B) {
			f := testutil.NewShardedKinesis(shards)
			var client interface {
				kinesisbatch.Client
				kinesisbatch.ShardLister
			} = f
			if tc.http {
				srv := httptest.NewServer(testutil.ShardedKinesisHandler(f))
				defer srv.Close()
				client = testutil.NewKinesisClient(b, srv.URL, testutil.ClientOptions{})
			}
			keys := benchKeys(f, users, tc.hot)
			// What the shards' byte limits allow, in bytes of data per second.
			allowed := float64(shards * testutil.ShardBytesPerSecond)
			if tc.hot {
				allowed = 2 * testutil.ShardBytesPerSecond
			}
			// About two seconds of that per round.
			n := int(2 * allowed / float64(tc.size+16))
			if !tc.agg {
				n = 2 * shards * min(testutil.ShardRecordsPerSecond, testutil.ShardBytesPerSecond/tc.size)
			}
			d, err := kinesisbatch.New[kinesisbatch.Record](client, kinesisbatch.Config{Stream: "s", Aggregate: tc.agg})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close(context.Background())
			data := make([]byte, tc.size)
			round := func(ctx context.Context) {
				for i := range n {
					if err := d.Put(ctx, kinesisbatch.Record{Data: data, PartitionKey: keys[i%len(keys)]}); err != nil {
						b.Fatal(err)
					}
				}
				if err := d.Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			round(ctx)
			f.Drain()
			throttledBefore := throttledRecords(f)
			b.ReportAllocs()
			cpu0, start := processCPU(), time.Now()
			for b.Loop() {
				round(ctx)
			}
			elapsed, cpu := time.Since(start), processCPU()-cpu0
			total := float64(b.N * n)
			rate := total / elapsed.Seconds()
			b.ReportMetric(rate, "records/s")
			b.ReportMetric(rate*float64(tc.size)/allowed, "limit-share")
			b.ReportMetric(float64(cpu.Nanoseconds())/total, "cpu-ns/record")
			b.ReportMetric(float64(throttledRecords(f)-throttledBefore)/total, "throttled/record")
		})
	}
}

// benchKeys returns users partition keys; with hot, every other one is a
// key of the first shard, the others keys of the other shards.
func benchKeys(f *testutil.ShardedKinesis, users int, hot bool) []string {
	keys := make([]string, 0, users)
	var first, other []string
	for i := 0; len(keys) < users; i++ {
		k := "user-" + strconv.Itoa(i)
		if !hot {
			keys = append(keys, k)
			continue
		}
		h, _ := testutil.KinesisHashKey(k, "")
		if f.ShardOf(h) == "shardId-000000000000" {
			first = append(first, k)
		} else {
			other = append(other, k)
		}
		if len(first) > 0 && len(other) > 0 {
			keys = append(keys, first[0], other[0])
			first, other = first[1:], other[1:]
		}
	}
	return keys
}

// throttledRecords returns the Kinesis records f refused, on every shard.
func throttledRecords(f *testutil.ShardedKinesis) int {
	n := 0
	for _, s := range f.Stats() {
		n += s.Throttled
	}
	return n
}
