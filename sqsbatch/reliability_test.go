package sqsbatch_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/cenkalti/backoff/v4"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/sqsbatch"
	"github.com/batchutils/batchutils/testutil"
)

// faultRetries retries quickly and long enough that no message runs out
// of retries under the fault rates below.
func faultRetries() backoff.BackOff {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(time.Millisecond),
		backoff.WithMaxInterval(20*time.Millisecond),
		backoff.WithMaxElapsedTime(0),
	)
	return backoff.WithMaxRetries(b, 60)
}

// faultRates injects every fault an SQS queue answers but the slow and garbled ones: together, about a third of the calls.
var faultRates = map[testutil.Fault]float64{
	testutil.FaultEntryRefused:        0.03,
	testutil.FaultEntryFailed:         0.08,
	testutil.FaultEntryThrottled:      0.03,
	testutil.FaultThrottling:          0.03,
	testutil.FaultInternalServerError: 0.04,
	testutil.FaultServiceUnavailable:  0.04,
	testutil.FaultDropConnection:      0.04,
	testutil.FaultDropAfterWrite:      0.04,
}

// sendThroughFaults sends msgs through a fault proxy in front of moto and
// returns the bodies of the messages reported as failed, each checked to be
// a refusal with SenderFault.
func sendThroughFaults(t *testing.T, proxy *testutil.FaultProxy, url string, msgs []sqsbatch.Message, inFlight int) map[string]bool {
	t.Helper()
	// The SDK retries once at most, quickly: the dispatcher's retries are
	// under test.
	client := testutil.NewSQSClient(t, proxy.URL, testutil.ClientOptions{Timeout: 10 * time.Second, RetryMaxAttempts: 2, RetryMaxBackoff: 5 * time.Millisecond})
	d, err := sqsbatch.New[sqsbatch.Message](client, sqsbatch.Config{QueueURL: url, Batch: batch.Config{MaxInFlight: inFlight, BackOff: faultRetries}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := d.Send(t.Context(), m); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	err = d.Close(t.Context())
	refused := map[string]bool{}
	var fe *batch.FailedError[sqsbatch.Message]
	if errors.As(err, &fe) {
		for _, f := range fe.Failures {
			var ee *sqsbatch.EntryError
			if !errors.As(f.Err, &ee) || !ee.SenderFault || ee.Code != "InvalidParameterValue" {
				t.Fatalf("%q failed with %v, want only the proxy's refusals", f.Item.Body, f.Err)
			}
			if refused[f.Item.Body] {
				t.Errorf("%q reported twice", f.Item.Body)
			}
			refused[f.Item.Body] = true
		}
	} else if err != nil {
		t.Fatalf("Close: %v", err)
	}
	s, ps := d.Stats(), proxy.Stats()
	t.Logf("dispatcher: %d calls, %d retries, %d throttled; proxy: %v", s.Batches, s.Retries, s.Throttled, ps)
	if int64(len(refused)) != ps.Refused {
		t.Errorf("%d messages reported refused, the proxy refused %d", len(refused), ps.Refused)
	}
	if ps.Injected[testutil.FaultNone] == ps.Calls {
		t.Error("no fault was injected")
	}
	return refused
}

// TestReliabilityStandard sends through every fault to a standard queue:
// each message is either received (at least once: a call dropped after it
// was stored is sent again) or reported refused, never both, never lost.
func TestReliabilityStandard(t *testing.T) {
	endpoint := testutil.SQSEndpoint(t)
	direct := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	url := testutil.CreateQueue(t, direct, testutil.QueueOptions{})
	proxy := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Upstream: endpoint, Codec: testutil.SQSCodec, Seed: 7, Rates: faultRates})
	const n = 300
	msgs := make([]sqsbatch.Message, n)
	for i := range msgs {
		msgs[i] = sqsbatch.Message{Body: fmt.Sprintf("message %d", i), Attributes: attrsOf(i)}
	}
	done := make(chan struct{})
	var got []types.Message
	var recvErr error
	go func() { // receive while sending, so that moto stays quick
		defer close(done)
		got, recvErr = testutil.ReceiveMessages(t.Context(), direct, url, 2*n, 5*time.Second)
	}()
	refused := sendThroughFaults(t, proxy, url, msgs, 4)
	<-done
	if recvErr != nil {
		t.Fatal(recvErr)
	}
	seen := map[string]bool{}
	for _, m := range got {
		b := aws.ToString(m.Body)
		if refused[b] {
			t.Errorf("%q was reported refused, and received", b)
		}
		seen[b] = true
	}
	for _, m := range msgs {
		if !seen[m.Body] && !refused[m.Body] {
			t.Errorf("%q lost: neither received nor reported", m.Body)
		}
	}
}

