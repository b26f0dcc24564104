package testutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/batchutils/batchutils/internal/ddbsize"
)

// fdBatchWriter is the library's dynamo.Client: the fake and the real client
// both implement it.
type fdBatchWriter interface {
	BatchWriteItem(ctx context.Context, params *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

var (
	_ fdBatchWriter = (*FakeDynamoDB)(nil)
	_ fdBatchWriter = (*dynamodb.Client)(nil)
)

// fdCmpOpts compares SDK values, whose types hold unexported markers.
var fdCmpOpts = cmpopts.IgnoreUnexported(
	types.AttributeValueMemberS{}, types.AttributeValueMemberN{}, types.AttributeValueMemberB{},
	types.AttributeValueMemberBOOL{}, types.AttributeValueMemberNULL{}, types.AttributeValueMemberL{},
	types.AttributeValueMemberM{}, types.AttributeValueMemberSS{}, types.AttributeValueMemberNS{},
	types.AttributeValueMemberBS{}, types.WriteRequest{}, types.PutRequest{}, types.DeleteRequest{},
	dynamodb.BatchWriteItemInput{},
)

func fdS(v string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: v} }
func fdN(v string) *types.AttributeValueMemberN { return &types.AttributeValueMemberN{Value: v} }
func fdB(v []byte) *types.AttributeValueMemberB { return &types.AttributeValueMemberB{Value: v} }

// fdItem is shorthand for an item or key.
type fdItem = map[string]types.AttributeValue

func fdPut(item fdItem) types.WriteRequest {
	return types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
}

func fdDel(key fdItem) types.WriteRequest {
	return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key}}
}

// fdInput returns an input for RequestItems reqs.
func fdInput(reqs map[string][]types.WriteRequest) *dynamodb.BatchWriteItemInput {
	return &dynamodb.BatchWriteItemInput{RequestItems: reqs}
}

// fdPuts returns n puts to the items table, keys prefix0 to prefix(n-1).
func fdPuts(prefix string, n int) []types.WriteRequest {
	reqs := make([]types.WriteRequest, n)
	for i := range reqs {
		reqs[i] = fdPut(fdItem{"pk": fdS(prefix + strconv.Itoa(i))})
	}
	return reqs
}

// The tables of fdNewFake.
const (
	fdItems   = "items"   // pk S
	fdEvents  = "events"  // pk S, sk N
	fdThreads = "threads" // pk S, sk S
	fdBlobs   = "blobs"   // pk B
)

// fdNewFake returns a fake with the tables above and one item, pk "seed", in
// items.
func fdNewFake(t *testing.T) *FakeDynamoDB {
	t.Helper()
	f := NewFakeDynamoDB()
	f.CreateTable(fdItems, KeySchema{PartitionKey: "pk"})
	f.CreateTable(fdEvents, KeySchema{PartitionKey: "pk", SortKey: "sk", SortKeyType: types.ScalarAttributeTypeN})
	f.CreateTable(fdThreads, KeySchema{PartitionKey: "pk", PartitionKeyType: types.ScalarAttributeTypeS, SortKey: "sk", SortKeyType: types.ScalarAttributeTypeS})
	f.CreateTable(fdBlobs, KeySchema{PartitionKey: "pk", PartitionKeyType: types.ScalarAttributeTypeB})
	if _, err := f.BatchWriteItem(t.Context(), fdInput(map[string][]types.WriteRequest{
		fdItems: {fdPut(fdItem{"pk": fdS("seed"), "v": fdN("1")})},
	})); err != nil {
		t.Fatalf("seeding: %v", err)
	}
	return f
}

// fdSnapshot returns the items of every table of fdNewFake.
func fdSnapshot(f *FakeDynamoDB) map[string][]fdItem {
	snap := make(map[string][]fdItem)
	for _, table := range []string{fdItems, fdEvents, fdThreads, fdBlobs} {
		snap[table] = f.Items(table)
	}
	return snap
}

// fdErrKind is the kind of error a refusal returns.
type fdErrKind int

const (
	fdKindAPI      fdErrKind = iota // a smithy.APIError with code and message
	fdKindNotFound                  // *types.ResourceNotFoundException
	fdKindParams                    // the client's smithy.InvalidParamsError
	fdKindPlain                     // an error that is not an API error
)

// fdCheckErr checks that err is of kind, with DynamoDB's code and message
// (message "" is not checked).
func fdCheckErr(t *testing.T, err error, kind fdErrKind, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s %q", code, msg)
	}
	var op *smithy.OperationError
	if !errors.As(err, &op) || op.Service() != "DynamoDB" || op.Operation() != "BatchWriteItem" {
		t.Errorf("error %v is not a DynamoDB BatchWriteItem *smithy.OperationError", err)
	}
	switch kind {
	case fdKindNotFound:
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("error %v (%T) is not a *types.ResourceNotFoundException", err, err)
		}
		if got := nf.ErrorMessage(); got != msg {
			t.Errorf("message = %q, want %q", got, msg)
		}
	case fdKindParams:
		var ip smithy.InvalidParamsError
		if !errors.As(err, &ip) {
			t.Fatalf("error %v is not a smithy.InvalidParamsError", err)
		}
		if msg != "" && !strings.Contains(err.Error(), msg) {
			t.Errorf("error %q does not name %q", err, msg)
		}
	case fdKindPlain:
		var ae smithy.APIError
		if errors.As(err, &ae) {
			t.Errorf("error %v is an API error, want a plain one", err)
		}
	default:
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("error %v is not a smithy.APIError", err)
		}
		if got := ae.ErrorCode(); got != code {
			t.Errorf("code = %q, want %q", got, code)
		}
		if got := ae.ErrorMessage(); msg != "" && got != msg {
			t.Errorf("message = %q, want %q", got, msg)
		}
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest || re.ServiceRequestID() == "" {
			t.Errorf("error %v is not an HTTP 400 *awshttp.ResponseError with a request ID", err)
		}
	}
}

