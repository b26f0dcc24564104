package dynamo_test

// Regression tests for what a cross-check against two independent
// DynamoDB-compatible servers found: each case below was accepted
// at Put, or hung, before it was fixed.

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

// A number key has one identity however it is spelled: the dispatcher must
// never hold two versions of one key apart, or the older could land last.
func TestNumberKeySpellingsAreOneKey(t *testing.T) {
	tests := []struct {
		name   string
		first  string
		second string
	}{
		{"1e6", "1000000", "1e6"},
		{"1E+6", "1000000", "1E+6"},
		{"trailing zero", "1000000", "1000000.0"},
		{"exponent and trailing zeros", "1e6", "1000000.000"},
		{"big", "1e125", "1" + strings.Repeat("0", 125)},
		{"small", "1e-130", "0.1E-129"},
		{"negative", "-2.5e7", "-25000000"},
		{"fraction", "0.000125", "1.25e-4"},
		{"38 digits", "12345678901234567890123456789012345678e2", "1234567890123456789012345678901234567800"},
		{"negative zero", "-0", "0e10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(testutil.KeySchema{PartitionKey: "id", PartitionKeyType: types.ScalarAttributeTypeN})
			d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id", PartitionKeyType: dynamo.Number})
			put(t, d, AV{"id": &N{Value: tc.first}})
			if err := d.Put(context.Background(), AV{"id": &N{Value: tc.second}}); !errors.Is(err, batch.ErrDuplicate) {
				t.Errorf("Put(%s) after Put(%s) = %v, want batch.ErrDuplicate: they are one key", tc.second, tc.first, err)
			}
			// The same for a number sort key.
			fs := newFake(testutil.KeySchema{PartitionKey: "id", SortKey: "sk", SortKeyType: types.ScalarAttributeTypeN})
			ds := newDispatcher[AV](t, fs, dynamo.Config{PartitionKey: "id", SortKey: "sk", SortKeyType: dynamo.Number})
			put(t, ds, AV{"id": &S{Value: "a"}, "sk": &N{Value: tc.first}})
			if err := ds.Put(context.Background(), AV{"id": &S{Value: "a"}, "sk": &N{Value: tc.second}}); !errors.Is(err, batch.ErrDuplicate) {
				t.Errorf("sort key: Put(%s) after Put(%s) = %v, want batch.ErrDuplicate", tc.second, tc.first, err)
			}
			// A number set holding both spellings is refused at Put, not at Close.
			set := AV{"id": &N{Value: "7"}, "ns": &types.AttributeValueMemberNS{Value: []string{tc.first, tc.second}}}
			if err := d.Put(context.Background(), set); !errors.Is(err, dynamo.ErrInvalidItem) {
				t.Errorf("Put(NS [%s %s]) = %v, want dynamo.ErrInvalidItem", tc.first, tc.second, err)
			}
			closeOK(t, d)
			closeOK(t, ds)
		})
	}
}

// Under ReplaceDuplicates, the later spelling replaces the pending one, so
// only the last version is ever sent.
func TestNumberKeySpellingsReplace(t *testing.T) {
	f := newFake(testutil.KeySchema{PartitionKey: "id", PartitionKeyType: types.ScalarAttributeTypeN})
	d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id", PartitionKeyType: dynamo.Number,
		Batch: batch.Config{Duplicates: batch.ReplaceDuplicates}})
	put(t, d,
		AV{"id": &N{Value: "1000000"}, "v": &S{Value: "old"}},
		AV{"id": &N{Value: "1e6"}, "v": &S{Value: "middle"}},
		AV{"id": &N{Value: "1E+6"}, "v": &S{Value: "new"}},
	)
	closeOK(t, d)
	got := f.Items(table)
	if len(got) != 1 || got[0]["v"].(*S).Value != "new" {
		t.Errorf("table holds %v, want one item, the last version (v new)", got)
	}
	if st := d.Stats(); st.Replaced != 2 || st.Written != 1 {
		t.Errorf("Stats %+v: want Replaced 2, Written 1", st)
	}
}

