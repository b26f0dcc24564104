package testutil

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// putRequests returns n put requests for items keyed pk="p", sk=first..first+n-1.
func putRequests(first, n int) []types.WriteRequest {
	reqs := make([]types.WriteRequest, 0, n)
	for i := first; i < first+n; i++ {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			"pk":      &types.AttributeValueMemberS{Value: "p"},
			"sk":      &types.AttributeValueMemberN{Value: strconv.Itoa(i)},
			"payload": &types.AttributeValueMemberS{Value: "item " + strconv.Itoa(i)},
		}}})
	}
	return reqs
}

// TestDynaliteBatchWriteItem proves that the local server behaves like
// DynamoDB where it matters to us: a 25-item BatchWriteItem is written in
// full, and a 26-item one is refused with a ValidationException.
func TestDynaliteBatchWriteItem(t *testing.T) {
	client := NewDynamoDBClient(t, DynamoDBEndpoint(t))
	table := CreateTable(t, client, KeySchema{
		PartitionKey:     "pk",
		PartitionKeyType: types.ScalarAttributeTypeS,
		SortKey:          "sk",
		SortKeyType:      types.ScalarAttributeTypeN,
	})

	out, err := client.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{
		RequestItems: map[string][]types.WriteRequest{table: putRequests(0, 25)},
	})
	if err != nil {
		t.Fatalf("BatchWriteItem of 25 items: %v", err)
	}
	if n := len(out.UnprocessedItems[table]); n != 0 {
		t.Errorf("BatchWriteItem of 25 items: %d unprocessed, want 0", n)
	}

	var want, got []string
	for i := range 25 {
		want = append(want, "item "+strconv.Itoa(i))
	}
	for _, item := range ScanAll(t, client, table) {
		s, ok := item["payload"].(*types.AttributeValueMemberS)
		if !ok {
			t.Fatalf("scanned item without string payload: %#v", item)
		}
		got = append(got, s.Value)
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scanned items mismatch (-want +got):\n%s", diff)
	}

	_, err = client.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{
		RequestItems: map[string][]types.WriteRequest{table: putRequests(100, 26)},
	})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
		t.Fatalf("BatchWriteItem of 26 items: got error %v, want a ValidationException", err)
	}
	msg := apiErr.ErrorMessage()
	if i := strings.Index(msg, "failed to satisfy"); i >= 0 {
		msg = msg[i:] // the start quotes the whole request
	}
	t.Logf("26 items refused as DynamoDB does: %s: ...%s", apiErr.ErrorCode(), msg)
	if n := len(ScanAll(t, client, table)); n != 25 {
		t.Errorf("after the refused batch the table has %d items, want 25", n)
	}
}

// TestDynaliteTableLifecycle checks that CreateTable gives each call its own
// ACTIVE table, with a partition key only when no sort key is given.
func TestDynaliteTableLifecycle(t *testing.T) {
	client := NewDynamoDBClient(t, DynamoDBEndpoint(t))
	a := CreateTable(t, client, KeySchema{PartitionKey: "id"})
	b := CreateTable(t, client, KeySchema{PartitionKey: "id"})
	if a == b {
		t.Fatalf("CreateTable returned the same name twice: %s", a)
	}
	desc, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(a)})
	if err != nil {
		t.Fatalf("DescribeTable %s: %v", a, err)
	}
	if got := desc.Table.TableStatus; got != types.TableStatusActive {
		t.Errorf("table status = %s, want ACTIVE", got)
	}
	wantKeys := []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}}
	if diff := cmp.Diff(wantKeys, desc.Table.KeySchema, cmpopts.IgnoreUnexported(types.KeySchemaElement{})); diff != "" {
		t.Errorf("key schema mismatch (-want +got):\n%s", diff)
	}
}

func TestCheckLoopbackEndpoint(t *testing.T) {
	tests := []struct {
		endpoint string
		ok       bool
	}{
		{"http://127.0.0.1:8000", true},
		{"http://127.10.0.3:8000", true},
		{"http://localhost:8000", true},
		{"https://LOCALHOST", true},
		{"http://[::1]:8000", true},
		{"https://dynamodb.us-east-1.amazonaws.com", false},
		{"http://10.0.0.1:8000", false},
		{"http://0.0.0.0:8000", false},
		{"http://[::]:8000", false},
		{"http://localhost.example.com:8000", false},
		{"http://127.0.0.1.nip.io:8000", false},
		{"127.0.0.1:8000", false},
		{"ftp://127.0.0.1", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.endpoint, func(t *testing.T) {
			err := checkLoopbackEndpoint(tc.endpoint)
			if got := err == nil; got != tc.ok {
				t.Errorf("checkLoopbackEndpoint(%q) = %v, want ok=%v", tc.endpoint, err, tc.ok)
			}
		})
	}
}
