package ddbsize

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyjson "github.com/aws/smithy-go/encoding/json"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/google/go-cmp/cmp"
)

// sdkItemLen returns how many bytes the DynamoDB client of aws-sdk-go-v2
// writes for item in a PutItem request body, by running the client's own
// protocol serializer (awsjson 1.0 over the service's schemas, as dynamodb.New
// sets it up) on the item and on an empty one, and the body for messages.
func sdkItemLen(t testing.TB, it item) (int, []byte) {
	t.Helper()
	body := sdkPutItemBody(t, it)
	envelope := sdkPutItemBody(t, item{})
	return len(body) - (len(envelope) - len("{}")), body
}

// brokenJSON reports whether the current SDK writes invalid JSON for it: it
// writes nothing for a nil or unknown value, so a Map entry holding one is
// left as "name": with no value (and the serializer then drops the name of
// whatever member comes next, which makes the body shorter). DynamoDB
// rejects such a body; JSONSize only needs to bound it.
func brokenJSON(it item) bool {
	var attr func(types.AttributeValue) bool
	mp := func(mv map[string]types.AttributeValue) bool {
		for _, v := range mv {
			if !writesJSON(v) || attr(v) {
				return true
			}
		}
		return false
	}
	attr = func(av types.AttributeValue) bool {
		switch v := av.(type) {
		case *types.AttributeValueMemberM:
			return mp(v.Value)
		case *types.AttributeValueMemberL:
			for _, e := range v.Value {
				if attr(e) {
					return true
				}
			}
		}
		return false
	}
	return mp(it)
}

var (
	protocolOnce sync.Once
	protocol     *awsjson.Protocol
	putItemOp    *smithy.OperationSchema
)

func sdkPutItemBody(t testing.TB, it item) []byte {
	t.Helper()
	protocolOnce.Do(func() {
		protocol = awsjson.New10(schemas.DynamoDB_20120810)
		putItemOp = smithy.NewOperationSchema(schemas.PutItem, schemas.PutItemInput, schemas.PutItemOutput)
	})
	req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
	in := &dynamodb.PutItemInput{TableName: aws.String("t"), Item: it}
	if err := protocol.SerializeRequest(context.Background(), putItemOp, in, req); err != nil {
		t.Fatalf("SerializeRequest: %v", err)
	}
	body, err := io.ReadAll(req.GetStream())
	if err != nil {
		t.Fatalf("reading the request body: %v", err)
	}
	return body
}

// oldItemJSON encodes item as the code-generated serializers of
// aws-sdk-go-v2's DynamoDB client did before the schema-based one
// (awsAwsjson10_serializeDocumentAttributeValue and friends, over smithy-go's
// encoding/json). ok is false where they returned an error: an unknown union
// member.
func oldItemJSON(it item) (js []byte, ok bool) {
	enc := smithyjson.NewEncoder()
	if !oldMap(it, enc.Value) {
		return nil, false
	}
	return enc.Bytes(), true
}

func oldMap(mv map[string]types.AttributeValue, v smithyjson.Value) bool {
	obj := v.Object()
	defer obj.Close()
	for k, av := range mv {
		om := obj.Key(k)
		if av == nil {
			continue
		}
		if !oldAttr(av, om) {
			return false
		}
	}
	return true
}

func oldAttr(av types.AttributeValue, v smithyjson.Value) bool {
	obj := v.Object()
	defer obj.Close()
	switch uv := av.(type) {
	case *types.AttributeValueMemberB:
		obj.Key("B").Base64EncodeBytes(uv.Value)
	case *types.AttributeValueMemberBOOL:
		obj.Key("BOOL").Boolean(uv.Value)
	case *types.AttributeValueMemberBS:
		arr := obj.Key("BS").Array()
		defer arr.Close()
		for _, e := range uv.Value {
			ev := arr.Value()
			if e == nil {
				continue
			}
			ev.Base64EncodeBytes(e)
		}
	case *types.AttributeValueMemberL:
		arr := obj.Key("L").Array()
		defer arr.Close()
		for _, e := range uv.Value {
			ev := arr.Value()
			if e == nil {
				continue
			}
			if !oldAttr(e, ev) {
				return false
			}
		}
	case *types.AttributeValueMemberM:
		return oldMap(uv.Value, obj.Key("M"))
	case *types.AttributeValueMemberN:
		obj.Key("N").String(uv.Value)
	case *types.AttributeValueMemberNS:
		arr := obj.Key("NS").Array()
		defer arr.Close()
		for _, e := range uv.Value {
			arr.Value().String(e)
		}
	case *types.AttributeValueMemberNULL:
		obj.Key("NULL").Boolean(uv.Value)
	case *types.AttributeValueMemberS:
		obj.Key("S").String(uv.Value)
	case *types.AttributeValueMemberSS:
		arr := obj.Key("SS").Array()
		defer arr.Close()
		for _, e := range uv.Value {
			arr.Value().String(e)
		}
	default:
		return false
	}
	return true
}

