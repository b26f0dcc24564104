package dynamo_test

// Integration tests: the real aws-sdk-go-v2 client, through dynamo.Dispatcher,
// against the DynamoDB-compatible server (dynalite) that `make test` starts.
// Without $BATCHUTILS_DYNAMODB_ENDPOINT they skip, or fail when $CI is set.
//
// dynalite refuses what DynamoDB refuses (26 requests, duplicate keys, key
// type mismatches, request bodies over 16 MiB with HTTP 413) but never
// returns UnprocessedItems, so every test here expects Stats.Retries == 0:
// a retry would mean a request was refused. Its item limit is looser than
// ours (see TestIntegrationItemSizeLimit), so the 400,000-byte check at Put
// is what keeps items within DynamoDB's.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/internal/ddbsize"
	"github.com/batchutils/batchutils/testutil"
)

// liveTable creates a table on the local server with the given key schema and
// returns a client for it and its name. The table is deleted when the test
// ends.
func liveTable(t *testing.T, schema testutil.KeySchema) (*dynamodb.Client, string) {
	t.Helper()
	client := testutil.NewDynamoDBClient(t, testutil.DynamoDBEndpoint(t))
	return client, testutil.CreateTable(t, client, schema)
}

// liveDispatcher returns a Dispatcher for table, closed when the test ends.
// Unless cfg says otherwise, a failed call is retried three times, 10ms
// apart: no call should fail against the local server, and one that does
// fails the test in well under a second rather than after the default
// policy's two minutes.
func liveDispatcher[T any](t *testing.T, client dynamo.Client, cfg dynamo.Config) *dynamo.Dispatcher[T] {
	t.Helper()
	if cfg.Batch.BackOff == nil {
		cfg.Batch.BackOff = func() backoff.BackOff {
			return backoff.WithMaxRetries(backoff.NewConstantBackOff(10*time.Millisecond), 3)
		}
	}
	d, err := dynamo.New[T](client, cfg)
	if err != nil {
		t.Fatalf("dynamo.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d.Close(ctx) // already closed by the test, unless it failed early
	})
	return d
}

// liveStats checks the Stats of a dispatcher at rest: they add up, nothing is
// pending, in flight, failed or retried, and the counts are the wanted ones.
// Batches is checked only when want.Batches is not 0.
func liveStats(t *testing.T, got, want batch.Stats) {
	t.Helper()
	if got.Submitted != got.Written+got.Failed+got.Unknown+got.Replaced {
		t.Errorf("Stats do not add up: Submitted %d != Written %d + Failed %d + Replaced %d",
			got.Submitted, got.Written, got.Failed, got.Replaced)
	}
	opts := []cmp.Option{}
	if want.Batches == 0 {
		opts = append(opts, cmpopts.IgnoreFields(batch.Stats{}, "Batches"))
	}
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
}

// plainItems turns items into plain values sorted by their "id" attribute,
// which every test table here has, as partition key or not.
func plainItems(items []map[string]types.AttributeValue) []map[string]any {
	out := make([]map[string]any, len(items))
	for i, item := range items {
		out[i] = testutil.PlainItem(item)
	}
	slices.SortFunc(out, func(a, b map[string]any) int {
		return strings.Compare(fmt.Sprint(a["id"]), fmt.Sprint(b["id"]))
	})
	return out
}

// scanPlain reads table back as plain items sorted by "id".
func scanPlain(t *testing.T, client *dynamodb.Client, table string) []map[string]any {
	t.Helper()
	return plainItems(testutil.ScanAll(t, client, table))
}

// diffTable compares the whole table with want, given as attribute values.
func diffTable(t *testing.T, client *dynamodb.Client, table string, want []map[string]types.AttributeValue) {
	t.Helper()
	if diff := cmp.Diff(plainItems(want), scanPlain(t, client, table)); diff != "" {
		t.Errorf("table mismatch (-want +got):\n%s", diff)
	}
}

func avS(s string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: s} }
func avN(n string) *types.AttributeValueMemberN { return &types.AttributeValueMemberN{Value: n} }

