package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/testutil"
)

// oddStrings need every kind of escape the SDK writes, or none.
var oddStrings = []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rret", "\x00\x01\x1f\x7f", "ünïcödé ☃ 𝄞",
	"\u2028\u2029", "bad \xff\xfe utf-8", "<html>&amp;</html>", strings.Repeat("k", 256)}

// everyKind is a list of attribute values of every kind, nested ones
// included, with the empty and nil values the SDK writes too.
func everyKind() types.AttributeValue {
	return &types.AttributeValueMemberL{Value: []types.AttributeValue{
		&types.AttributeValueMemberS{Value: "s"},
		&types.AttributeValueMemberS{Value: ""},
		&types.AttributeValueMemberN{Value: "42"},
		&types.AttributeValueMemberN{Value: "-1.5E+300"},
		&types.AttributeValueMemberB{Value: []byte{0, 1, 2, 0xff}},
		&types.AttributeValueMemberB{Value: []byte{}},
		&types.AttributeValueMemberB{},
		&types.AttributeValueMemberBOOL{Value: true},
		&types.AttributeValueMemberBOOL{Value: false},
		&types.AttributeValueMemberNULL{Value: true},
		&types.AttributeValueMemberNULL{Value: false},
		&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"in": &types.AttributeValueMemberS{Value: "m"}}},
		&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
		&types.AttributeValueMemberM{},
		&types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: "1"}}},
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"deep": &types.AttributeValueMemberL{}}},
		}},
		&types.AttributeValueMemberL{Value: []types.AttributeValue{}},
		&types.AttributeValueMemberL{},
		&types.AttributeValueMemberSS{Value: []string{"a", "b", ""}},
		&types.AttributeValueMemberSS{Value: []string{}},
		&types.AttributeValueMemberSS{},
		&types.AttributeValueMemberNS{Value: []string{"1", "2.5", "-3"}},
		&types.AttributeValueMemberNS{},
		&types.AttributeValueMemberBS{Value: [][]byte{{1}, {}, nil, []byte("bs")}},
		&types.AttributeValueMemberBS{},
	}}
}

// put and del make one write request of item and of key.
func put(item map[string]types.AttributeValue) types.WriteRequest {
	return types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
}

func del(key map[string]types.AttributeValue) types.WriteRequest {
	return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key}}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// randomValue returns a random attribute value, nested up to depth levels.
