package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const table = "items"

type S = types.AttributeValueMemberS
type N = types.AttributeValueMemberN
type B = types.AttributeValueMemberB
type AV = map[string]types.AttributeValue

func fastRetries(n uint64) func() backoff.BackOff {
	return func() backoff.BackOff { return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, n) }
}

func newFake(schema testutil.KeySchema) *testutil.FakeDynamoDB {
	f := testutil.NewFakeDynamoDB()
	f.CreateTable(table, schema)
	return f
}

func newDispatcher[T any](t *testing.T, c dynamo.Client, cfg dynamo.Config) *dynamo.Dispatcher[T] {
	t.Helper()
	if cfg.Table == "" {
		cfg.Table = table
	}
	if cfg.Batch.BackOff == nil {
		cfg.Batch.BackOff = fastRetries(5)
	}
	d, err := dynamo.New[T](c, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { d.Close(context.Background()) })
	return d
}

func put[T any](t *testing.T, d *dynamo.Dispatcher[T], items ...T) {
	t.Helper()
	for _, it := range items {
		if err := d.Put(context.Background(), it); err != nil {
			t.Fatalf("Put(%v): %v", it, err)
		}
	}
}

func closeOK[T any](t *testing.T, d *dynamo.Dispatcher[T]) {
	t.Helper()
	if err := d.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func failuresOf[T any](t *testing.T, err error) []batch.Failure[T] {
	t.Helper()
	var fe *batch.FailedError[T]
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *batch.FailedError", err)
	}
	return fe.Failures
}

func diffItems(want, got []AV) string {
	return cmp.Diff(want, got, cmp.AllowUnexported(S{}, N{}, B{}, types.AttributeValueMemberBOOL{},
		types.AttributeValueMemberL{}, types.AttributeValueMemberM{}, types.AttributeValueMemberSS{},
		types.AttributeValueMemberNS{}, types.AttributeValueMemberNULL{}, types.AttributeValueMemberBS{}))
}