// testTimeout bounds a test that could hang: a value that contains itself
// was walked for ever before it was refused.
const testTimeout = 30 * time.Second

type withAny struct {
	ID string `dynamodbav:"id"`
	X  any    `dynamodbav:"x"`
}

type node struct {
	ID   string `dynamodbav:"id"`
	Next *node  `dynamodbav:"next"`
}

// Each bad item is refused at Put with a typed error naming the problem, and
// the good item after it lands.
func TestBadValuesAreRefusedAtPut(t *testing.T) {
	bad := "k\xff"
	selfMap := map[string]any{"id": "m"}
	selfMap["self"] = selfMap
	selfList := []any{"a"}
	selfList = append(selfList, nil)
	selfList[1] = selfList
	selfAV := &types.AttributeValueMemberM{Value: AV{}}
	selfAV.Value["self"] = selfAV
	selfPtr := new(any)
	*selfPtr = selfPtr
	loop := &node{ID: "n"}
	loop.Next = &node{ID: "n2", Next: loop}
	fn := any(func() {})

	type tc struct {
		name string
		put  func(context.Context, testutil.KeySchema) error
		want error
		msg  string
	}
	av := func(name string, item AV, want error, msg string) tc {
		return tc{name, func(ctx context.Context, s testutil.KeySchema) error {
			return putOne(ctx, t, s, item)
		}, want, msg}
	}
	anyItem := func(name string, item map[string]any, want error, msg string) tc {
		return tc{name, func(ctx context.Context, s testutil.KeySchema) error {
			return putOne(ctx, t, s, item)
		}, want, msg}
	}
	structItem := func(name string, item withAny, want error, msg string) tc {
		return tc{name, func(ctx context.Context, s testutil.KeySchema) error {
			return putOne(ctx, t, s, item)
		}, want, msg}
	}
	id := &S{Value: "1"}
	tests := []tc{
		// 2. Invalid UTF-8.
		av("invalid UTF-8 in a string", AV{"id": id, "s": &S{Value: bad}}, dynamo.ErrInvalidItem, `attribute "s": is not valid UTF-8`),
		av("invalid UTF-8 in a key", AV{"id": &S{Value: bad}}, dynamo.ErrInvalidKey, "is not valid UTF-8"),
		av("invalid UTF-8 in an attribute name", AV{"id": id, "n\xfe": &S{Value: "v"}}, dynamo.ErrInvalidItem, "is not valid UTF-8"),
		av("invalid UTF-8 in a nested name", AV{"id": id, "m": &types.AttributeValueMemberM{Value: AV{"n\xfe": &S{Value: "v"}}}}, dynamo.ErrInvalidItem, "is not valid UTF-8"),
		av("invalid UTF-8 in a list", AV{"id": id, "l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&S{Value: bad}}}}, dynamo.ErrInvalidItem, "is not valid UTF-8"),
		av("invalid UTF-8 in a string set", AV{"id": id, "ss": &types.AttributeValueMemberSS{Value: []string{"a", bad}}}, dynamo.ErrInvalidItem, "[1] is not valid UTF-8"),
		anyItem("invalid UTF-8 in a map[string]any", map[string]any{"id": "1", "s": bad}, dynamo.ErrInvalidItem, "is not valid UTF-8"),
		anyItem("invalid UTF-8 key in a map[string]any", map[string]any{"id": bad}, dynamo.ErrInvalidKey, "is not valid UTF-8"),
		// 3. A nil []byte.
		av("nil binary value", AV{"id": id, "b": &B{Value: nil}}, dynamo.ErrInvalidItem, "nil []byte"),
		av("nil binary set element", AV{"id": id, "bs": &types.AttributeValueMemberBS{Value: [][]byte{{1}, nil}}}, dynamo.ErrInvalidItem, "[1] is a nil []byte"),
		av("nil binary value in a map", AV{"id": id, "m": &types.AttributeValueMemberM{Value: AV{"b": &B{}}}}, dynamo.ErrInvalidItem, "nil []byte"),
		// 4. Nothing dropped silently.
		structItem("func in an interface field", withAny{ID: "1", X: func() {}}, dynamo.ErrInvalidItem, "attribute x is a func"),
		structItem("chan in a map in an interface field", withAny{ID: "1", X: map[string]any{"c": make(chan int)}}, dynamo.ErrInvalidItem, "attribute x.c is a chan"),
		structItem("func behind a pointer in an interface field", withAny{ID: "1", X: &fn}, dynamo.ErrInvalidItem, "attribute x is a func"),
		structItem("func in a struct in an interface field", withAny{ID: "1", X: withAny{ID: "2", X: []any{1, func() {}}}}, dynamo.ErrInvalidItem, "attribute x.x[1] is a func"),
		anyItem("func behind a pointer in a map[string]any", map[string]any{"id": "1", "p": &fn}, dynamo.ErrInvalidItem, "attribute p is a func"),
		anyItem("typed map of funcs in a map[string]any", map[string]any{"id": "1", "m": map[string]func(){"f": nil}}, dynamo.ErrInvalidItem, "attribute m[] is a func"),
		anyItem("chan in a struct pointer in a map[string]any", map[string]any{"id": "1", "s": &withAny{ID: "2", X: make(chan int)}}, dynamo.ErrInvalidItem, "attribute s.x is a chan"),
		// 5. Cycles.
		anyItem("map[string]any that contains itself", selfMap, dynamo.ErrInvalidItem, "contains itself"),
		anyItem("[]any that contains itself", map[string]any{"id": "1", "l": selfList}, dynamo.ErrInvalidItem, "contains itself"),
		anyItem("pointer to itself", map[string]any{"id": "1", "p": selfPtr}, dynamo.ErrInvalidItem, "contains itself"),
		av("M that contains itself", AV{"id": id, "m": selfAV}, dynamo.ErrInvalidItem, "nested deeper than 32"),
		tc{"struct that refers to itself", func(ctx context.Context, s testutil.KeySchema) error {
			return putOne(ctx, t, s, loop)
		}, dynamo.ErrInvalidItem, "contains itself"},
		// 6. Attribute names.
		av("empty attribute name", AV{"id": id, "": &S{Value: "v"}}, dynamo.ErrInvalidItem, "is empty"),
		anyItem("empty attribute name in a map[string]any", map[string]any{"id": "1", "": 1}, dynamo.ErrInvalidItem, "empty"),
		av("empty attribute name in a map", AV{"id": id, "m": &types.AttributeValueMemberM{Value: AV{"": &S{Value: "v"}}}}, dynamo.ErrInvalidItem, `attribute "m": holds an empty attribute name`),
		av("empty attribute name in a map in a list in a map", AV{"id": id, "m": &types.AttributeValueMemberM{Value: AV{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberM{Value: AV{"": &types.AttributeValueMemberNULL{Value: true}}},
		}}}}}, dynamo.ErrInvalidItem, `attribute "m": .l: [0]: holds an empty attribute name`),
		anyItem("empty attribute name nested in a map[string]any", map[string]any{"id": "1", "m": map[string]any{"": 1}}, dynamo.ErrInvalidItem, "empty"),
		structItem("empty attribute name in a map in a struct", withAny{ID: "1", X: map[string]string{"": "v"}}, dynamo.ErrInvalidItem, "empty"),
		av("attribute name of 65,536 bytes", AV{"id": id, strings.Repeat("n", 65536): &S{Value: "v"}}, dynamo.ErrInvalidItem, "65536 bytes long"),
	}
	schema := testutil.KeySchema{PartitionKey: "id"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			err := tc.put(ctx, schema)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Put = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Put = %q, want it to say %q", err, tc.msg)
			}
		})
	}
}

