package sqsbatch_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/sqsbatch"
	"github.com/batchutils/batchutils/testutil"
)

// fifoPerGroup is the number of messages of each group TestIntegrationFIFO
// sends.
const fifoPerGroup = 250

// receiveIdle is how long a receiver polls an empty queue before it gives
// up on messages that never come.
const receiveIdle = 20 * time.Second

// attrsOf returns the attributes the integration tests send with message i.
func attrsOf(i int) map[string]types.MessageAttributeValue {
	return map[string]types.MessageAttributeValue{
		"seq":  {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(i))},
		"kind": {DataType: aws.String("String.kind"), StringValue: aws.String("kind é " + strconv.Itoa(i%7))},
		"blob": {DataType: aws.String("Binary"), BinaryValue: []byte{byte(i), byte(i >> 8), 0, 0xff}},
	}
}

// bodyOf returns the body of message i: text with characters from across
// the allowed ranges, of a size that varies.
func bodyOf(i int) string {
	return fmt.Sprintf("message %d \t\r\n é ☃ \U0001F600 %s", i, strings.Repeat("x", i%300))
}

// received is what a test compares of a received message.
type received struct {
	Body  string
	Attrs map[string]types.MessageAttributeValue
	Group string
}

func toReceived(m types.Message) received {
	r := received{Body: aws.ToString(m.Body), Attrs: m.MessageAttributes, Group: m.Attributes["MessageGroupId"]}
	if len(r.Attrs) == 0 {
		r.Attrs = nil
	}
	return r
}

var ignoreAttrInternals = cmpopts.IgnoreUnexported(types.MessageAttributeValue{})

