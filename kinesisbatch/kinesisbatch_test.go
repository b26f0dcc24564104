package kinesisbatch_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
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
func newDispatcher[T any](t *testing.T, client kinesisbatch.Client, cfg kinesisbatch.Config) *kinesisbatch.Dispatcher[T] {
	t.Helper()
	if cfg.Stream == "" {
		cfg.Stream = "s"
	}
	if cfg.Batch.BackOff == nil {
		cfg.Batch.BackOff = quick(20)
	}
	d, err := kinesisbatch.New[T](client, cfg)
	if err != nil {
		t.Fatalf("kinesisbatch.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d.Close(ctx)
	})
	return d
}

// keyed is a user type that names its own partition key.
type keyed struct {
	User string `json:"user"`
	N    int    `json:"n"`
}

func (k keyed) KinesisPartitionKey() string { return k.User }

// ptrKeyed implements PartitionKeyer on its pointer only.
type ptrKeyed struct{ ID string }

func (k *ptrKeyed) KinesisPartitionKey() string { return k.ID }

func TestNewConfig(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeKinesis{}
	tests := []struct {
		name string
		cfg  kinesisbatch.Config
		nil  bool   // a nil client
		want string // a part of the error; "" for none
	}{
		{name: "name", cfg: kinesisbatch.Config{Stream: "my-stream_1.x"}},
		{name: "ARN", cfg: kinesisbatch.Config{Stream: "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"}},
		{name: "ARN in China", cfg: kinesisbatch.Config{Stream: "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/orders"}},
		{name: "ordered", cfg: kinesisbatch.Config{Stream: "s", Ordered: true}},
		{name: "ordered KeepDuplicates", cfg: kinesisbatch.Config{Stream: "s", Ordered: true, Batch: batch.Config{Duplicates: batch.KeepDuplicates}}},
		{name: "10 MiB records", cfg: kinesisbatch.Config{Stream: "s", MaxRecordBytes: 10 << 20, MaxRequestBytes: 10 << 20}},
		{name: "nil client", nil: true, cfg: kinesisbatch.Config{Stream: "s"}, want: "needs a Client"},
		{name: "no stream", cfg: kinesisbatch.Config{}, want: "Config.Stream is empty"},
		{name: "bad name", cfg: kinesisbatch.Config{Stream: "a b"}, want: "nor a valid stream name"},
		{name: "long name", cfg: kinesisbatch.Config{Stream: strings.Repeat("a", 129)}, want: "nor a valid stream name"},
		{name: "ARN of a table", cfg: kinesisbatch.Config{Stream: "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"}, want: "not a valid stream ARN"},
		{name: "ARN without account", cfg: kinesisbatch.Config{Stream: "arn:aws:kinesis:eu-west-1::stream/orders"}, want: "not a valid stream ARN"},
		{name: "ARN without name", cfg: kinesisbatch.Config{Stream: "arn:aws:kinesis:eu-west-1:123456789012:stream/"}, want: "not a valid stream ARN"},
		{name: "negative record bytes", cfg: kinesisbatch.Config{Stream: "s", MaxRecordBytes: -1}, want: "MaxRecordBytes -1 is not in"},
		{name: "record bytes over 10 MiB", cfg: kinesisbatch.Config{Stream: "s", MaxRecordBytes: 10<<20 + 1}, want: "MaxRecordBytes 10485761 is not in"},
		{name: "request bytes over 10 MiB", cfg: kinesisbatch.Config{Stream: "s", MaxRequestBytes: 10<<20 + 1}, want: "MaxRequestBytes 10485761 is not in"},
		{name: "record over request", cfg: kinesisbatch.Config{Stream: "s", MaxRecordBytes: 6 << 20}, want: "fits in no call"},
		{name: "replace duplicates", cfg: kinesisbatch.Config{Stream: "s", Batch: batch.Config{Duplicates: batch.ReplaceDuplicates}}, want: "ReplaceDuplicates"},
		{name: "keep duplicates unordered", cfg: kinesisbatch.Config{Stream: "s", Batch: batch.Config{Duplicates: batch.KeepDuplicates}}, want: "without Config.Ordered"},
		{name: "batch over 500", cfg: kinesisbatch.Config{Stream: "s", Batch: batch.Config{MaxBatchItems: 501}}, want: "MaxBatchItems 501 is more than the sink allows (500)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var client kinesisbatch.Client = fake
			if tc.nil {
				client = nil
			}
			d, err := kinesisbatch.New[[]byte](client, tc.cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if err := d.Close(t.Context()); err != nil {
					t.Fatalf("Close: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestNewPointerKeyer(t *testing.T) {
	t.Parallel()
	_, err := kinesisbatch.New[ptrKeyed](&testutil.FakeKinesis{}, kinesisbatch.Config{Stream: "s"})
	if err == nil || !strings.Contains(err.Error(), "use *kinesisbatch_test.ptrKeyed as the item type") {
		t.Fatalf("New[ptrKeyed]: error %v, want one saying to use the pointer", err)
	}
	d, err := kinesisbatch.New[*ptrKeyed](&testutil.FakeKinesis{}, kinesisbatch.Config{Stream: "s"})
	if err != nil {
		t.Fatalf("New[*ptrKeyed]: %v", err)
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestPutRefused checks that bad records are refused at Put, with the typed
// error, and never reach the client.
func TestPutRefused(t *testing.T) {
	t.Parallel()
	emoji := "\U0001F600" // outside the BMP: 2 UTF-16 code units, 4 UTF-8 bytes
	tests := []struct {
		name string
		item any
		cfg  kinesisbatch.Config
		want error
	}{
		{name: "key of 257", item: kinesisbatch.Record{Data: []byte("x"), PartitionKey: strings.Repeat("k", 257)}, want: kinesisbatch.ErrInvalidPartitionKey},
		{name: "key of 129 emoji", item: kinesisbatch.Record{Data: []byte("x"), PartitionKey: strings.Repeat(emoji, 129)}, want: kinesisbatch.ErrInvalidPartitionKey},
		{name: "key not UTF-8", item: kinesisbatch.Record{Data: []byte("x"), PartitionKey: "a\xffb"}, want: kinesisbatch.ErrInvalidPartitionKey},
		{name: "keyer with empty key", item: keyed{N: 1}, want: kinesisbatch.ErrInvalidPartitionKey},
		{name: "hash key not a number", item: kinesisbatch.Record{PartitionKey: "k", ExplicitHashKey: "12a"}, want: kinesisbatch.ErrInvalidExplicitHashKey},
		{name: "hash key negative", item: kinesisbatch.Record{PartitionKey: "k", ExplicitHashKey: "-1"}, want: kinesisbatch.ErrInvalidExplicitHashKey},
		{name: "hash key leading zero", item: kinesisbatch.Record{PartitionKey: "k", ExplicitHashKey: "01"}, want: kinesisbatch.ErrInvalidExplicitHashKey},
		{name: "hash key 2^128", item: kinesisbatch.Record{PartitionKey: "k", ExplicitHashKey: "340282366920938463463374607431768211456"}, want: kinesisbatch.ErrInvalidExplicitHashKey},
		{name: "hash key 40 digits", item: kinesisbatch.Record{PartitionKey: "k", ExplicitHashKey: "1000000000000000000000000000000000000000"}, want: kinesisbatch.ErrInvalidExplicitHashKey},
		{name: "data over 1 MiB", item: make([]byte, 1<<20-15), want: batch.ErrItemTooLarge}, // + a 16-byte random key
		{name: "data and key over 1 MiB", item: kinesisbatch.Record{Data: make([]byte, 1<<20-1), PartitionKey: "kk"}, want: batch.ErrItemTooLarge},
		{name: "over the configured size", item: "12345678901234567", cfg: kinesisbatch.Config{MaxRecordBytes: 32}, want: batch.ErrItemTooLarge},
		{name: "nil *Record", item: (*kinesisbatch.Record)(nil), want: kinesisbatch.ErrInvalidRecord},
		{name: "not JSON", item: map[string]any{"c": make(chan int)}, want: kinesisbatch.ErrInvalidRecord},
		{name: "nil pointer", item: (*keyed)(nil), want: kinesisbatch.ErrInvalidRecord},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &testutil.FakeKinesis{}
			d := newDispatcher[any](t, fake, tc.cfg)
			err := d.Put(t.Context(), tc.item)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Put: error %v, want %v", err, tc.want)
			}
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := d.Stats().Rejected; got != 1 {
				t.Errorf("Stats.Rejected = %d, want 1", got)
			}
			if calls := fake.Calls(); len(calls) != 0 {
				t.Errorf("%d calls, want none", len(calls))
			}
		})
	}
}

// TestPutAccepted checks the records at the limits that Kinesis takes.
func TestPutAccepted(t *testing.T) {
	t.Parallel()
	emoji := "\U0001F600"
	tests := []struct {
		name string
		rec  kinesisbatch.Record
	}{
		{name: "key of 256", rec: kinesisbatch.Record{Data: []byte("x"), PartitionKey: strings.Repeat("k", 256)}},
		{name: "key of 128 emoji", rec: kinesisbatch.Record{Data: []byte("x"), PartitionKey: strings.Repeat(emoji, 128)}},
		{name: "key of 256 accented", rec: kinesisbatch.Record{Data: []byte("x"), PartitionKey: strings.Repeat("é", 256)}},
		{name: "hash key 0", rec: kinesisbatch.Record{Data: []byte("x"), PartitionKey: "k", ExplicitHashKey: "0"}},
		{name: "hash key 2^128-1", rec: kinesisbatch.Record{Data: []byte("x"), PartitionKey: "k", ExplicitHashKey: "340282366920938463463374607431768211455"}},
		{name: "exactly 1 MiB", rec: kinesisbatch.Record{Data: make([]byte, 1<<20-2), PartitionKey: "kk"}},
		{name: "no data", rec: kinesisbatch.Record{PartitionKey: "k"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &testutil.FakeKinesis{}
			d := newDispatcher[kinesisbatch.Record](t, fake, kinesisbatch.Config{})
			if err := d.Put(t.Context(), tc.rec); err != nil {
				t.Fatalf("Put: %v", err)
			}
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			want := []testutil.KinesisRecord{{Stream: "s", Data: string(tc.rec.Data), PartitionKey: tc.rec.PartitionKey, ExplicitHashKey: tc.rec.ExplicitHashKey}}
			if diff := cmp.Diff(want, fake.Records()); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

var randomKey = regexp.MustCompile(`^[0-9a-f]{16}$`)

// TestConversions checks what each kind of item becomes.
func TestConversions(t *testing.T) {
	t.Parallel()
	type plain struct {
		A string `json:"a"`
	}
	tests := []struct {
		name      string
		put       func(ctx context.Context, client kinesisbatch.Client) error
		data      string
		key       string // "" for a random key
		hashKey   string
		streamARN bool
	}{
		{name: "Record", data: "payload", key: "user-1", hashKey: "42", put: func(ctx context.Context, c kinesisbatch.Client) error {
			return putClose(ctx, c, kinesisbatch.Record{Data: []byte("payload"), PartitionKey: "user-1", ExplicitHashKey: "42"})
		}},
		{name: "*Record", data: "payload", key: "user-1", put: func(ctx context.Context, c kinesisbatch.Client) error {
			return putClose(ctx, c, &kinesisbatch.Record{Data: []byte("payload"), PartitionKey: "user-1"})
		}},
		{name: "Record without key", data: "payload", put: func(ctx context.Context, c kinesisbatch.Client) error {
			return putClose(ctx, c, kinesisbatch.Record{Data: []byte("payload")})
		}},
		{name: "[]byte", data: "\x00\x01bytes", put: func(ctx context.Context, c kinesisbatch.Client) error {
			return putClose(ctx, c, []byte("\x00\x01bytes"))
		}},
		{name: "string", data: "text", put: func(ctx context.Context, c kinesisbatch.Client) error {
			return putClose(ctx, c, "text")
		}},
		{name: "struct", data: `{"a":"b"}`, put: func(ctx context.Context, c kinesisbatch.Client) error {
			return putClose(ctx, c, plain{A: "b"})
		}},
		{name: "map", data: `{"x":1}`, put: func(ctx context.Context, c kinesisbatch.Client) error {
			return putClose(ctx, c, map[string]int{"x": 1})
		}},
		{name: "PartitionKeyer", data: `{"user":"ann","n":3}`, key: "ann", put: func(ctx context.Context, c kinesisbatch.Client) error {
			return putClose(ctx, c, keyed{User: "ann", N: 3})
		}},
		{name: "*PartitionKeyer", data: `{"ID":"x"}`, key: "x", put: func(ctx context.Context, c kinesisbatch.Client) error {
			return putClose(ctx, c, &ptrKeyed{ID: "x"})
		}},
		{name: "any holding a Record", data: "d", key: "k", put: func(ctx context.Context, c kinesisbatch.Client) error {
			return putClose[any](ctx, c, kinesisbatch.Record{Data: []byte("d"), PartitionKey: "k"})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &testutil.FakeKinesis{}
			if err := tc.put(t.Context(), fake); err != nil {
				t.Fatal(err)
			}
			got := fake.Records()
			if len(got) != 1 {
				t.Fatalf("%d records, want 1", len(got))
			}
			if tc.key == "" {
				if !randomKey.MatchString(got[0].PartitionKey) {
					t.Errorf("partition key %q, want 16 random hex digits", got[0].PartitionKey)
				}
				tc.key = got[0].PartitionKey
			}
			want := testutil.KinesisRecord{Stream: "s", Data: tc.data, PartitionKey: tc.key, ExplicitHashKey: tc.hashKey}
			if diff := cmp.Diff(want, got[0]); diff != "" {
				t.Errorf("record mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// putClose puts item into stream "s" through a new Dispatcher and closes it.
func putClose[T any](ctx context.Context, client kinesisbatch.Client, item T) error {
	d, err := kinesisbatch.New[T](client, kinesisbatch.Config{Stream: "s"})
	if err != nil {
		return err
	}
	if err := d.Put(ctx, item); err != nil {
		d.Close(ctx)
		return fmt.Errorf("Put: %w", err)
	}
	return d.Close(ctx)
}

// recordingClient records the inputs of the calls it passes on.
type recordingClient struct {
	kinesisbatch.Client
	inputs []*kinesis.PutRecordsInput
}

func (c *recordingClient) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	c.inputs = append(c.inputs, in)
	return c.Client.PutRecords(ctx, in, opts...)
}

func TestStreamNameOrARN(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"
	tests := []struct {
		stream   string
		wantName string
		wantARN  string
	}{
		{stream: "orders", wantName: "orders"},
		{stream: arn, wantARN: arn},
	}
	for _, tc := range tests {
		t.Run(tc.stream, func(t *testing.T) {
			t.Parallel()
			rc := &recordingClient{Client: &testutil.FakeKinesis{}}
			d := newDispatcher[string](t, rc, kinesisbatch.Config{Stream: tc.stream, Batch: batch.Config{MaxInFlight: 1}})
			if err := d.Put(t.Context(), "x"); err != nil {
				t.Fatal(err)
			}
			if err := d.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if len(rc.inputs) != 1 {
				t.Fatalf("%d calls, want 1", len(rc.inputs))
			}
			got := [2]string{aws.ToString(rc.inputs[0].StreamName), aws.ToString(rc.inputs[0].StreamARN)}
			if diff := cmp.Diff([2]string{tc.wantName, tc.wantARN}, got); diff != "" {
				t.Errorf("[StreamName StreamARN] mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBatchLimits checks that calls hold at most 500 records and stay under
// MaxRequestBytes.
func TestBatchLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		n, size   int
		cfg       kinesisbatch.Config
		wantCalls []int // records per call, sorted
	}{
		{name: "500 a call", n: 1200, size: 10, wantCalls: []int{200, 500, 500}},
		{name: "MaxBatchItems", n: 250, size: 10, cfg: kinesisbatch.Config{Batch: batch.Config{MaxBatchItems: 100}}, wantCalls: []int{50, 100, 100}},
		// 1000 bytes of data and a 24-byte key: 4 records fit in 4,100 bytes.
		{name: "MaxRequestBytes", n: 10, size: 1000, cfg: kinesisbatch.Config{MaxRecordBytes: 2000, MaxRequestBytes: 4100}, wantCalls: []int{2, 4, 4}},
		// 5 MiB by default: 1 MiB records, 5 a call.
		{name: "5 MiB default", n: 11, size: 1<<20 - 24, wantCalls: []int{1, 5, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &testutil.FakeKinesis{}
			tc.cfg.Batch.MaxInFlight = 1
			d := newDispatcher[kinesisbatch.Record](t, fake, tc.cfg)
			for i := range tc.n {
				key := fmt.Sprintf("key-%020d", i) // 24 bytes
				if err := d.Put(t.Context(), kinesisbatch.Record{Data: make([]byte, tc.size), PartitionKey: key}); err != nil {
					t.Fatalf("Put %d: %v", i, err)
				}
			}
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			var got []int
			for _, c := range fake.Calls() {
				got = append(got, len(c))
			}
			slices.Sort(got)
			if diff := cmp.Diff(tc.wantCalls, got); diff != "" {
				t.Errorf("records per call mismatch (-want +got):\n%s", diff)
			}
			if n := len(fake.Records()); n != tc.n {
				t.Errorf("%d records taken, want %d", n, tc.n)
			}
		})
	}
}

// TestRecordOutcomes checks the answers PutRecords gives per record:
// throttled and internally failed records are sent again until taken,
// others fail with their code and message, and no record taken is sent
// again.
func TestRecordOutcomes(t *testing.T) {
	t.Parallel()
	const n = 1000
	fake := &testutil.FakeKinesis{
		Answer: func(call int, r testutil.KinesisRecord) (string, string) {
			var i int
			fmt.Sscanf(r.Data, "%d", &i)
			switch {
			case i%100 == 7:
				return "SomeNewError", "record " + r.Data + " refused"
			case call <= 3 && i%3 == 0:
				return "ProvisionedThroughputExceededException", "Rate exceeded for shard shardId-000000000001 in stream s under account 123456789012."
			case call <= 5 && i%5 == 1:
				return "InternalFailure", "Internal Service Failure"
			}
			return "", ""
		},
	}
	d := newDispatcher[string](t, fake, kinesisbatch.Config{Batch: batch.Config{MaxInFlight: 1}})
	for i := range n {
		if err := d.Put(t.Context(), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Close(t.Context())
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) {
		t.Fatalf("Close: %v, want a *batch.FailedError", err)
	}
	var failed []string
	for _, f := range fe.Failures {
		var re *kinesisbatch.EntryError
		if !errors.As(f.Err, &re) {
			t.Fatalf("failure of %s: %v, want a *kinesisbatch.EntryError", f.Item, f.Err)
		}
		if diff := cmp.Diff(kinesisbatch.EntryError{Code: "SomeNewError", Message: "record " + f.Item + " refused", Service: "Kinesis"}, *re); diff != "" {
			t.Errorf("EntryError mismatch (-want +got):\n%s", diff)
		}
		failed = append(failed, f.Item)
	}
	var wantFailed, wantTaken []string
	for i := range n {
		if i%100 == 7 {
			wantFailed = append(wantFailed, fmt.Sprint(i))
		} else {
			wantTaken = append(wantTaken, fmt.Sprint(i))
		}
	}
	slices.Sort(failed)
	slices.Sort(wantFailed)
	if diff := cmp.Diff(wantFailed, failed); diff != "" {
		t.Errorf("failed mismatch (-want +got):\n%s", diff)
	}
	var taken []string
	for _, r := range fake.Records() {
		taken = append(taken, r.Data)
	}
	slices.Sort(taken)
	slices.Sort(wantTaken)
	if diff := cmp.Diff(wantTaken, taken); diff != "" {
		t.Errorf("records taken mismatch (-want +got):\n%s", diff) // a duplicate shows here
	}
	st := d.Stats()
	if st.Written != int64(len(wantTaken)) || st.Failed != int64(len(wantFailed)) || st.Retries == 0 || st.Throttled == 0 {
		t.Errorf("Stats: %+v; want Written %d, Failed %d, Retries and Throttled > 0", st, len(wantTaken), len(wantFailed))
	}
}

// TestRetriesExhausted checks that a record throttled until the retry
// policy gives up comes back with the service's code and message.
func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeKinesis{
		Answer: func(call int, r testutil.KinesisRecord) (string, string) {
			if r.Data == "hot" {
				return "ProvisionedThroughputExceededException", "Rate exceeded for shard shardId-000000000000"
			}
			return "", ""
		},
	}
	d := newDispatcher[string](t, fake, kinesisbatch.Config{Batch: batch.Config{BackOff: quick(3)}})
	for _, s := range []string{"a", "hot", "b"} {
		if err := d.Put(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Flush(t.Context())
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) || len(fe.Failures) != 1 || fe.Failures[0].Item != "hot" {
		t.Fatalf("Flush: %v, want the failure of \"hot\" alone", err)
	}
	cause := fe.Failures[0].Err
	var re *kinesisbatch.EntryError
	if !errors.Is(cause, batch.ErrUnprocessed) || !errors.As(cause, &re) || re.Code != "ProvisionedThroughputExceededException" ||
		re.Message != "Rate exceeded for shard shardId-000000000000" {
		t.Errorf("cause %v: want batch.ErrUnprocessed and the EntryError of the last answer", cause)
	}
	var ae smithy.APIError
	if !errors.As(cause, &ae) || ae.ErrorCode() != "ProvisionedThroughputExceededException" {
		t.Errorf("cause %v: want a smithy.APIError with the code", cause)
	}
	if got := len(fake.Calls()); got != 4 {
		t.Errorf("%d calls, want 4 (the first and 3 retries)", got)
	}
}

// TestCallErrors checks how errors of a whole PutRecords call are handled.
func TestCallErrors(t *testing.T) {
	t.Parallel()
	msg := aws.String("test")
	tests := []struct {
		name      string
		err       error
		always    bool // every call fails, else the first only
		wantCalls int
		wantFail  bool // every record fails, with err
		throttled bool // counted in Stats.Throttled
	}{
		{name: "throttling", err: &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}, wantCalls: 2, throttled: true},
		{name: "provisioned throughput", err: &types.ProvisionedThroughputExceededException{Message: msg}, wantCalls: 2, throttled: true},
		{name: "KMS throttling", err: &types.KMSThrottlingException{Message: msg}, wantCalls: 2, throttled: true},
		{name: "internal failure", err: &types.InternalFailureException{Message: msg}, wantCalls: 2},
		{name: "other error", err: errors.New("connection reset"), wantCalls: 2},
		{name: "unknown stream", err: &types.ResourceNotFoundException{Message: msg}, always: true, wantCalls: 1, wantFail: true},
		{name: "access denied", err: &types.AccessDeniedException{Message: msg}, always: true, wantCalls: 1, wantFail: true},
		{name: "KMS disabled", err: &types.KMSDisabledException{Message: msg}, always: true, wantCalls: 1, wantFail: true},
		{name: "KMS not found", err: &types.KMSNotFoundException{Message: msg}, always: true, wantCalls: 1, wantFail: true},
		{name: "KMS access denied", err: &types.KMSAccessDeniedException{Message: msg}, always: true, wantCalls: 1, wantFail: true},
		{name: "KMS invalid state", err: &types.KMSInvalidStateException{Message: msg}, always: true, wantCalls: 1, wantFail: true},
		{name: "KMS opt-in", err: &types.KMSOptInRequired{Message: msg}, always: true, wantCalls: 1, wantFail: true},
		{name: "bad token", err: &smithy.GenericAPIError{Code: "UnrecognizedClientException"}, always: true, wantCalls: 1, wantFail: true},
		// Split down to single records: 4 records, 1+2+4 calls.
		{name: "invalid argument", err: &types.InvalidArgumentException{Message: msg}, always: true, wantCalls: 7, wantFail: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &testutil.FakeKinesis{Err: func(call int) error {
				if call == 1 || tc.always {
					return tc.err
				}
				return nil
			}}
			d := newDispatcher[string](t, fake, kinesisbatch.Config{Batch: batch.Config{MaxInFlight: 1}})
			items := []string{"a", "b", "c", "d"}
			for _, s := range items {
				if err := d.Put(t.Context(), s); err != nil {
					t.Fatal(err)
				}
			}
			err := d.Flush(t.Context())
			if tc.wantFail {
				var fe *batch.FailedError[string]
				if !errors.As(err, &fe) || len(fe.Failures) != len(items) {
					t.Fatalf("Flush: %v, want all %d records failed", err, len(items))
				}
				for _, f := range fe.Failures {
					if !errors.Is(f.Err, tc.err) {
						t.Errorf("failure of %s: %v, want %v", f.Item, f.Err, tc.err)
					}
				}
			} else if err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if got := len(fake.Calls()); got != tc.wantCalls {
				t.Errorf("%d calls, want %d", got, tc.wantCalls)
			}
			if got := d.Stats().Throttled > 0; got != tc.throttled {
				t.Errorf("Stats.Throttled > 0 is %v, want %v", got, tc.throttled)
			}
		})
	}
}

// TestClientErrors checks errors raised by the real SDK client: missing
// credentials fail every record at once, with no retry; a network error is
// retried.
func TestClientErrors(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: taken, then closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	noCreds := errors.New("no credentials here")
	tests := []struct {
		name      string
		creds     aws.CredentialsProvider
		wantIs    error
		wantRetry bool
	}{
		{name: "no credentials", creds: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, noCreds
		}), wantIs: noCreds},
		{name: "network", creds: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		})), wantRetry: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client := kinesis.New(kinesis.Options{
				Region:           "us-east-1",
				BaseEndpoint:     aws.String(closed),
				Credentials:      tc.creds,
				RetryMaxAttempts: 1,
			})
			d := newDispatcher[string](t, client, kinesisbatch.Config{Batch: batch.Config{BackOff: quick(2)}})
			if err := d.Put(t.Context(), "x"); err != nil {
				t.Fatal(err)
			}
			err := d.Flush(t.Context())
			var fe *batch.FailedError[string]
			if !errors.As(err, &fe) || len(fe.Failures) != 1 {
				t.Fatalf("Flush: %v, want the record failed", err)
			}
			if tc.wantIs != nil && !errors.Is(fe.Failures[0].Err, tc.wantIs) {
				t.Errorf("cause %v, want %v", fe.Failures[0].Err, tc.wantIs)
			}
			wantRetries := int64(0)
			if tc.wantRetry {
				wantRetries = 2
			}
			if got := d.Stats().Retries; got != wantRetries {
				t.Errorf("Stats.Retries = %d, want %d (cause: %v)", got, wantRetries, fe.Failures[0].Err)
			}
		})
	}
}

// TestOrdered checks Ordered against the fake, which throttles a record on
// its first two tries one time in five: no call holds two records of one
// key, and each key's records are taken in the order they were put. Without
// Ordered, the throttled records land after later records of their key.
func TestOrdered(t *testing.T) {
	t.Parallel()
	const n, keys = 3000, 40
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			t.Parallel()
			tries := map[string]int{}
			fake := &testutil.FakeKinesis{Answer: func(call int, r testutil.KinesisRecord) (string, string) {
				tries[r.Data]++
				var i int
				fmt.Sscanf(r.Data, "%d", &i)
				if i%5 == 0 && tries[r.Data] <= 2 {
					return "ProvisionedThroughputExceededException", "Rate exceeded"
				}
				return "", ""
			}}
			d := newDispatcher[kinesisbatch.Record](t, fake, kinesisbatch.Config{Ordered: ordered, Batch: batch.Config{MaxInFlight: 4}})
			for i := range n {
				rec := kinesisbatch.Record{Data: []byte(strconv.Itoa(i)), PartitionKey: "key-" + strconv.Itoa(i%keys)}
				if err := d.Put(t.Context(), rec); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			shared := 0
			for _, c := range fake.Calls() {
				seen := map[string]bool{}
				for _, r := range c {
					if seen[r.PartitionKey] {
						shared++
					}
					seen[r.PartitionKey] = true
				}
			}
			last := map[string]int{}
			outOfOrder, taken := 0, 0
			for _, r := range fake.Records() {
				i, _ := strconv.Atoi(r.Data)
				if prev, ok := last[r.PartitionKey]; ok && prev > i {
					outOfOrder++
				}
				last[r.PartitionKey] = i
				taken++
			}
			if taken != n {
				t.Errorf("%d records taken, want %d", taken, n)
			}
			t.Logf("%d calls; %d records shared a call with one of their key; %d out of order", len(fake.Calls()), shared, outOfOrder)
			if ordered && (shared > 0 || outOfOrder > 0) {
				t.Errorf("Ordered: %d records shared a call with one of their key, %d out of order; want none", shared, outOfOrder)
			}
			if !ordered && outOfOrder == 0 {
				t.Errorf("not Ordered: no record out of order, so this test shows nothing")
			}
		})
	}
}

// TestPutWait checks that PutWait returns each record's own outcome, and
// that a failure it returned is not reported again by Close.
func TestPutWait(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeKinesis{Answer: func(call int, r testutil.KinesisRecord) (string, string) {
		switch r.Data {
		case "refused":
			return "KMSAccessDeniedException", "no access to the key"
		case "hot":
			return "ProvisionedThroughputExceededException", "Rate exceeded"
		case "once":
			if call == 1 {
				return "InternalFailure", "Internal service failure."
			}
		}
		return "", ""
	}}
	d := newDispatcher[string](t, fake, kinesisbatch.Config{Batch: batch.Config{BackOff: quick(3)}})
	tests := []struct {
		data     string
		wantCode string // "" for written
		wantIs   error
	}{
		{data: "fine"},
		{data: "once"},
		{data: "refused", wantCode: "KMSAccessDeniedException"},
		{data: "hot", wantCode: "ProvisionedThroughputExceededException", wantIs: batch.ErrUnprocessed},
	}
	for _, tc := range tests {
		t.Run(tc.data, func(t *testing.T) {
			err := d.PutWait(t.Context(), tc.data)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("PutWait: %v", err)
				}
				return
			}
			var re *kinesisbatch.EntryError
			if !errors.As(err, &re) || re.Code != tc.wantCode {
				t.Fatalf("PutWait: %v, want a *EntryError with code %s", err, tc.wantCode)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("PutWait: %v, want it to match %v", err, tc.wantIs)
			}
		})
	}
	if err := d.PutWait(t.Context(), strings.Repeat("x", 2<<20)); !errors.Is(err, batch.ErrItemTooLarge) {
		t.Errorf("PutWait of 2 MiB: %v, want batch.ErrItemTooLarge", err)
	}
	if err := d.Close(t.Context()); err != nil {
		t.Errorf("Close: %v, want nil: PutWait's failures are reported once, there", err)
	}
	if st := d.Stats(); st.Written != 2 || st.Failed != 2 || st.Rejected != 1 {
		t.Errorf("Stats: %+v, want 2 written, 2 failed, 1 rejected", st)
	}
}