// What is near the limits is accepted and written as it is.
func TestValuesNearTheLimitsAreWritten(t *testing.T) {
	shared := map[string]any{"k": "v"}
	deep := map[string]any{"id": "deep"}
	m := deep
	for range 31 {
		next := map[string]any{}
		m["m"] = next
		m = next
	}
	items := []any{
		AV{"id": &S{Value: "name"}, strings.Repeat("n", 65535): &S{Value: "v"}},
		AV{"id": &S{Value: "utf8"}, "ünïcödé ✓": &S{Value: "日本語 \u2028 ✓"}, "ss": &types.AttributeValueMemberSS{Value: []string{"é", "e"}}},
		AV{"id": &S{Value: "empty binary"}, "b": &B{Value: []byte{}}},
		map[string]any{"id": "shared", "a": shared, "b": shared, "l": []any{shared, shared}},
		deep,
		withAny{ID: "struct", X: map[string]any{"n": 1, "l": []any{"x", 2.5, true, nil}}},
		&node{ID: "list", Next: &node{ID: "2", Next: &node{ID: "3"}}},
	}
	f := newFake(testutil.KeySchema{PartitionKey: "id"})
	d := newDispatcher[any](t, f, dynamo.Config{PartitionKey: "id"})
	put(t, d, items...)
	closeOK(t, d)
	if n := len(f.Items(table)); n != len(items) {
		t.Errorf("%d items in the table, want %d", n, len(items))
	}
}