// TestIntegrationStandard sends 20,000 messages with attributes to
// standard queues while receiving them, and checks that each comes back
// once, as it was sent. moto's cost per message grows with the messages a
// queue holds (it recomputes the queue's attributes over all of them on
// every send), so the messages are spread over many queues, a few at a time,
// each drained while it is filled.
func TestIntegrationStandard(t *testing.T) {
	endpoint := testutil.SQSEndpoint(t)
	client := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	const (
		total    = 20_000
		queues   = 200
		parallel = 4 // queues filled at once
	)
	var written atomic.Int64
	seen := make(map[string]bool, total)
	var mu sync.Mutex
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	errs := make(chan error, 2*queues)
	ctx := t.Context()
	for q := range queues {
		url := testutil.CreateQueue(t, client, testutil.QueueOptions{})
		sem <- struct{}{}
		wg.Add(2)
		go func() { // receive while sending
			defer wg.Done()
			defer func() { <-sem }()
			msgs, err := testutil.ReceiveMessages(ctx, client, url, total/queues, receiveIdle)
			if err != nil {
				errs <- err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				r := toReceived(m)
				i, err := strconv.Atoi(aws.ToString(m.MessageAttributes["seq"].StringValue))
				if err != nil || i%queues != q {
					errs <- fmt.Errorf("queue %d: a message with seq %q", q, aws.ToString(m.MessageAttributes["seq"].StringValue))
					return
				}
				if seen[r.Body] {
					errs <- fmt.Errorf("message %d received twice", i)
				}
				seen[r.Body] = true
				if diff := cmp.Diff(received{Body: bodyOf(i), Attrs: attrsOf(i)}, r, ignoreAttrInternals); diff != "" {
					errs <- fmt.Errorf("message %d mismatch (-want +got):\n%s", i, diff)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			d, err := sqsbatch.New[sqsbatch.Message](client, sqsbatch.Config{QueueURL: url, Batch: batch.Config{MaxInFlight: 2}})
			if err != nil {
				errs <- err
				return
			}
			for i := q; i < total; i += queues {
				if err := d.Send(ctx, sqsbatch.Message{Body: bodyOf(i), Attributes: attrsOf(i)}); err != nil {
					errs <- fmt.Errorf("Send %d: %w", i, err)
					break
				}
			}
			if err := d.Close(ctx); err != nil {
				errs <- fmt.Errorf("queue %d: Close: %w", q, err)
			}
			written.Add(d.Stats().Written)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != total || written.Load() != total {
		t.Errorf("received %d distinct messages, dispatchers wrote %d; want %d", len(seen), written.Load(), total)
	}
}

// TestIntegrationFIFO sends 3 message groups, interleaved, at 8 calls in
// flight, and receives each group in the order it was sent.
//
// The issue asks for 3 groups of 2,000; moto cannot take that in a test's
// time. On a FIFO queue it recomputes the queue's attributes over all its
// messages several times per message sent, and a long-polling receiver spins
// while the messages it finds belong to groups it is still holding, starving
// the senders: 6,000 messages took more than 7 minutes at about one call a
// second. So the groups are of fifoPerGroup messages, received once they are
// all sent.
func TestIntegrationFIFO(t *testing.T) {
	endpoint := testutil.SQSEndpoint(t)
	client := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	const groups, perGroup = 3, fifoPerGroup
	url := testutil.CreateQueue(t, client, testutil.QueueOptions{FIFO: true})
	ctx := t.Context()
	d, err := sqsbatch.New[sqsbatch.Message](client, sqsbatch.Config{QueueURL: url, Batch: batch.Config{MaxInFlight: 8}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range perGroup {
		for g := range groups {
			m := sqsbatch.Message{
				Body:            fmt.Sprintf("group %d message %d", g, i),
				GroupID:         fmt.Sprintf("group-%d", g),
				DeduplicationID: fmt.Sprintf("%d-%d", g, i),
			}
			if err := d.Send(ctx, m); err != nil {
				t.Fatalf("Send: %v", err)
			}
		}
	}
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	msgs, err := testutil.ReceiveMessages(ctx, client, url, groups*perGroup, receiveIdle)
	if err != nil {
		t.Fatal(err)
	}
	checkGroupsInOrder(t, msgs, groups, perGroup)
	if s := d.Stats(); s.Written != groups*perGroup || s.Batches >= groups*perGroup/2 {
		t.Errorf("Stats: written %d in %d calls; want %d in fewer than %d (several messages of a group share a call)", s.Written, s.Batches, groups*perGroup, groups*perGroup/2)
	}
}

// checkGroupsInOrder checks that msgs hold perGroup messages of each group,
// "group G message I", each once, and in order of I within each group.
func checkGroupsInOrder(t *testing.T, msgs []types.Message, groups, perGroup int) {
	t.Helper()
	next := make([]int, groups)
	for _, m := range msgs {
		var g, i int
		if _, err := fmt.Sscanf(aws.ToString(m.Body), "group %d message %d", &g, &i); err != nil || g < 0 || g >= groups {
			t.Fatalf("unexpected message %q", aws.ToString(m.Body))
		}
		if want := fmt.Sprintf("group-%d", g); m.Attributes["MessageGroupId"] != want {
			t.Fatalf("message %q in group %q, want %q", aws.ToString(m.Body), m.Attributes["MessageGroupId"], want)
		}
		if i != next[g] {
			t.Fatalf("group %d: got message %d, want %d (out of order, lost or twice)", g, i, next[g])
		}
		next[g]++
	}
	for g, n := range next {
		if n != perGroup {
			t.Errorf("group %d: received %d messages, want %d", g, n, perGroup)
		}
	}
}

// TestIntegrationLimits sends a message of exactly the size a queue allows,
// and refuses bad messages at Send: none of them reaches the queue.
func TestIntegrationLimits(t *testing.T) {
	endpoint := testutil.SQSEndpoint(t)
	client := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	const max = 4096
	url := testutil.CreateQueue(t, client, testutil.QueueOptions{Attributes: map[string]string{"MaximumMessageSize": strconv.Itoa(max)}})
	d, err := sqsbatch.New[sqsbatch.Message](client, sqsbatch.Config{QueueURL: url, MaxMessageBytes: max})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	attrs := map[string]types.MessageAttributeValue{"a": str("value")} // 1 + 6 + 5 bytes
	largest := sqsbatch.Message{Body: strings.Repeat("é", (max-12)/2), Attributes: attrs}
	if err := d.Send(ctx, largest); err != nil {
		t.Fatalf("Send of the largest message: %v", err)
	}
	bad := []struct {
		msg  sqsbatch.Message
		want error
	}{
		{sqsbatch.Message{Body: largest.Body + "x", Attributes: attrs}, batch.ErrItemTooLarge},
		{sqsbatch.Message{Body: "bell \a"}, sqsbatch.ErrInvalidMessage},
		{sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"AWS.trace": str("v")}}, sqsbatch.ErrInvalidAttribute},
		{sqsbatch.Message{Body: "x", DeduplicationID: "d"}, sqsbatch.ErrInvalidDeduplicationID},
		{sqsbatch.Message{Body: "x", Delay: 16 * time.Minute}, sqsbatch.ErrInvalidMessage},
	}
	for _, b := range bad {
		if err := d.Send(ctx, b.msg); !errors.Is(err, b.want) {
			t.Errorf("Send(%.20q...): %v, want %v", b.msg.Body, err, b.want)
		}
	}
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	msgs, err := testutil.ReceiveMessages(ctx, client, url, 2, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got []received
	for _, m := range msgs {
		got = append(got, toReceived(m))
	}
	if diff := cmp.Diff([]received{{Body: largest.Body, Attrs: attrs}}, got, ignoreAttrInternals); diff != "" {
		t.Errorf("received mismatch (-want +got):\n%s", diff)
	}
}

// TestIntegrationFIFORefusals checks the FIFO rules at Send against a real
// FIFO queue, and content-based deduplication.
func TestIntegrationFIFORefusals(t *testing.T) {
	endpoint := testutil.SQSEndpoint(t)
	client := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	ctx := t.Context()
	plainURL := testutil.CreateQueue(t, client, testutil.QueueOptions{FIFO: true})
	d, err := sqsbatch.New[sqsbatch.Message](client, sqsbatch.Config{QueueURL: plainURL})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Send(ctx, sqsbatch.Message{Body: "x", DeduplicationID: "d"}); !errors.Is(err, sqsbatch.ErrInvalidGroupID) {
		t.Errorf("Send without a group: %v, want ErrInvalidGroupID", err)
	}
	if err := d.Send(ctx, sqsbatch.Message{Body: "x", GroupID: "g"}); !errors.Is(err, sqsbatch.ErrInvalidDeduplicationID) {
		t.Errorf("Send without a deduplication id: %v, want ErrInvalidDeduplicationID", err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}

	cbdURL := testutil.CreateQueue(t, client, testutil.QueueOptions{FIFO: true, ContentBasedDeduplication: true})
	d, err = sqsbatch.New[sqsbatch.Message](client, sqsbatch.Config{QueueURL: cbdURL, ContentBasedDeduplication: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"one", "two", "one"} { // the second "one" is a repeat SQS drops
		if err := d.Send(ctx, sqsbatch.Message{Body: b, GroupID: "g"}); err != nil {
			t.Fatalf("Send(%q): %v", b, err)
		}
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	msgs, err := testutil.ReceiveMessages(ctx, client, cbdURL, 3, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range msgs {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	if diff := cmp.Diff([]string{"one", "two"}, bodies); diff != "" {
		t.Errorf("received mismatch (-want +got):\n%s", diff)
	}
}

// TestIntegrationUnknownQueue checks that every message sent to a queue that
// does not exist fails at once, with SQS's error.
func TestIntegrationUnknownQueue(t *testing.T) {
	endpoint := testutil.SQSEndpoint(t)
	client := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	url := testutil.CreateQueue(t, client, testutil.QueueOptions{})
	if _, err := client.DeleteQueue(t.Context(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	d, err := sqsbatch.New[string](client, sqsbatch.Config{QueueURL: url})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		if err := d.Send(t.Context(), strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	err = d.Close(t.Context())
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) || len(fe.Failures) != 25 {
		t.Fatalf("Close: %v, want 25 failures", err)
	}
	var qe *types.QueueDoesNotExist
	if !errors.As(fe.Failures[0].Err, &qe) {
		t.Errorf("failure cause %v, want *types.QueueDoesNotExist", fe.Failures[0].Err)
	}
	if got := d.Stats().Batches; got != 3 {
		t.Errorf("Stats().Batches = %d, want 3: an unknown queue is neither retried nor split", got)
	}
}

// TestIntegrationAttributeDataTypes sends data types whose custom labels go
// beyond printable ASCII, as SQS allows, and reads them back unchanged.
func TestIntegrationAttributeDataTypes(t *testing.T) {
	endpoint := testutil.SQSEndpoint(t)
	client := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	url := testutil.CreateQueue(t, client, testutil.QueueOptions{})
	d, err := sqsbatch.New[sqsbatch.Message](client, sqsbatch.Config{QueueURL: url})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var want []received
	for i, typ := range []string{"String.my label", "String.café", "Binary.🖼", "Number.x\ty"} {
		m := sqsbatch.Message{Body: strconv.Itoa(i), Attributes: map[string]types.MessageAttributeValue{"a": typed(typ)}}
		if err := d.Send(ctx, m); err != nil {
			t.Errorf("Send with DataType %q: %v", typ, err)
			continue
		}
		want = append(want, received{Body: m.Body, Attrs: m.Attributes})
	}
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	msgs, err := testutil.ReceiveMessages(ctx, client, url, len(want), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got []received
	for _, m := range msgs {
		got = append(got, toReceived(m))
	}
	sortByBody := cmpopts.SortSlices(func(a, b received) bool { return a.Body < b.Body })
	if diff := cmp.Diff(want, got, ignoreAttrInternals, sortByBody); diff != "" {
		t.Errorf("received mismatch (-want +got):\n%s", diff)
	}
}

// TestIntegrationContentBasedDeduplicationMissing sends to a FIFO queue
// without content-based deduplication with a Config that says it has it:
// every message fails alike, and the dispatcher learns it from one call per
// batch, without splitting or retrying.
func TestIntegrationContentBasedDeduplicationMissing(t *testing.T) {
	endpoint := testutil.SQSEndpoint(t)
	client := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	url := testutil.CreateQueue(t, client, testutil.QueueOptions{FIFO: true})
	d, err := sqsbatch.New[sqsbatch.Message](client, sqsbatch.Config{QueueURL: url, ContentBasedDeduplication: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := d.Send(t.Context(), sqsbatch.Message{Body: strconv.Itoa(i), GroupID: strconv.Itoa(i % 3)}); err != nil {
			t.Fatal(err)
		}
	}
	err = d.Close(t.Context())
	var fe *batch.FailedError[sqsbatch.Message]
	if !errors.As(err, &fe) || len(fe.Failures) != 20 {
		t.Fatalf("Close: %v, want 20 failures", err)
	}
	for _, f := range fe.Failures {
		var ae smithy.APIError
		var ee *sqsbatch.EntryError
		switch {
		case errors.As(f.Err, &ee):
			if ee.Code != "InvalidParameterValue" || !ee.SenderFault {
				t.Errorf("message %q: %v, want InvalidParameterValue", f.Item.Body, f.Err)
			}
		case errors.As(f.Err, &ae):
			if ae.ErrorCode() != "InvalidParameterValue" {
				t.Errorf("message %q: %v, want InvalidParameterValue", f.Item.Body, f.Err)
			}
		default:
			t.Errorf("message %q: %v, want SQS's refusal", f.Item.Body, f.Err)
		}
	}
	want := batch.Stats{Submitted: 20, Failed: 20, Batches: 2}
	if diff := cmp.Diff(want, d.Stats()); diff != "" {
		t.Errorf("Stats mismatch (-want +got): neither split nor retried:\n%s", diff)
	}
}
