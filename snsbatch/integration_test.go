package snsbatch_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/snsbatch"
	"github.com/batchutils/batchutils/testutil"
)

// receiveIdle is how long a receiver polls an empty queue before it gives
// up on messages that never come.
const receiveIdle = 20 * time.Second

// bodyOf returns the body of message i: text from across Unicode, of a
// size that varies.
func bodyOf(i int) string {
	return fmt.Sprintf("message %d \t\r\n é ☃ \U0001F600 %s", i, strings.Repeat("x", i%300))
}

// attrsOf returns the attributes published with message i.
func attrsOf(i int) map[string]types.MessageAttributeValue {
	return map[string]types.MessageAttributeValue{
		"seq":  {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(i))},
		"kind": {DataType: aws.String("String.kind"), StringValue: aws.String("kind é " + strconv.Itoa(i%7))},
	}
}

// received is what a test compares of a message a queue received.
type received struct {
	Body  string
	Attrs map[string]string // name: data type and value
}

func sentAs(i int) received {
	r := received{Body: bodyOf(i), Attrs: map[string]string{}}
	for k, a := range attrsOf(i) {
		r.Attrs[k] = aws.ToString(a.DataType) + " " + aws.ToString(a.StringValue)
	}
	return r
}

func receivedAs(m sqstypes.Message) received {
	r := received{Body: aws.ToString(m.Body), Attrs: map[string]string{}}
	for k, a := range m.MessageAttributes {
		r.Attrs[k] = aws.ToString(a.DataType) + " " + aws.ToString(a.StringValue)
	}
	return r
}

