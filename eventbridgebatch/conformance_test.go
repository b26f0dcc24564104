package eventbridgebatch_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/eventbridgebatch"
	"github.com/batchutils/batchutils/testutil"
	"github.com/batchutils/batchutils/testutil/conformance"
)

// confSource is the source of the suite's events, on which the bus's rule
// routes them to the queue the harness reads.
const confSource = "batchutils.conformance"

// TestConformance runs the suite through the proxy against a bus of moto's
// whose rule sends every event of the suite to an SQS queue: an event's
// detail is {"id": the suite's id}. EventBridge keeps no order and does not
// deduplicate.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness[eventbridgebatch.Event]{
		Item: func(id, _ string) eventbridgebatch.Event {
			return eventbridgebatch.Event{Source: confSource, DetailType: "Conformance", Detail: map[string]string{"id": id}}
		},
		ID: func(e eventbridgebatch.Event) string { return e.Detail.(map[string]string)["id"] },
		New: func(t *testing.T, opts conformance.Options) conformance.Env[eventbridgebatch.Event] {
			endpoint := testutil.MotoEndpoint(t)
			eb := testutil.NewEventBridgeClient(t, endpoint, testutil.ClientOptions{})
			sq := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
			bus := testutil.CreateEventBus(t, eb)
			url := testutil.CreateQueue(t, sq, testutil.QueueOptions{})
			testutil.RouteToQueue(t, eb, sq, bus, confSource, url)
			opts.Proxy.Upstream, opts.Proxy.Codec = endpoint, testutil.EventBridgeCodec
			p := testutil.NewFaultProxy(t, opts.Proxy)
			client := testutil.NewEventBridgeClient(t, p.URL, opts.Client)
			d, err := eventbridgebatch.New[eventbridgebatch.Event](client, eventbridgebatch.Config{EventBus: bus, Batch: opts.Batch})
			if err != nil {
				t.Fatal(err)
			}
			return conformance.Env[eventbridgebatch.Event]{
				Dispatcher: conformance.Dispatcher[eventbridgebatch.Event]{Put: d.Put, PutWait: d.PutWait, Flush: d.Flush, Close: d.Close, Stats: d.Stats},
				Proxy:      p,
				Landed: func(t *testing.T, written int) []string {
					got, err := testutil.ReceiveMessages(t.Context(), sq, url, written, 5*time.Second)
					if err == nil {
						var more []types.Message
						more, err = testutil.DrainQueue(t.Context(), sq, url)
						got = append(got, more...)
					}
					if err != nil {
						t.Fatal(err)
					}
					ids := make([]string, len(got))
					for i, m := range got {
						var ev struct {
							Detail struct{ ID string } `json:"detail"`
						}
						if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
							t.Fatal(err)
						}
						ids[i] = ev.Detail.ID
					}
					return ids
				},
			}
		},
		Bad: []conformance.Bad[eventbridgebatch.Event]{
			{Name: "no source", Item: eventbridgebatch.Event{DetailType: "t", Detail: "{}"}, Err: eventbridgebatch.ErrInvalidEvent},
			{Name: "detail not an object", Item: eventbridgebatch.Event{Source: confSource, DetailType: "t", Detail: "[1]"}, Err: eventbridgebatch.ErrInvalidDetail},
			{Name: "too large", Item: eventbridgebatch.Event{Source: confSource, DetailType: "t", Detail: `{"x":"` + strings.Repeat("x", eventbridgebatch.MaxBatchBytes) + `"}`}, Err: batch.ErrItemTooLarge},
		},
	})
}
