package sqsbatch_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/sqsbatch"
	"github.com/batchutils/batchutils/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quickRetries retries at once, up to 20 times: unit tests need no waits.
func quickRetries() backoff.BackOff {
	return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, 20)
}

// sendAndClose sends bodies through a Dispatcher of client for the queue at
// url, with quickRetries, closes it, and returns it with the failures that
// Close reported (nil: none).
func sendAndClose(t *testing.T, client sqsbatch.Client, url string, bodies ...string) (*sqsbatch.Dispatcher[string], *batch.FailedError[string]) {
	t.Helper()
	d, err := sqsbatch.New[string](client, sqsbatch.Config{QueueURL: url, Batch: batch.Config{BackOff: quickRetries}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		if err := d.Send(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	var fe *batch.FailedError[string]
	if err := d.Close(t.Context()); err != nil && !errors.As(err, &fe) {
		t.Fatalf("Close: %v, want nil or a *batch.FailedError", err)
	}
	return d, fe
}

func closeOK[T any](t *testing.T, d *sqsbatch.Dispatcher[T]) {
	t.Helper()
	if err := d.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func str(s string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
}

func TestNewRefusesBadConfig(t *testing.T) {
	fake := testutil.NewFakeSQS()
	std := fake.CreateQueue("std", false)
	fifo := fake.CreateQueue("q.fifo", false)
	tests := []struct {
		name   string
		client sqsbatch.Client
		cfg    sqsbatch.Config
		want   string // in the error
	}{
		{"nil client", nil, sqsbatch.Config{QueueURL: std}, "needs a Client"},
		{"no URL", fake, sqsbatch.Config{}, "QueueURL is empty"},
		{"not a URL", fake, sqsbatch.Config{QueueURL: "queue"}, "not an http or https URL"},
		{"bad name", fake, sqsbatch.Config{QueueURL: "http://127.0.0.1:1/123/my queue"}, "does not end in a queue name"},
		{"only .fifo", fake, sqsbatch.Config{QueueURL: "http://127.0.0.1:1/123/.fifo"}, "does not end in a queue name"},
		{"name too long", fake, sqsbatch.Config{QueueURL: "http://127.0.0.1:1/123/" + strings.Repeat("a", 81)}, "does not end in a queue name"},
		{"max bytes too small", fake, sqsbatch.Config{QueueURL: std, MaxMessageBytes: 1023}, "MaxMessageBytes 1023"},
		{"max bytes too large", fake, sqsbatch.Config{QueueURL: std, MaxMessageBytes: 1<<20 + 1}, "MaxMessageBytes 1048577"},
		{"content dedup on standard", fake, sqsbatch.Config{QueueURL: std, ContentBasedDeduplication: true}, "FIFO queues only"},
		{"replace on FIFO", fake, sqsbatch.Config{QueueURL: fifo, Batch: batch.Config{Duplicates: batch.ReplaceDuplicates}}, "KeepDuplicates"},
		{"batch of 11", fake, sqsbatch.Config{QueueURL: std, Batch: batch.Config{MaxBatchItems: 11}}, "MaxBatchItems 11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := sqsbatch.New[string](tc.client, tc.cfg)
			if err == nil {
				d.Close(context.Background())
				t.Fatal("New: no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestSendRefusesBadMessages(t *testing.T) {
	fake := testutil.NewFakeSQS()
	std := fake.CreateQueue("std", false)
	fifo := fake.CreateQueue("q.fifo", false)
	cbd := fake.CreateQueue("cbd.fifo", true)
	many := map[string]types.MessageAttributeValue{}
	for i := range 11 {
		many[fmt.Sprintf("a%d", i)] = str("x")
	}
	tests := []struct {
		name  string
		queue string
		cbd   bool
		max   int
		msg   sqsbatch.Message
		want  error
	}{
		{"empty body", std, false, 0, sqsbatch.Message{}, sqsbatch.ErrInvalidMessage},
		{"NUL in body", std, false, 0, sqsbatch.Message{Body: "a\x00b"}, sqsbatch.ErrInvalidMessage},
		{"U+FFFF in body", std, false, 0, sqsbatch.Message{Body: "a\uffffb"}, sqsbatch.ErrInvalidMessage},
		{"not UTF-8", std, false, 0, sqsbatch.Message{Body: "a\xffb"}, sqsbatch.ErrInvalidMessage},
		{"too large", std, false, 0, sqsbatch.Message{Body: strings.Repeat("x", 1<<20+1)}, batch.ErrItemTooLarge},
		{"too large with attributes", std, false, 0, sqsbatch.Message{Body: strings.Repeat("x", 1<<20-10), Attributes: map[string]types.MessageAttributeValue{"name": str("value")}}, batch.ErrItemTooLarge},
		{"over the queue's max", std, false, 2048, sqsbatch.Message{Body: strings.Repeat("x", 2049)}, batch.ErrItemTooLarge},
		{"negative delay", std, false, 0, sqsbatch.Message{Body: "x", Delay: -time.Second}, sqsbatch.ErrInvalidMessage},
		{"delay over 15m", std, false, 0, sqsbatch.Message{Body: "x", Delay: 15*time.Minute + time.Second}, sqsbatch.ErrInvalidMessage},
		{"sub-second delay", std, false, 0, sqsbatch.Message{Body: "x", Delay: 1500 * time.Millisecond}, sqsbatch.ErrInvalidMessage},
		{"dedup id on standard", std, false, 0, sqsbatch.Message{Body: "x", DeduplicationID: "d"}, sqsbatch.ErrInvalidDeduplicationID},
		{"bad group id on standard", std, false, 0, sqsbatch.Message{Body: "x", GroupID: "a b"}, sqsbatch.ErrInvalidGroupID},
		{"no group on FIFO", fifo, false, 0, sqsbatch.Message{Body: "x", DeduplicationID: "d"}, sqsbatch.ErrInvalidGroupID},
		{"group id too long", fifo, false, 0, sqsbatch.Message{Body: "x", GroupID: strings.Repeat("g", 129), DeduplicationID: "d"}, sqsbatch.ErrInvalidGroupID},
		{"group id with é", fifo, false, 0, sqsbatch.Message{Body: "x", GroupID: "é", DeduplicationID: "d"}, sqsbatch.ErrInvalidGroupID},
		{"no dedup on FIFO", fifo, false, 0, sqsbatch.Message{Body: "x", GroupID: "g"}, sqsbatch.ErrInvalidDeduplicationID},
		{"dedup id with space", cbd, true, 0, sqsbatch.Message{Body: "x", GroupID: "g", DeduplicationID: "a b"}, sqsbatch.ErrInvalidDeduplicationID},
		{"delay on FIFO", fifo, false, 0, sqsbatch.Message{Body: "x", GroupID: "g", DeduplicationID: "d", Delay: time.Second}, sqsbatch.ErrInvalidMessage},
		{"11 attributes", std, false, 0, sqsbatch.Message{Body: "x", Attributes: many}, sqsbatch.ErrInvalidAttribute},
		{"attribute name AWS.", std, false, 0, sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"aws.x": str("v")}}, sqsbatch.ErrInvalidAttribute},
		{"attribute name with ..", std, false, 0, sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"a..b": str("v")}}, sqsbatch.ErrInvalidAttribute},
		{"attribute name with space", std, false, 0, sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"a b": str("v")}}, sqsbatch.ErrInvalidAttribute},
		{"attribute without type", std, false, 0, sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"a": {StringValue: aws.String("v")}}}, sqsbatch.ErrInvalidAttribute},
		{"attribute of type Text", std, false, 0, sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Text"), StringValue: aws.String("v")}}}, sqsbatch.ErrInvalidAttribute},
		{"empty string attribute", std, false, 0, sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"a": str("")}}, sqsbatch.ErrInvalidAttribute},
		{"number attribute not a number", std, false, 0, sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Number"), StringValue: aws.String("1e")}}}, sqsbatch.ErrInvalidAttribute},
		{"binary attribute empty", std, false, 0, sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Binary")}}}, sqsbatch.ErrInvalidAttribute},
		{"string attribute with NUL", std, false, 0, sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"a": str("\x00")}}, sqsbatch.ErrInvalidAttribute},
		{"list values", std, false, 0, sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String"), StringValue: aws.String("v"), StringListValues: []string{"v"}}}}, sqsbatch.ErrInvalidAttribute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := sqsbatch.New[sqsbatch.Message](fake, sqsbatch.Config{QueueURL: tc.queue, ContentBasedDeduplication: tc.cbd, MaxMessageBytes: tc.max})
			if err != nil {
				t.Fatal(err)
			}
			defer closeOK(t, d)
			err = d.Send(t.Context(), tc.msg)
			if !errors.Is(err, tc.want) {
				t.Errorf("Send: %v, want %v", err, tc.want)
			}
			if got := d.Stats().Rejected; got != 1 {
				t.Errorf("Stats().Rejected = %d, want 1", got)
			}
		})
	}
}