func randomValue(r *rand.Rand, depth int) types.AttributeValue {
	odd := func() string { return oddStrings[r.IntN(len(oddStrings))] }
	bytes := func() []byte {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	kinds := 8
	if depth > 0 {
		kinds = 10
	}
	switch r.IntN(kinds) {
	case 0:
		return str(odd() + strconv.Itoa(r.IntN(1000)))
	case 1:
		return &types.AttributeValueMemberN{Value: strconv.FormatFloat(r.NormFloat64()*1e6, 'g', -1, 64)}
	case 2:
		return &types.AttributeValueMemberB{Value: bytes()}
	case 3:
		return &types.AttributeValueMemberBOOL{Value: r.IntN(2) == 0}
	case 4:
		return &types.AttributeValueMemberNULL{Value: true}
	case 5:
		ss := make([]string, r.IntN(4))
		for i := range ss {
			ss[i] = odd() + strconv.Itoa(i)
		}
		return &types.AttributeValueMemberSS{Value: ss}
	case 6:
		ns := make([]string, r.IntN(4))
		for i := range ns {
			ns[i] = strconv.Itoa(r.IntN(1e9))
		}
		return &types.AttributeValueMemberNS{Value: ns}
	case 7:
		bs := make([][]byte, r.IntN(4))
		for i := range bs {
			bs[i] = bytes()
		}
		return &types.AttributeValueMemberBS{Value: bs}
	case 8:
		return &types.AttributeValueMemberM{Value: randomItem(r, depth-1)}
	default:
		l := make([]types.AttributeValue, r.IntN(5))
		for i := range l {
			l[i] = randomValue(r, depth-1)
		}
		return &types.AttributeValueMemberL{Value: l}
	}
}

// randomItem returns a random item of up to 8 attributes.
func randomItem(r *rand.Rand, depth int) map[string]types.AttributeValue {
	item := make(map[string]types.AttributeValue)
	for i := range r.IntN(8) + 1 {
		item[oddStrings[r.IntN(len(oddStrings))]+strconv.Itoa(i)] = randomValue(r, depth)
	}
	return item
}

// oneKeyEach reports whether every map of in has at most one key: whether
// the SDK's body and ours are in the same order, byte for byte.
func oneKeyEach(in *dynamodb.BatchWriteItemInput) bool {
	var value func(types.AttributeValue) bool
	item := func(m map[string]types.AttributeValue) bool {
		if len(m) > 1 {
			return false
		}
		for _, v := range m {
			if !value(v) {
				return false
			}
		}
		return true
	}
	value = func(v types.AttributeValue) bool {
		switch v := v.(type) {
		case *types.AttributeValueMemberM:
			return item(v.Value)
		case *types.AttributeValueMemberL:
			for _, e := range v.Value {
				if !value(e) {
					return false
				}
			}
		}
		return true
	}
	if len(in.RequestItems) > 1 {
		return false
	}
	for _, wrs := range in.RequestItems {
		for _, wr := range wrs {
			if wr.PutRequest != nil && !item(wr.PutRequest.Item) || wr.DeleteRequest != nil && !item(wr.DeleteRequest.Key) {
				return false
			}
		}
	}
	return true
}

// TestBatchWriteItemBodyIsTheSDKs sends BatchWriteItem inputs through a real
// client twice, with the SDK's serializer and with batchWriteItemBody, and
// wants the same request on the wire: the same body as JSON (Go's map order
// differs from one walk to the next) and of the same length, byte for byte
// when every map of the input has one key, and the same method, path and
// protocol headers.
func TestBatchWriteItemBodyIsTheSDKs(t *testing.T) {
	key := map[string]types.AttributeValue{"pk": str("k")}
	inputs := map[string]*dynamodb.BatchWriteItemInput{
		"every kind":          {RequestItems: map[string][]types.WriteRequest{"t": {put(map[string]types.AttributeValue{"v": everyKind()})}}},
		"every kind, delete":  {RequestItems: map[string][]types.WriteRequest{"t": {del(map[string]types.AttributeValue{"v": everyKind()})}}},
		"no requests":         {RequestItems: map[string][]types.WriteRequest{}},
		"nil requests":        {RequestItems: map[string][]types.WriteRequest{"t": nil}},
		"empty requests":      {RequestItems: map[string][]types.WriteRequest{"t": {}}},
		"empty write request": {RequestItems: map[string][]types.WriteRequest{"t": {{}}}},
		"empty item":          {RequestItems: map[string][]types.WriteRequest{"t": {put(map[string]types.AttributeValue{}), del(map[string]types.AttributeValue{})}}},
		"put and delete in one request": {RequestItems: map[string][]types.WriteRequest{"t": {{
			PutRequest: &types.PutRequest{Item: key}, DeleteRequest: &types.DeleteRequest{Key: key}}}}},
		"puts and deletes": {RequestItems: map[string][]types.WriteRequest{"t": {put(key), del(key), put(key), del(key)}}},
		"return options": {RequestItems: map[string][]types.WriteRequest{"t": {put(key)}},
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal, ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize},
		"return indexes": {RequestItems: map[string][]types.WriteRequest{"t": {put(key)}}, ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes},
		"return none": {RequestItems: map[string][]types.WriteRequest{"t": {put(key)}},
			ReturnConsumedCapacity: types.ReturnConsumedCapacityNone, ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsNone},
		"return metrics only": {RequestItems: map[string][]types.WriteRequest{"t": {del(key)}}, ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize},
		"odd return options": {RequestItems: map[string][]types.WriteRequest{"t": {put(key)}},
			ReturnConsumedCapacity: `"\n`, ReturnItemCollectionMetrics: "\u2028\xff"},
		"several tables": {RequestItems: map[string][]types.WriteRequest{
			"a": {put(key), del(key)}, "b": {put(map[string]types.AttributeValue{"pk": str("x"), "n": &types.AttributeValueMemberN{Value: "1"}})},
			"c": {}, "d": nil}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal},
		"several attributes": {RequestItems: map[string][]types.WriteRequest{"t": {put(map[string]types.AttributeValue{
			"a": everyKind(), "b": str("b"), "c": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": str("1"), "y": str("2")}}})}}},
	}
	for i, s := range oddStrings {
		var l []types.AttributeValue
		for _, s := range oddStrings {
			l = append(l, str(s), &types.AttributeValueMemberN{Value: s}, &types.AttributeValueMemberB{Value: []byte(s)},
				&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{s: str(s)}})
		}
		l = append(l, &types.AttributeValueMemberSS{Value: oddStrings}, &types.AttributeValueMemberNS{Value: oddStrings})
		inputs[fmt.Sprintf("odd strings %d", i)] = &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s: {
				put(map[string]types.AttributeValue{s: &types.AttributeValueMemberL{Value: l}}),
				del(map[string]types.AttributeValue{s: str(s)}),
			}},
		}
	}
	r := rand.New(rand.NewPCG(testutil.Seed(t), 0))
	for n := range 20 {
		in := &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{}}
		for range r.IntN(3) + 1 {
			table := oddStrings[r.IntN(len(oddStrings))] + strconv.Itoa(r.IntN(100))
			for range r.IntN(25) + 1 {
				if r.IntN(4) == 0 {
					in.RequestItems[table] = append(in.RequestItems[table], del(randomItem(r, 0)))
				} else {
					in.RequestItems[table] = append(in.RequestItems[table], put(randomItem(r, 3)))
				}
			}
		}
		if r.IntN(2) == 0 {
			in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
		}
		inputs[fmt.Sprintf("random %d", n)] = in
	}
	capture := &testutil.CaptureHTTP{Answer: `{"UnprocessedItems":{}}`}
	client := newCaptureClient(capture)
	fastOpt := func(o *dynamodb.Options) { o.Protocol = awscall.FastBody(o.Protocol, batchWriteItemBody) }
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			if _, ok := batchWriteItemBody(nil, in); !ok {
				t.Fatal("batchWriteItemBody left the input to the SDK")
			}
			same := testutil.SameOnTheWireAnyOrder
			if oneKeyEach(in) {
				same = testutil.SameOnTheWire
			}
			same(t, capture, func(fast bool) error {
				var opts []func(*dynamodb.Options)
				if fast {
					opts = append(opts, fastOpt)
				}
				_, err := client.BatchWriteItem(context.Background(), in, opts...)
				return err
			})
		})
	}
}

