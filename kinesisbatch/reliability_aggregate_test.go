package kinesisbatch_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
)

// TestReliabilityAggregate is TestReliabilityFaults with Config.Aggregate:
// the proxy fails aggregated records one by one and whole calls, and every
// user record is in the stream exactly once, on its key's shard, and in
// order per key with Ordered.
func TestReliabilityAggregate(t *testing.T) {
	t.Parallel()
	const n, users = 3_000, 60
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			t.Parallel()
			direct, stream := liveStream(t, 3)
			proxy := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{
				Upstream: testutil.KinesisEndpoint(t),
				Seed:     17,
				Rates:    relRates,
			})
			for f := range relRates {
				proxy.Next(f)
			}
			client := testutil.NewKinesisClient(t, proxy.URL, testutil.ClientOptions{Timeout: 5 * time.Second, RetryMaxAttempts: 1})
			d := newDispatcher[event](t, client, kinesisbatch.Config{
				Stream:    stream,
				Ordered:   ordered,
				Aggregate: true,
				Batch:     batch.Config{MaxInFlight: 8, MaxBatchItems: 100, BackOff: relBackOff},
			})
			putConcurrently(t, d, n, users, 4)
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			st, ps := d.Stats(), proxy.Stats()
			t.Logf("proxy: %v", ps)
			t.Logf("stats: %+v", st)
			if st.Written != n || st.Failed != 0 {
				t.Errorf("Stats: written %d, failed %d; want %d and 0", st.Written, st.Failed, n)
			}
			if ps.Withheld == 0 || st.Retries == 0 {
				t.Errorf("no record was failed by the proxy (withheld %d) or retried (%d): the test tests nothing", ps.Withheld, st.Retries)
			}
			stored := checkAggregatedReadBack(t, direct, stream, n, ordered)
			t.Logf("%d user records in %d Kinesis records", n, stored)
		})
	}
}