// TestIntegrationPageExample is the example of the boto3_batch_utils page,
// in Go, against a real server.
func TestIntegrationPageExample(t *testing.T) {
	t.Parallel()
	client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})

	d, err := dynamo.New[map[string]any](client, dynamo.Config{Table: table, PartitionKey: "id"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := d.Put(ctx, map[string]any{"id": "1", "something": "in", "my": "message"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, map[string]any{"id": "2", "tells": "me", "this": "is", "easy": true}); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	diffTable(t, client, table, []map[string]types.AttributeValue{
		{"id": avS("1"), "something": avS("in"), "my": avS("message")},
		{"id": avS("2"), "tells": avS("me"), "this": avS("is"), "easy": &types.AttributeValueMemberBOOL{Value: true}},
	})
	closeOK(t, d)
	liveStats(t, d.Stats(), batch.Stats{Submitted: 2, Written: 2, Batches: 1})
}

// liveEvent is a typed record with a value of most kinds.
type liveEvent struct {
	ID       string            `dynamodbav:"id"`
	Seq      int               `dynamodbav:"seq"`
	Customer string            `dynamodbav:"customer"`
	Amount   float64           `dynamodbav:"amount"`
	Paid     bool              `dynamodbav:"paid"`
	Payload  []byte            `dynamodbav:"payload"`
	Lines    []string          `dynamodbav:"lines"`
	Attrs    map[string]int    `dynamodbav:"attrs"`
	Note     *string           `dynamodbav:"note"` // nil: NULL
	Labels   map[string]string `dynamodbav:"labels,omitempty"`
}

func newLiveEvent(i int) liveEvent {
	e := liveEvent{
		ID:       fmt.Sprintf("evt-%05d", i),
		Seq:      i,
		Customer: fmt.Sprintf("customer-%03d", i%997),
		Amount:   float64(i) + 0.25,
		Paid:     i%2 == 0,
		Payload:  []byte{byte(i), byte(i >> 8), 0, 0xff},
		Lines:    []string{"line " + strconv.Itoa(i), "é ✓"},
		Attrs:    map[string]int{"n": i, "neg": -i},
	}
	if i%3 == 0 {
		note := "note " + strconv.Itoa(i)
		e.Note = &note
	}
	if i%5 == 0 {
		e.Labels = map[string]string{"five": "yes"}
	}
	return e
}

// TestIntegrationManyItemsWrittenOnce writes 20,000 typed items from four
// goroutines at once and reads every one back: each is in the table once,
// with its exact content, and none was sent twice.
func TestIntegrationManyItemsWrittenOnce(t *testing.T) {
	t.Parallel()
	const n, producers = 20_000, 4
	client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
	d := liveDispatcher[liveEvent](t, client, dynamo.Config{
		Table:        table,
		PartitionKey: "id",
		Batch:        batch.Config{MaxInFlight: 8},
	})

	want := make([]liveEvent, n)
	for i := range want {
		want[i] = newLiveEvent(i)
	}
	var wg sync.WaitGroup
	errs := make([]error, producers)
	for p := range producers {
		wg.Go(func() {
			for i := p; i < n; i += producers {
				if err := d.Put(t.Context(), want[i]); err != nil {
					errs[p] = fmt.Errorf("Put %s: %w", want[i].ID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	closeOK(t, d)
	liveStats(t, d.Stats(), batch.Stats{Submitted: n, Written: n})
	if b := d.Stats().Batches; b < n/dynamo.MaxBatchItems {
		t.Errorf("%d batches, want at least %d", b, n/dynamo.MaxBatchItems)
	}

	scanned := testutil.ScanAll(t, client, table)
	var got []liveEvent
	if err := attributevalue.UnmarshalListOfMaps(scanned, &got); err != nil {
		t.Fatalf("unmarshalling the table: %v", err)
	}
	slices.SortFunc(got, func(a, b liveEvent) int { return strings.Compare(a.ID, b.ID) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table mismatch (-want +got):\n%s", diff)
	}
}

// TestIntegrationDuplicates checks both duplicate policies against a real
// server, which itself refuses a batch holding one key twice.
func TestIntegrationDuplicates(t *testing.T) {
	t.Parallel()
	type doc struct {
		ID      string `dynamodbav:"id"`
		Version int    `dynamodbav:"version"`
	}
	toAV := func(docs ...doc) []map[string]types.AttributeValue {
		out := make([]map[string]types.AttributeValue, len(docs))
		for i, d := range docs {
			out[i] = map[string]types.AttributeValue{"id": avS(d.ID), "version": avN(strconv.Itoa(d.Version))}
		}
		return out
	}

	t.Run("RejectDuplicates", func(t *testing.T) {
		t.Parallel()
		client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
		d := liveDispatcher[doc](t, client, dynamo.Config{Table: table, PartitionKey: "id"})
		ctx := t.Context()
		put(t, d, doc{"a", 1}, doc{"b", 1})
		if err := d.Put(ctx, doc{"a", 2}); !errors.Is(err, batch.ErrDuplicate) {
			t.Errorf("second Put of a pending key = %v, want batch.ErrDuplicate", err)
		}
		if err := d.Delete(ctx, doc{ID: "b"}); !errors.Is(err, batch.ErrDuplicate) {
			t.Errorf("Delete of a key with a pending Put = %v, want batch.ErrDuplicate", err)
		}
		if err := d.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		diffTable(t, client, table, toAV(doc{"a", 1}, doc{"b", 1}))
		// Once written, a key is free again.
		put(t, d, doc{"a", 3})
		if err := d.Delete(ctx, doc{ID: "b"}); err != nil {
			t.Fatalf("Delete after Flush: %v", err)
		}
		closeOK(t, d)
		diffTable(t, client, table, toAV(doc{"a", 3}))
		liveStats(t, d.Stats(), batch.Stats{Submitted: 4, Written: 4, Rejected: 2, Batches: 2})
	})

	t.Run("ReplaceDuplicates", func(t *testing.T) {
		t.Parallel()
		client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
		d := liveDispatcher[doc](t, client, dynamo.Config{
			Table:        table,
			PartitionKey: "id",
			Batch:        batch.Config{Duplicates: batch.ReplaceDuplicates},
		})
		ctx := t.Context()
		put(t, d, doc{"put-then-delete", 1}, doc{"delete-then-put", 1})
		if err := d.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		// Pending together, the last one of each key wins: five versions
		// of one key, a put then a delete, a delete then a put.
		for v := 1; v <= 5; v++ {
			put(t, d, doc{"five-versions", v})
		}
		put(t, d, doc{"put-then-delete", 2})
		if err := d.Delete(ctx, doc{ID: "put-then-delete"}); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if err := d.Delete(ctx, doc{ID: "delete-then-put"}); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		put(t, d, doc{"delete-then-put", 2})
		if err := d.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		diffTable(t, client, table, toAV(doc{"five-versions", 5}, doc{"delete-then-put", 2}))
		liveStats(t, d.Stats(), batch.Stats{Submitted: 11, Written: 5, Replaced: 6})

		// With batches flowing and 8 calls in flight, every key still ends
		// with its last version: a key is never in two calls at once.
		const keys, versions = 100, 20
		var want []doc
		for v := 1; v <= versions; v++ {
			for k := range keys {
				put(t, d, doc{fmt.Sprintf("k%03d", k), v})
				if v == versions {
					want = append(want, doc{fmt.Sprintf("k%03d", k), v})
				}
			}
		}
		closeOK(t, d)
		want = append(want, doc{"five-versions", 5}, doc{"delete-then-put", 2})
		diffTable(t, client, table, toAV(want...))
		st := d.Stats()
		if st.Submitted != st.Written+st.Failed+st.Unknown+st.Replaced || st.Failed != 0 || st.Retries != 0 {
			t.Errorf("Stats %+v: want Submitted == Written + Replaced, no failures, no retries", st)
		}
		if st.Submitted != 11+keys*versions {
			t.Errorf("Stats.Submitted = %d, want %d", st.Submitted, 11+keys*versions)
		}
	})
}

// TestIntegrationPutsAndDeletesMixed interleaves puts of new items, updates,
// deletes of existing items given whole (only their key is sent: DynamoDB
// refuses a DeleteRequest with other attributes) and deletes of keys that
// never existed.
func TestIntegrationPutsAndDeletesMixed(t *testing.T) {
	t.Parallel()
	type doc struct {
		ID      string `dynamodbav:"id"`
		Version int    `dynamodbav:"version"`
		Body    string `dynamodbav:"body"`
	}
	const n = 1500
	mk := func(i, v int) doc {
		return doc{ID: fmt.Sprintf("doc-%04d", i), Version: v, Body: strings.Repeat("b", i%300)}
	}
	client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
	d := liveDispatcher[doc](t, client, dynamo.Config{Table: table, PartitionKey: "id"})
	ctx := t.Context()

	for i := range n {
		put(t, d, mk(i, 1))
	}
	if err := d.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}

	want := map[string]doc{}
	puts, deletes := n, 0
	for i := range n {
		switch i % 3 {
		case 0: // delete, with the whole item
			if err := d.Delete(ctx, mk(i, 1)); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			deletes++
		case 1: // update
			put(t, d, mk(i, 2))
			puts++
			want[mk(i, 2).ID] = mk(i, 2)
		case 2: // keep, and put a new one
			want[mk(i, 1).ID] = mk(i, 1)
			put(t, d, mk(n+i, 1))
			puts++
			want[mk(n+i, 1).ID] = mk(n+i, 1)
		}
		if i%100 == 0 { // a key that was never written
			if err := d.Delete(ctx, doc{ID: fmt.Sprintf("ghost-%04d", i)}); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			deletes++
		}
	}
	closeOK(t, d)
	liveStats(t, d.Stats(), batch.Stats{Submitted: int64(puts + deletes), Written: int64(puts + deletes)})

	var got []doc
	if err := attributevalue.UnmarshalListOfMaps(testutil.ScanAll(t, client, table), &got); err != nil {
		t.Fatalf("unmarshalling the table: %v", err)
	}
	gotByID := make(map[string]doc, len(got))
	for _, g := range got {
		gotByID[g.ID] = g
	}
	if len(gotByID) != len(got) {
		t.Errorf("the scan returned %d items for %d keys", len(got), len(gotByID))
	}
	if diff := cmp.Diff(want, gotByID); diff != "" {
		t.Errorf("table mismatch (-want +got):\n%s", diff)
	}
}

// TestIntegrationItemKinds writes typed structs, map[string]any and
// map[string]types.AttributeValue items holding every kind of value, and
// reads them back exactly.
func TestIntegrationItemKinds(t *testing.T) {
	t.Parallel()
	type inner struct {
		Name  string `dynamodbav:"name"`
		Count int    `dynamodbav:"count"`
	}
	type kinds struct {
		ID     string         `dynamodbav:"id"`
		Int    int            `dynamodbav:"int"`
		Float  float64        `dynamodbav:"float"`
		Bool   bool           `dynamodbav:"bool"`
		Bytes  []byte         `dynamodbav:"bytes"`
		Null   *string        `dynamodbav:"null"`
		List   []any          `dynamodbav:"list"`
		Map    map[string]any `dynamodbav:"map"`
		Inner  inner          `dynamodbav:"inner"`
		Tags   []string       `dynamodbav:"tags,stringset"`
		Nums   []int          `dynamodbav:"nums,numberset"`
		Blobs  [][]byte       `dynamodbav:"blobs,binaryset"`
		Omit   string         `dynamodbav:"omit,omitempty"`
		Skip   string         `dynamodbav:"-"`
		Unicod string         `dynamodbav:"ünï"`
	}

	t.Run("struct", func(t *testing.T) {
		t.Parallel()
		client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
		d := liveDispatcher[kinds](t, client, dynamo.Config{Table: table, PartitionKey: "id"})
		want := []kinds{
			{
				ID: "a", Int: -42, Float: 3.25, Bool: true, Bytes: []byte{0, 1, 0xfe},
				List:  []any{"x", 1.5, false, nil, []any{"nested"}},
				Map:   map[string]any{"k": "v", "deep": map[string]any{"n": 7.0}},
				Inner: inner{Name: "in", Count: 3},
				Tags:  []string{"blue", "green"}, Nums: []int{1, 2, 30}, Blobs: [][]byte{{1}, {2, 3}},
				Unicod: "日本語 🚀",
			},
			{ID: "b", Tags: []string{"only"}, Nums: []int{0}, Blobs: [][]byte{{0}}, Map: map[string]any{}, List: []any{}, Bytes: []byte{}},
		}
		withSkip := want[0]
		withSkip.Skip = "never written"
		put(t, d, withSkip, want[1])
		closeOK(t, d)
		liveStats(t, d.Stats(), batch.Stats{Submitted: 2, Written: 2, Batches: 1})

		var got []kinds
		if err := attributevalue.UnmarshalListOfMaps(testutil.ScanAll(t, client, table), &got); err != nil {
			t.Fatalf("unmarshalling the table: %v", err)
		}
		slices.SortFunc(got, func(a, b kinds) int { return strings.Compare(a.ID, b.ID) })
		for i := range got { // sets come back in any order
			slices.Sort(got[i].Tags)
			slices.Sort(got[i].Nums)
			slices.SortFunc(got[i].Blobs, bytes.Compare)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("table mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("map[string]any", func(t *testing.T) {
		t.Parallel()
		client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
		d := liveDispatcher[map[string]any](t, client, dynamo.Config{Table: table, PartitionKey: "id"})
		put(t, d,
			map[string]any{
				"id": "a", "int": 7, "float": 0.5, "bool": false, "bytes": []byte("raw"), "null": nil,
				"list": []any{"x", 2, true}, "map": map[string]any{"k": "v", "l": []any{}},
				"strings": []string{"p", "q"},
			},
			map[string]any{"id": "b"},
		)
		closeOK(t, d)
		liveStats(t, d.Stats(), batch.Stats{Submitted: 2, Written: 2, Batches: 1})
		diffTable(t, client, table, []map[string]types.AttributeValue{
			{
				"id": avS("a"), "int": avN("7"), "float": avN("0.5"),
				"bool":  &types.AttributeValueMemberBOOL{Value: false},
				"bytes": &types.AttributeValueMemberB{Value: []byte("raw")},
				"null":  &types.AttributeValueMemberNULL{Value: true},
				"list":  &types.AttributeValueMemberL{Value: []types.AttributeValue{avS("x"), avN("2"), &types.AttributeValueMemberBOOL{Value: true}}},
				"map": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
					"k": avS("v"), "l": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
				}},
				"strings": &types.AttributeValueMemberL{Value: []types.AttributeValue{avS("p"), avS("q")}},
			},
			{"id": avS("b")},
		})
	})

	t.Run("map[string]types.AttributeValue", func(t *testing.T) {
		t.Parallel()
		client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
		d := liveDispatcher[map[string]types.AttributeValue](t, client, dynamo.Config{Table: table, PartitionKey: "id"})
		items := []map[string]types.AttributeValue{
			{
				"id": avS("a"), "n": avN("-12.5e3"), "b": &types.AttributeValueMemberB{Value: []byte{0, 0xff}},
				"ss": &types.AttributeValueMemberSS{Value: []string{"z", "a"}},
				"ns": &types.AttributeValueMemberNS{Value: []string{"3", "1"}},
				"bs": &types.AttributeValueMemberBS{Value: [][]byte{{9}, {1}}},
				"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
					"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberNULL{Value: true}}},
				}},
			},
			{"id": avS("b"), "empty": avS("")},
		}
		put(t, d, items...)
		closeOK(t, d)
		liveStats(t, d.Stats(), batch.Stats{Submitted: 2, Written: 2, Batches: 1})
		items[0]["n"] = avN("-12500") // DynamoDB stores numbers normalized
		diffTable(t, client, table, items)
	})
}

// liveDigest describes the "d" attribute of a large item in a line that
// cmp.Diff can print: its type, length and a hash of its content.
func liveDigest(item map[string]types.AttributeValue) string {
	var typ string
	var content []byte
	switch v := item["d"].(type) {
	case *types.AttributeValueMemberS:
		typ, content = "S", []byte(v.Value)
	case *types.AttributeValueMemberB:
		typ, content = "B", v.Value
	default:
		return fmt.Sprintf("unexpected %T", item["d"])
	}
	sum := sha256.Sum256(content)
	return fmt.Sprintf("%s len=%d sha256=%s size=%d", typ, len(content), hex.EncodeToString(sum[:8]), ddbsize.ItemSize(item))
}

func liveDigests(items []map[string]types.AttributeValue) map[string]string {
	out := make(map[string]string, len(items))
	for _, item := range items {
		id, _ := item["id"].(*types.AttributeValueMemberS)
		if id == nil {
			out[fmt.Sprintf("no id %d", len(out))] = liveDigest(item)
			continue
		}
		out[id.Value] = liveDigest(item)
	}
	return out
}

// largeItem returns an item {"id": id, "d": value} whose size by DynamoDB's
// rules is exactly size bytes: the value is unit repeated, padded with 'a',
// as a string, or as binary when binary is set.
func largeItem(t *testing.T, id string, size int, unit string, binary bool) map[string]types.AttributeValue {
	t.Helper()
	n := size - len("id") - len(id) - len("d") // bytes of the value
	value := strings.Repeat(unit, n/len(unit)) + strings.Repeat("a", n%len(unit))
	item := map[string]types.AttributeValue{"id": avS(id), "d": avS(value)}
	if binary {
		item["d"] = &types.AttributeValueMemberB{Value: []byte(value)}
	}
	if got := ddbsize.ItemSize(item); got != size {
		t.Fatalf("largeItem(%q, %d): the item is %d bytes", id, size, got)
	}
	return item
}

// TestIntegrationLargeItems writes batches of 25 items of 390,000 to 400,000
// bytes whose request bodies are 10 MB to 58 MB before splitting: every item
// lands, and no request body reaches dynalite's 16 MiB limit (above it,
// dynalite answers HTTP 413, which would show as retries and failures).
func TestIntegrationLargeItems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		size        func(i int) int // size of item i by DynamoDB's rules
		unit        string
		binary      bool
		wantBatches int64 // at least
	}{
		// 25 items of 399,000 to 400,000 bytes, the last one exactly at
		// the limit: a 10 MB body, one call.
		{"399,000+ bytes", func(i int) int { return 399_000 + i*1000/24 }, "x", false, 1},
		// Base64 makes each 532 KB: 13.3 MB, one call still.
		{"binary of 399,000+ bytes", func(i int) int { return 399_000 + i*1000/24 }, "\x00\xff", true, 1},
		// A quote is written \": 780 KB each, 19.5 MB in all, so two
		// calls, the first close to 16 MB.
		{"quotes escaped 2x", func(int) int { return 390_000 }, `"`, false, 2},
		// A control character is written \u0001: 2.34 MB each, 58 MB in
		// all, at most 6 to a call.
		{"control characters escaped 6x", func(int) int { return 390_000 }, "\x01", false, 5},
		// Three-byte UTF-8 characters count three bytes each, as DynamoDB
		// counts them (dynalite counts one).
		{"multi-byte UTF-8", func(i int) int { return 399_000 + i*1000/24 }, "€", false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
			d := liveDispatcher[map[string]types.AttributeValue](t, client, dynamo.Config{Table: table, PartitionKey: "id"})
			items := make([]map[string]types.AttributeValue, 25)
			for i := range items {
				items[i] = largeItem(t, fmt.Sprintf("big-%02d", i), tc.size(i), tc.unit, tc.binary)
			}
			put(t, d, items...)
			closeOK(t, d)
			st := d.Stats()
			liveStats(t, st, batch.Stats{Submitted: 25, Written: 25})
			t.Logf("25 items in %d calls", st.Batches)
			if st.Batches < tc.wantBatches {
				t.Errorf("%d calls, want at least %d", st.Batches, tc.wantBatches)
			}
			if diff := cmp.Diff(liveDigests(items), liveDigests(testutil.ScanAll(t, client, table))); diff != "" {
				t.Errorf("table mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIntegrationItemSizeLimit checks the 400,000-byte limit against the
// server. dynalite's own limit is 409,600 bytes (400 KB of 1,024 bytes,
// DynamoDB's documented figure), with strings counted in UTF-16 code units:
// it would accept items that Put refuses, so this also records that the
// limit at Put is the one that holds.
func TestIntegrationItemSizeLimit(t *testing.T) {
	t.Parallel()
	client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
	d := liveDispatcher[map[string]types.AttributeValue](t, client, dynamo.Config{Table: table, PartitionKey: "id"})
	ctx := t.Context()

	at := largeItem(t, "at-limit", dynamo.MaxItemBytes, "x", false)
	atUTF8 := largeItem(t, "at-limit-utf8", dynamo.MaxItemBytes, "€", false)
	put(t, d, at, atUTF8)
	for _, over := range []map[string]types.AttributeValue{
		largeItem(t, "over", dynamo.MaxItemBytes+1, "x", false),
		largeItem(t, "over-utf8", dynamo.MaxItemBytes+1, "€", false),
		largeItem(t, "over-binary", dynamo.MaxItemBytes+1, "x", true),
	} {
		if err := d.Put(ctx, over); !errors.Is(err, batch.ErrItemTooLarge) {
			t.Errorf("Put of a %d-byte item = %v, want batch.ErrItemTooLarge", ddbsize.ItemSize(over), err)
		}
	}
	closeOK(t, d)
	liveStats(t, d.Stats(), batch.Stats{Submitted: 2, Written: 2, Rejected: 3})
	if diff := cmp.Diff(liveDigests([]map[string]types.AttributeValue{at, atUTF8}), liveDigests(testutil.ScanAll(t, client, table))); diff != "" {
		t.Errorf("table mismatch (-want +got):\n%s", diff)
	}

	// The server's own limit, straight through the client.
	write := func(item map[string]types.AttributeValue) error {
		_, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
			table: {{PutRequest: &types.PutRequest{Item: item}}},
		}})
		return err
	}
	if err := write(largeItem(t, "dynalite-max", 409_600, "x", false)); err != nil {
		t.Errorf("dynalite refused a 409,600-byte item: %v", err)
	}
	var apiErr smithy.APIError
	if err := write(largeItem(t, "dynalite-over", 409_601, "x", false)); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
		t.Errorf("a 409,601-byte item: got %v, want a ValidationException from dynalite", err)
	}
}

// TestIntegrationSortKeyAndKeyLocation uses a table keyed by a number
// partition key and a number sort key, with the partition key taken from a
// string attribute (PartitionKeyLocation), as boto3_batch_utils'
// partition_key_location does.
func TestIntegrationSortKeyAndKeyLocation(t *testing.T) {
	t.Parallel()
	type txn struct {
		AccountRef string `dynamodbav:"account_ref"` // digits: the partition key "account", as N
		Seq        int    `dynamodbav:"seq"`         // sort key
		Amount     int64  `dynamodbav:"amount"`
	}
	const accounts, seqs = 20, 50
	client, table := liveTable(t, testutil.KeySchema{
		PartitionKey: "account", PartitionKeyType: types.ScalarAttributeTypeN,
		SortKey: "seq", SortKeyType: types.ScalarAttributeTypeN,
	})
	d := liveDispatcher[txn](t, client, dynamo.Config{
		Table:                table,
		PartitionKey:         "account",
		PartitionKeyType:     dynamo.Number,
		PartitionKeyLocation: "account_ref",
		SortKey:              "seq",
		SortKeyType:          dynamo.Number,
	})
	ctx := t.Context()
	ref := func(a int) string {
		if a%2 == 0 {
			return fmt.Sprintf("%04d", a) // leading zeros: the same number
		}
		return strconv.Itoa(a)
	}

	// Same account and seq, spelled differently: the same key.
	put(t, d, txn{AccountRef: "7", Seq: 1, Amount: 100})
	if err := d.Put(ctx, txn{AccountRef: "007", Seq: 1, Amount: 999}); !errors.Is(err, batch.ErrDuplicate) {
		t.Errorf("Put of account 007 seq 1 after account 7 seq 1 = %v, want batch.ErrDuplicate", err)
	}
	if err := d.Put(ctx, txn{AccountRef: "seven", Seq: 2}); !errors.Is(err, dynamo.ErrInvalidKey) {
		t.Errorf("Put with a non-numeric key location = %v, want dynamo.ErrInvalidKey", err)
	}
	for a := 1; a <= accounts; a++ {
		for s := 1; s <= seqs; s++ {
			if a == 7 && s == 1 {
				continue
			}
			put(t, d, txn{AccountRef: ref(a), Seq: s, Amount: int64(a*1000 + s)})
		}
	}
	if err := d.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	// Deletes find their key the same way.
	for a := 1; a <= accounts; a++ {
		for s := seqs - 9; s <= seqs; s++ {
			if err := d.Delete(ctx, txn{AccountRef: ref(a), Seq: s}); err != nil {
				t.Fatalf("Delete: %v", err)
			}
		}
	}
	closeOK(t, d)
	liveStats(t, d.Stats(), batch.Stats{
		Submitted: accounts*seqs + accounts*10,
		Written:   accounts*seqs + accounts*10,
		Rejected:  2,
	})

	var want []map[string]any
	for a := 1; a <= accounts; a++ {
		for s := 1; s <= seqs-10; s++ {
			r, amount := ref(a), a*1000+s
			if a == 7 && s == 1 {
				amount = 100
			}
			want = append(want, testutil.PlainItem(map[string]types.AttributeValue{
				"account":     avN(strconv.Itoa(a)), // N, normalized: "0004" is stored as 4
				"account_ref": avS(r),
				"seq":         avN(strconv.Itoa(s)),
				"amount":      avN(strconv.Itoa(amount)),
			}))
		}
	}
	got := plainItems(testutil.ScanAll(t, client, table))
	byKey := func(items []map[string]any) {
		slices.SortFunc(items, func(a, b map[string]any) int {
			return strings.Compare(fmt.Sprint(a["account"], a["seq"]), fmt.Sprint(b["account"], b["seq"]))
		})
	}
	byKey(want)
	byKey(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table mismatch (-want +got):\n%s", diff)
	}

	// The key really is a number: a query on account = 4 finds its items.
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("account = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": avN("4")},
		Select:                    types.SelectCount,
	})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if out.Count != seqs-10 {
		t.Errorf("Query account = 4: %d items, want %d", out.Count, seqs-10)
	}
}

// TestIntegrationBadItemsRefusedAtPut puts bad items between good ones: each
// bad one is refused at Put with the right error, before anything is sent,
// and every good one lands. Sent to the server, any of them would have had
// the whole batch refused.
func TestIntegrationBadItemsRefusedAtPut(t *testing.T) {
	t.Parallel()
	type AVMap = map[string]types.AttributeValue

	t.Run("map[string]types.AttributeValue", func(t *testing.T) {
		t.Parallel()
		client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
		d := liveDispatcher[AVMap](t, client, dynamo.Config{Table: table, PartitionKey: "id"})
		bad := []struct {
			name string
			item AVMap
			want error
		}{
			{"missing key", AVMap{"x": avS("1")}, dynamo.ErrInvalidKey},
			{"empty key", AVMap{"id": avS("")}, dynamo.ErrInvalidKey},
			{"number key on a string table", AVMap{"id": avN("1")}, dynamo.ErrInvalidKey},
			{"key of 2,049 bytes", AVMap{"id": avS(strings.Repeat("k", dynamo.MaxPartitionKeyBytes+1))}, dynamo.ErrInvalidKey},
			{"NaN", AVMap{"id": avS("nan"), "x": avN("NaN")}, dynamo.ErrInvalidItem},
			{"empty set", AVMap{"id": avS("set"), "x": &types.AttributeValueMemberSS{}}, dynamo.ErrInvalidItem},
			{"set with duplicates", AVMap{"id": avS("dup"), "x": &types.AttributeValueMemberSS{Value: []string{"a", "a"}}}, dynamo.ErrInvalidItem},
			{"nil value", AVMap{"id": avS("nil"), "x": nil}, dynamo.ErrInvalidItem},
			{"empty name in a map", AVMap{"id": avS("nested"), "m": &types.AttributeValueMemberM{Value: AVMap{"": avS("v")}}}, dynamo.ErrInvalidItem},
			{"400,001 bytes", largeItem(t, "large", dynamo.MaxItemBytes+1, "x", false), batch.ErrItemTooLarge},
		}
		var want []AVMap
		good := func(i int) AVMap { return AVMap{"id": avS(fmt.Sprintf("good-%02d", i)), "v": avN(strconv.Itoa(i))} }
		for i, b := range bad {
			put(t, d, good(i))
			want = append(want, good(i))
			if err := d.Put(t.Context(), b.item); !errors.Is(err, b.want) {
				t.Errorf("Put of %s = %v, want %v", b.name, err, b.want)
			}
		}
		// A key of exactly 2,048 bytes is fine.
		longest := AVMap{"id": avS(strings.Repeat("k", dynamo.MaxPartitionKeyBytes))}
		put(t, d, longest)
		want = append(want, longest)
		closeOK(t, d)
		liveStats(t, d.Stats(), batch.Stats{
			Submitted: int64(len(want)), Written: int64(len(want)), Rejected: int64(len(bad)), Batches: 1,
		})
		diffTable(t, client, table, want)
	})

	t.Run("map[string]any", func(t *testing.T) {
		t.Parallel()
		client, table := liveTable(t, testutil.KeySchema{PartitionKey: "id"})
		d := liveDispatcher[map[string]any](t, client, dynamo.Config{Table: table, PartitionKey: "id"})
		bad := []struct {
			name string
			item map[string]any
			want error
		}{
			{"number key on a string table", map[string]any{"id": 5}, dynamo.ErrInvalidKey},
			{"nil key", map[string]any{"id": nil}, dynamo.ErrInvalidKey},
			{"a channel", map[string]any{"id": "chan", "c": make(chan int)}, dynamo.ErrInvalidItem},
			{"a function", map[string]any{"id": "func", "f": func() {}}, dynamo.ErrInvalidItem},
		}
		for _, b := range bad {
			put(t, d, map[string]any{"id": "good " + b.name})
			if err := d.Put(t.Context(), b.item); !errors.Is(err, b.want) {
				t.Errorf("Put of %s = %v, want %v", b.name, err, b.want)
			}
			if err := d.Delete(t.Context(), b.item); b.want == dynamo.ErrInvalidKey && !errors.Is(err, b.want) {
				t.Errorf("Delete of %s = %v, want %v", b.name, err, b.want)
			}
		}
		closeOK(t, d)
		var want []map[string]types.AttributeValue
		for _, b := range bad {
			want = append(want, map[string]types.AttributeValue{"id": avS("good " + b.name)})
		}
		diffTable(t, client, table, want)
		st := d.Stats()
		if st.Written != int64(len(bad)) || st.Failed != 0 || st.Rejected < int64(len(bad)) {
			t.Errorf("Stats %+v: want Written %d, Failed 0, Rejected at least %d", st, len(bad), len(bad))
		}
	})
}
