package eventbridgebatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/eventbridgebatch"
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
func newDispatcher[T any](t *testing.T, client eventbridgebatch.Client, cfg eventbridgebatch.Config) *eventbridgebatch.Dispatcher[T] {
	t.Helper()
	if cfg.Batch.BackOff == nil {
		cfg.Batch.BackOff = quickRetries
	}
	d, err := eventbridgebatch.New[T](client, cfg)
	if err != nil {
		t.Fatalf("eventbridgebatch.New: %v", err)
	}
	t.Cleanup(func() { d.Close(context.Background()) })
	return d
}

func TestNewRefusesBadConfig(t *testing.T) {
	fake := testutil.NewFakeEventBridge()
	tests := []struct {
		name string
		new  func() error
	}{
		{"nil client", func() error {
			_, err := eventbridgebatch.New[eventbridgebatch.Event](nil, eventbridgebatch.Config{})
			return err
		}},
		{"bad bus name", func() error {
			_, err := eventbridgebatch.New[eventbridgebatch.Event](fake, eventbridgebatch.Config{EventBus: "my bus"})
			return err
		}},
		{"bad bus ARN", func() error {
			_, err := eventbridgebatch.New[eventbridgebatch.Event](fake, eventbridgebatch.Config{EventBus: "arn:aws:events:us-east-1:123:event-bus/x"})
			return err
		}},
		{"no source for a type of its own", func() error {
			_, err := eventbridgebatch.New[map[string]int](fake, eventbridgebatch.Config{DetailType: "t"})
			return err
		}},
		{"detail type too long", func() error {
			_, err := eventbridgebatch.New[any](fake, eventbridgebatch.Config{Source: "s", DetailType: strings.Repeat("é", 129)})
			return err
		}},
		{"too many entries", func() error {
			_, err := eventbridgebatch.New[any](fake, eventbridgebatch.Config{Batch: batch.Config{MaxBatchItems: 11}})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.new(); err == nil {
				t.Fatal("New succeeded, want an error")
			}
		})
	}
	for _, bus := range []string{"", "default", "my-bus.x_y/z", "arn:aws:events:eu-west-1:123456789012:event-bus/my-bus"} {
		d, err := eventbridgebatch.New[eventbridgebatch.Event](fake, eventbridgebatch.Config{EventBus: bus})
		if err != nil {
			t.Errorf("New with EventBus %q: %v", bus, err)
			continue
		}
		d.Close(context.Background())
	}
}

// sized returns an event whose size by EventBridge's count is n, with a
// time and a resource.
func sized(n int) eventbridgebatch.Event {
	const overhead = len("src") + len("type") + len(`{"a":""}`) + len("arn:x") + eventbridgebatch.TimeBytes
	return eventbridgebatch.Event{
		Source: "src", DetailType: "type", Resources: []string{"arn:x"},
		Detail: `{"a":"` + strings.Repeat("x", n-overhead) + `"}`,
		Time:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestPutRefuses(t *testing.T) {
	tests := []struct {
		name string
		item any
		want error
	}{
		{"nil *Event", (*eventbridgebatch.Event)(nil), eventbridgebatch.ErrInvalidEvent},
		{"no source", eventbridgebatch.Event{DetailType: "t", Detail: "{}"}, eventbridgebatch.ErrInvalidEvent},
		{"no detail type", eventbridgebatch.Event{Source: "s", Detail: "{}"}, eventbridgebatch.ErrInvalidEvent},
		{"source not UTF-8", eventbridgebatch.Event{Source: "s\xff", DetailType: "t", Detail: "{}"}, eventbridgebatch.ErrInvalidEvent},
		{"no detail", eventbridgebatch.Event{Source: "s", DetailType: "t"}, eventbridgebatch.ErrInvalidDetail},
		{"detail an array", eventbridgebatch.Event{Source: "s", DetailType: "t", Detail: []int{1}}, eventbridgebatch.ErrInvalidDetail},
		{"detail a JSON string", eventbridgebatch.Event{Source: "s", DetailType: "t", Detail: `"x"`}, eventbridgebatch.ErrInvalidDetail},
		{"detail not JSON", eventbridgebatch.Event{Source: "s", DetailType: "t", Detail: []byte(`{"a":}`)}, eventbridgebatch.ErrInvalidDetail},
		{"detail not UTF-8", eventbridgebatch.Event{Source: "s", DetailType: "t", Detail: json.RawMessage("{\"a\":\"\xff\"}")}, eventbridgebatch.ErrInvalidDetail},
		{"detail cannot be encoded", eventbridgebatch.Event{Source: "s", DetailType: "t", Detail: map[string]any{"f": func() {}}}, eventbridgebatch.ErrInvalidDetail},
		{"a number as the detail", eventbridgebatch.Event{Source: "s", DetailType: "t", Detail: 42}, eventbridgebatch.ErrInvalidDetail},
		{"not an Event, without Config.Source", map[string]int{}, eventbridgebatch.ErrInvalidEvent},
		{"too large", sized(eventbridgebatch.MaxBatchBytes), batch.ErrItemTooLarge},
	}
	d := newDispatcher[any](t, testutil.NewFakeEventBridge(), eventbridgebatch.Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := d.Put(t.Context(), tc.item); !errors.Is(err, tc.want) {
				t.Errorf("Put: %v, want %v", err, tc.want)
			}
		})
	}
	if s := d.Stats(); s.Rejected != int64(len(tests)) || s.Submitted != 0 {
		t.Errorf("Stats: %d rejected, %d submitted; want %d, 0", s.Rejected, s.Submitted, len(tests))
	}
}