// TestBatchWriteItemBodyLeftToTheSDK checks the inputs batchWriteItemBody
// does not write: other inputs, and attribute values the SDK writes nothing
// for. The SDK writes those requests as it would without it.
func TestBatchWriteItemBodyLeftToTheSDK(t *testing.T) {
	inputs := map[string]any{
		"other input": &dynamodb.PutItemInput{TableName: aws.String("t"), Item: map[string]types.AttributeValue{"pk": str("k")}},
		"nil value":   &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {put(map[string]types.AttributeValue{"a": nil})}}},
		"unknown member": &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {
			put(map[string]types.AttributeValue{"a": &types.UnknownUnionMember{Tag: "X", Value: []byte("1")}})}}},
		"nil in a list": &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {
			del(map[string]types.AttributeValue{"a": &types.AttributeValueMemberL{Value: []types.AttributeValue{str("x"), nil}}})}}},
		"nil in a map": &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {
			put(map[string]types.AttributeValue{"a": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": nil}}})}}},
	}
	capture := &testutil.CaptureHTTP{Answer: `{"UnprocessedItems":{}}`}
	client := newCaptureClient(capture)
	fast := func(o *dynamodb.Options) { o.Protocol = awscall.FastBody(o.Protocol, batchWriteItemBody) }
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			if _, ok := batchWriteItemBody(nil, in); ok {
				t.Fatal("batchWriteItemBody wrote the input, want it left to the SDK")
			}
			bw, ok := in.(*dynamodb.BatchWriteItemInput)
			if !ok {
				return
			}
			for _, opts := range [][]func(*dynamodb.Options){nil, {fast}} {
				if _, err := client.BatchWriteItem(context.Background(), bw, opts...); err != nil {
					t.Fatal(err)
				}
			}
			reqs := capture.Requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			if diff := cmp.Diff(string(reqs[0].Body), string(reqs[1].Body)); diff != "" {
				t.Errorf("body (-sdk +ours):\n%s", diff)
			}
		})
	}
}

// TestBatchWriteItemBodyWithoutItem checks what the client's validation
// never lets through: a PutRequest without Item and a DeleteRequest without
// Key, written as the SDK's serializer writes a struct without members.
func TestBatchWriteItemBodyWithoutItem(t *testing.T) {
	in := &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {
		{PutRequest: &types.PutRequest{}}, {DeleteRequest: &types.DeleteRequest{}}}}}
	body, ok := batchWriteItemBody(nil, in)
	if !ok {
		t.Fatal("batchWriteItemBody left the input to the SDK")
	}
	want := `{"RequestItems":{"t":[{"PutRequest":{}},{"DeleteRequest":{}}]}}`
	if diff := cmp.Diff(want, string(body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// newCaptureClient returns a DynamoDB client that sends to capture.
func newCaptureClient(capture *testutil.CaptureHTTP) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: testutil.CaptureCredentials, HTTPClient: capture})
}