// The example of the boto3_batch_utils page, in Go.
func TestPageExample(t *testing.T) {
	f := newFake(testutil.KeySchema{PartitionKey: "id"})
	d, err := dynamo.New[map[string]any](f, dynamo.Config{Table: table, PartitionKey: "id"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Put(ctx, map[string]any{"id": "1", "something": "in", "my": "message"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, map[string]any{"id": "2", "tells": "me", "this": "is", "easy": true}); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	closeOK(t, d)
	want := []AV{
		{"id": &S{Value: "1"}, "something": &S{Value: "in"}, "my": &S{Value: "message"}},
		{"id": &S{Value: "2"}, "tells": &S{Value: "me"}, "this": &S{Value: "is"}, "easy": &types.AttributeValueMemberBOOL{Value: true}},
	}
	if diff := diffItems(want, f.Items(table)); diff != "" {
		t.Errorf("table mismatch (-want +got):\n%s", diff)
	}
	if n := len(f.Calls()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

type order struct {
	Customer string  `dynamodbav:"customer"`
	ID       int     `dynamodbav:"order_id"`
	Total    float64 `dynamodbav:"total"`
	Note     string  `dynamodbav:"note,omitempty"`
	Tags     []string
	Skip     string `dynamodbav:"-"`
}

func TestItemKinds(t *testing.T) {
	schema := testutil.KeySchema{PartitionKey: "customer", SortKey: "order_id", SortKeyType: types.ScalarAttributeTypeN}
	cfg := dynamo.Config{PartitionKey: "customer", SortKey: "order_id", SortKeyType: dynamo.Number}
	want := []AV{{
		"customer": &S{Value: "ann"}, "order_id": &N{Value: "7"}, "total": &N{Value: "12.5"},
		"Tags": &types.AttributeValueMemberL{Value: []types.AttributeValue{&S{Value: "a"}}},
	}}
	t.Run("struct", func(t *testing.T) {
		f := newFake(schema)
		d := newDispatcher[order](t, f, cfg)
		put(t, d, order{Customer: "ann", ID: 7, Total: 12.5, Tags: []string{"a"}, Skip: "x"})
		closeOK(t, d)
		if diff := diffItems(want, f.Items(table)); diff != "" {
			t.Errorf("table mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("pointer to struct", func(t *testing.T) {
		f := newFake(schema)
		d := newDispatcher[*order](t, f, cfg)
		put(t, d, &order{Customer: "ann", ID: 7, Total: 12.5, Tags: []string{"a"}})
		closeOK(t, d)
		if diff := diffItems(want, f.Items(table)); diff != "" {
			t.Errorf("table mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("map[string]any", func(t *testing.T) {
		f := newFake(schema)
		d := newDispatcher[map[string]any](t, f, cfg)
		put(t, d, map[string]any{"customer": "ann", "order_id": 7, "total": 12.5, "Tags": []string{"a"}})
		closeOK(t, d)
		if diff := diffItems(want, f.Items(table)); diff != "" {
			t.Errorf("table mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("map[string]types.AttributeValue as it is", func(t *testing.T) {
		f := newFake(schema)
		d := newDispatcher[AV](t, f, cfg)
		item := want[0]
		put(t, d, item)
		closeOK(t, d)
		// The very map is sent: no copy, no reflection.
		calls := f.Calls()
		if diff := diffItems(want, f.Items(table)); diff != "" {
			t.Errorf("table mismatch (-want +got):\n%s", diff)
		}
		if len(calls) != 1 {
			t.Fatalf("%d calls, want 1", len(calls))
		}
	})
}

func TestInvalidItemsAreRefusedAtPut(t *testing.T) {
	long := strings.Repeat("k", 2049)
	tests := []struct {
		name string
		cfg  dynamo.Config
		item AV
		want error
	}{
		{"missing partition key", dynamo.Config{PartitionKey: "id"}, AV{"x": &S{Value: "1"}}, dynamo.ErrInvalidKey},
		{"empty partition key", dynamo.Config{PartitionKey: "id"}, AV{"id": &S{Value: ""}}, dynamo.ErrInvalidKey},
		{"wrong partition key type", dynamo.Config{PartitionKey: "id"}, AV{"id": &N{Value: "1"}}, dynamo.ErrInvalidKey},
		{"partition key too long", dynamo.Config{PartitionKey: "id"}, AV{"id": &S{Value: long}}, dynamo.ErrInvalidKey},
		{"partition key a map", dynamo.Config{PartitionKey: "id"}, AV{"id": &types.AttributeValueMemberM{Value: AV{}}}, dynamo.ErrInvalidKey},
		{"nil partition key", dynamo.Config{PartitionKey: "id"}, AV{"id": (*S)(nil)}, dynamo.ErrInvalidKey},
		{"bad number key", dynamo.Config{PartitionKey: "id", PartitionKeyType: dynamo.Number}, AV{"id": &N{Value: "1x"}}, dynamo.ErrInvalidKey},
		{"empty binary key", dynamo.Config{PartitionKey: "id", PartitionKeyType: dynamo.Binary}, AV{"id": &B{Value: nil}}, dynamo.ErrInvalidKey},
		{"missing sort key", dynamo.Config{PartitionKey: "id", SortKey: "sk"}, AV{"id": &S{Value: "1"}}, dynamo.ErrInvalidKey},
		{"sort key too long", dynamo.Config{PartitionKey: "id", SortKey: "sk"}, AV{"id": &S{Value: "1"}, "sk": &S{Value: long[:1025]}}, dynamo.ErrInvalidKey},
		{"location missing", dynamo.Config{PartitionKey: "id", PartitionKeyLocation: "src"}, AV{"id": &S{Value: "1"}}, dynamo.ErrInvalidKey},
		{"location not a number", dynamo.Config{PartitionKey: "id", PartitionKeyType: dynamo.Number, PartitionKeyLocation: "src"}, AV{"src": &S{Value: "abc"}}, dynamo.ErrInvalidKey},
		{"location a bool", dynamo.Config{PartitionKey: "id", PartitionKeyLocation: "src"}, AV{"src": &types.AttributeValueMemberBOOL{Value: true}}, dynamo.ErrInvalidKey},
		{"NaN", dynamo.Config{PartitionKey: "id"}, AV{"id": &S{Value: "1"}, "x": &N{Value: "NaN"}}, dynamo.ErrInvalidItem},
		{"empty set", dynamo.Config{PartitionKey: "id"}, AV{"id": &S{Value: "1"}, "x": &types.AttributeValueMemberSS{}}, dynamo.ErrInvalidItem},
		{"set with duplicates", dynamo.Config{PartitionKey: "id"}, AV{"id": &S{Value: "1"}, "x": &types.AttributeValueMemberNS{Value: []string{"1", "1.0"}}}, dynamo.ErrInvalidItem},
		{"nil value", dynamo.Config{PartitionKey: "id"}, AV{"id": &S{Value: "1"}, "x": nil}, dynamo.ErrInvalidItem},
		{"nil map", dynamo.Config{PartitionKey: "id"}, nil, dynamo.ErrInvalidItem},
		{"too large", dynamo.Config{PartitionKey: "id"}, AV{"id": &S{Value: "1"}, "d": &S{Value: strings.Repeat("a", 400_000-4+1)}}, batch.ErrItemTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schema := testutil.KeySchema{PartitionKey: "id", PartitionKeyType: types.ScalarAttributeType(tc.cfg.PartitionKeyType.String())}
			if tc.cfg.SortKey != "" {
				schema.SortKey = tc.cfg.SortKey
			}
			f := newFake(schema)
			d := newDispatcher[AV](t, f, tc.cfg)
			err := d.Put(context.Background(), tc.item)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Put = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), "dynamo:") && !strings.Contains(err.Error(), "batch:") {
				t.Errorf("error %q does not say where it comes from", err)
			}
			if tc.want == dynamo.ErrInvalidKey {
				if err := d.Delete(context.Background(), tc.item); !errors.Is(err, tc.want) {
					t.Errorf("Delete = %v, want %v", err, tc.want)
				}
			}
			// The good items around it land.
			good := AV{"id": goodKey(tc.cfg.PartitionKeyType), "sk": &S{Value: "s"}}
			if tc.cfg.PartitionKeyLocation != "" {
				good["src"] = good["id"]
			}
			if tc.cfg.PartitionKeyType == dynamo.Number && tc.cfg.PartitionKeyLocation != "" {
				good["src"] = &S{Value: "42"}
			}
			put(t, d, good)
			closeOK(t, d)
			if n := len(f.Items(table)); n != 1 {
				t.Errorf("%d items in the table, want 1", n)
			}
			if st := d.Stats(); st.Rejected < 1 || st.Written != 1 {
				t.Errorf("Stats %+v: want Rejected >= 1, Written 1", st)
			}
		})
	}
}

func goodKey(k dynamo.KeyType) types.AttributeValue {
	switch k {
	case dynamo.Number:
		return &N{Value: "42"}
	case dynamo.Binary:
		return &B{Value: []byte{4, 2}}
	}
	return &S{Value: "42"}
}

func TestItemSizeLimit(t *testing.T) {
	f := newFake(testutil.KeySchema{PartitionKey: "id"})
	d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id"})
	// "id" + "1" + "d" + value: exactly 400,000 bytes.
	at := AV{"id": &S{Value: "1"}, "d": &S{Value: strings.Repeat("a", 400_000-4)}}
	over := AV{"id": &S{Value: "2"}, "d": &S{Value: strings.Repeat("a", 400_000-3)}}
	put(t, d, at)
	if err := d.Put(context.Background(), over); !errors.Is(err, batch.ErrItemTooLarge) {
		t.Errorf("Put one byte over = %v, want ErrItemTooLarge", err)
	}
	closeOK(t, d)
	if n := len(f.Items(table)); n != 1 {
		t.Errorf("%d items, want 1", n)
	}
}

func TestRequestBodyStaysUnder16MB(t *testing.T) {
	f := newFake(testutil.KeySchema{PartitionKey: "id"})
	var mu sync.Mutex
	var bodies []int
	f.BatchWriteItemFn = func(ctx context.Context, in *dynamodb.BatchWriteItemInput, next func(context.Context, *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error)) (*dynamodb.BatchWriteItemOutput, error) {
		n := 0
		for _, wr := range in.RequestItems[table] {
			n += len(wr.PutRequest.Item["d"].(*S).Value)
		}
		mu.Lock()
		bodies = append(bodies, n)
		mu.Unlock()
		return next(ctx, in)
	}
	d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id"})
	// 390,000 control characters: 390 KB by DynamoDB's rules, 2.3 MB of
	// JSON once escaped. 25 of them would be a 58 MB body.
	ctl := strings.Repeat("\x01", 390_000)
	for i := range 25 {
		put(t, d, AV{"id": &S{Value: fmt.Sprint(i)}, "d": &S{Value: ctl}})
	}
	closeOK(t, d)
	if n := len(f.Items(table)); n != 25 {
		t.Fatalf("%d items written, want 25", n)
	}
	for i, n := range bodies {
		if n*6 > dynamo.MaxBatchBytes {
			t.Errorf("call %d: %d escaped bytes of data, over %d", i, n*6, dynamo.MaxBatchBytes)
		}
	}
	if len(bodies) < 4 {
		t.Errorf("%d calls, want at least 4", len(bodies))
	}
}

func TestPartitionKeyLocation(t *testing.T) {
	tests := []struct {
		name    string
		keyType dynamo.KeyType
		item    AV
		wantKey types.AttributeValue
	}{
		{"string of digits to N", dynamo.Number, AV{"ref": &S{Value: "0042"}}, &N{Value: "42"}}, // DynamoDB stores numbers normalized
		{"number to S", dynamo.String, AV{"ref": &N{Value: "42"}}, &S{Value: "42"}},
		{"S to S", dynamo.String, AV{"ref": &S{Value: "abc"}}, &S{Value: "abc"}},
		{"overrides a value already there", dynamo.String, AV{"ref": &S{Value: "new"}, "id": &S{Value: "old"}}, &S{Value: "new"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(testutil.KeySchema{PartitionKey: "id", PartitionKeyType: types.ScalarAttributeType(tc.keyType.String())})
			d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id", PartitionKeyType: tc.keyType, PartitionKeyLocation: "ref"})
			before := fmt.Sprint(tc.item)
			put(t, d, tc.item)
			closeOK(t, d)
			if after := fmt.Sprint(tc.item); after != before {
				t.Errorf("the caller's item changed: %s, was %s", after, before)
			}
			items := f.Items(table)
			if len(items) != 1 {
				t.Fatalf("%d items, want 1", len(items))
			}
			want := AV{"id": tc.wantKey, "ref": tc.item["ref"]}
			if diff := diffItems([]AV{want}, items); diff != "" {
				t.Errorf("item mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUniqueness(t *testing.T) {
	pkOnly := testutil.KeySchema{PartitionKey: "id"}
	withSort := testutil.KeySchema{PartitionKey: "id", SortKey: "sk"}
	numeric := testutil.KeySchema{PartitionKey: "id", PartitionKeyType: types.ScalarAttributeTypeN}
	type op struct {
		del  bool
		item AV
	}
	p := func(item AV) op { return op{item: item} }
	del := func(item AV) op { return op{del: true, item: item} }
	tests := []struct {
		name    string
		schema  testutil.KeySchema
		cfg     dynamo.Config
		ops     []op
		wantErr []error
		want    []AV
	}{
		{
			name:    "same partition key is refused",
			schema:  pkOnly,
			cfg:     dynamo.Config{PartitionKey: "id"},
			ops:     []op{p(AV{"id": &S{Value: "a"}, "v": &N{Value: "1"}}), p(AV{"id": &S{Value: "a"}, "v": &N{Value: "2"}})},
			wantErr: []error{nil, batch.ErrDuplicate},
			want:    []AV{{"id": &S{Value: "a"}, "v": &N{Value: "1"}}},
		},
		{
			name:    "a put and a delete of one key are the same key",
			schema:  pkOnly,
			cfg:     dynamo.Config{PartitionKey: "id"},
			ops:     []op{p(AV{"id": &S{Value: "a"}}), del(AV{"id": &S{Value: "a"}})},
			wantErr: []error{nil, batch.ErrDuplicate},
			want:    []AV{{"id": &S{Value: "a"}}},
		},
		{
			name:    "partition and sort key together",
			schema:  withSort,
			cfg:     dynamo.Config{PartitionKey: "id", SortKey: "sk"},
			ops:     []op{p(AV{"id": &S{Value: "a"}, "sk": &S{Value: "1"}}), p(AV{"id": &S{Value: "a"}, "sk": &S{Value: "2"}}), p(AV{"id": &S{Value: "a"}, "sk": &S{Value: "1"}})},
			wantErr: []error{nil, nil, batch.ErrDuplicate},
			want:    []AV{{"id": &S{Value: "a"}, "sk": &S{Value: "1"}}, {"id": &S{Value: "a"}, "sk": &S{Value: "2"}}},
		},
		{
			name:    "key parts do not run together",
			schema:  withSort,
			cfg:     dynamo.Config{PartitionKey: "id", SortKey: "sk"},
			ops:     []op{p(AV{"id": &S{Value: "ab"}, "sk": &S{Value: "c"}}), p(AV{"id": &S{Value: "a"}, "sk": &S{Value: "bc"}})},
			wantErr: []error{nil, nil},
			want:    []AV{{"id": &S{Value: "a"}, "sk": &S{Value: "bc"}}, {"id": &S{Value: "ab"}, "sk": &S{Value: "c"}}},
		},
		{
			name:    "numbers are compared by value",
			schema:  numeric,
			cfg:     dynamo.Config{PartitionKey: "id", PartitionKeyType: dynamo.Number},
			ops:     []op{p(AV{"id": &N{Value: "1"}}), p(AV{"id": &N{Value: "1.0"}}), p(AV{"id": &N{Value: "01"}}), p(AV{"id": &N{Value: "10e-1"}})},
			wantErr: []error{nil, batch.ErrDuplicate, batch.ErrDuplicate, batch.ErrDuplicate},
			want:    []AV{{"id": &N{Value: "1"}}},
		},
		{
			name:    "last write wins",
			schema:  pkOnly,
			cfg:     dynamo.Config{PartitionKey: "id", Batch: batch.Config{Duplicates: batch.ReplaceDuplicates}},
			ops:     []op{p(AV{"id": &S{Value: "a"}, "v": &N{Value: "1"}}), p(AV{"id": &S{Value: "a"}, "v": &N{Value: "2"}}), p(AV{"id": &S{Value: "b"}}), del(AV{"id": &S{Value: "b"}})},
			wantErr: []error{nil, nil, nil, nil},
			want:    []AV{{"id": &S{Value: "a"}, "v": &N{Value: "2"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(tc.schema)
			d := newDispatcher[AV](t, f, tc.cfg)
			for i, o := range tc.ops {
				var err error
				if o.del {
					err = d.Delete(context.Background(), o.item)
				} else {
					err = d.Put(context.Background(), o.item)
				}
				if !errors.Is(err, tc.wantErr[i]) {
					t.Errorf("op %d: %v, want %v", i, err, tc.wantErr[i])
				}
			}
			closeOK(t, d)
			if diff := diffItems(tc.want, f.Items(table)); diff != "" {
				t.Errorf("table mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeleteSendsOnlyTheKey(t *testing.T) {
	f := newFake(testutil.KeySchema{PartitionKey: "id", SortKey: "sk"})
	d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id", SortKey: "sk"})
	item := AV{"id": &S{Value: "a"}, "sk": &S{Value: "1"}, "big": &S{Value: "payload"}}
	put(t, d, item)
	if err := d.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(context.Background(), item); err != nil {
		t.Fatal(err)
	}
	closeOK(t, d)
	if n := len(f.Items(table)); n != 0 {
		t.Errorf("%d items left, want 0", n)
	}
	calls := f.Calls()
	got := calls[len(calls)-1].RequestItems[table][0].DeleteRequest.Key
	if diff := cmp.Diff([]string{"id", "sk"}, sortedKeys(got)); diff != "" {
		t.Errorf("delete key attributes mismatch (-want +got):\n%s", diff)
	}
}

func sortedKeys(m AV) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	if len(ks) == 2 && ks[0] > ks[1] {
		ks[0], ks[1] = ks[1], ks[0]
	}
	return ks
}

func TestUnprocessedItemsAreRetried(t *testing.T) {
	f := newFake(testutil.KeySchema{PartitionKey: "id"})
	left := map[string]int{"3": 2, "7": 1}
	f.Unprocessed = func(_ string, wr types.WriteRequest) bool {
		k := wr.PutRequest.Item["id"].(*S).Value
		if left[k] > 0 {
			left[k]--
			return true
		}
		return false
	}
	d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id"})
	for i := range 10 {
		put(t, d, AV{"id": &S{Value: fmt.Sprint(i)}})
	}
	closeOK(t, d)
	if n := len(f.Items(table)); n != 10 {
		t.Errorf("%d items, want 10", n)
	}
	st := d.Stats()
	want := batch.Stats{Submitted: 10, Written: 10, Retries: 3, Batches: 3, Throttled: 2}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
}

func apiErr(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " message"}
}

func TestErrorsRetriedOrNot(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		retried   bool
		wantCode  string
		wantCalls int // for one item, when it keeps failing
	}{
		{"throttling", apiErr("ThrottlingException"), true, "ThrottlingException", 6},
		{"provisioned throughput", &types.ProvisionedThroughputExceededException{Message: new(string)}, true, "ProvisionedThroughputExceededException", 6},
		{"internal server error", &types.InternalServerError{Message: new(string)}, true, "InternalServerError", 6},
		{"retry quota exceeded", &ratelimit.QuotaExceededError{Available: 0, Requested: 5}, true, "", 6},
		{"validation", apiErr("ValidationException"), false, "ValidationException", 1},
		{"unknown table", &types.ResourceNotFoundException{Message: new(string)}, false, "ResourceNotFoundException", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name+" recovers", func(t *testing.T) {
			if !tc.retried {
				t.Skip("not retried")
			}
			f := newFake(testutil.KeySchema{PartitionKey: "id"})
			f.FailNext(tc.err, tc.err)
			d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id"})
			put(t, d, AV{"id": &S{Value: "1"}})
			closeOK(t, d)
			if n := len(f.Items(table)); n != 1 {
				t.Errorf("%d items, want 1", n)
			}
		})
		t.Run(tc.name+" fails", func(t *testing.T) {
			f := newFake(testutil.KeySchema{PartitionKey: "id"})
			errs := make([]error, 10)
			for i := range errs {
				errs[i] = tc.err
			}
			f.FailNext(errs...)
			d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id"})
			item := AV{"id": &S{Value: "1"}}
			put(t, d, item)
			fs := failuresOf[AV](t, d.Close(context.Background()))
			if len(fs) != 1 {
				t.Fatalf("%d failures, want 1", len(fs))
			}
			if diff := diffItems([]AV{item}, []AV{fs[0].Item}); diff != "" {
				t.Errorf("failed item mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(fs[0].Err, tc.err) {
				t.Errorf("cause %v, want %v", fs[0].Err, tc.err)
			}
			if tc.wantCode != "" {
				var ae smithy.APIError
				if !errors.As(fs[0].Err, &ae) || ae.ErrorCode() != tc.wantCode {
					t.Errorf("cause %v has no API error code %q", fs[0].Err, tc.wantCode)
				}
			}
			if n := len(f.Calls()); n != tc.wantCalls {
				t.Errorf("%d calls, want %d", n, tc.wantCalls)
			}
		})
	}
}

func TestUnknownTableFailsEveryItemInOneCall(t *testing.T) {
	f := testutil.NewFakeDynamoDB()
	d := newDispatcher[AV](t, f, dynamo.Config{Table: "missing", PartitionKey: "id"})
	for i := range 20 {
		put(t, d, AV{"id": &S{Value: fmt.Sprint(i)}})
	}
	fs := failuresOf[AV](t, d.Close(context.Background()))
	if len(fs) != 20 {
		t.Fatalf("%d failures, want 20", len(fs))
	}
	var rnf *types.ResourceNotFoundException
	if !errors.As(fs[0].Err, &rnf) {
		t.Errorf("cause %v, want a ResourceNotFoundException", fs[0].Err)
	}
	if n := len(f.Calls()); n != 1 {
		t.Errorf("%d calls, want 1: a request-wide refusal is not split", n)
	}
}

// A table whose real schema is not the configured one: DynamoDB refuses
// every item, and each comes back with the ValidationException.
func TestWrongSchemaFailsEveryItemWithItsCause(t *testing.T) {
	f := newFake(testutil.KeySchema{PartitionKey: "pk"})
	d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id"})
	for i := range 3 {
		put(t, d, AV{"id": &S{Value: fmt.Sprint(i)}})
	}
	fs := failuresOf[AV](t, d.Close(context.Background()))
	if len(fs) != 3 {
		t.Fatalf("%d failures, want 3", len(fs))
	}
	for _, fl := range fs {
		var ae smithy.APIError
		if !errors.As(fl.Err, &ae) || ae.ErrorCode() != "ValidationException" {
			t.Errorf("cause %v, want a ValidationException", fl.Err)
		}
	}
	if st := d.Stats(); st.Failed != 3 || st.Submitted != 3 {
		t.Errorf("Stats %+v, want 3 submitted, 3 failed", st)
	}
}

func TestConcurrentBatchesKeepKeysApart(t *testing.T) {
	f := newFake(testutil.KeySchema{PartitionKey: "id"})
	n := 0
	f.Unprocessed = func(string, types.WriteRequest) bool { n++; return n%7 == 0 } // under the fake's lock
	d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id", Batch: batch.Config{
		MaxInFlight: 8, Duplicates: batch.ReplaceDuplicates, BackOff: fastRetries(100),
	}})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for v := range 50 {
				for k := range 40 {
					if k%4 != w {
						continue
					}
					put(t, d, AV{"id": &S{Value: fmt.Sprint(k)}, "v": &N{Value: fmt.Sprint(v)}})
				}
			}
		})
	}
	wg.Wait()
	closeOK(t, d)
	items := f.Items(table)
	if len(items) != 40 {
		t.Fatalf("%d items, want 40", len(items))
	}
	for _, it := range items {
		if v := it["v"].(*N).Value; v != "49" {
			t.Errorf("item %s: version %s, want the last, 49", it["id"].(*S).Value, v)
		}
	}
	if n := f.ConcurrentKeyWrites(); n != 0 {
		t.Errorf("%d keys written by two calls at once", n)
	}
	st := d.Stats()
	if st.Submitted != st.Written+st.Failed+st.Unknown+st.Replaced {
		t.Errorf("Stats %+v do not add up", st)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	f := testutil.NewFakeDynamoDB()
	tests := []struct {
		name   string
		client dynamo.Client
		cfg    dynamo.Config
		want   string
	}{
		{"nil client", nil, dynamo.Config{Table: table, PartitionKey: "id"}, "needs a Client"},
		{"no table", f, dynamo.Config{PartitionKey: "id"}, "Config.Table is empty"},
		{"bad table", f, dynamo.Config{Table: "a b", PartitionKey: "id"}, `Config.Table "a b"`},
		{"no partition key", f, dynamo.Config{Table: table}, "Config.PartitionKey is empty"},
		{"bad key type", f, dynamo.Config{Table: table, PartitionKey: "id", PartitionKeyType: 5}, "PartitionKeyType KeyType(5)"},
		{"sort key is partition key", f, dynamo.Config{Table: table, PartitionKey: "id", SortKey: "id"}, `SortKey "id" is also`},
		{"sort key type without sort key", f, dynamo.Config{Table: table, PartitionKey: "id", SortKeyType: dynamo.Number}, "without a SortKey"},
		{"batch too large", f, dynamo.Config{Table: table, PartitionKey: "id", Batch: batch.Config{MaxBatchItems: 26}}, "MaxBatchItems 26 is more than the sink allows (25)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dynamo.New[AV](tc.client, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestStructFloatNaNIsRefused(t *testing.T) {
	type rec struct {
		ID string  `dynamodbav:"id"`
		X  float64 `dynamodbav:"x"`
	}
	f := newFake(testutil.KeySchema{PartitionKey: "id"})
	d := newDispatcher[rec](t, f, dynamo.Config{PartitionKey: "id"})
	for _, x := range []float64{math.NaN(), math.Inf(1)} {
		if err := d.Put(context.Background(), rec{ID: "1", X: x}); !errors.Is(err, dynamo.ErrInvalidItem) {
			t.Errorf("Put(x=%v) = %v, want ErrInvalidItem", x, err)
		}
	}
	if err := d.Put(context.Background(), rec{}); !errors.Is(err, dynamo.ErrInvalidKey) {
		t.Errorf("Put(zero) = %v, want ErrInvalidKey", err)
	}
	type weird struct {
		ID string `dynamodbav:"id"`
		C  chan int
	}
	if _, err := dynamo.New[weird](f, dynamo.Config{Table: table, PartitionKey: "id"}); err == nil || !strings.Contains(err.Error(), "field C is a chan") {
		t.Errorf("New[weird] = %v, want an error naming field C", err)
	}
	dm := newDispatcher[map[string]any](t, f, dynamo.Config{PartitionKey: "id"})
	if err := dm.Put(context.Background(), map[string]any{"id": "1", "f": map[string]any{"g": func() {}}}); !errors.Is(err, dynamo.ErrInvalidItem) || !strings.Contains(err.Error(), "f.g is a func") {
		t.Errorf("Put(func) = %v, want ErrInvalidItem naming f.g", err)
	}
	dp := newDispatcher[*rec](t, f, dynamo.Config{PartitionKey: "id"})
	if err := dp.Put(context.Background(), nil); !errors.Is(err, dynamo.ErrInvalidItem) {
		t.Errorf("Put(nil pointer) = %v, want ErrInvalidItem", err)
	}
	closeOK(t, d)
}
