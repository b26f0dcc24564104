package firehosebatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/firehosebatch"
	"github.com/batchutils/batchutils/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quick retries a few times, 1ms apart.
func quick(n uint64) func() backoff.BackOff {
	return func() backoff.BackOff {
		return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Millisecond), n)
	}
}

// newDispatcher returns a Dispatcher, closed when the test ends, that
// retries 20 times 1ms apart unless cfg says otherwise.
func newDispatcher[T any](t *testing.T, client firehosebatch.Client, cfg firehosebatch.Config) *firehosebatch.Dispatcher[T] {
	t.Helper()
	if cfg.DeliveryStream == "" {
		cfg.DeliveryStream = "s"
	}
	if cfg.Batch.BackOff == nil {
		cfg.Batch.BackOff = quick(20)
	}
	d, err := firehosebatch.New[T](client, cfg)
	if err != nil {
		t.Fatalf("firehosebatch.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d.Close(ctx)
	})
	return d
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeFirehose{}
	tests := []struct {
		name    string
		client  firehosebatch.Client
		cfg     firehosebatch.Config
		wantErr string // a part of the error; "" for none
	}{
		{name: "valid", client: fake, cfg: firehosebatch.Config{DeliveryStream: "clicks_2024.v-1"}},
		{name: "64 characters", client: fake, cfg: firehosebatch.Config{DeliveryStream: strings.Repeat("s", 64)}},
		{name: "nil client", cfg: firehosebatch.Config{DeliveryStream: "s"}, wantErr: "needs a Client"},
		{name: "no stream", client: fake, wantErr: "Config.DeliveryStream"},
		{name: "65 characters", client: fake, cfg: firehosebatch.Config{DeliveryStream: strings.Repeat("s", 65)}, wantErr: "Config.DeliveryStream"},
		{name: "an ARN", client: fake, cfg: firehosebatch.Config{DeliveryStream: "arn:aws:firehose:us-east-1:123456789012:deliverystream/s"}, wantErr: "Config.DeliveryStream"},
		{name: "batch over 500", client: fake, cfg: firehosebatch.Config{DeliveryStream: "s", Batch: batch.Config{MaxBatchItems: 501}},
			wantErr: "firehosebatch: Config.Batch.MaxBatchItems"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := firehosebatch.New[string](tc.client, tc.cfg)
			if err == nil {
				d.Close(t.Context())
			}
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && !strings.Contains(got, tc.wantErr) {
				t.Errorf("New: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

// putClose puts item into a new Dispatcher on fake and closes it.
func putClose[T any](t *testing.T, fake *testutil.FakeFirehose, item T) error {
	t.Helper()
	d := newDispatcher[T](t, fake, firehosebatch.Config{})
	if err := d.Put(t.Context(), item); err != nil {
		return err
	}
	return d.Close(t.Context())
}

type page struct {
	URL  string `json:"url"`
	Hits int    `json:"hits"`
}

// TestConversions checks the data each kind of item becomes.
func TestConversions(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeFirehose{}
	for _, err := range []error{
		putClose(t, fake, []byte("raw\n")),
		putClose(t, fake, []byte(nil)),
		putClose(t, fake, "text\n"),
		putClose(t, fake, page{URL: "/a?b=1&c=<2>", Hits: 3}),
		putClose(t, fake, &page{URL: "/p"}),
		putClose(t, fake, map[string]int{"n": 1}),
		putClose(t, fake, json.RawMessage(`{"raw":true}`)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"raw\n", "", "text\n", `{"url":"/a?b=1&c=<2>","hits":3}`, `{"url":"/p","hits":0}`, `{"n":1}`, `{"raw":true}`}
	if diff := cmp.Diff(want, fake.Records()); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
}

func TestPutRefused(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeFirehose{}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"1,000 KiB and 1 byte", putClose(t, fake, strings.Repeat("x", firehosebatch.MaxRecordBytes+1)), batch.ErrItemTooLarge},
		{"JSON over 1,000 KiB", putClose(t, fake, page{URL: strings.Repeat("x", firehosebatch.MaxRecordBytes)}), batch.ErrItemTooLarge},
		{"nil pointer", putClose(t, fake, (*page)(nil)), firehosebatch.ErrInvalidRecord},
		{"nil interface", putClose[any](t, fake, nil), firehosebatch.ErrInvalidRecord},
		{"not JSON", putClose(t, fake, func() {}), firehosebatch.ErrInvalidRecord},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: Put: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	if err := putClose(t, fake, strings.Repeat("x", firehosebatch.MaxRecordBytes)); err != nil {
		t.Errorf("Put of exactly 1,000 KiB: %v", err)
	}
	if n := len(fake.Calls()); n != 1 {
		t.Errorf("%d calls, want 1: refused records are never sent", n)
	}
}

// TestBatchLimits checks that calls hold at most 500 records and 4 MiB.
func TestBatchLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    int
		size int
		want []int
	}{
		{name: "count", n: 1200, size: 10, want: []int{500, 500, 200}},
		{name: "bytes", n: 10, size: 1000 << 10, want: []int{4, 4, 2}},
		{name: "bytes exactly", n: 8, size: 1 << 20, want: []int{4, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &testutil.FakeFirehose{}
			d := newDispatcher[[]byte](t, fake, firehosebatch.Config{Batch: batch.Config{MaxInFlight: 1}})
			for range tc.n {
				if err := d.Put(t.Context(), make([]byte, min(tc.size, firehosebatch.MaxRecordBytes))); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			var got []int
			for _, c := range fake.Calls() {
				got = append(got, len(c))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("call sizes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRecordOutcomes checks what each per-record answer does: a throttled
// record is retried and slows the rate, an internal failure is retried, any
// other code fails the record with a *EntryError.
func TestRecordOutcomes(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeFirehose{Answer: func(call int, data string) (string, string) {
		switch {
		case data == "refused":
			return "KMS.AccessDeniedException", "no access to the key"
		case call == 1 && data == "hot":
			return "ServiceUnavailableException", "Slow down."
		case call == 1 && data == "flaky":
			return "InternalFailure", "try again"
		}
		return "", ""
	}}
	d := newDispatcher[string](t, fake, firehosebatch.Config{})
	for _, s := range []string{"hot", "fine", "refused", "flaky"} {
		if err := d.Put(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Close(t.Context())
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) || len(fe.Failures) != 1 || fe.Failures[0].Item != "refused" {
		t.Fatalf("Close: %v, want the refused record alone", err)
	}
	var re *firehosebatch.EntryError
	if !errors.As(fe.Failures[0].Err, &re) || re.Code != "KMS.AccessDeniedException" || re.Message != "no access to the key" {
		t.Errorf("cause %v, want a *EntryError with the code and message", fe.Failures[0].Err)
	}
	got := fake.Records()
	slices.Sort(got)
	if diff := cmp.Diff([]string{"fine", "flaky", "hot"}, got); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
	if st := d.Stats(); st.Retries != 2 || st.Throttled != 1 || st.Batches != 2 {
		t.Errorf("Stats %+v: want 2 retries in a second call, 1 throttled call", st)
	}
}

// TestRetriesExhausted checks that a record throttled until the policy gives
// up fails with batch.ErrUnprocessed and its last answer.
func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeFirehose{Answer: func(int, string) (string, string) { return "ServiceUnavailableException", "Slow down." }}
	d := newDispatcher[string](t, fake, firehosebatch.Config{Batch: batch.Config{BackOff: quick(3)}})
	if err := d.Put(t.Context(), "x"); err != nil {
		t.Fatal(err)
	}
	err := d.Close(t.Context())
	var re *firehosebatch.EntryError
	if !errors.Is(err, batch.ErrUnprocessed) || !errors.As(err, &re) || re.Code != "ServiceUnavailableException" {
		t.Errorf("Close: %v, want batch.ErrUnprocessed with the last answer", err)
	}
	if n := len(fake.Calls()); n != 4 {
		t.Errorf("%d calls, want 4 (the first and 3 retries)", n)
	}
}

// shortAnswer answers PutRecordBatch with fewer responses than records.
type shortAnswer struct{ calls int }

func (c *shortAnswer) PutRecordBatch(_ context.Context, in *firehose.PutRecordBatchInput, _ ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error) {
	c.calls++
	return &firehose.PutRecordBatchOutput{RequestResponses: make([]types.PutRecordBatchResponseEntry, len(in.Records)-1)}, nil
}

// TestShortAnswer checks that an answer that does not match the call is
// retried, and its records end as maybe written.
func TestShortAnswer(t *testing.T) {
	t.Parallel()
	client := &shortAnswer{}
	d := newDispatcher[string](t, client, firehosebatch.Config{Batch: batch.Config{BackOff: quick(1)}})
	d.Put(t.Context(), "a")
	d.Put(t.Context(), "b")
	if err := d.Close(t.Context()); !errors.Is(err, batch.ErrOutcomeUnknown) {
		t.Errorf("Close: %v, want batch.ErrOutcomeUnknown", err)
	}
	if client.calls != 2 {
		t.Errorf("%d calls, want 2", client.calls)
	}
}

// TestCallErrors checks what each kind of error of a whole call does.
func TestCallErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		written   int64
		throttled bool
		calls     int
	}{
		{name: "service unavailable", err: &types.ServiceUnavailableException{Message: aws.String("Slow down.")}, written: 10, throttled: true, calls: 2},
		{name: "throttling", err: &smithy.GenericAPIError{Code: "ThrottlingException"}, written: 10, throttled: true, calls: 2},
		{name: "server error", err: &smithy.GenericAPIError{Code: "InternalFailure", Fault: smithy.FaultServer}, written: 10, calls: 2},
		{name: "network", err: errors.New("connection reset"), written: 10, calls: 2},
		{name: "unknown stream", err: &types.ResourceNotFoundException{Message: aws.String("no stream")}, calls: 1},
		{name: "KMS key", err: &types.InvalidKMSResourceException{Message: aws.String("key disabled")}, calls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &testutil.FakeFirehose{Err: func(call int) error {
				if call == 1 {
					return tc.err
				}
				return nil
			}}
			d := newDispatcher[string](t, fake, firehosebatch.Config{})
			for i := range 10 {
				if err := d.Put(t.Context(), fmt.Sprint(i)); err != nil {
					t.Fatal(err)
				}
			}
			err := d.Close(t.Context())
			st := d.Stats()
			if st.Written != tc.written || (st.Throttled > 0) != tc.throttled || len(fake.Calls()) != tc.calls {
				t.Errorf("Stats %+v after %d calls: want %d written, throttled %v, %d calls", st, len(fake.Calls()), tc.written, tc.throttled, tc.calls)
			}
			if tc.written == 0 && !errors.Is(err, tc.err) {
				t.Errorf("Close: %v, want every record failed with %v", err, tc.err)
			}
		})
	}
}

// TestInvalidArgumentSplits checks that a call refused with
// InvalidArgumentException is split, so that the record that causes it fails
// alone.
func TestInvalidArgumentSplits(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeFirehose{}
	client := clientFunc(func(ctx context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		for _, r := range in.Records {
			if string(r.Data) == "bad" {
				return nil, &types.InvalidArgumentException{Message: aws.String("bad record")}
			}
		}
		return fake.PutRecordBatch(ctx, in)
	})
	d := newDispatcher[string](t, client, firehosebatch.Config{})
	for i := range 50 {
		s := fmt.Sprint(i)
		if i == 20 {
			s = "bad"
		}
		d.Put(t.Context(), s)
	}
	err := d.Close(t.Context())
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) || len(fe.Failures) != 1 || fe.Failures[0].Item != "bad" {
		t.Fatalf("Close: %v, want the bad record alone", err)
	}
	if n := len(fake.Records()); n != 49 {
		t.Errorf("%d records written, want 49", n)
	}
}

type clientFunc func(context.Context, *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error)

func (f clientFunc) PutRecordBatch(ctx context.Context, in *firehose.PutRecordBatchInput, _ ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error) {
	return f(ctx, in)
}

// TestPutWait checks that PutWait returns each record's own outcome.
func TestPutWait(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeFirehose{Answer: func(_ int, data string) (string, string) {
		if data == "refused" {
			return "InvalidArgumentException", "refused"
		}
		return "", ""
	}}
	d := newDispatcher[string](t, fake, firehosebatch.Config{})
	if err := d.PutWait(t.Context(), "fine"); err != nil {
		t.Errorf("PutWait: %v", err)
	}
	var re *firehosebatch.EntryError
	if err := d.PutWait(t.Context(), "refused"); !errors.As(err, &re) || re.Code != "InvalidArgumentException" {
		t.Errorf("PutWait: %v, want a *EntryError", err)
	}
	if err := d.Close(t.Context()); err != nil {
		t.Errorf("Close: %v, want nil (PutWait reported the failure)", err)
	}
}
