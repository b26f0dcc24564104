package kinesisbatch_test

import (
	"context"
	"fmt"
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
// users. Each sub-benchmark first runs one untimed round to empty the
// shards' buckets, so that the figures are the sustained rate. It reports
// user records/s, the share of the shards' byte limits that the user
// records' data fills (limit-share), the process's CPU per user record
// (the fake's included) and the Kinesis records throttled per user record.
//
//	go test -run '^$' -bench Shards -benchtime 3x -count 3 ./kinesisbatch/
func BenchmarkShards(b *testing.B) {
	const shards, users = 4, 1_000
	for _, size := range []int{100, 1024} {
		for _, agg := range []bool{false, true} {
			// About two seconds of the stream's capacity per round.
			n := 2 * shards * min(testutil.ShardRecordsPerSecond, testutil.ShardBytesPerSecond/size)
			if agg {
				n = 2 * shards * testutil.ShardBytesPerSecond / (size + 16)
			}
			b.Run(fmt.Sprintf("size=%d/aggregate=%v", size, agg), func(b *testing.B) {
				f := testutil.NewShardedKinesis(shards)
				d, err := kinesisbatch.New[kinesisbatch.Record](f, kinesisbatch.Config{Stream: "s", Aggregate: agg})
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close(context.Background())
				data := make([]byte, size)
				round := func(ctx context.Context) {
					for i := range n {
						if err := d.Put(ctx, kinesisbatch.Record{Data: data, PartitionKey: "user-" + strconv.Itoa(i%users)}); err != nil {
							b.Fatal(err)
						}
					}
					if err := d.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
				ctx := context.Background()
				round(ctx) // empties the buckets
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
				b.ReportMetric(rate*float64(size)/float64(shards*testutil.ShardBytesPerSecond), "limit-share")
				b.ReportMetric(float64(cpu.Nanoseconds())/total, "cpu-ns/record")
				b.ReportMetric(float64(throttledRecords(f)-throttledBefore)/total, "throttled/record")
			})
		}
	}
}

// throttledRecords returns the Kinesis records f refused, on every shard.
func throttledRecords(f *testutil.ShardedKinesis) int {
	n := 0
	for _, s := range f.Stats() {
		n += s.Throttled
	}
	return n
}