// TestPutLargest puts events of exactly the largest size, by EventBridge's
// count: each goes in a call of its own.
func TestPutLargest(t *testing.T) {
	fake := testutil.NewFakeEventBridge()
	d := newDispatcher[eventbridgebatch.Event](t, fake, eventbridgebatch.Config{})
	for range 3 {
		if err := d.Put(t.Context(), sized(eventbridgebatch.MaxBatchBytes-1)); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 1, 1}, fake.Calls()); diff != "" {
		t.Errorf("entries per call mismatch (-want +got):\n%s", diff)
	}
}

type order struct {
	ID    int    `json:"id"`
	Note  string `json:"note"`
	Price string `json:"price,omitempty"`
}

// TestEncoding checks what each kind of item becomes.
func TestEncoding(t *testing.T) {
	fake := testutil.NewFakeEventBridge()
	arn := fake.CreateEventBus("orders")
	d := newDispatcher[any](t, fake, eventbridgebatch.Config{EventBus: arn, Source: "shop", DetailType: "Order"})
	at := time.Date(2026, 12, 3, 14, 0, 0, 0, time.FixedZone("CET", 3600))
	items := []any{
		order{ID: 1, Note: "<a & b>"},
		&order{ID: 2},
		map[string]any{"id": 3},
		`{"id": 4}`,
		[]byte(`{"id":5}`),
		json.RawMessage(`{"id":6}`),
		eventbridgebatch.Event{Detail: order{ID: 7}},
		&eventbridgebatch.Event{Source: "other", DetailType: "Other", Detail: "{}", Resources: []string{"arn:r1", "arn:r2"}, Time: at},
	}
	for _, it := range items {
		if err := d.Put(t.Context(), it); err != nil {
			t.Fatalf("Put(%v): %v", it, err)
		}
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	ev := func(detail string) testutil.FakeEvent {
		return testutil.FakeEvent{Source: "shop", DetailType: "Order", Detail: detail}
	}
	want := []testutil.FakeEvent{
		ev(`{"id":1,"note":"<a & b>"}`),
		ev(`{"id":2,"note":""}`),
		ev(`{"id":3}`),
		ev(`{"id": 4}`),
		ev(`{"id":5}`),
		ev(`{"id":6}`),
		ev(`{"id":7,"note":""}`),
		{Source: "other", DetailType: "Other", Detail: "{}", Resources: []string{"arn:r1", "arn:r2"}, Time: "2026-12-03T13:00:00Z"},
	}
	if diff := cmp.Diff(want, fake.Events("orders")); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
}

// TestEntryOutcomes checks what each per-entry error code does: throttled
// and internal failures are retried until they pass, with the throttle
// counted; other codes fail their event with an *EntryError.
func TestEntryOutcomes(t *testing.T) {
	fake := testutil.NewFakeEventBridge()
	fake.FailEntry = func(call int, e types.PutEventsRequestEntry) *types.PutEventsResultEntry {
		fail := func(code string) *types.PutEventsResultEntry {
			return &types.PutEventsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String("no " + aws.ToString(e.Detail))}
		}
		switch d := aws.ToString(e.Detail); {
		case d == `{"n":1}` && call == 1:
			return fail("ThrottlingException")
		case d == `{"n":2}` && call <= 2:
			return fail("InternalFailure")
		case d == `{"n":3}`:
			return fail("NotAuthorizedForSourceException")
		}
		return nil
	}
	d := newDispatcher[map[string]int](t, fake, eventbridgebatch.Config{Source: "s", DetailType: "t"})
	for n := range 5 {
		if err := d.Put(t.Context(), map[string]int{"n": n}); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Flush(t.Context())
	var fe *batch.FailedError[map[string]int]
	if !errors.As(err, &fe) || len(fe.Failures) != 1 {
		t.Fatalf("Flush: %v, want one failure", err)
	}
	var ee *eventbridgebatch.EntryError
	if !errors.As(fe.Failures[0].Err, &ee) {
		t.Fatalf("failure cause %v, want an *EntryError", fe.Failures[0].Err)
	}
	if diff := cmp.Diff(&eventbridgebatch.EntryError{Code: "NotAuthorizedForSourceException", Message: `no {"n":3}`, Service: "EventBridge"}, ee); diff != "" {
		t.Errorf("EntryError mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"n": 3}, fe.Failures[0].Item); diff != "" {
		t.Errorf("failed item mismatch (-want +got):\n%s", diff)
	}
	s := d.Stats()
	if s.Written != 4 || s.Failed != 1 || s.Retries != 3 || s.Throttled != 1 {
		t.Errorf("Stats: %+v; want 4 written, 1 failed, 3 retries, 1 throttled", s)
	}
	if got := len(fake.Events("")); got != 4 {
		t.Errorf("%d events on the bus, want 4", got)
	}
}

// TestRetriesGiveUp checks that an event throttled on every try fails with
// batch.ErrUnprocessed and EventBridge's last answer.
func TestRetriesGiveUp(t *testing.T) {
	fake := testutil.NewFakeEventBridge()
	fake.FailEntry = func(int, types.PutEventsRequestEntry) *types.PutEventsResultEntry {
		return &types.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("slow down")}
	}
	d := newDispatcher[string](t, fake, eventbridgebatch.Config{Source: "s", DetailType: "t", Batch: batch.Config{
		BackOff: func() backoff.BackOff { return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, 2) },
	}})
	err := d.PutWait(t.Context(), `{}`)
	var ee *eventbridgebatch.EntryError
	if !errors.Is(err, batch.ErrUnprocessed) || !errors.As(err, &ee) || ee.Code != "ThrottlingException" {
		t.Errorf("PutWait: %v, want batch.ErrUnprocessed with ThrottlingException", err)
	}
}