func TestFakeDynamoDBRefusals(t *testing.T) {
	const (
		validation = "ValidationException"
		keySchema  = "The provided key element does not match the schema"
		dups       = "Provided list of item keys contains duplicates"
		invalid    = "One or more parameter values were invalid: "
		notNumber  = "The parameter cannot be converted to a numeric value"
	)
	ok := fdPut(fdItem{"pk": fdS("new")}) // valid: proves that nothing is applied
	putAttr := func(av types.AttributeValue) *dynamodb.BatchWriteItemInput {
		return fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdPut(fdItem{"pk": fdS("x"), "a": av})}})
	}
	controls := strings.Repeat("\x01", 390_000) // 390,000 bytes as DynamoDB counts, 2,340,000 in JSON
	var huge []types.WriteRequest
	for i := range 7 {
		huge = append(huge, fdPut(fdItem{"pk": fdS(strconv.Itoa(i)), "a": fdS(controls)}))
	}
	twentySix := func() *dynamodb.BatchWriteItemInput {
		return fdInput(map[string][]types.WriteRequest{fdItems: fdPuts("k", 26)})
	}

	tests := []struct {
		name string
		in   *dynamodb.BatchWriteItemInput
		kind fdErrKind
		code string
		msg  string
	}{
		{name: "unknown table", kind: fdKindNotFound, msg: "Requested resource not found",
			in: fdInput(map[string][]types.WriteRequest{"nope": {ok}})},
		{name: "unknown table beside a known one", kind: fdKindNotFound, msg: "Requested resource not found",
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok}, "nope": {ok}})},
		{name: "nil input", in: nil, kind: fdKindParams, msg: "missing required field, BatchWriteItemInput.RequestItems."},
		{name: "nil RequestItems", in: &dynamodb.BatchWriteItemInput{}, kind: fdKindParams,
			msg: "missing required field, BatchWriteItemInput.RequestItems."},
		{name: "nil put item", kind: fdKindParams, msg: `BatchWriteItemInput.RequestItems["items"][1].PutRequest.Item.`,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, {PutRequest: &types.PutRequest{}}}})},
		{name: "nil delete key", kind: fdKindParams, msg: `BatchWriteItemInput.RequestItems["items"][0].DeleteRequest.Key.`,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {{DeleteRequest: &types.DeleteRequest{}}}})},
		{name: "nil pointer member", kind: fdKindPlain,
			in: putAttr((*types.AttributeValueMemberS)(nil))},
		{name: "nil attribute value", kind: fdKindAPI, code: "SerializationException",
			in: putAttr(nil)},
		{name: "unknown member in a map", kind: fdKindAPI, code: "SerializationException",
			in: putAttr(&types.AttributeValueMemberM{Value: fdItem{"u": &types.UnknownUnionMember{Tag: "X"}}})},
		{name: "request over 16 MB", kind: fdKindAPI, code: validation,
			in: fdInput(map[string][]types.WriteRequest{fdItems: huge})},
		{name: "unknown ReturnConsumedCapacity", kind: fdKindAPI, code: validation,
			msg: "1 validation error detected: Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
			in:  &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{fdItems: {ok}}, ReturnConsumedCapacity: "BOGUS"}},
		{name: "unknown enums before an unknown table", kind: fdKindAPI, code: validation,
			msg: "2 validation errors detected: Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; " +
				"Value 'BOGUS2' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]",
			in: &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"nope": {ok}}, ReturnConsumedCapacity: "BOGUS", ReturnItemCollectionMetrics: "BOGUS2"}},
		{name: "empty RequestItems", kind: fdKindAPI, code: validation,
			msg: "The requestItems parameter is required for BatchWriteItem",
			in:  fdInput(map[string][]types.WriteRequest{})},
		{name: "no requests for a table", kind: fdKindAPI, code: validation,
			msg: "1 validation error detected: Value '{items=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
			in:  fdInput(map[string][]types.WriteRequest{fdItems: {}})},
		{name: "26 requests for one table", kind: fdKindAPI, code: validation,
			msg: "1 validation error detected: Value '{items=[...]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
			in:  twentySix()},
		{name: "26 requests over two tables", kind: fdKindAPI, code: validation,
			msg: "Too many items requested for the BatchWriteItem call",
			in: fdInput(map[string][]types.WriteRequest{
				fdItems:   fdPuts("k", 13),
				fdThreads: {fdPut(fdItem{"pk": fdS("a"), "sk": fdS("1")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("2")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("3")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("4")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("5")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("6")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("7")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("8")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("9")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("10")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("11")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("12")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdS("13")})},
			})},
		{name: "invalid table name", kind: fdKindAPI, code: validation,
			msg: "1 validation error detected: Value '{a!=[...]}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]",
			in:  fdInput(map[string][]types.WriteRequest{"a!": {ok}})},
		{name: "neither put nor delete", kind: fdKindAPI, code: validation,
			msg: "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
			in:  fdInput(map[string][]types.WriteRequest{fdItems: {ok, {}}})},
		{name: "both put and delete", kind: fdKindAPI, code: validation,
			msg: "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, {
				PutRequest:    &types.PutRequest{Item: fdItem{"pk": fdS("a")}},
				DeleteRequest: &types.DeleteRequest{Key: fdItem{"pk": fdS("b")}},
			}}})},
		{name: "put twice", kind: fdKindAPI, code: validation, msg: dups,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdPut(fdItem{"pk": fdS("a")}), fdPut(fdItem{"pk": fdS("a"), "v": fdN("2")})}})},
		{name: "put and delete", kind: fdKindAPI, code: validation, msg: dups,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdPut(fdItem{"pk": fdS("a")}), fdDel(fdItem{"pk": fdS("a")})}})},
		{name: "delete twice", kind: fdKindAPI, code: validation, msg: dups,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdDel(fdItem{"pk": fdS("seed")}), fdDel(fdItem{"pk": fdS("seed")})}})},
		{name: "numbers equal by value", kind: fdKindAPI, code: validation, msg: dups,
			in: fdInput(map[string][]types.WriteRequest{fdEvents: {fdPut(fdItem{"pk": fdS("a"), "sk": fdN("1")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdN("1.0")})}})},
		{name: "one key under a table name and its ARN", kind: fdKindAPI, code: validation, msg: dups,
			in: fdInput(map[string][]types.WriteRequest{
				fdItems: {fdPut(fdItem{"pk": fdS("a")})},
				"arn:aws:dynamodb:us-east-1:123456789012:table/items": {fdDel(fdItem{"pk": fdS("a")})},
			})},
		{name: "unknown table before duplicates", kind: fdKindNotFound, msg: "Requested resource not found",
			in: fdInput(map[string][]types.WriteRequest{"nope": {fdPut(fdItem{"pk": fdS("a")}), fdDel(fdItem{"pk": fdS("a")})}})},
		{name: "put without partition key", kind: fdKindAPI, code: validation, msg: keySchema,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdPut(fdItem{"other": fdS("a")})}})},
		{name: "put of an empty item", kind: fdKindAPI, code: validation, msg: keySchema,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdPut(fdItem{})}})},
		{name: "put without sort key", kind: fdKindAPI, code: validation, msg: keySchema,
			in: fdInput(map[string][]types.WriteRequest{fdEvents: {fdPut(fdItem{"pk": fdS("a")})}})},
		{name: "key of the wrong type", kind: fdKindAPI, code: validation, msg: keySchema,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdPut(fdItem{"pk": fdN("5")})}})},
		{name: "sort key of the wrong type", kind: fdKindAPI, code: validation, msg: keySchema,
			in: fdInput(map[string][]types.WriteRequest{fdEvents: {fdPut(fdItem{"pk": fdS("a"), "sk": fdS("1")})}})},
		{name: "non-scalar key", kind: fdKindAPI, code: validation, msg: keySchema,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdPut(fdItem{"pk": &types.AttributeValueMemberL{Value: []types.AttributeValue{fdS("x")}}})}})},
		{name: "delete with an attribute beyond the key", kind: fdKindAPI, code: validation, msg: keySchema,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdDel(fdItem{"pk": fdS("seed"), "v": fdN("1")})}})},
		{name: "delete without sort key", kind: fdKindAPI, code: validation, msg: keySchema,
			in: fdInput(map[string][]types.WriteRequest{fdEvents: {fdDel(fdItem{"pk": fdS("a")})}})},
		{name: "delete without partition key", kind: fdKindAPI, code: validation, msg: keySchema,
			in: fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdDel(fdItem{"other": fdS("a")})}})},
		{name: "empty string key", kind: fdKindAPI, code: validation,
			msg: "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
			in:  fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdPut(fdItem{"pk": fdS("")})}})},
		{name: "empty string sort key", kind: fdKindAPI, code: validation,
			msg: "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: sk",
			in:  fdInput(map[string][]types.WriteRequest{fdThreads: {fdPut(fdItem{"pk": fdS("a"), "sk": fdS("")})}})},
		{name: "empty binary key", kind: fdKindAPI, code: validation,
			msg: "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk",
			in:  fdInput(map[string][]types.WriteRequest{fdBlobs: {fdDel(fdItem{"pk": fdB([]byte{})})}})},
		{name: "partition key over 2048 bytes", kind: fdKindAPI, code: validation,
			msg: "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
			in:  fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdPut(fdItem{"pk": fdS(strings.Repeat("é", 1024) + "a")})}})},
		{name: "binary partition key over 2048 bytes", kind: fdKindAPI, code: validation,
			msg: "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
			in:  fdInput(map[string][]types.WriteRequest{fdBlobs: {fdPut(fdItem{"pk": fdB(make([]byte, 2049))})}})},
		{name: "sort key over 1024 bytes", kind: fdKindAPI, code: validation,
			msg: "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
			in:  fdInput(map[string][]types.WriteRequest{fdThreads: {fdPut(fdItem{"pk": fdS("a"), "sk": fdS(strings.Repeat("s", 1025))})}})},
		{name: "item over 400,000 bytes", kind: fdKindAPI, code: validation,
			msg: "Item size has exceeded the maximum allowed size",
			in:  fdInput(map[string][]types.WriteRequest{fdItems: {ok, fdPut(fdItem{"pk": fdS("a"), "b": fdS(strings.Repeat("x", ddbsize.MaxItemSize-3))})}})},
		{name: "item too large before an unknown table", kind: fdKindAPI, code: validation,
			msg: "Item size has exceeded the maximum allowed size",
			in:  fdInput(map[string][]types.WriteRequest{"nope": {fdPut(fdItem{"pk": fdS("a"), "b": fdS(strings.Repeat("x", ddbsize.MaxItemSize))})}})},
		{name: "empty string set", kind: fdKindAPI, code: validation,
			msg: invalid + "An string set  may not be empty", in: putAttr(&types.AttributeValueMemberSS{})},
		{name: "empty number set", kind: fdKindAPI, code: validation,
			msg: invalid + "An number set  may not be empty", in: putAttr(&types.AttributeValueMemberNS{Value: []string{}})},
		{name: "empty binary set", kind: fdKindAPI, code: validation,
			msg: invalid + "Binary sets should not be empty", in: putAttr(&types.AttributeValueMemberBS{})},
		{name: "empty set in a nested map", kind: fdKindAPI, code: validation,
			msg: invalid + "An string set  may not be empty",
			in:  putAttr(&types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: fdItem{"s": &types.AttributeValueMemberSS{}}}}})},
		{name: "empty set before an unknown table", kind: fdKindAPI, code: validation,
			msg: invalid + "An string set  may not be empty",
			in:  fdInput(map[string][]types.WriteRequest{"nope": {fdPut(fdItem{"pk": fdS("a"), "s": &types.AttributeValueMemberSS{}})}})},
		{name: "duplicate in a string set", kind: fdKindAPI, code: validation,
			msg: invalid + "Input collection [b, a, b] contains duplicates.",
			in:  putAttr(&types.AttributeValueMemberSS{Value: []string{"b", "a", "b"}})},
		{name: "duplicate in a number set", kind: fdKindAPI, code: validation,
			msg: "Input collection contains duplicates",
			in:  putAttr(&types.AttributeValueMemberNS{Value: []string{"2", "1", "2.0"}})},
		{name: "duplicate in a binary set", kind: fdKindAPI, code: validation,
			msg: invalid + "Input collection [/w==, AA==, AA==]of type BS contains duplicates.",
			in:  putAttr(&types.AttributeValueMemberBS{Value: [][]byte{{0xff}, {0}, {0}}})},
		{name: "null in a binary set", kind: fdKindAPI, code: validation,
			msg: invalid + "Binary sets may not contain null or empty values",
			in:  putAttr(&types.AttributeValueMemberBS{Value: [][]byte{{1}, nil}})},
		{name: "nil binary", kind: fdKindAPI, code: validation,
			msg: "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
			in:  putAttr(fdB(nil))},
		{name: "null false", kind: fdKindAPI, code: validation,
			msg: invalid + "Null attribute value types must have the value of true",
			in:  putAttr(&types.AttributeValueMemberNULL{Value: false})},
		{name: "number that does not parse", kind: fdKindAPI, code: validation,
			msg: notNumber + ": abc", in: putAttr(fdN("abc"))},
		{name: "empty number", kind: fdKindAPI, code: validation,
			msg: notNumber, in: putAttr(fdN(""))},
		{name: "number with a space", kind: fdKindAPI, code: validation,
			msg: notNumber + ": 1 ", in: putAttr(fdN("1 "))},
		{name: "number overflow", kind: fdKindAPI, code: validation,
			msg: "Number overflow. Attempting to store a number with magnitude larger than supported range", in: putAttr(fdN("-1e126"))},
		{name: "number underflow", kind: fdKindAPI, code: validation,
			msg: "Number underflow. Attempting to store a number with magnitude smaller than supported range", in: putAttr(fdN("1e-131"))},
		{name: "number with 39 digits", kind: fdKindAPI, code: validation,
			msg: "Attempting to store more than 38 significant digits in a Number", in: putAttr(fdN("123456789012345678901234567890123456789"))},
		{name: "bad number in a number set", kind: fdKindAPI, code: validation,
			msg: notNumber + ": b", in: putAttr(&types.AttributeValueMemberNS{Value: []string{"1", "b"}})},
		{name: "bad number in a list", kind: fdKindAPI, code: validation,
			msg: notNumber + ": NaN", in: putAttr(&types.AttributeValueMemberL{Value: []types.AttributeValue{fdN("NaN")}})},
		{name: "bad number in a delete key", kind: fdKindAPI, code: validation,
			msg: notNumber + ": 0x10", in: fdInput(map[string][]types.WriteRequest{fdEvents: {fdDel(fdItem{"pk": fdS("a"), "sk": fdN("0x10")})}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fdNewFake(t)
			before := fdSnapshot(f)
			_, err := f.BatchWriteItem(t.Context(), tc.in)
			fdCheckErr(t, err, tc.kind, tc.code, tc.msg)
			if diff := cmp.Diff(before, fdSnapshot(f), fdCmpOpts); diff != "" {
				t.Errorf("tables changed by a refused call (-want +got):\n%s", diff)
			}
			if got := len(f.Calls()); got != 2 {
				t.Errorf("%d calls recorded, want 2 (seeding and this one)", got)
			}
		})
	}
}