func TestCharacterError(t *testing.T) {
	tests := []struct {
		body       string
		wantOffset int
		wantChar   rune
	}{
		{"ok\x01", 2, 1},
		{"é\x1f", 2, 0x1f},
		{"ab\xc3", 2, utf8.RuneError},
		{"\U0001F600\uFFFE", 4, 0xFFFE},
	}
	fake := testutil.NewFakeSQS()
	d, err := sqsbatch.New[string](fake, sqsbatch.Config{QueueURL: fake.CreateQueue("q", false)})
	if err != nil {
		t.Fatal(err)
	}
	defer closeOK(t, d)
	for _, tc := range tests {
		err := d.Send(t.Context(), tc.body)
		var ce *sqsbatch.CharacterError
		if !errors.As(err, &ce) {
			t.Fatalf("Send(%q): %v, want a *CharacterError", tc.body, err)
		}
		got := [2]int{ce.Offset, int(ce.Char)}
		if diff := cmp.Diff([2]int{tc.wantOffset, int(tc.wantChar)}, got); diff != "" {
			t.Errorf("Send(%q): offset and char mismatch (-want +got):\n%s", tc.body, diff)
		}
	}
	// Every character SQS allows passes: the edges of each range.
	ok := "\t\n\r \ud7ff\ue000\ufffd\U00010000\U0010ffff"
	if err := d.Send(t.Context(), ok); err != nil {
		t.Errorf("Send(the edges of the allowed ranges): %v", err)
	}
}

