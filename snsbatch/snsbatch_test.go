package snsbatch_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/snsbatch"
	"github.com/batchutils/batchutils/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quickRetries retries at once, up to 20 times: unit tests need no waits.
func quickRetries() backoff.BackOff {
	return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, 20)
}

// newDispatcher returns a Dispatcher, closed when the test ends, that
// retries at once.
func newDispatcher[T any](t *testing.T, client snsbatch.Client, cfg snsbatch.Config) *snsbatch.Dispatcher[T] {
	t.Helper()
	if cfg.Batch.BackOff == nil {
		cfg.Batch.BackOff = quickRetries
	}
	d, err := snsbatch.New[T](client, cfg)
	if err != nil {
		t.Fatalf("snsbatch.New: %v", err)
	}
	t.Cleanup(func() { d.Close(context.Background()) })
	return d
}

func str(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

var ignoreAttrInternals = cmpopts.IgnoreUnexported(types.MessageAttributeValue{})

func TestNewRefusesBadConfig(t *testing.T) {
	fake := testutil.NewFakeSNS()
	std, fifo := fake.CreateTopic("t", false), fake.CreateTopic("t.fifo", false)
	tests := []struct {
		name   string
		client snsbatch.Client
		cfg    snsbatch.Config
	}{
		{"nil client", nil, snsbatch.Config{TopicARN: std}},
		{"no topic", fake, snsbatch.Config{}},
		{"a topic name, not an ARN", fake, snsbatch.Config{TopicARN: "t"}},
		{"a queue's ARN", fake, snsbatch.Config{TopicARN: "arn:aws:sqs:us-east-1:123456789012:q"}},
		{"message size over 1 MiB", fake, snsbatch.Config{TopicARN: std, MaxMessageBytes: snsbatch.MaxMessageBytes + 1}},
		{"content-based deduplication on a standard topic", fake, snsbatch.Config{TopicARN: std, ContentBasedDeduplication: true}},
		{"replacing duplicates on a FIFO topic", fake, snsbatch.Config{TopicARN: fifo, Batch: batch.Config{Duplicates: batch.ReplaceDuplicates}}},
		{"11 entries a call", fake, snsbatch.Config{TopicARN: std, Batch: batch.Config{MaxBatchItems: 11}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := snsbatch.New[string](tc.client, tc.cfg); err == nil {
				t.Fatal("New succeeded, want an error")
			}
		})
	}
}

func TestPublishRefuses(t *testing.T) {
	fake := testutil.NewFakeSNS()
	tests := []struct {
		name  string
		topic string
		cfg   snsbatch.Config
		msg   snsbatch.Message
		want  error
	}{
		{"empty body", "t", snsbatch.Config{}, snsbatch.Message{}, snsbatch.ErrInvalidMessage},
		{"body not UTF-8", "t", snsbatch.Config{}, snsbatch.Message{Body: "\xff"}, snsbatch.ErrInvalidMessage},
		{"subject too long", "t", snsbatch.Config{}, snsbatch.Message{Body: "x", Subject: strings.Repeat("é", 100)}, snsbatch.ErrInvalidMessage},
		{"subject with a line break", "t", snsbatch.Config{}, snsbatch.Message{Body: "x", Subject: "a\nb"}, snsbatch.ErrInvalidMessage},
		{"reserved attribute name", "t", snsbatch.Config{}, snsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"AWS.x": str("v")}}, snsbatch.ErrInvalidAttribute},
		{"bad Number", "t", snsbatch.Config{}, snsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("1e200")}}}, snsbatch.ErrInvalidAttribute},
		{"deduplication id on a standard topic", "t", snsbatch.Config{}, snsbatch.Message{Body: "x", DeduplicationID: "d"}, snsbatch.ErrInvalidDeduplicationID},
		{"bad group id", "t", snsbatch.Config{}, snsbatch.Message{Body: "x", GroupID: "a b"}, snsbatch.ErrInvalidGroupID},
		{"FIFO without a group", "t.fifo", snsbatch.Config{}, snsbatch.Message{Body: "x", DeduplicationID: "d"}, snsbatch.ErrInvalidGroupID},
		{"FIFO without a deduplication id", "t.fifo", snsbatch.Config{}, snsbatch.Message{Body: "x", GroupID: "g"}, snsbatch.ErrInvalidDeduplicationID},
		{"too large", "t", snsbatch.Config{}, snsbatch.Message{Body: strings.Repeat("x", snsbatch.DefaultMaxMessageBytes-2), Attributes: map[string]types.MessageAttributeValue{"a": str("b")}}, batch.ErrItemTooLarge},
		{"too large for the topic", "t", snsbatch.Config{MaxMessageBytes: 1000}, snsbatch.Message{Body: strings.Repeat("x", 1001)}, batch.ErrItemTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.TopicARN = fake.CreateTopic(tc.topic, false)
			d := newDispatcher[snsbatch.Message](t, fake, tc.cfg)
			if err := d.Publish(t.Context(), tc.msg); !errors.Is(err, tc.want) {
				t.Errorf("Publish: %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("the largest message", func(t *testing.T) {
		d := newDispatcher[snsbatch.Message](t, fake, snsbatch.Config{TopicARN: fake.CreateTopic("largest", false)})
		m := snsbatch.Message{Body: strings.Repeat("é", (snsbatch.DefaultMaxMessageBytes-len("a")-len("String")-len("b"))/2), Attributes: map[string]types.MessageAttributeValue{"a": str("b")}}
		if err := d.PublishWait(t.Context(), m); err != nil {
			t.Errorf("PublishWait: %v", err)
		}
	})
}