func TestFakeDynamoDBWrites(t *testing.T) {
	type call = map[string][]types.WriteRequest
	tests := []struct {
		name  string
		calls []call
		want  map[string][]fdItem
	}{{
		name: "put adds, a second put replaces the whole item",
		calls: []call{
			{fdItems: {fdPut(fdItem{"pk": fdS("a"), "x": fdS("1"), "y": fdS("1")})}},
			{fdItems: {fdPut(fdItem{"pk": fdS("a"), "x": fdS("2")})}},
		},
		want: map[string][]fdItem{fdItems: {{"pk": fdS("a"), "x": fdS("2")}, {"pk": fdS("seed"), "v": fdN("1")}}},
	}, {
		name: "delete removes, delete of an absent item succeeds",
		calls: []call{
			{fdItems: {fdDel(fdItem{"pk": fdS("seed")}), fdDel(fdItem{"pk": fdS("absent")})}},
		},
		want: map[string][]fdItem{fdItems: {}},
	}, {
		name: "puts and deletes over tables in one call",
		calls: []call{{
			fdItems: {fdDel(fdItem{"pk": fdS("seed")}), fdPut(fdItem{"pk": fdS("b")})},
			fdEvents: {
				fdPut(fdItem{"pk": fdS("p"), "sk": fdN("10")}),
				fdPut(fdItem{"pk": fdS("p"), "sk": fdN("9")}),
				fdPut(fdItem{"pk": fdS("o"), "sk": fdN("100")}),
				fdPut(fdItem{"pk": fdS("p"), "sk": fdN("-1.5")}),
			},
		}},
		want: map[string][]fdItem{
			fdItems: {{"pk": fdS("b")}},
			fdEvents: {
				{"pk": fdS("o"), "sk": fdN("100")},
				{"pk": fdS("p"), "sk": fdN("-1.5")},
				{"pk": fdS("p"), "sk": fdN("9")},
				{"pk": fdS("p"), "sk": fdN("10")},
			},
		},
	}, {
		name: "numbers are stored normalized and keys compared by value",
		calls: []call{
			{fdEvents: {fdPut(fdItem{"pk": fdS("p"), "sk": fdN("1.0"), "n": fdN("+001.50"), "ns": &types.AttributeValueMemberNS{Value: []string{"1E2", "-0.0"}}})}},
			{fdEvents: {fdPut(fdItem{"pk": fdS("p"), "sk": fdN("10E-1"), "n": fdN("2")})}},
		},
		want: map[string][]fdItem{fdEvents: {{"pk": fdS("p"), "sk": fdN("1"), "n": fdN("2")}}},
	}, {
		name: "a table ARN writes to the table",
		calls: []call{
			{"arn:aws:dynamodb:eu-west-1:123456789012:table/items": {fdDel(fdItem{"pk": fdS("seed")}), fdPut(fdItem{"pk": fdS("c")})}},
		},
		want: map[string][]fdItem{fdItems: {{"pk": fdS("c")}}},
	}, {
		name: "25 requests over two tables",
		calls: []call{{
			fdItems:  fdPuts("k", 20),
			fdEvents: {fdPut(fdItem{"pk": fdS("a"), "sk": fdN("1")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdN("2")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdN("3")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdN("4")}), fdDel(fdItem{"pk": fdS("a"), "sk": fdN("5")})},
		}},
		want: map[string][]fdItem{
			fdItems: append(func() []fdItem {
				var items []fdItem
				for _, k := range []int{0, 1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 2, 3, 4, 5, 6, 7, 8, 9} {
					items = append(items, fdItem{"pk": fdS("k" + strconv.Itoa(k))})
				}
				return items
			}(), fdItem{"pk": fdS("seed"), "v": fdN("1")}),
			fdEvents: {
				{"pk": fdS("a"), "sk": fdN("1")}, {"pk": fdS("a"), "sk": fdN("2")},
				{"pk": fdS("a"), "sk": fdN("3")}, {"pk": fdS("a"), "sk": fdN("4")},
			},
		},
	}, {
		name: "limits reached but not passed",
		calls: []call{{
			fdItems:   {fdPut(fdItem{"pk": fdS(strings.Repeat("é", 1024)), "b": fdS(strings.Repeat("x", ddbsize.MaxItemSize-2048-3))})},
			fdThreads: {fdPut(fdItem{"pk": fdS("a"), "sk": fdS(strings.Repeat("s", 1024))})},
			fdBlobs:   {fdPut(fdItem{"pk": fdB(make([]byte, 2048))})},
		}},
		want: map[string][]fdItem{
			fdItems:   {{"pk": fdS("seed"), "v": fdN("1")}, {"pk": fdS(strings.Repeat("é", 1024)), "b": fdS(strings.Repeat("x", ddbsize.MaxItemSize-2048-3))}},
			fdThreads: {{"pk": fdS("a"), "sk": fdS(strings.Repeat("s", 1024))}},
			fdBlobs:   {{"pk": fdB(make([]byte, 2048))}},
		},
	}, {
		name: "empty strings and binaries outside keys, lists without the SDK's dropped elements",
		calls: []call{{fdItems: {fdPut(fdItem{
			"pk": fdS("e"), "s": fdS(""), "b": fdB([]byte{}),
			"ss": &types.AttributeValueMemberSS{Value: []string{"", "x"}},
			"bs": &types.AttributeValueMemberBS{Value: [][]byte{{}, {1}}},
			"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{nil, &types.AttributeValueMemberBOOL{Value: true}, &types.UnknownUnionMember{Tag: "X"}, &types.AttributeValueMemberNULL{Value: true}}},
			"m":  &types.AttributeValueMemberM{Value: fdItem{"n": fdN("0.500"), "e": &types.AttributeValueMemberM{}}},
		})}}},
		want: map[string][]fdItem{fdItems: {
			{
				"pk": fdS("e"), "s": fdS(""), "b": fdB([]byte{}),
				"ss": &types.AttributeValueMemberSS{Value: []string{"", "x"}},
				"bs": &types.AttributeValueMemberBS{Value: [][]byte{{}, {1}}},
				"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberBOOL{Value: true}, &types.AttributeValueMemberNULL{Value: true}}},
				"m":  &types.AttributeValueMemberM{Value: fdItem{"n": fdN("0.5"), "e": &types.AttributeValueMemberM{Value: fdItem{}}}},
			},
			{"pk": fdS("seed"), "v": fdN("1")},
		}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fdNewFake(t)
			for i, c := range tc.calls {
				out, err := f.BatchWriteItem(t.Context(), fdInput(c))
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if out.UnprocessedItems == nil || len(out.UnprocessedItems) != 0 {
					t.Errorf("call %d: UnprocessedItems = %#v, want an empty map", i, out.UnprocessedItems)
				}
			}
			for table, want := range tc.want {
				if diff := cmp.Diff(want, f.Items(table), fdCmpOpts, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Items(%q) mismatch (-want +got):\n%s", table, diff)
				}
			}
		})
	}
}