// TestReliabilityFIFO sends 4 groups through every fault but throttles to a FIFO queue
// at 8 calls in flight: each group is received in order, each message once,
// but for those reported refused.
func TestReliabilityFIFO(t *testing.T) {
	endpoint := testutil.SQSEndpoint(t)
	direct := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	url := testutil.CreateQueue(t, direct, testutil.QueueOptions{FIFO: true})
	// Throttles (tested on the standard queue) would make the dispatcher
	// slow down to a crawl here; every other fault is in.
	rates := map[testutil.Fault]float64{}
	for f, r := range faultRates {
		if f != testutil.FaultThrottling && f != testutil.FaultEntryThrottled {
			rates[f] = r
		}
	}
	proxy := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Upstream: endpoint, Codec: testutil.SQSCodec, Seed: 11, Rates: rates})
	const groups, perGroup = 4, 75
	var msgs []sqsbatch.Message
	for i := range perGroup {
		for g := range groups {
			msgs = append(msgs, sqsbatch.Message{
				Body:            fmt.Sprintf("group %d message %d", g, i),
				GroupID:         fmt.Sprintf("group-%d", g),
				DeduplicationID: fmt.Sprintf("%d-%d", g, i),
			})
		}
	}
	refused := sendThroughFaults(t, proxy, url, msgs, 8)
	// Received once all is sent: moto drops a repeat only while the first
	// is still in the queue (SQS remembers deduplication ids of deleted
	// messages too), so receiving while sending would let through the
	// repeats of calls dropped after they were stored.
	got, err := testutil.ReceiveMessages(t.Context(), direct, url, len(msgs), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	next := make([]int, groups)
	for _, m := range got {
		var g, i int
		if _, err := fmt.Sscanf(aws.ToString(m.Body), "group %d message %d", &g, &i); err != nil {
			t.Fatalf("unexpected message %q", aws.ToString(m.Body))
		}
		for next[g] < perGroup && refused[fmt.Sprintf("group %d message %d", g, next[g])] {
			next[g]++
		}
		if i != next[g] {
			t.Fatalf("group %d: received message %d, want %d (out of order, lost or twice)", g, i, next[g])
		}
		next[g]++
	}
	for g := range groups {
		for next[g] < perGroup && refused[fmt.Sprintf("group %d message %d", g, next[g])] {
			next[g]++
		}
		if next[g] != perGroup {
			t.Errorf("group %d: lost from message %d on", g, next[g])
		}
	}
	if t.Failed() {
		var b strings.Builder
		for r := range refused {
			b.WriteString(r + "; ")
		}
		t.Logf("refused: %s", b.String())
	}
}

// TestReliabilityChecksumMismatch sends to a standard queue through a proxy
// that changes the MD5 of some messages in SQS's answers: each message is
// received exactly once, none is sent again, and exactly those whose MD5
// was changed come back, with ErrOutcomeUnknown and ErrChecksum.
func TestReliabilityChecksumMismatch(t *testing.T) {
	endpoint := testutil.SQSEndpoint(t)
	direct := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	url := testutil.CreateQueue(t, direct, testutil.QueueOptions{})
	proxy := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Upstream: endpoint, Codec: testutil.SQSCodec, Seed: 11,
		Rates: map[testutil.Fault]float64{testutil.FaultChecksumMismatch: 0.3}})
	const n = 200
	client := testutil.NewSQSClient(t, proxy.URL, testutil.ClientOptions{Timeout: 10 * time.Second, RetryMaxAttempts: 2, RetryMaxBackoff: 5 * time.Millisecond})
	d, err := sqsbatch.New[string](client, sqsbatch.Config{QueueURL: url, Batch: batch.Config{BackOff: faultRetries}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := d.Send(t.Context(), fmt.Sprintf("message %d", i)); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	err = d.Close(t.Context())
	var fe *batch.FailedError[string]
	if err != nil && !errors.As(err, &fe) {
		t.Fatalf("Close: %v, want nil or a *batch.FailedError", err)
	}
	unknown := map[string]bool{}
	if fe != nil {
		for _, f := range fe.Failures {
			if !errors.Is(f.Err, batch.ErrOutcomeUnknown) || !errors.Is(f.Err, sqsbatch.ErrChecksum) {
				t.Errorf("%q failed with %v, want ErrOutcomeUnknown and ErrChecksum", f.Item, f.Err)
			}
			unknown[f.Item] = true
		}
	}
	ps, st := proxy.Stats(), d.Stats()
	t.Logf("dispatcher: %d calls, %d unknown; proxy: %v", st.Batches, st.Unknown, ps)
	if ps.Mismatched == 0 {
		t.Fatal("the proxy changed no MD5")
	}
	if got := []int64{int64(len(unknown)), st.Unknown, st.Written, st.Retries}; got[0] != ps.Mismatched || got[1] != ps.Mismatched || got[2] != n-ps.Mismatched || got[3] != 0 {
		t.Errorf("reported unknown, Stats.Unknown, Stats.Written, Stats.Retries = %v, want %d, %d, %d, 0",
			got, ps.Mismatched, ps.Mismatched, n-ps.Mismatched)
	}
	got, err := testutil.ReceiveMessages(t.Context(), direct, url, n, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	times := map[string]int{}
	for _, m := range got {
		times[aws.ToString(m.Body)]++
	}
	for i := range n {
		if b := fmt.Sprintf("message %d", i); times[b] != 1 {
			t.Errorf("%q received %d times, want once (unknown: %v)", b, times[b], unknown[b])
		}
	}
}