// apiError is an error of a whole call, as the SDK returns it.
type apiError struct{ code string }

func (e apiError) Error() string                 { return e.code }
func (e apiError) ErrorCode() string             { return e.code }
func (e apiError) ErrorMessage() string          { return e.code }
func (e apiError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

// TestCallErrors checks what an error of a whole call does to its events.
func TestCallErrors(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		failures  int // of 25 events
		batches   int64
		throttled bool
	}{
		{"unknown bus: every event fails at once", &types.ResourceNotFoundException{Message: aws.String("no bus")}, 25, 3, false},
		{"denied: every event fails at once", apiError{"AccessDeniedException"}, 25, 3, false},
		{"throttled once: retried, slower", apiError{"ThrottlingException"}, 0, 4, true},
		{"internal error once: retried", &types.InternalException{Message: aws.String("oops")}, 0, 4, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := testutil.NewFakeEventBridge()
			fake.FailCall = func(call int, _ *eventbridge.PutEventsInput) error {
				if call == 1 || tc.failures > 0 {
					return tc.err
				}
				return nil
			}
			d := newDispatcher[string](t, fake, eventbridgebatch.Config{Source: "s", DetailType: "t", Batch: batch.Config{MaxInFlight: 1}})
			for range 25 {
				if err := d.Put(t.Context(), `{}`); err != nil {
					t.Fatal(err)
				}
			}
			err := d.Close(t.Context())
			var fe *batch.FailedError[string]
			got := 0
			if errors.As(err, &fe) {
				got = len(fe.Failures)
				if !errors.Is(fe.Failures[0].Err, tc.err) {
					t.Errorf("failure cause %v, want %v", fe.Failures[0].Err, tc.err)
				}
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

// shortAnswer answers fewer entries than it was sent, on its first call.
type shortAnswer struct {
	*testutil.FakeEventBridge
	calls int
}

func (c *shortAnswer) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out, err := c.FakeEventBridge.PutEvents(ctx, in, opts...)
	if c.calls++; c.calls == 1 && err == nil {
		out.Entries = out.Entries[:len(out.Entries)-1]
	}
	return out, err
}

// TestShortAnswer checks that an answer that does not say what became of
// every entry is retried whole: nothing is lost, though some events may be
// put twice.
func TestShortAnswer(t *testing.T) {
	c := &shortAnswer{FakeEventBridge: testutil.NewFakeEventBridge()}
	d := newDispatcher[string](t, c, eventbridgebatch.Config{Source: "s", DetailType: "t"})
	for range 3 {
		if err := d.Put(t.Context(), `{}`); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s := d.Stats(); s.Written != 3 || s.Retries != 3 {
		t.Errorf("Stats: %+v, want 3 written, 3 retries", s)
	}
	if got := len(c.Events("")); got != 6 {
		t.Errorf("%d events on the bus, want 6 (3 of them twice)", got)
	}
}

// TestNothingLostUnderFaults puts 2,000 events while entries and calls fail
// at random, and checks that each event is either on the bus once or
// reported once, with the code of its refusal.
func TestNothingLostUnderFaults(t *testing.T) {
	fake := testutil.NewFakeEventBridge()
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(3, 4))
	roll := func() int {
		mu.Lock()
		defer mu.Unlock()
		return rng.IntN(20)
	}
	fake.FailCall = func(int, *eventbridge.PutEventsInput) error {
		switch roll() {
		case 0:
			return apiError{"ThrottlingException"}
		case 1:
			return &types.InternalException{Message: aws.String("oops")}
		}
		return nil
	}
	fake.FailEntry = func(_ int, e types.PutEventsRequestEntry) *types.PutEventsResultEntry {
		code := map[int]string{0: "ThrottlingException", 1: "InternalFailure", 2: "InternalFailure"}[roll()]
		if strings.HasSuffix(aws.ToString(e.Detail), `7}`) && roll() < 4 {
			code = "NotAuthorizedForDetailTypeException"
		}
		if code == "" {
			return nil
		}
		return &types.PutEventsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String("no")}
	}
	d := newDispatcher[map[string]int](t, fake, eventbridgebatch.Config{Source: "s", DetailType: "t", Batch: batch.Config{
		MaxInFlight: 8, BackOff: func() backoff.BackOff { return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, 100) },
	}})
	const total = 2000
	for i := range total {
		if err := d.Put(t.Context(), map[string]int{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	seen := make(map[int]int, total)
	err := d.Close(t.Context())
	var fe *batch.FailedError[map[string]int]
	if errors.As(err, &fe) {
		for _, f := range fe.Failures {
			var ee *eventbridgebatch.EntryError
			if !errors.As(f.Err, &ee) || ee.Code != "NotAuthorizedForDetailTypeException" || f.Item["i"]%10 != 7 {
				t.Errorf("event %d failed with %v, want only refusals of events ending in 7", f.Item["i"], f.Err)
			}
			seen[f.Item["i"]]++
		}
	} else if err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, e := range fake.Events("") {
		var v map[string]int
		if err := json.Unmarshal([]byte(e.Detail), &v); err != nil {
			t.Fatal(err)
		}
		seen[v["i"]]++
	}
	for i := range total {
		if seen[i] != 1 {
			t.Errorf("event %d put or reported %d times, want once", i, seen[i])
		}
	}
	if s := d.Stats(); s.Throttled == 0 || s.Retries == 0 || s.Written+s.Failed != total {
		t.Errorf("Stats: %+v, want throttles, retries, and %d written or failed", s, total)
	}
}