func TestFakeDynamoDBItem(t *testing.T) {
	f := fdNewFake(t)
	if _, err := f.BatchWriteItem(t.Context(), fdInput(map[string][]types.WriteRequest{
		fdEvents: {fdPut(fdItem{"pk": fdS("p"), "sk": fdN("1.50"), "v": fdS("x")})},
	})); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		table  string
		key    fdItem
		want   fdItem
		wantOK bool
	}{
		{name: "by key", table: fdEvents, key: fdItem{"pk": fdS("p"), "sk": fdN("1.5")},
			want: fdItem{"pk": fdS("p"), "sk": fdN("1.5"), "v": fdS("x")}, wantOK: true},
		{name: "by another spelling of the number", table: fdEvents, key: fdItem{"pk": fdS("p"), "sk": fdN("15e-1")},
			want: fdItem{"pk": fdS("p"), "sk": fdN("1.5"), "v": fdS("x")}, wantOK: true},
		{name: "by a whole item", table: fdItems, key: fdItem{"pk": fdS("seed"), "other": fdS("ignored")},
			want: fdItem{"pk": fdS("seed"), "v": fdN("1")}, wantOK: true},
		{name: "absent", table: fdEvents, key: fdItem{"pk": fdS("p"), "sk": fdN("2")}},
		{name: "incomplete key", table: fdEvents, key: fdItem{"pk": fdS("p")}},
		{name: "unknown table", table: "nope", key: fdItem{"pk": fdS("seed")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := f.Item(tc.table, tc.key)
			if ok != tc.wantOK {
				t.Fatalf("Item ok = %v, want %v", ok, tc.wantOK)
			}
			if diff := cmp.Diff(tc.want, got, fdCmpOpts); diff != "" {
				t.Errorf("Item mismatch (-want +got):\n%s", diff)
			}
		})
	}

	// What Item and Items return is the caller's to change.
	got, _ := f.Item(fdItems, fdItem{"pk": fdS("seed")})
	got["v"].(*types.AttributeValueMemberN).Value = "changed"
	f.Items(fdItems)[0]["pk"].(*types.AttributeValueMemberS).Value = "changed"
	if diff := cmp.Diff([]fdItem{{"pk": fdS("seed"), "v": fdN("1")}}, f.Items(fdItems), fdCmpOpts); diff != "" {
		t.Errorf("stored item changed through a returned copy (-want +got):\n%s", diff)
	}
	if f.Items("nope") != nil {
		t.Error("Items of an unknown table is not nil")
	}
}