// putOne puts item with a new dispatcher over a fake, then a good item, and
// checks the good one lands whatever became of item. It returns Put's error
// for item.
func putOne[T any](ctx context.Context, t *testing.T, schema testutil.KeySchema, item T) error {
	t.Helper()
	f := newFake(schema)
	d := newDispatcher[any](t, f, dynamo.Config{PartitionKey: "id"})
	err := d.Put(ctx, item)
	put(t, d, any(AV{"id": &S{Value: "good"}}))
	if cerr := d.Close(ctx); cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	if err == nil {
		return nil
	}
	if n := len(f.Items(table)); n != 1 {
		t.Errorf("%d items in the table, want only the good one", n)
	}
	return err
}

// Against the local server: every version of number keys spelled
// differently is written, one after another, with many calls in flight, and
// the table ends with the last version of each key. Before the fix, 1e6 and
// 1000000 were two keys to the dispatcher, so two versions of one key could
// be in flight at once and the older land last.
func TestIntegrationNumberKeySpellingsKeepOrder(t *testing.T) {
	client := testutil.NewDynamoDBClient(t, testutil.DynamoDBEndpoint(t))
	name := testutil.CreateTable(t, client, testutil.KeySchema{PartitionKey: "id", PartitionKeyType: types.ScalarAttributeTypeN})
	d := newDispatcher[AV](t, client, dynamo.Config{Table: name, PartitionKey: "id", PartitionKeyType: dynamo.Number,
		Batch: batch.Config{Duplicates: batch.KeepDuplicates, MaxInFlight: 8, MaxBatchItems: 5}})
	spell := []func(k int) string{
		func(k int) string { return strconv.Itoa(k) + "000000" },
		func(k int) string { return strconv.Itoa(k) + "e6" },
		func(k int) string { return strconv.Itoa(k) + "E+6" },
		func(k int) string { return strconv.Itoa(k) + "000000.0" },
		func(k int) string { return "0" + strconv.Itoa(k*10) + "e5" },
	}
	const keys, versions = 40, 10
	for v := range versions {
		for k := 1; k <= keys; k++ {
			put(t, d, AV{"id": &N{Value: spell[(k+v)%len(spell)](k)}, "v": &N{Value: strconv.Itoa(v)}})
		}
	}
	closeOK(t, d)
	if st := d.Stats(); st.Written != keys*versions {
		t.Errorf("Stats %+v: want every version written (%d)", st, keys*versions)
	}
	got := testutil.ScanAll(t, client, name)
	if len(got) != keys {
		t.Fatalf("%d items in the table, want %d", len(got), keys)
	}
	for _, item := range got {
		if v := item["v"].(*N).Value; v != strconv.Itoa(versions-1) {
			t.Errorf("key %s holds version %s, want the last, %d", item["id"].(*N).Value, v, versions-1)
		}
	}
}
