package kinesisbatch_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
)

// relBackOff retries quickly and long enough that no fault mix here can
// exhaust it: exponential waits from 1ms to 20ms, 200 retries.
func relBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(time.Millisecond),
		backoff.WithMaxInterval(20*time.Millisecond),
		backoff.WithMaxElapsedTime(0),
	)
	return backoff.WithMaxRetries(b, 200)
}

// relRates are the faults of the scenarios: every fault that leaves nothing
// applied, so that a retry never puts a record twice. (The others,
// FaultDropAfterWrite, FaultSlow and FaultGarbledAfterWrite, duplicate
// records with Kinesis, which is not idempotent: see docs/kinesis.md.)
var relRates = map[testutil.Fault]float64{
	testutil.FaultUnprocessed:                   0.30, // per-record ProvisionedThroughputExceeded and InternalFailure
	testutil.FaultProvisionedThroughputExceeded: 0.05,
	testutil.FaultThrottling:                    0.05,
	testutil.FaultInternalServerError:           0.05,
	testutil.FaultServiceUnavailable:            0.05,
	testutil.FaultDropConnection:                0.05,
	testutil.FaultGarbled:                       0.03,
}

// TestReliabilityFaults puts records into kinesalite through a fault proxy
// that fails records one by one (ProvisionedThroughputExceededException,
// InternalFailure), throttles, fails and drops whole calls, and checks that
// every record is in the stream exactly once, and in order per key with
// Ordered.
func TestReliabilityFaults(t *testing.T) {
	t.Parallel()
	const n, users = 3_000, 60
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			t.Parallel()
			direct, stream := liveStream(t, 3)
			proxy := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{
				Upstream: testutil.KinesisEndpoint(t),
				Seed:     13,
				Rates:    relRates,
			})
			// Each fault once first, then the random mix.
			for f := range relRates {
				proxy.Next(f)
			}
			// The SDK does not retry: every retry is the dispatcher's.
			client := testutil.NewKinesisClient(t, proxy.URL, testutil.ClientOptions{Timeout: 5 * time.Second, RetryMaxAttempts: 1})
			d := newDispatcher[event](t, client, kinesisbatch.Config{
				Stream:  stream,
				Ordered: ordered,
				Batch:   batch.Config{MaxInFlight: 8, MaxBatchItems: 100, BackOff: relBackOff},
			})
			putConcurrently(t, d, n, users, 4)
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			st := d.Stats()
			ps := proxy.Stats()
			t.Logf("proxy: %v", ps)
			t.Logf("stats: %+v", st)
			if st.Written != n || st.Failed != 0 {
				t.Errorf("Stats: written %d, failed %d; want %d and 0", st.Written, st.Failed, n)
			}
			if ps.Withheld == 0 || st.Retries == 0 {
				t.Errorf("no record was failed by the proxy (withheld %d) or retried (%d): the test tests nothing", ps.Withheld, st.Retries)
			}
			for f := range relRates {
				if ps.Injected[f] == 0 {
					t.Errorf("fault %v was never injected", f)
				}
			}
			checkReadBack(t, direct, stream, n, ordered)
		})
	}
}