func TestFakeDynamoDBUnprocessed(t *testing.T) {
	f := fdNewFake(t)
	var asked []string
	f.Unprocessed = func(table string, req types.WriteRequest) bool {
		m := req.DeleteRequest
		var key fdItem
		if m != nil {
			key = m.Key
		} else {
			key = req.PutRequest.Item
		}
		pk := key["pk"].(*types.AttributeValueMemberS).Value
		asked = append(asked, table+"/"+pk)
		return pk == "b" || pk == "seed"
	}
	in := fdInput(map[string][]types.WriteRequest{
		fdItems: {fdPut(fdItem{"pk": fdS("a")}), fdPut(fdItem{"pk": fdS("b"), "v": fdS("x")}), fdDel(fdItem{"pk": fdS("seed")})},
		fdEvents: {
			fdPut(fdItem{"pk": fdS("b"), "sk": fdN("1")}),
			fdPut(fdItem{"pk": fdS("c"), "sk": fdN("1")}),
		},
	})
	out, err := f.BatchWriteItem(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	wantUnprocessed := map[string][]types.WriteRequest{
		fdEvents: {fdPut(fdItem{"pk": fdS("b"), "sk": fdN("1")})},
		fdItems:  {fdPut(fdItem{"pk": fdS("b"), "v": fdS("x")}), fdDel(fdItem{"pk": fdS("seed")})},
	}
	if diff := cmp.Diff(wantUnprocessed, out.UnprocessedItems, fdCmpOpts); diff != "" {
		t.Errorf("UnprocessedItems mismatch (-want +got):\n%s", diff)
	}
	wantAsked := []string{"events/b", "events/c", "items/a", "items/b", "items/seed"}
	if diff := cmp.Diff(wantAsked, asked); diff != "" {
		t.Errorf("Unprocessed asked about (-want +got):\n%s", diff)
	}
	wantItems := map[string][]fdItem{
		fdItems:  {{"pk": fdS("a")}, {"pk": fdS("seed"), "v": fdN("1")}},
		fdEvents: {{"pk": fdS("c"), "sk": fdN("1")}},
	}
	for table, want := range wantItems {
		if diff := cmp.Diff(want, f.Items(table), fdCmpOpts); diff != "" {
			t.Errorf("Items(%q) mismatch (-want +got):\n%s", table, diff)
		}
	}

	// The unprocessed requests, sent again as they came back, are applied.
	f.Unprocessed = nil
	out, err = f.BatchWriteItem(t.Context(), fdInput(out.UnprocessedItems))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.UnprocessedItems) != 0 {
		t.Errorf("retry left %d tables unprocessed", len(out.UnprocessedItems))
	}
	if _, ok := f.Item(fdItems, fdItem{"pk": fdS("seed")}); ok {
		t.Error("retried delete did not delete")
	}
}