// expectedSlack returns by how much JSONSize exceeds the current SDK's bytes
// for it, as documented: 3 per invalid UTF-8 byte in names and strings, and
// one comma per nil (or unknown) element of a List that the current SDK
// leaves out. (A DEL costs 5 bytes of slack against the older encoder only.)
func expectedSlack(it item) int {
	slack := 0
	str := func(v string) {
		for i := 0; i < len(v); {
			r, size := utf8.DecodeRuneInString(v[i:])
			if r == utf8.RuneError && size == 1 {
				slack += 3
			}
			i += size
		}
	}
	var attr func(types.AttributeValue)
	mp := func(mv map[string]types.AttributeValue) {
		for k, v := range mv {
			str(k)
			attr(v)
		}
	}
	attr = func(av types.AttributeValue) {
		switch v := av.(type) {
		case *types.AttributeValueMemberS:
			str(v.Value)
		case *types.AttributeValueMemberN:
			str(v.Value)
		case *types.AttributeValueMemberSS:
			for _, e := range v.Value {
				str(e)
			}
		case *types.AttributeValueMemberNS:
			for _, e := range v.Value {
				str(e)
			}
		case *types.AttributeValueMemberM:
			mp(v.Value)
		case *types.AttributeValueMemberL:
			written := 0
			for _, e := range v.Value {
				if writesJSON(e) {
					written++
				}
				attr(e)
			}
			if len(v.Value) > 0 {
				slack += (len(v.Value) - 1) - max(0, written-1)
			}
		}
	}
	mp(it)
	return slack
}

// writesJSON reports whether the current SDK writes anything for av.
func writesJSON(av types.AttributeValue) bool {
	switch av.(type) {
	case nil, *types.UnknownUnionMember:
		return false
	}
	return true
}

// jsonCases are items whose JSON the tests compare with the SDK's.
var jsonCases = []struct {
	name string
	item item
}{
	{"empty", item{}},
	{"shirt", item{"shirt-color": s("R"), "shirt-size": s("M")}},
	{"plain ASCII", item{"pk": s("USER#123"), "sk": s("PROFILE"), "name": s("John"), "bio": s("Hello world! <b>&amp;</b> 'quoted' /path?x=1")}},
	{"control characters", item{"c": s("tab\there\nnew\rret\x00nul\x01\x1f\x08\x0c")}},
	{"quotes and backslashes", item{`we"ird\name`: s(`say "hi" \ back\\slash`)}},
	{"multi-byte UTF-8", item{"ключ": s("Zürich 東京 😀"), "名前": ss("é", "ü")}},
	{"line and paragraph separators", item{"sep\u2028": s("a\u2028b\u2029c")}},
	{"DEL", item{"d\x7f": s("x\x7fy\x7f")}},
	{"invalid UTF-8", item{"bad\xff": s("a\xc3(b\x80\xfe"), "trunc": s("\xe2\x82")}},
	{"binary", item{"b0": bin(nil), "b1": bin([]byte{}), "b2": bin([]byte{0}), "b3": bin([]byte{0, 1}), "b4": bin([]byte{0, 1, 2}), "b5": bin(bytes.Repeat([]byte{0xff}, 1025))}},
	{"booleans and null", item{"t": boolean(true), "f": boolean(false), "n": null(), "nf": &types.AttributeValueMemberNULL{}}},
	{"numbers", item{"i": n("123"), "neg": n("-1.5E-7"), "big": n("9.9999999999999999999999999999999999999E+125"), "bad": n("not a number \"\\")}},
	{"sets", item{"ss": ss("a", "b\"c", ""), "ns": ns("1", "-2.5"), "bs": bs([]byte("x"), nil, []byte{}), "empty ss": ss(), "nil ns": &types.AttributeValueMemberNS{}}},
	{"nested", item{"m": m(item{"l": l(s("x"), n("1"), l(), m(item{}), m(item{"deep": l(l(l(boolean(true))))})), "s": s("\"")})}},
	{"nil list and map", item{"l": &types.AttributeValueMemberL{}, "m": &types.AttributeValueMemberM{}}},
	{"nil values", item{"top": nil, "m": m(item{"a": nil, "b": s("x"), "c": nil}), "l": l(nil, s("x"), nil, nil)}},
	{"unknown members", item{"u": &types.UnknownUnionMember{Tag: "Z"}, "l": l(&types.UnknownUnionMember{Tag: "Z"}, s("y"))}},
	{"all nil list", item{"l": l(nil, nil, nil)}},
	{"unknown and nil in a list", item{"l": l(&types.UnknownUnionMember{Tag: "Z"}, s("y"), nil, l(nil, bin(nil)))}},
	{"large string", item{"k": s(strings.Repeat("abcdefgh\"\n", 10000))}},
}