// TestIntegrationStandard publishes 1,200 messages with attributes to 8
// topics of moto's, each with an SQS queue subscribed (raw delivery) and
// drained while it fills, and checks that each message arrives once, as it
// was published. moto's cost per SQS message grows with the messages a
// queue holds, so the messages are spread over several queues.
func TestIntegrationStandard(t *testing.T) {
	endpoint := testutil.MotoEndpoint(t)
	sn := testutil.NewSNSClient(t, endpoint, testutil.ClientOptions{})
	sq := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	const total, topics = 1200, 8
	ctx := t.Context()
	var mu sync.Mutex
	seen := make(map[int]bool, total)
	errs := make(chan error, 3*topics)
	var wg sync.WaitGroup
	for q := range topics {
		arn := testutil.CreateTopic(t, sn, testutil.TopicOptions{})
		url := testutil.CreateQueue(t, sq, testutil.QueueOptions{})
		testutil.SubscribeQueue(t, sn, sq, arn, url, true)
		wg.Go(func() { // receive while publishing
			msgs, err := testutil.ReceiveMessages(ctx, sq, url, total/topics, receiveIdle)
			if err != nil {
				errs <- err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				i, err := strconv.Atoi(aws.ToString(m.MessageAttributes["seq"].StringValue))
				if err != nil || i%topics != q || seen[i] {
					errs <- fmt.Errorf("queue %d: message %q unexpected, or twice", q, aws.ToString(m.Body))
					return
				}
				seen[i] = true
				if diff := cmp.Diff(sentAs(i), receivedAs(m)); diff != "" {
					errs <- fmt.Errorf("message %d mismatch (-want +got):\n%s", i, diff)
					return
				}
			}
		})
		wg.Go(func() {
			d, err := snsbatch.New[snsbatch.Message](sn, snsbatch.Config{TopicARN: arn, Batch: batch.Config{MaxInFlight: 2}})
			if err != nil {
				errs <- err
				return
			}
			for i := q; i < total; i += topics {
				if err := d.Publish(ctx, snsbatch.Message{Body: bodyOf(i), Attributes: attrsOf(i)}); err != nil {
					errs <- fmt.Errorf("Publish %d: %w", i, err)
					break
				}
			}
			if err := d.Close(ctx); err != nil {
				errs <- fmt.Errorf("topic %d: Close: %w", q, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != total {
		t.Errorf("received %d distinct messages, want %d", len(seen), total)
	}
}

// TestIntegrationFIFO publishes 3 message groups, interleaved, at 8 calls
// in flight, to a FIFO topic with a FIFO queue subscribed, and receives each
// group once, in the order it was published. moto's FIFO queues are slow
// (see sqsbatch's TestIntegrationFIFO): the groups are of 100 messages.
func TestIntegrationFIFO(t *testing.T) {
	endpoint := testutil.MotoEndpoint(t)
	sn := testutil.NewSNSClient(t, endpoint, testutil.ClientOptions{})
	sq := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	const groups, perGroup = 3, 100
	arn := testutil.CreateTopic(t, sn, testutil.TopicOptions{FIFO: true})
	url := testutil.CreateQueue(t, sq, testutil.QueueOptions{FIFO: true})
	testutil.SubscribeQueue(t, sn, sq, arn, url, true)
	ctx := t.Context()
	d, err := snsbatch.New[snsbatch.Message](sn, snsbatch.Config{TopicARN: arn, Batch: batch.Config{MaxInFlight: 8}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range perGroup {
		for g := range groups {
			m := snsbatch.Message{Body: fmt.Sprintf("group %d message %d", g, i), GroupID: fmt.Sprint("group-", g), DeduplicationID: fmt.Sprint(g, "-", i)}
			if err := d.Publish(ctx, m); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		}
	}
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	msgs, err := testutil.ReceiveMessages(ctx, sq, url, groups*perGroup, receiveIdle)
	if err != nil {
		t.Fatal(err)
	}
	next := make([]int, groups)
	for _, m := range msgs {
		var g, i int
		if _, err := fmt.Sscanf(aws.ToString(m.Body), "group %d message %d", &g, &i); err != nil || g < 0 || g >= groups {
			t.Fatalf("unexpected message %q", aws.ToString(m.Body))
		}
		if want := fmt.Sprint("group-", g); m.Attributes["MessageGroupId"] != want || i != next[g] {
			t.Fatalf("message %q in group %q; want message %d next, in group %q", aws.ToString(m.Body), m.Attributes["MessageGroupId"], next[g], want)
		}
		next[g]++
	}
	if diff := cmp.Diff([]int{perGroup, perGroup, perGroup}, next); diff != "" {
		t.Errorf("messages per group mismatch (-want +got):\n%s", diff)
	}
	if s := d.Stats(); s.Written != groups*perGroup || s.Batches >= groups*perGroup/2 {
		t.Errorf("Stats: written %d in %d calls; want %d in fewer than %d (several messages of a group share a call)", s.Written, s.Batches, groups*perGroup, groups*perGroup/2)
	}
}

// TestIntegrationSubjectAndRefusals publishes messages with subjects to a
// queue subscribed without raw delivery, where SNS's envelope carries the
// subject, refuses bad messages at Publish, and fails every message to a
// topic that does not exist at once.
func TestIntegrationSubjectAndRefusals(t *testing.T) {
	endpoint := testutil.MotoEndpoint(t)
	sn := testutil.NewSNSClient(t, endpoint, testutil.ClientOptions{})
	sq := testutil.NewSQSClient(t, endpoint, testutil.ClientOptions{})
	arn := testutil.CreateTopic(t, sn, testutil.TopicOptions{})
	url := testutil.CreateQueue(t, sq, testutil.QueueOptions{})
	testutil.SubscribeQueue(t, sn, sq, arn, url, false)
	ctx := t.Context()
	d, err := snsbatch.New[snsbatch.Message](sn, snsbatch.Config{TopicARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := d.Publish(ctx, snsbatch.Message{Body: bodyOf(i), Subject: fmt.Sprint("Subject ", i, " é")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Publish(ctx, snsbatch.Message{Body: "x", Subject: strings.Repeat("s", 100)}); !errors.Is(err, snsbatch.ErrInvalidMessage) {
		t.Errorf("Publish with a subject of 100 characters: %v, want ErrInvalidMessage", err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	msgs, err := testutil.ReceiveMessages(ctx, sq, url, 20, receiveIdle)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range msgs {
		var env testutil.SNSEnvelope
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
			t.Fatal(err)
		}
		got[env.Message] = env.Subject
	}
	want := map[string]string{}
	for i := range 20 {
		want[bodyOf(i)] = fmt.Sprint("Subject ", i, " é")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bodies and subjects mismatch (-want +got):\n%s", diff)
	}

	gone := strings.TrimSuffix(arn, arn[strings.LastIndex(arn, ":")+1:]) + "no-such-topic"
	d2, err := snsbatch.New[string](sn, snsbatch.Config{TopicARN: gone})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		if err := d2.Publish(ctx, strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	err = d2.Close(ctx)
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) || len(fe.Failures) != 25 {
		t.Fatalf("Close: %v, want 25 failures", err)
	}
	if got := d2.Stats().Batches; got != 3 {
		t.Errorf("Stats().Batches = %d, want 3: an unknown topic is neither retried nor split", got)
	}
}
