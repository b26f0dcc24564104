package snsbatch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/snsbatch"
	"github.com/batchutils/batchutils/testutil"
	"github.com/batchutils/batchutils/testutil/conformance"
)

// harness runs the suite through the proxy against a topic of moto's with
// an SQS queue subscribed (raw delivery): a message's body is the suite's
// id. On a FIFO topic (and queue) its group is the suite's key (its own id
// for none) and its deduplication id the suite's id, so that a message
// published again is delivered once; a standard topic delivers it twice.
func harness(fifo bool) conformance.Harness[snsbatch.Message] {
	bad := []conformance.Bad[snsbatch.Message]{
		{Name: "empty body", Item: snsbatch.Message{}, Err: snsbatch.ErrInvalidMessage},
		{Name: "bad attribute", Item: snsbatch.Message{Body: "bad-attr", GroupID: "g", DeduplicationID: "d", Attributes: map[string]types.MessageAttributeValue{
			"AWS.x": {DataType: aws.String("String"), StringValue: aws.String("v")},
		}}, Err: snsbatch.ErrInvalidAttribute},
		{Name: "too large", Item: snsbatch.Message{Body: strings.Repeat("x", snsbatch.DefaultMaxMessageBytes+1), GroupID: "g", DeduplicationID: "d"}, Err: batch.ErrItemTooLarge},
	}
	if fifo {
		bad = append(bad, conformance.Bad[snsbatch.Message]{Name: "no group", Item: snsbatch.Message{Body: "bad-group", DeduplicationID: "d"}, Err: snsbatch.ErrInvalidGroupID})
	} else {
		bad = append(bad, conformance.Bad[snsbatch.Message]{Name: "dedup id", Item: snsbatch.Message{Body: "bad-dedup", DeduplicationID: "d"}, Err: snsbatch.ErrInvalidDeduplicationID})
	}
	return conformance.Harness[snsbatch.Message]{
		Item: func(id, key string) snsbatch.Message {
			if !fifo {
				return snsbatch.Message{Body: id}
			}
			if key == "" {
				key = id
			}
			return snsbatch.Message{Body: id, GroupID: key, DeduplicationID: id}
		},
		ID: func(m snsbatch.Message) string { return m.Body },
		New: func(t *testing.T, opts conformance.Options) conformance.Env[snsbatch.Message] {
			endpoint := testutil.MotoEndpoint(t)
			sn := testutil.NewSNSClient(t, endpoint, testutil.ClientOptions{})
			sq := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
			arn := testutil.CreateTopic(t, sn, testutil.TopicOptions{FIFO: fifo})
			url := testutil.CreateQueue(t, sq, testutil.QueueOptions{FIFO: fifo})
			testutil.SubscribeQueue(t, sn, sq, arn, url, true)
			opts.Proxy.Upstream, opts.Proxy.Codec = endpoint, testutil.SNSCodec
			p := testutil.NewFaultProxy(t, opts.Proxy)
			client := testutil.NewSNSClient(t, p.URL, opts.Client)
			d, err := snsbatch.New[snsbatch.Message](client, snsbatch.Config{TopicARN: arn, Batch: opts.Batch})
			if err != nil {
				t.Fatal(err)
			}
			return conformance.Env[snsbatch.Message]{
				Dispatcher: conformance.Dispatcher[snsbatch.Message]{Put: d.Publish, PutWait: d.PublishWait, Flush: d.Flush, Close: d.Close, Stats: d.Stats},
				Proxy:      p,
				Landed: func(t *testing.T, written int) []string {
					got, err := testutil.ReceiveMessages(t.Context(), sq, url, written, 5*time.Second)
					if err == nil {
						var more []sqstypes.Message
						more, err = testutil.DrainQueue(t.Context(), sq, url)
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

// TestConformance runs the suite on a standard topic and on a FIFO topic.
func TestConformance(t *testing.T) {
	t.Run("standard", func(t *testing.T) { conformance.Run(t, harness(false)) })
	t.Run("fifo", func(t *testing.T) { conformance.Run(t, harness(true)) })
}