func TestFakeDynamoDBFailNext(t *testing.T) {
	f := fdNewFake(t)
	boom := errors.New("boom")
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate of requests exceeds the allowed throughput."}
	internal := &types.InternalServerError{Message: aws.String("Internal server error")}
	f.FailNext(&types.ProvisionedThroughputExceededException{Message: aws.String("exceeded")}, throttled, internal, boom)

	// A call DynamoDB refuses is refused and leaves the failures queued.
	_, err := f.BatchWriteItem(t.Context(), fdInput(map[string][]types.WriteRequest{"nope": {fdPut(fdItem{"pk": fdS("a")})}}))
	fdCheckErr(t, err, fdKindNotFound, "", "Requested resource not found")

	put := fdInput(map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a")})}})
	tests := []struct {
		name   string
		check  func(error) bool
		status int // of the *awshttp.ResponseError; 0: none
	}{
		{name: "ProvisionedThroughputExceededException", status: 400, check: func(err error) bool {
			var e *types.ProvisionedThroughputExceededException
			return errors.As(err, &e) && e.ErrorMessage() == "exceeded"
		}},
		{name: "ThrottlingException", status: 400, check: func(err error) bool {
			var ae smithy.APIError
			return errors.Is(err, throttled) && errors.As(err, &ae) && ae.ErrorCode() == "ThrottlingException"
		}},
		{name: "InternalServerError", status: 500, check: func(err error) bool {
			var e *types.InternalServerError
			return errors.As(err, &e)
		}},
		{name: "plain error", check: func(err error) bool { return errors.Is(err, boom) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.BatchWriteItem(t.Context(), put)
			if err == nil || !tc.check(err) {
				t.Fatalf("error %v does not match", err)
			}
			var op *smithy.OperationError
			if !errors.As(err, &op) {
				t.Errorf("error %v is not a *smithy.OperationError", err)
			}
			var re *awshttp.ResponseError
			switch {
			case tc.status == 0 && errors.As(err, &re):
				t.Errorf("plain error wrapped in a response error: %v", err)
			case tc.status != 0 && (!errors.As(err, &re) || re.HTTPStatusCode() != tc.status):
				t.Errorf("error %v: want an *awshttp.ResponseError with status %d", err, tc.status)
			}
			if _, ok := f.Item(fdItems, fdItem{"pk": fdS("a")}); ok {
				t.Error("a failed call applied its write")
			}
		})
	}
	if _, err := f.BatchWriteItem(t.Context(), put); err != nil {
		t.Fatalf("call after the failures: %v", err)
	}
	if _, ok := f.Item(fdItems, fdItem{"pk": fdS("a")}); !ok {
		t.Error("call after the failures did not write")
	}

	// An *smithy.OperationError is returned as it is.
	opErr := &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "BatchWriteItem", Err: boom}
	f.FailNext(opErr)
	if _, err := f.BatchWriteItem(t.Context(), put); err != opErr {
		t.Errorf("error = %v, want the given *smithy.OperationError", err)
	}
}

func TestFakeDynamoDBLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := fdNewFake(t)
		f.Latency = time.Second
		put := fdInput(map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a")})}})

		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := f.BatchWriteItem(ctx, put)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want one wrapping context.DeadlineExceeded", err)
		}
		if got := time.Since(start); got != 100*time.Millisecond {
			t.Errorf("canceled call returned after %v, want 100ms", got)
		}
		if _, ok := f.Item(fdItems, fdItem{"pk": fdS("a")}); ok {
			t.Error("canceled call applied its write")
		}

		canceled, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := f.BatchWriteItem(canceled, put); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want one wrapping context.Canceled", err)
		}

		start = time.Now()
		if _, err := f.BatchWriteItem(t.Context(), put); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != time.Second {
			t.Errorf("call returned after %v, want 1s", got)
		}
		if _, ok := f.Item(fdItems, fdItem{"pk": fdS("a")}); !ok {
			t.Error("call did not write")
		}
	})
}

func TestFakeDynamoDBConcurrentUse(t *testing.T) {
	f := fdNewFake(t)
	const workers, callsEach, perCall = 8, 20, 5
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for c := range callsEach {
				reqs := fdPuts(fmt.Sprintf("w%d-c%d-", w, c), perCall)
				if c%2 == 1 { // delete what the previous call wrote
					for i := range reqs {
						reqs[i] = fdDel(fdItem{"pk": fdS(fmt.Sprintf("w%d-c%d-%d", w, c-1, i))})
					}
				}
				if _, err := f.BatchWriteItem(t.Context(), fdInput(map[string][]types.WriteRequest{fdItems: reqs})); err != nil {
					t.Errorf("worker %d call %d: %v", w, c, err)
				}
				f.Items(fdItems)
				f.Calls()
			}
		})
	}
	wg.Wait()
	if got, want := len(f.Items(fdItems)), 1; got != want {
		t.Errorf("%d items, want %d", got, want)
	}
	if got, want := len(f.Calls()), 1+workers*callsEach; got != want {
		t.Errorf("%d calls recorded, want %d", got, want)
	}
	if got := f.ConcurrentKeyWrites(); got != 0 {
		t.Errorf("ConcurrentKeyWrites = %d for disjoint keys, want 0", got)
	}
}

func TestFakeDynamoDBConcurrentKeyWrites(t *testing.T) {
	tests := []struct {
		name   string
		first  map[string][]types.WriteRequest
		second map[string][]types.WriteRequest
		want   int
	}{
		{
			name:   "disjoint keys",
			first:  map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a")})}},
			second: map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("b")})}},
		},
		{
			name:   "same key in other tables",
			first:  map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a")})}},
			second: map[string][]types.WriteRequest{fdThreads: {fdPut(fdItem{"pk": fdS("a"), "sk": fdS("a")})}},
		},
		{
			name:   "one shared key, put and delete",
			first:  map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a")}), fdPut(fdItem{"pk": fdS("b")})}},
			second: map[string][]types.WriteRequest{fdItems: {fdDel(fdItem{"pk": fdS("a")}), fdPut(fdItem{"pk": fdS("c")})}},
			want:   1,
		},
		{
			name:   "shared number key spelled differently",
			first:  map[string][]types.WriteRequest{fdEvents: {fdPut(fdItem{"pk": fdS("a"), "sk": fdN("1")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdN("2")})}},
			second: map[string][]types.WriteRequest{fdEvents: {fdPut(fdItem{"pk": fdS("a"), "sk": fdN("1.0")}), fdPut(fdItem{"pk": fdS("a"), "sk": fdN("20e-1")})}},
			want:   2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := fdNewFake(t)
				f.Latency = time.Second
				var wg sync.WaitGroup
				for _, reqs := range []map[string][]types.WriteRequest{tc.first, tc.second} {
					wg.Go(func() {
						if _, err := f.BatchWriteItem(t.Context(), fdInput(reqs)); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				// Calls one after the other never overlap.
				for _, reqs := range []map[string][]types.WriteRequest{tc.first, tc.second} {
					if _, err := f.BatchWriteItem(t.Context(), fdInput(reqs)); err != nil {
						t.Error(err)
					}
				}
				if got := f.ConcurrentKeyWrites(); got != tc.want {
					t.Errorf("ConcurrentKeyWrites = %d, want %d", got, tc.want)
				}
			})
		})
	}
}