func TestMaxSizeAccepted(t *testing.T) {
	fake := testutil.NewFakeSQS()
	url := fake.CreateQueue("q", false)
	d, err := sqsbatch.New[sqsbatch.Message](fake, sqsbatch.Config{QueueURL: url})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]types.MessageAttributeValue{
		"name": str("value"),                                                            // 4 + 6 + 5
		"n":    {DataType: aws.String("Number.int"), StringValue: aws.String("-1.5e3")}, // 1 + 10 + 6
		"bin":  {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},          // 3 + 6 + 3
	}
	body := strings.Repeat("x", sqsbatch.MaxMessageBytes-15-17-12)
	if err := d.Send(t.Context(), sqsbatch.Message{Body: body, Attributes: attrs}); err != nil {
		t.Fatalf("Send of exactly MaxMessageBytes: %v", err)
	}
	err = d.Send(t.Context(), sqsbatch.Message{Body: body + "x", Attributes: attrs})
	if !errors.Is(err, batch.ErrItemTooLarge) {
		t.Fatalf("Send of MaxMessageBytes+1: %v, want batch.ErrItemTooLarge", err)
	}
	// Two messages of 600 KiB never share a call: 1 MiB in all at most.
	for range 2 {
		if err := d.Send(t.Context(), sqsbatch.Message{Body: strings.Repeat("y", 600<<10)}); err != nil {
			t.Fatal(err)
		}
	}
	closeOK(t, d)
	if diff := cmp.Diff([]int{1, 1, 1}, fake.Calls()); diff != "" {
		t.Errorf("entries per call mismatch (-want +got):\n%s", diff)
	}
}

// event is a user type with its own ids and attributes.
type event struct {
	User string `json:"user"`
	Seq  int    `json:"seq"`
	Note string `json:"note,omitempty"`
}

