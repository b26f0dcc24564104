package sqsbatch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/sqsbatch"
	"github.com/batchutils/batchutils/testutil"
	"github.com/batchutils/batchutils/testutil/conformance"
)

// harness runs the suite through the proxy against a queue of moto: a
// message's body is the suite's id. On a FIFO queue its group is the
// suite's key (its own id for none) and its deduplication id the suite's
// id, so that a message sent again is stored once; a standard queue stores
// it twice.
func harness(fifo bool) conformance.Harness[sqsbatch.Message] {
	bad := []conformance.Bad[sqsbatch.Message]{
		{Name: "empty body", Item: sqsbatch.Message{}, Err: sqsbatch.ErrInvalidMessage},
		{Name: "bad character", Item: sqsbatch.Message{Body: "bad\x00"}, Err: sqsbatch.ErrInvalidMessage, As: new(*sqsbatch.CharacterError)},
		{Name: "bad attribute", Item: sqsbatch.Message{Body: "bad-attr", Attributes: map[string]types.MessageAttributeValue{
			"AWS.x": {DataType: aws.String("String"), StringValue: aws.String("v")},
		}}, Err: sqsbatch.ErrInvalidAttribute},
		{Name: "too large", Item: sqsbatch.Message{Body: strings.Repeat("x", sqsbatch.MaxMessageBytes+1)}, Err: batch.ErrItemTooLarge},
	}
	if fifo {
		bad = append(bad, conformance.Bad[sqsbatch.Message]{Name: "no group", Item: sqsbatch.Message{Body: "bad-group", DeduplicationID: "d"}, Err: sqsbatch.ErrInvalidGroupID})
	} else {
		bad = append(bad, conformance.Bad[sqsbatch.Message]{Name: "dedup id", Item: sqsbatch.Message{Body: "bad-dedup", DeduplicationID: "d"}, Err: sqsbatch.ErrInvalidDeduplicationID})
	}
	return conformance.Harness[sqsbatch.Message]{
		Item: func(id, key string) sqsbatch.Message {
			if !fifo {
				return sqsbatch.Message{Body: id}
			}
			if key == "" {
				key = id
			}
			return sqsbatch.Message{Body: id, GroupID: key, DeduplicationID: id}
		},
		ID: func(m sqsbatch.Message) string { return m.Body },
		New: func(t *testing.T, opts conformance.Options) conformance.Env[sqsbatch.Message] {
			endpoint := testutil.SQSEndpoint(t)
			direct := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
			url := testutil.CreateQueue(t, direct, testutil.QueueOptions{FIFO: fifo})
			opts.Proxy.Upstream, opts.Proxy.Codec = endpoint, testutil.SQSCodec
			p := testutil.NewFaultProxy(t, opts.Proxy)
			client := testutil.NewSQSClient(t, p.URL, opts.Client)
			d, err := sqsbatch.New[sqsbatch.Message](client, sqsbatch.Config{QueueURL: url, Batch: opts.Batch})
			if err != nil {
				t.Fatal(err)
			}
			return conformance.Env[sqsbatch.Message]{
				Dispatcher: conformance.Dispatcher[sqsbatch.Message]{Put: d.Send, PutWait: d.SendWait, Flush: d.Flush, Close: d.Close, Stats: d.Stats},
				Proxy:      p,
				Landed: func(t *testing.T, written int) []string {
					// Those known to be there, then any more (repeats), without
					// waiting: everything was sent before Close returned.
					got, err := testutil.ReceiveMessages(t.Context(), direct, url, written, 5*time.Second)
					if err == nil {
						var more []types.Message
						more, err = testutil.DrainQueue(t.Context(), direct, url)
						got = append(got, more...)
					}
					if err != nil {
						t.Fatal(err)
					}
					ids := make([]string, len(got))
					for i, m := range got {
						ids[i] = aws.ToString(m.Body)
					}
					return ids
				},
			}
		},
		Ordered:    fifo,
		Idempotent: fifo,
		Bad:        bad,
	}
}

// TestConformance runs the suite on a standard queue and on a FIFO queue.
func TestConformance(t *testing.T) {
	t.Run("standard", func(t *testing.T) { conformance.Run(t, harness(false)) })
	t.Run("fifo", func(t *testing.T) { conformance.Run(t, harness(true)) })
}
