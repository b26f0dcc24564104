package eventbridgebatch_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/eventbridgebatch"
	"github.com/batchutils/batchutils/testutil"
)

// receiveIdle is how long a receiver polls an empty queue before it gives
// up on messages that never come.
const receiveIdle = 20 * time.Second

// detailOf is the detail of event i of the integration test: text from
// across Unicode, of a size that varies.
type detailOf struct {
	Seq  int    `json:"seq"`
	Text string `json:"text"`
}

func newDetail(i int) detailOf {
	return detailOf{Seq: i, Text: fmt.Sprintf("event %d é ☃ \U0001F600 <&> %s", i, strings.Repeat("x", i%200))}
}

// TestIntegration puts 800 events on a bus of moto's, routed by source
// to 10 SQS queues that are drained while they fill, and checks that each
// event arrives once, as it was put. moto delivers about 30 events a second
// to SQS targets (it resolves a JSON path of the target's input for each
// event, at about 25 ms a path: see testutil.RouteToQueue), so a few
// thousand would take minutes.
func TestIntegration(t *testing.T) {
	endpoint := testutil.MotoEndpoint(t)
	eb := testutil.NewEventBridgeClient(t, endpoint, testutil.ClientOptions{})
	sq := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	const total, queues = 800, 10
	bus := testutil.CreateEventBus(t, eb)
	urls := make([]string, queues)
	for q := range urls {
		urls[q] = testutil.CreateQueue(t, sq, testutil.QueueOptions{})
		testutil.RouteToQueue(t, eb, sq, bus, fmt.Sprintf("test.q%d", q), urls[q])
	}
	at := time.Date(2026, 12, 3, 14, 5, 6, 0, time.UTC)
	ctx := t.Context()
	var mu sync.Mutex
	got := make(map[int]testutil.QueuedEvent, total)
	errs := make(chan error, 2*queues+1)
	var wg sync.WaitGroup
	for q, url := range urls {
		wg.Go(func() {
			msgs, err := testutil.ReceiveMessages(ctx, sq, url, total/queues, receiveIdle)
			if err != nil {
				errs <- err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				var ev testutil.QueuedEvent
				var d detailOf
				if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
					errs <- fmt.Errorf("queue %d: %w", q, err)
					return
				}
				if err := json.Unmarshal(ev.Detail, &d); err != nil {
					errs <- fmt.Errorf("queue %d: detail: %w", q, err)
					return
				}
				if _, dup := got[d.Seq]; dup || d.Seq%queues != q {
					errs <- fmt.Errorf("queue %d: event %d twice, or on the wrong queue", q, d.Seq)
				}
				got[d.Seq] = ev
			}
		})
	}
	d, err := eventbridgebatch.New[eventbridgebatch.Event](eb, eventbridgebatch.Config{EventBus: bus, Batch: batch.Config{MaxInFlight: 4}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range total {
		ev := eventbridgebatch.Event{
			Source: fmt.Sprintf("test.q%d", i%queues), DetailType: "Test Event", Detail: newDetail(i),
			Resources: []string{fmt.Sprintf("arn:aws:s3:::bucket-%d", i)},
		}
		if i%2 == 0 {
			ev.Time = at
		}
		if err := d.Put(ctx, ev); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("%d events put in %v", total, time.Since(start))
	wg.Wait()
	t.Logf("and received in %v", time.Since(start))
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(got) != total {
		t.Fatalf("received %d distinct events, want %d", len(got), total)
	}
	for i := range total {
		ev := got[i]
		var detail detailOf
		if err := json.Unmarshal(ev.Detail, &detail); err != nil {
			t.Fatal(err)
		}
		type event struct {
			Source, DetailType string
			Resources          []string
			Detail             detailOf
		}
		want := event{fmt.Sprintf("test.q%d", i%queues), "Test Event", []string{fmt.Sprintf("arn:aws:s3:::bucket-%d", i)}, newDetail(i)}
		if diff := cmp.Diff(want, event{ev.Source, ev.DetailType, ev.Resources, detail}); diff != "" {
			t.Fatalf("event %d mismatch (-want +got):\n%s", i, diff)
		}
		if i%2 == 0 && ev.Time != "2026-12-03T14:05:06Z" {
			t.Fatalf("event %d: time %q, want 2026-12-03T14:05:06Z", i, ev.Time)
		}
	}
	if s := d.Stats(); s.Written != total || s.Batches > total/eventbridgebatch.MaxBatchItems+2*4 {
		t.Errorf("Stats: written %d in %d calls, want %d in about %d", s.Written, s.Batches, total, total/eventbridgebatch.MaxBatchItems)
	}
}

// TestIntegrationUnknownBus checks that every event put on a bus that does
// not exist fails at once, with EventBridge's error, and that events
// EventBridge would refuse are refused at Put.
func TestIntegrationUnknownBus(t *testing.T) {
	endpoint := testutil.MotoEndpoint(t)
	eb := testutil.NewEventBridgeClient(t, endpoint, testutil.ClientOptions{})
	d, err := eventbridgebatch.New[map[string]int](eb, eventbridgebatch.Config{EventBus: "no-such-bus", Source: "s", DetailType: "t"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		if err := d.Put(t.Context(), map[string]int{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Put(t.Context(), nil); !errors.Is(err, eventbridgebatch.ErrInvalidDetail) {
		t.Errorf("Put(nil): %v, want ErrInvalidDetail", err)
	}
	err = d.Close(t.Context())
	var fe *batch.FailedError[map[string]int]
	if !errors.As(err, &fe) || len(fe.Failures) != 25 {
		t.Fatalf("Close: %v, want 25 failures", err)
	}
	var nf *types.ResourceNotFoundException
	if !errors.As(fe.Failures[0].Err, &nf) {
		t.Errorf("failure cause %v, want *types.ResourceNotFoundException", fe.Failures[0].Err)
	}
	if got := d.Stats().Batches; got != 3 {
		t.Errorf("Stats().Batches = %d, want 3: an unknown bus is neither retried nor split", got)
	}
}