func TestFakeDynamoDBCalls(t *testing.T) {
	f := fdNewFake(t)
	in := &dynamodb.BatchWriteItemInput{
		RequestItems:           map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a"), "b": fdB([]byte{1})})}},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	want := []*dynamodb.BatchWriteItemInput{
		fdInput(map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("seed"), "v": fdN("1")})}}),
		{
			RequestItems:           map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a"), "b": fdB([]byte{1})})}},
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		},
		{},
		fdInput(map[string][]types.WriteRequest{"nope": {fdDel(fdItem{"pk": fdS("x")})}}),
	}
	if _, err := f.BatchWriteItem(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	// The caller's input, and what Calls returns, are the caller's to change.
	in.RequestItems[fdItems][0].PutRequest.Item["b"].(*types.AttributeValueMemberB).Value[0] = 9
	in.RequestItems[fdItems][0].PutRequest.Item["pk"] = fdS("changed")
	f.Calls()[1].RequestItems[fdItems] = nil
	if _, err := f.BatchWriteItem(t.Context(), nil); err == nil {
		t.Error("nil input accepted")
	}
	if _, err := f.BatchWriteItem(t.Context(), want[3]); err == nil {
		t.Error("unknown table accepted")
	}
	if diff := cmp.Diff(want, f.Calls(), fdCmpOpts); diff != "" {
		t.Errorf("Calls mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]fdItem{{"pk": fdS("a"), "b": fdB([]byte{1})}, {"pk": fdS("seed"), "v": fdN("1")}}, f.Items(fdItems), fdCmpOpts); diff != "" {
		t.Errorf("stored item changed through the caller's input (-want +got):\n%s", diff)
	}
}

func TestFakeDynamoDBBatchWriteItemFn(t *testing.T) {
	f := fdNewFake(t)
	injected := errors.New("injected")
	var seen []int
	f.BatchWriteItemFn = func(ctx context.Context, in *dynamodb.BatchWriteItemInput,
		next func(context.Context, *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error),
	) (*dynamodb.BatchWriteItemOutput, error) {
		seen = append(seen, len(in.RequestItems[fdItems]))
		switch len(seen) {
		case 1: // fail without serving
			return nil, injected
		case 2: // serve only the first request
			return next(ctx, fdInput(map[string][]types.WriteRequest{fdItems: in.RequestItems[fdItems][:1]}))
		}
		return next(ctx, in)
	}
	two := fdInput(map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a")}), fdPut(fdItem{"pk": fdS("b")})}})

	if _, err := f.BatchWriteItem(t.Context(), two); !errors.Is(err, injected) {
		t.Errorf("first call: error = %v, want the injected one", err)
	}
	if _, err := f.BatchWriteItem(t.Context(), two); err != nil {
		t.Errorf("second call: %v", err)
	}
	wantItems := []fdItem{{"pk": fdS("a")}, {"pk": fdS("seed"), "v": fdN("1")}}
	if diff := cmp.Diff(wantItems, f.Items(fdItems), fdCmpOpts); diff != "" {
		t.Errorf("Items mismatch (-want +got):\n%s", diff)
	}
	// Validation still applies to what the override passes on.
	_, err := f.BatchWriteItem(t.Context(), fdInput(map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("")})}}))
	fdCheckErr(t, err, fdKindAPI, "ValidationException",
		"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk")
	if diff := cmp.Diff([]int{2, 2, 1}, seen); diff != "" {
		t.Errorf("override saw (-want +got):\n%s", diff)
	}
	if got := len(f.Calls()); got != 4 {
		t.Errorf("%d calls recorded, want 4", got)
	}
}

func TestFakeDynamoDBCreateTablePanics(t *testing.T) {
	tests := []struct {
		name   string
		table  string
		schema KeySchema
	}{
		{name: "existing table", table: fdItems, schema: KeySchema{PartitionKey: "pk"}},
		{name: "short name", table: "ab", schema: KeySchema{PartitionKey: "pk"}},
		{name: "invalid character", table: "a/b/c", schema: KeySchema{PartitionKey: "pk"}},
		{name: "no partition key", table: "fresh", schema: KeySchema{}},
		{name: "bad key type", table: "fresh", schema: KeySchema{PartitionKey: "pk", PartitionKeyType: "BOOL"}},
		{name: "bad sort key type", table: "fresh", schema: KeySchema{PartitionKey: "pk", SortKey: "sk", SortKeyType: "L"}},
		{name: "sort key named as partition key", table: "fresh", schema: KeySchema{PartitionKey: "pk", SortKey: "pk"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fdNewFake(t)
			defer func() {
				if recover() == nil {
					t.Error("CreateTable did not panic")
				}
			}()
			f.CreateTable(tc.table, tc.schema)
		})
	}
}

func TestFakeDynamoDBParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want string
		bad  fdNumErr
	}{
		{in: "0", want: "0"},
		{in: "-0.000", want: "0"},
		{in: "0e999999999999", want: "0"},
		{in: "+1", want: "1"},
		{in: "1.", want: "1"},
		{in: ".5", want: "0.5"},
		{in: "-1.50", want: "-1.5"},
		{in: "1E2", want: "100"},
		{in: "15e-1", want: "1.5"},
		{in: "1e-5", want: "0.00001"},
		{in: "123.456e1", want: "1234.56"},
		{in: "00012300", want: "12300"},
		{in: "9.9999999999999999999999999999999999999E+125", want: "99999999999999999999999999999999999999" + strings.Repeat("0", 88)},
		{in: "1E-130", want: "0." + strings.Repeat("0", 129) + "1"},
		{in: "12345678901234567890123456789012345678", want: "12345678901234567890123456789012345678"},
		{in: "1234567890123456789012345678901234567800000", want: "1234567890123456789012345678901234567800000"},
		{in: "", bad: fdNumSyntax},
		{in: ".", bad: fdNumSyntax},
		{in: "-", bad: fdNumSyntax},
		{in: "1e", bad: fdNumSyntax},
		{in: "1e+", bad: fdNumSyntax},
		{in: "1.2.3", bad: fdNumSyntax},
		{in: " 1", bad: fdNumSyntax},
		{in: "0x10", bad: fdNumSyntax},
		{in: "NaN", bad: fdNumSyntax},
		{in: "Infinity", bad: fdNumSyntax},
		{in: "1e126", bad: fdNumOverflow},
		{in: "1e99999999999999999999", bad: fdNumOverflow},
		{in: "1e-131", bad: fdNumUnderflow},
		{in: "1e-99999999999999999999", bad: fdNumUnderflow},
		{in: "1.23456789012345678901234567890123456789", bad: fdNumPrecision},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, bad := fdParseNumber(tc.in)
			if got != tc.want || bad != tc.bad {
				t.Errorf("fdParseNumber(%q) = %q, %d; want %q, %d", tc.in, got, bad, tc.want, tc.bad)
			}
		})
	}
}