// TestJSONSize compares JSONSize with the bytes the current SDK's serializer
// writes: equal but for the documented slack, and never below what the older
// encoder wrote either.
func TestJSONSize(t *testing.T) {
	for _, tc := range jsonCases {
		t.Run(tc.name, func(t *testing.T) {
			got := JSONSize(tc.item)
			sdk, body := sdkItemLen(t, tc.item)
			if got < sdk {
				t.Errorf("JSONSize = %d, below the SDK's %d bytes; body: %s", got, sdk, body)
			}
			if !brokenJSON(tc.item) {
				if diff := cmp.Diff(sdk+expectedSlack(tc.item), got); diff != "" {
					t.Errorf("JSONSize mismatch (-want +got):\n%s\nbody: %s", diff, body)
				}
			}
			if old, ok := oldItemJSON(tc.item); ok && got < len(old) {
				t.Errorf("JSONSize = %d, below the %d bytes of the older encoder: %s", got, len(old), old)
			}
			if size, js := Sizes(tc.item); size != ItemSize(tc.item) || js != got {
				t.Errorf("Sizes = (%d, %d), want (%d, %d)", size, js, ItemSize(tc.item), got)
			}
		})
	}
}

// TestJSONSizeHandCounted checks JSONSize on JSON written out by hand.
func TestJSONSizeHandCounted(t *testing.T) {
	tests := []struct {
		name string
		item item
		json string
	}{
		{"nil item", nil, `{}`},
		{"shirt", item{"shirt-color": s("R")}, `{"shirt-color":{"S":"R"}}`},
		{"number", item{"n": n("-1.5")}, `{"n":{"N":"-1.5"}}`},
		{"binary", item{"b": bin([]byte("abcd"))}, `{"b":{"B":"YWJjZA=="}}`},
		{"nil binary", item{"b": bin(nil)}, `{"b":{"B":null}}`},
		{"bool", item{"t": boolean(true)}, `{"t":{"BOOL":true}}`},
		{"null", item{"n": null()}, `{"n":{"NULL":true}}`},
		{"list", item{"l": l(s("a"), boolean(false))}, `{"l":{"L":[{"S":"a"},{"BOOL":false}]}}`},
		{"map", item{"m": m(item{"k": n("1")})}, `{"m":{"M":{"k":{"N":"1"}}}}`},
		{"sets", item{"s": ss("a", "b")}, `{"s":{"SS":["a","b"]}}`},
		{"escapes", item{"e": s("\"\\\n\x01\u2028")}, `{"e":{"S":"\"\\\n\u0001\u2028"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !json.Valid([]byte(tc.json)) {
				t.Fatalf("test JSON %s is not valid", tc.json)
			}
			if diff := cmp.Diff(len(tc.json), JSONSize(tc.item)); diff != "" {
				t.Errorf("JSONSize of %s mismatch (-want +got):\n%s", tc.json, diff)
			}
		})
	}
}

// TestJSONSizeClient sends items through a real dynamodb.Client to a local
// server and checks JSONSize against the request bodies it receives: for a
// PutItem and for a BatchWriteItem of all the items, the body is the body
// with every item replaced by {} plus, for each item, JSONSize less the
// documented slack.
func TestJSONSizeClient(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies [][]byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server: reading body: %v", err)
		}
		mu.Lock()
		bodies = append(bodies, body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, "{}")
	}))
	defer srv.Close()

	client := dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 1,
	})
	// send runs one call and returns the body the server received.
	send := func(t *testing.T, call func() error) []byte {
		t.Helper()
		mu.Lock()
		bodies = nil
		mu.Unlock()
		if err := call(); err != nil {
			t.Fatalf("call: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(bodies) != 1 {
			t.Fatalf("server got %d requests, want 1", len(bodies))
		}
		return bodies[0]
	}
	ctx := context.Background()

	var (
		batch, emptyBatch []types.WriteRequest
		wantBatch         int // sum over items of JSONSize less the slack
	)
	for _, tc := range jsonCases {
		t.Run("PutItem/"+tc.name, func(t *testing.T) {
			body := send(t, func() error {
				_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: tc.item})
				return err
			})
			envelope := send(t, func() error {
				_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: item{}})
				return err
			})
			bound := len(envelope) - len("{}") + JSONSize(tc.item)
			if len(body) > bound {
				t.Fatalf("body is %d bytes, above the bound %d: %s", len(body), bound, body)
			}
			if !brokenJSON(tc.item) {
				if diff := cmp.Diff(bound-expectedSlack(tc.item), len(body)); diff != "" {
					t.Errorf("body size mismatch (-want +got):\n%s", diff)
				}
			}
		})
		if brokenJSON(tc.item) {
			continue // its body is invalid JSON of no exact length
		}
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: tc.item}})
		emptyBatch = append(emptyBatch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item{}}})
		wantBatch += JSONSize(tc.item) - len("{}") - expectedSlack(tc.item)
	}

	t.Run("BatchWriteItem", func(t *testing.T) {
		body := send(t, func() error {
			_, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{"t": batch},
			})
			return err
		})
		envelope := send(t, func() error {
			_, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{"t": emptyBatch},
			})
			return err
		})
		if diff := cmp.Diff(len(envelope)+wantBatch, len(body)); diff != "" {
			t.Errorf("body size mismatch (-want +got):\n%s", diff)
		}
	})
}