// order is an item type that carries its FIFO ids and an attribute.
type order struct {
	Customer string `json:"customer"`
	Number   int    `json:"number"`
}

func (o order) MessageGroupID() string         { return o.Customer }
func (o order) MessageDeduplicationID() string { return fmt.Sprint(o.Customer, "-", o.Number) }
func (o order) MessageAttributes() map[string]types.MessageAttributeValue {
	return map[string]types.MessageAttributeValue{"customer": str(o.Customer)}
}

// TestEncoding checks what each kind of item becomes.
func TestEncoding(t *testing.T) {
	fake := testutil.NewFakeSNS()
	arn := fake.CreateTopic("orders.fifo", true)
	d := newDispatcher[any](t, fake, snsbatch.Config{TopicARN: arn, ContentBasedDeduplication: true})
	items := []any{
		order{Customer: "ann", Number: 1},
		snsbatch.Message{Body: "plain", Subject: "Hello", GroupID: "bob"},
		&snsbatch.Message{Body: "pointer", GroupID: "bob", DeduplicationID: "p"},
	}
	for _, it := range items {
		if err := d.Publish(t.Context(), it); err != nil {
			t.Fatalf("Publish(%v): %v", it, err)
		}
	}
	if err := d.Publish(t.Context(), "no group"); !errors.Is(err, snsbatch.ErrInvalidGroupID) {
		t.Errorf("Publish of a string on a FIFO topic: %v, want ErrInvalidGroupID", err)
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []testutil.FakeSNSMessage{
		{Body: `{"customer":"ann","number":1}`, GroupID: "ann", DeduplicationID: "ann-1", Attributes: map[string]types.MessageAttributeValue{"customer": str("ann")}},
		{Body: "plain", Subject: "Hello", GroupID: "bob"},
		{Body: "pointer", GroupID: "bob", DeduplicationID: "p"},
	}
	got := fake.Messages(arn)
	if len(got) == 3 && got[0].GroupID != "ann" { // groups go in parallel
		got = append(got[2:], got[:2]...)
	}
	if diff := cmp.Diff(want, got, ignoreAttrInternals); diff != "" {
		t.Errorf("messages mismatch (-want +got):\n%s", diff)
	}
}

// TestEntryOutcomes checks what SNS's Failed entries do: a sender fault
// fails the message with an *EntryError; a server fault or a throttle is
// retried until it passes, the throttle counted.
func TestEntryOutcomes(t *testing.T) {
	fake := testutil.NewFakeSNS()
	arn := fake.CreateTopic("t", false)
	fake.FailEntry = func(call int, e types.PublishBatchRequestEntry) *types.BatchResultErrorEntry {
		fail := func(sender bool, code string) *types.BatchResultErrorEntry {
			return &types.BatchResultErrorEntry{SenderFault: sender, Code: aws.String(code), Message: aws.String("no " + aws.ToString(e.Message))}
		}
		switch b := aws.ToString(e.Message); {
		case b == "1" && call == 1:
			return fail(false, "Throttled")
		case b == "2" && call <= 2:
			return fail(false, "InternalError")
		case b == "3":
			return fail(true, "InvalidParameter")
		}
		return nil
	}
	d := newDispatcher[string](t, fake, snsbatch.Config{TopicARN: arn})
	for i := range 5 {
		if err := d.Publish(t.Context(), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Flush(t.Context())
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) || len(fe.Failures) != 1 {
		t.Fatalf("Flush: %v, want one failure", err)
	}
	var ee *snsbatch.EntryError
	if !errors.As(fe.Failures[0].Err, &ee) {
		t.Fatalf("failure cause %v, want an *EntryError", fe.Failures[0].Err)
	}
	if diff := cmp.Diff(&snsbatch.EntryError{Code: "InvalidParameter", Message: "no 3", SenderFault: true, Service: "SNS"}, ee); diff != "" {
		t.Errorf("EntryError mismatch (-want +got):\n%s", diff)
	}
	if s := d.Stats(); s.Written != 4 || s.Failed != 1 || s.Retries != 3 || s.Throttled != 1 {
		t.Errorf("Stats: %+v; want 4 written, 1 failed, 3 retries, 1 throttled", s)
	}
}

// TestFIFOOrderUnderFaults publishes 3 interleaved groups to a FIFO topic
// whose entries fail at random, and checks that each group arrives whole,
// once, in order.
func TestFIFOOrderUnderFaults(t *testing.T) {
	fake := testutil.NewFakeSNS()
	arn := fake.CreateTopic("t.fifo", false)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	fake.FailEntry = func(int, types.PublishBatchRequestEntry) *types.BatchResultErrorEntry {
		mu.Lock()
		defer mu.Unlock()
		switch rng.IntN(10) {
		case 0:
			return &types.BatchResultErrorEntry{Code: aws.String("Throttled"), Message: aws.String("slow down")}
		case 1:
			return &types.BatchResultErrorEntry{Code: aws.String("InternalError"), Message: aws.String("oops")}
		}
		return nil
	}
	const groups, perGroup = 3, 300
	d := newDispatcher[snsbatch.Message](t, fake, snsbatch.Config{TopicARN: arn, Batch: batch.Config{MaxInFlight: 8, BackOff: func() backoff.BackOff {
		return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, 100)
	}}})
	for i := range perGroup {
		for g := range groups {
			m := snsbatch.Message{Body: fmt.Sprint(g, " ", i), GroupID: fmt.Sprint("g", g), DeduplicationID: fmt.Sprint(g, "-", i)}
			if err := d.Publish(t.Context(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	next := make([]int, groups)
	for _, m := range fake.Messages(arn) {
		var g, i int
		if _, err := fmt.Sscan(m.Body, &g, &i); err != nil || i != next[g] {
			t.Fatalf("message %q: want %d of group %d next", m.Body, next[g], g)
		}
		next[g]++
	}
	if diff := cmp.Diff([]int{perGroup, perGroup, perGroup}, next); diff != "" {
		t.Errorf("messages per group mismatch (-want +got):\n%s", diff)
	}
	if s := d.Stats(); s.Retries == 0 || s.Throttled == 0 {
		t.Errorf("Stats: %+v, want retries and throttles", s)
	}
}

// TestCallErrors checks what an error of a whole call does.
func TestCallErrors(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		failures  int
		batches   int64
		throttled bool
	}{
		{"unknown topic: every message fails at once", &types.NotFoundException{Message: aws.String("no topic")}, 25, 3, false},
		{"throttled once: retried, slower", &types.ThrottledException{Message: aws.String("slow down")}, 0, 4, true},
		{"internal error once: retried", &types.InternalErrorException{Message: aws.String("oops")}, 0, 4, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := testutil.NewFakeSNS()
			fake.FailCall = func(call int, _ *sns.PublishBatchInput) error {
				if call == 1 || tc.failures > 0 {
					return tc.err
				}
				return nil
			}
			d := newDispatcher[string](t, fake, snsbatch.Config{TopicARN: fake.CreateTopic("t", false), Batch: batch.Config{MaxInFlight: 1}})
			for range 25 {
				if err := d.Publish(t.Context(), "x"); err != nil {
					t.Fatal(err)
				}
			}
			err := d.Close(t.Context())
			var fe *batch.FailedError[string]
			got := 0
			if errors.As(err, &fe) {
				got = len(fe.Failures)
			} else if err != nil {
				t.Fatalf("Close: %v", err)
			}
			s := d.Stats()
			if got != tc.failures || s.Batches != tc.batches || (s.Throttled > 0) != tc.throttled {
				t.Errorf("%d failures, %d calls, %d throttled; want %d, %d, throttled %v", got, s.Batches, s.Throttled, tc.failures, tc.batches, tc.throttled)
			}
		})
	}
}