// fdCapture is an http.RoundTripper that records the last request body and
// answers with status and body.
type fdCapture struct {
	mu     sync.Mutex
	body   []byte
	status int
	answer string
}

func (c *fdCapture) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.body = body
	return &http.Response{
		StatusCode: c.status,
		Header:     http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"REQUEST"}},
		Body:       io.NopCloser(strings.NewReader(c.answer)),
		Request:    req,
	}, nil
}

// fdSDKClient returns a real client whose requests go to capture, never to
// the network.
func fdSDKClient(capture *fdCapture) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String("http://127.0.0.1:9"),
		HTTPClient:       &http.Client{Transport: capture},
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		}),
	})
}

// TestFakeDynamoDBRequestSizeMatchesSDK checks the body size the 16 MB rule
// measures against the body aws-sdk-go-v2 really writes.
func TestFakeDynamoDBRequestSizeMatchesSDK(t *testing.T) {
	nested := fdItem{
		"pk": fdS("quote\" backslash\\ newline\n control\x01 unicode é€ \u2028 <>&"),
		"n":  fdN("-12.5e3"),
		"b":  fdB([]byte{0, 1, 2, 3, 4}),
		"e":  fdB([]byte{}),
		"t":  &types.AttributeValueMemberBOOL{Value: true},
		"f":  &types.AttributeValueMemberBOOL{Value: false},
		"z":  &types.AttributeValueMemberNULL{Value: true},
		"ss": &types.AttributeValueMemberSS{Value: []string{"a", "b\"c"}},
		"ns": &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"bs": &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{fdS("x"), &types.AttributeValueMemberL{}, &types.AttributeValueMemberM{Value: fdItem{"k": fdN("1")}}}},
		"m":  &types.AttributeValueMemberM{Value: fdItem{"a": fdS(""), "é": &types.AttributeValueMemberM{}}},
	}
	tests := []struct {
		name string
		in   *dynamodb.BatchWriteItemInput
	}{
		{name: "one put", in: fdInput(map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a")})}})},
		{name: "every type", in: fdInput(map[string][]types.WriteRequest{fdItems: {fdPut(nested), fdDel(fdItem{"pk": fdS("x")})}})},
		{name: "tables, options, both and neither", in: &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{
				fdItems:  {{}, {PutRequest: &types.PutRequest{Item: nested}, DeleteRequest: &types.DeleteRequest{Key: fdItem{"pk": fdS("y")}}}},
				fdEvents: {fdDel(fdItem{"pk": fdS("a"), "sk": fdN("1")})},
				"arn:aws:dynamodb:us-east-1:123456789012:table/x": {},
				"a\"b": nil,
			},
			ReturnConsumedCapacity:      types.ReturnConsumedCapacityIndexes,
			ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize,
		}},
		{name: "empty map and an option", in: &dynamodb.BatchWriteItemInput{
			RequestItems:                map[string][]types.WriteRequest{},
			ReturnItemCollectionMetrics: "BOGUS",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			capture := &fdCapture{status: http.StatusOK, answer: `{"UnprocessedItems":{}}`}
			if _, err := fdSDKClient(capture).BatchWriteItem(t.Context(), tc.in); err != nil {
				t.Fatal(err)
			}
			if got, want := fdRequestSize(tc.in), len(capture.body); got != want {
				t.Errorf("fdRequestSize = %d, SDK body has %d bytes: %s", got, want, capture.body)
			}
		})
	}
}

// fdChain returns the types of the errors err wraps, outermost first.
func fdChain(err error) []string {
	var chain []string
	for ; err != nil; err = errors.Unwrap(err) {
		chain = append(chain, fmt.Sprintf("%T", err))
	}
	return chain
}

// TestFakeDynamoDBErrorsMatchSDK checks that the fake's errors have the shape
// (and, for the client's own checks, the text) of the real client's.
func TestFakeDynamoDBErrorsMatchSDK(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name     string
		in       *dynamodb.BatchWriteItemInput
		answer   string // DynamoDB's answer to the real client, status 400
		sameText bool
	}{
		{name: "nil RequestItems", in: &dynamodb.BatchWriteItemInput{}, sameText: true},
		{name: "nil put item", in: fdInput(map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a")}), {PutRequest: &types.PutRequest{}}}}), sameText: true},
		{name: "nil delete key and put item", in: fdInput(map[string][]types.WriteRequest{fdItems: {{
			PutRequest: &types.PutRequest{}, DeleteRequest: &types.DeleteRequest{},
		}}}), sameText: true},
		{name: "validation", in: fdInput(map[string][]types.WriteRequest{fdItems: {fdPut(fdItem{"pk": fdS("a")}), fdPut(fdItem{"pk": fdS("a")})}}),
			answer: `{"__type":"com.amazon.coral.validate#ValidationException","message":"Provided list of item keys contains duplicates"}`},
		{name: "not found", in: fdInput(map[string][]types.WriteRequest{"nope": {fdPut(fdItem{"pk": fdS("a")})}}),
			answer: `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			capture := &fdCapture{status: http.StatusBadRequest, answer: tc.answer}
			_, want := fdSDKClient(capture).BatchWriteItem(ctx, tc.in)
			_, got := fdNewFake(t).BatchWriteItem(ctx, tc.in)
			if want == nil || got == nil {
				t.Fatalf("SDK error %v, fake error %v: want both", want, got)
			}
			if diff := cmp.Diff(fdChain(want), fdChain(got)); diff != "" {
				t.Errorf("error chain mismatch (-SDK +fake):\n%s", diff)
			}
			var wantAPI, gotAPI smithy.APIError
			if errors.As(want, &wantAPI) {
				if !errors.As(got, &gotAPI) {
					t.Fatalf("fake error %v is not an API error", got)
				}
				if diff := cmp.Diff([]string{wantAPI.ErrorCode(), wantAPI.ErrorMessage()}, []string{gotAPI.ErrorCode(), gotAPI.ErrorMessage()}); diff != "" {
					t.Errorf("code and message mismatch (-SDK +fake):\n%s", diff)
				}
			}
			if tc.sameText && got.Error() != want.Error() {
				t.Errorf("fake error %q, SDK error %q", got, want)
			}
		})
	}
}