// benchInput is a call of 25 items of ten attributes, about 400 bytes each.
func benchInput() *dynamodb.BatchWriteItemInput {
	var wrs []types.WriteRequest
	for i := range 25 {
		item := map[string]types.AttributeValue{
			"pk":      str("customer-" + strconv.Itoa(i)),
			"sk":      &types.AttributeValueMemberN{Value: strconv.Itoa(i * 1000)},
			"name":    str(strings.Repeat("n", 40)),
			"email":   str("someone@example.com"),
			"active":  &types.AttributeValueMemberBOOL{Value: true},
			"score":   &types.AttributeValueMemberN{Value: "12.75"},
			"tags":    &types.AttributeValueMemberSS{Value: []string{"a", "b", "c"}},
			"payload": &types.AttributeValueMemberB{Value: []byte(strings.Repeat("p", 120))},
			"note":    str(strings.Repeat("x", 100)),
			"address": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"city": str("Lisbon"), "zip": str("1000-001")}},
		}
		wrs = append(wrs, put(item))
	}
	return &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"table": wrs}}
}

// TestBatchWriteItemBodyBuffers checks the bodies that batchWriteItemBody
// writes in its pooled buffers: each is the body as written into a buffer
// of its own, at about its size, and none shares memory with a body written
// after it, in turn, nor with one written alongside it.
func TestBatchWriteItemBodyBuffers(t *testing.T) {
	key := map[string]types.AttributeValue{"pk": str("k")}
	large := map[string]types.AttributeValue{"pk": str("k"), "blob": &types.AttributeValueMemberB{Value: make([]byte, maxPooledBody)}}
	tests := []struct {
		name string
		in   *dynamodb.BatchWriteItemInput
	}{
		{"every kind", &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {
			put(map[string]types.AttributeValue{"v": everyKind(), "w": everyKind()}), del(key)}}}},
		{"several tables", &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
			"a": {put(key), del(key), {PutRequest: &types.PutRequest{Item: key}, DeleteRequest: &types.DeleteRequest{Key: key}}}, "b": {}, "c": nil},
			ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes, ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize}},
		{"no requests", &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{}}},
		{"bench", benchInput()},
		{"larger than a pooled buffer", &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {put(large)}}}},
	}
	// Maps are written in Go's iteration order: bodies compare as JSON.
	decode := func(t *testing.T, body []byte) any {
		t.Helper()
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("body %.100q: %v", body, err)
		}
		return v
	}
	want := make([]any, len(tests))
	for i, tc := range tests {
		b, ok := appendBatchWriteItem(nil, tc.in)
		if !ok {
			t.Fatalf("%s: appendBatchWriteItem left the input to the SDK", tc.name)
		}
		want[i] = decode(t, b)
	}
	check := func(t *testing.T, bodies [][]byte) {
		t.Helper()
		for i, body := range bodies {
			if diff := cmp.Diff(want[i], decode(t, body)); diff != "" {
				t.Errorf("%s: body (-want +got):\n%s", tests[i].name, diff)
			}
			if cap(body) > len(body)+len(body)/8+64 {
				t.Errorf("%s: a body of %d bytes in a buffer of %d", tests[i].name, len(body), cap(body))
			}
		}
	}
	t.Run("in turn", func(t *testing.T) {
		bodies := make([][]byte, len(tests))
		for round := range 3 {
			for i, tc := range tests {
				body, ok := batchWriteItemBody(nil, tc.in)
				if !ok {
					t.Fatalf("round %d, %s: batchWriteItemBody left the input to the SDK", round, tc.name)
				}
				bodies[i] = body
			}
			check(t, bodies) // every body written after the first left it as it was
		}
	})
	t.Run("alongside", func(t *testing.T) {
		const writers = 8
		bodies := make([][][]byte, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for range 20 {
					bodies[w] = bodies[w][:0]
					for _, tc := range tests[:4] { // the pooled sizes
						body, _ := batchWriteItemBody(nil, tc.in)
						bodies[w] = append(bodies[w], body)
					}
				}
			})
		}
		wg.Wait()
		for w := range writers {
			check(t, bodies[w])
		}
	})
}

// BenchmarkBatchWriteItemBody compares a call of benchInput with the body
// as the SDK writes it and as batchWriteItemBody does.
func BenchmarkBatchWriteItemBody(b *testing.B) {
	in := benchInput()
	capture := &testutil.CaptureHTTP{Answer: `{"UnprocessedItems":{}}`}
	client := newCaptureClient(capture)
	for _, c := range []struct {
		name string
		opts []func(*dynamodb.Options)
	}{{"sdk", nil}, {"ours", []func(*dynamodb.Options){func(o *dynamodb.Options) { o.Protocol = awscall.FastBody(o.Protocol, batchWriteItemBody) }}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.BatchWriteItem(context.Background(), in, c.opts...); err != nil {
					b.Fatal(err)
				}
				capture.Requests()
			}
		})
	}
}