func (e event) MessageGroupID() string         { return e.User }
func (e event) MessageDeduplicationID() string { return fmt.Sprintf("%s-%d", e.User, e.Seq) }
func (e event) MessageAttributes() map[string]types.MessageAttributeValue {
	return map[string]types.MessageAttributeValue{"user": str(e.User)}
}

type plain struct {
	A int    `json:"a"`
	B string `json:"b"`
}

func TestConversions(t *testing.T) {
	fake := testutil.NewFakeSQS()
	std := fake.CreateQueue("std", false)
	fifo := fake.CreateQueue("q.fifo", false)
	send := func(t *testing.T, url string, items ...any) []testutil.FakeMessage {
		t.Helper()
		d, err := sqsbatch.New[any](fake, sqsbatch.Config{QueueURL: url})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if err := d.Send(t.Context(), it); err != nil {
				t.Fatalf("Send(%v): %v", it, err)
			}
		}
		closeOK(t, d)
		return fake.Messages(url)
	}
	t.Run("standard", func(t *testing.T) {
		got := send(t, std,
			"a string",
			[]byte("some bytes"),
			sqsbatch.Message{Body: "m", Attributes: map[string]types.MessageAttributeValue{"k": str("v")}, Delay: 2 * time.Second, GroupID: "tenant"},
			&sqsbatch.Message{Body: "pointer"},
			plain{A: 1, B: "<&>"},
		)
		want := []testutil.FakeMessage{
			{Body: "a string"},
			{Body: "some bytes"},
			{Body: "m", Attributes: map[string]types.MessageAttributeValue{"k": str("v")}, DelaySeconds: 2, GroupID: "tenant"},
			{Body: "pointer"},
			{Body: `{"a":1,"b":"<&>"}`},
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(types.MessageAttributeValue{})); diff != "" {
			t.Errorf("messages mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("FIFO from methods", func(t *testing.T) {
		got := send(t, fifo, event{User: "ann", Seq: 1}, event{User: "ann", Seq: 2, Note: "é"})
		want := []testutil.FakeMessage{
			{Body: `{"user":"ann","seq":1}`, GroupID: "ann", DeduplicationID: "ann-1", Attributes: map[string]types.MessageAttributeValue{"user": str("ann")}},
			{Body: `{"user":"ann","seq":2,"note":"é"}`, GroupID: "ann", DeduplicationID: "ann-2", Attributes: map[string]types.MessageAttributeValue{"user": str("ann")}},
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(types.MessageAttributeValue{})); diff != "" {
			t.Errorf("messages mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("refused", func(t *testing.T) {
		d, err := sqsbatch.New[any](fake, sqsbatch.Config{QueueURL: std})
		if err != nil {
			t.Fatal(err)
		}
		defer closeOK(t, d)
		for _, it := range []any{(*sqsbatch.Message)(nil), make(chan int), ""} {
			if err := d.Send(t.Context(), it); !errors.Is(err, sqsbatch.ErrInvalidMessage) {
				t.Errorf("Send(%T): %v, want ErrInvalidMessage", it, err)
			}
		}
	})
}

// TestEntryOutcomes checks what happens to each entry SQS fails: refused
// with SenderFault, retried otherwise or when throttled, and the others of
// the call never sent again on a standard queue.
func TestEntryOutcomes(t *testing.T) {
	fake := testutil.NewFakeSQS()
	url := fake.CreateQueue("q", false)
	fake.FailEntry = func(call int, e types.SendMessageBatchRequestEntry) *types.BatchResultErrorEntry {
		if call != 1 {
			return nil
		}
		switch aws.ToString(e.MessageBody) {
		case "refused":
			return &types.BatchResultErrorEntry{SenderFault: true, Code: aws.String("InvalidParameterValue"), Message: aws.String("no")}
		case "server":
			return &types.BatchResultErrorEntry{SenderFault: false, Code: aws.String("InternalError"), Message: aws.String("oops")}
		case "throttled":
			return &types.BatchResultErrorEntry{SenderFault: true, Code: aws.String("RequestThrottled"), Message: aws.String("slow down")}
		}
		return nil
	}
	d, err := sqsbatch.New[string](fake, sqsbatch.Config{QueueURL: url, Batch: batch.Config{BackOff: quickRetries}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"a", "refused", "server", "b", "throttled", "c"} {
		if err := d.Send(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	err = d.Close(t.Context())
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) || len(fe.Failures) != 1 {
		t.Fatalf("Close: %v, want one failure", err)
	}
	var ee *sqsbatch.EntryError
	if !errors.As(fe.Failures[0].Err, &ee) {
		t.Fatalf("failure cause %v, want an *EntryError", fe.Failures[0].Err)
	}
	if diff := cmp.Diff(sqsbatch.EntryError{Code: "InvalidParameterValue", Message: "no", SenderFault: true, Service: "SQS"}, *ee); diff != "" {
		t.Errorf("EntryError mismatch (-want +got):\n%s", diff)
	}
	if fe.Failures[0].Item != "refused" {
		t.Errorf("failed item %q, want %q", fe.Failures[0].Item, "refused")
	}
	var bodies []string
	for _, m := range fake.Messages(url) {
		bodies = append(bodies, m.Body)
	}
	// A standard queue keeps no order: the retried ones come when they come.
	slices.Sort(bodies)
	if diff := cmp.Diff([]string{"a", "b", "c", "server", "throttled"}, bodies); diff != "" {
		t.Errorf("stored messages mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{6, 2}, fake.Calls()); diff != "" {
		t.Errorf("entries per call mismatch (-want +got):\n%s", diff)
	}
	s := d.Stats()
	if diff := cmp.Diff([3]int64{6, 5, 1}, [3]int64{s.Submitted, s.Written, s.Failed}); diff != "" {
		t.Errorf("Stats submitted, written, failed mismatch (-want +got):\n%s", diff)
	}
}

// TestCallErrors checks how whole-call errors are handled: refusals of the
// request fail every message at once, throttling and server errors are
// retried.
func TestCallErrors(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantFailed  int
		wantStored  int
		wantIs      error
		wantBatches int64
	}{
		{"queue gone", &types.QueueDoesNotExist{Message: aws.String("gone")}, 3, 0, nil, 1},
		// A FIFO queue without content-based deduplication, when Config
		// says it has it, refuses every entry alike (moto refuses the
		// call with an entry's code): no split, no retry.
		{"entries refused alike", &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "no deduplication id"}, 3, 0, nil, 1},
		{"throttled once", &types.RequestThrottled{Message: aws.String("slow")}, 0, 3, nil, 2},
		{"server error once", errors.New("connection reset"), 0, 3, nil, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := testutil.NewFakeSQS()
			url := fake.CreateQueue("q", false)
			permanent := tc.wantFailed > 0
			fake.FailCall = func(call int, _ *sqs.SendMessageBatchInput) error {
				if call == 1 || permanent {
					return tc.err
				}
				return nil
			}
			d, fe := sendAndClose(t, fake, url, "a", "b", "c")
			failed := 0
			if fe != nil {
				failed = len(fe.Failures)
			}
			got := []int{failed, len(fake.Messages(url)), int(d.Stats().Batches)}
			if diff := cmp.Diff([]int{tc.wantFailed, tc.wantStored, int(tc.wantBatches)}, got); diff != "" {
				t.Errorf("failed, stored, batches mismatch (-want +got):\n%s", diff)
			}
			if permanent && (fe == nil || !errors.Is(fe, tc.err)) {
				t.Errorf("Close: %v, want it to wrap %v", fe, tc.err)
			}
		})
	}
}

// TestFIFOOrderUnderEntryFailures sends 16 groups at 8 calls in flight
// while a fifth of the entries fail for a retry (a quarter of those
// throttled) and a few are refused, and
// checks that each group is stored in order, each message once, and that
// exactly the refused ones are reported.
func TestFIFOOrderUnderEntryFailures(t *testing.T) {
	const groups, perGroup = 16, 300
	fake := testutil.NewFakeSQS()
	url := fake.CreateQueue("orders.fifo", false)
	rng := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	fake.FailEntry = func(_ int, e types.SendMessageBatchRequestEntry) *types.BatchResultErrorEntry {
		mu.Lock()
		defer mu.Unlock()
		switch x := rng.Float64(); {
		case x < 0.01 && strings.HasSuffix(aws.ToString(e.MessageDeduplicationId), "7"):
			return &types.BatchResultErrorEntry{SenderFault: true, Code: aws.String("InvalidParameterValue"), Message: aws.String("refused")}
		case x < 0.15:
			return &types.BatchResultErrorEntry{SenderFault: false, Code: aws.String("InternalError"), Message: aws.String("retry")}
		case x < 0.20:
			return &types.BatchResultErrorEntry{SenderFault: false, Code: aws.String("ThrottlingException"), Message: aws.String("slow down")}
		}
		return nil
	}
	d, err := sqsbatch.New[event](fake, sqsbatch.Config{QueueURL: url, Batch: batch.Config{MaxInFlight: 8, BackOff: quickRetries}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range perGroup {
		for g := range groups {
			if err := d.Send(t.Context(), event{User: fmt.Sprint("user", g), Seq: i}); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = d.Close(t.Context())
	refused := map[string]bool{}
	var fe *batch.FailedError[event]
	if errors.As(err, &fe) {
		for _, f := range fe.Failures {
			var ee *sqsbatch.EntryError
			if !errors.As(f.Err, &ee) || ee.Code != "InvalidParameterValue" {
				t.Fatalf("failure of %v: %v, want a refusal", f.Item, f.Err)
			}
			refused[f.Item.MessageDeduplicationID()] = true
		}
	} else if err != nil {
		t.Fatalf("Close: %v", err)
	}
	next := map[string]int{}
	for _, m := range fake.Messages(url) {
		var e event
		if _, err := fmt.Sscanf(m.DeduplicationID, "%s", new(string)); err != nil {
			t.Fatal(err)
		}
		e.User = m.GroupID
		fmt.Sscanf(strings.TrimPrefix(m.DeduplicationID, m.GroupID+"-"), "%d", &e.Seq)
		for refused[event{User: e.User, Seq: next[e.User]}.MessageDeduplicationID()] {
			next[e.User]++
		}
		if e.Seq != next[e.User] {
			t.Fatalf("group %s: stored message %d, want %d (out of order, lost or twice)", e.User, e.Seq, next[e.User])
		}
		next[e.User]++
	}
	stored := len(fake.Messages(url))
	if stored+len(refused) != groups*perGroup {
		t.Errorf("stored %d and refused %d, want %d in all", stored, len(refused), groups*perGroup)
	}
	s := d.Stats()
	if s.Written != int64(stored) || s.Failed != int64(len(refused)) || s.Retries == 0 {
		t.Errorf("Stats: written %d, failed %d, retries %d; want %d, %d, some", s.Written, s.Failed, s.Retries, stored, len(refused))
	}
	t.Logf("%d calls, %d retries, %d refused", s.Batches, s.Retries, len(refused))
}

func TestSendWait(t *testing.T) {
	fake := testutil.NewFakeSQS()
	url := fake.CreateQueue("q", false)
	fake.FailEntry = func(_ int, e types.SendMessageBatchRequestEntry) *types.BatchResultErrorEntry {
		if aws.ToString(e.MessageBody) == "refuse me" {
			return &types.BatchResultErrorEntry{SenderFault: true, Code: aws.String("InvalidParameterValue"), Message: aws.String("no")}
		}
		return nil
	}
	d, err := sqsbatch.New[string](fake, sqsbatch.Config{QueueURL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer closeOK(t, d)
	var wg sync.WaitGroup
	errs := make([]error, 30)
	for i := range errs {
		wg.Go(func() { errs[i] = d.SendWait(t.Context(), fmt.Sprint("message ", i)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("SendWait %d: %v", i, err)
		}
	}
	if got := len(fake.Messages(url)); got != 30 {
		t.Errorf("stored %d messages, want 30", got)
	}
	var ee *sqsbatch.EntryError
	if err := d.SendWait(t.Context(), "refuse me"); !errors.As(err, &ee) || ee.Code != "InvalidParameterValue" {
		t.Errorf("SendWait of a refused message: %v, want an *EntryError", err)
	}
	if err := d.SendWait(t.Context(), ""); !errors.Is(err, sqsbatch.ErrInvalidMessage) {
		t.Errorf("SendWait of an empty message: %v, want ErrInvalidMessage", err)
	}
}
