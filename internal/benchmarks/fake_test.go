package benchmarks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

func putRequests(keys ...string) []types.WriteRequest {
	wrs := make([]types.WriteRequest, len(keys))
	for i, k := range keys {
		wrs[i].PutRequest = &types.PutRequest{Item: map[string]types.AttributeValue{
			"id":   &types.AttributeValueMemberS{Value: k},
			"n":    &types.AttributeValueMemberN{Value: strconv.Itoa(i)},
			"text": &types.AttributeValueMemberS{Value: "a \"quoted\" \\ value\n"},
		}}
	}
	return wrs
}

func keys(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = "k" + strconv.Itoa(i)
	}
	return ks
}

// TestFakeDynamoDB checks that the fake answers the real SDK client as
// DynamoDB does: the limits refused with a ValidationException, the rest
// accepted, every n-th request left unprocessed.
func TestFakeDynamoDB(t *testing.T) {
	for _, tc := range []struct {
		name      string
		every     int
		items     map[string][]types.WriteRequest
		wantCode  string
		wantLeft  int
		wantTable string
	}{
		{name: "one", items: map[string][]types.WriteRequest{"t": putRequests("a")}},
		{name: "25", items: map[string][]types.WriteRequest{"t": putRequests(keys(25)...)}},
		{name: "26", items: map[string][]types.WriteRequest{"t": putRequests(keys(26)...)}, wantCode: "ValidationException"},
		{name: "25 over two tables", items: map[string][]types.WriteRequest{"t": putRequests(keys(20)...), "u": putRequests(keys(5)...)}},
		{name: "26 over two tables", items: map[string][]types.WriteRequest{"t": putRequests(keys(20)...), "u": putRequests(keys(6)...)}, wantCode: "ValidationException"},
		{name: "duplicate key", items: map[string][]types.WriteRequest{"t": putRequests("a", "b", "a")}, wantCode: "ValidationException"},
		{name: "same key in two tables", items: map[string][]types.WriteRequest{"t": putRequests("a"), "u": putRequests("a")}},
		{name: "delete and put of one key", items: map[string][]types.WriteRequest{"t": append(putRequests("a"),
			types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "a"}}}})}, wantCode: "ValidationException"},
		{name: "no key", items: map[string][]types.WriteRequest{"t": {{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			"other": &types.AttributeValueMemberS{Value: "a"}}}}}}, wantCode: "ValidationException"},
		{name: "every 10th left", every: 10, items: map[string][]types.WriteRequest{"t": putRequests(keys(25)...)}, wantLeft: 2, wantTable: "t"},
		{name: "every request left", every: 1, items: map[string][]types.WriteRequest{"t": putRequests(keys(3)...)}, wantLeft: 3, wantTable: "t"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &FakeDynamoDB{UnprocessedEvery: tc.every}
			srv := fake.Start()
			defer srv.Close()
			client, closeIdle := newClient(srv.URL)
			defer closeIdle()
			out, err := client.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: tc.items})
			if tc.wantCode != "" {
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != tc.wantCode {
					t.Fatalf("BatchWriteItem error = %v, want an API error %s", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("BatchWriteItem: %v", err)
			}
			left := 0
			for table, wrs := range out.UnprocessedItems {
				if table != tc.wantTable {
					t.Errorf("unprocessed items for table %q, want %q", table, tc.wantTable)
				}
				for _, wr := range wrs {
					if wr.PutRequest == nil || wr.PutRequest.Item["id"] == nil || len(wr.PutRequest.Item) != 3 {
						t.Errorf("unprocessed request %+v is not one that was sent", wr)
					}
				}
				left += len(wrs)
			}
			if left != tc.wantLeft {
				t.Errorf("%d requests left unprocessed, want %d", left, tc.wantLeft)
			}
			s := fake.Stats()
			if s.Unprocessed != int64(tc.wantLeft) || s.Accepted+s.Unprocessed != s.Requests || s.Errors != 0 {
				t.Errorf("stats %+v, want %d unprocessed and no error", s, tc.wantLeft)
			}
		})
	}
}

// TestFakeDynamoDBProtocol checks what the fake refuses before it reads a
// request: another operation, no signature, a body too large.
func TestFakeDynamoDBProtocol(t *testing.T) {
	fake := &FakeDynamoDB{}
	srv := fake.Start()
	defer srv.Close()
	for _, tc := range []struct {
		name, target, auth, body string
		wantStatus               int
		wantType                 string
	}{
		{"unknown operation", "DynamoDB_20120810.Nope", "x", "{}", 400, "UnknownOperationException"},
		{"no signature", "DynamoDB_20120810.BatchWriteItem", "", "{}", 400, "MissingAuthenticationTokenException"},
		{"malformed", "DynamoDB_20120810.BatchWriteItem", "x", `{"RequestItems":{"t":[{"PutRequest":{"Item":{"id":{"S":"a"}}}}]}`, 400, "SerializationException"},
		{"empty", "DynamoDB_20120810.BatchWriteItem", "x", `{"RequestItems":{}}`, 400, "ValidationException"},
		{"too large", "DynamoDB_20120810.BatchWriteItem", "x", `{"RequestItems":{"t":[{"PutRequest":{"Item":{"id":{"S":"` +
			strings.Repeat("x", fakeMaxRequestBytes) + `"}}}}]}}`, 413, "ValidationException"},
		{"describe table", "DynamoDB_20120810.DescribeTable", "x", `{"TableName":"t"}`, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Target", tc.target)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatalf("answer is not JSON: %v", err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if typ, _ := got["__type"].(string); !strings.HasSuffix(typ, "#"+tc.wantType) && tc.wantType != "" {
				t.Errorf("__type %q, want ...#%s", typ, tc.wantType)
			}
		})
	}
}

// TestFakeDescribeTable checks the answer the SDK reads for DescribeTable.
func TestFakeDescribeTable(t *testing.T) {
	srv := (&FakeDynamoDB{KeyAttr: "pk"}).Start()
	defer srv.Close()
	client, closeIdle := newClient(srv.URL)
	defer closeIdle()
	out, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Table.KeySchema[0].AttributeName); got != "pk" || out.Table.TableStatus != types.TableStatusActive {
		t.Errorf("table %+v, want an ACTIVE table keyed by pk", out.Table)
	}
}

// FuzzScanner checks that the fake's scanner accepts exactly the documents
// encoding/json accepts.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,-2.5e+3,true,false,null,"x\"\\\u00e9"]}`, `{"a":}`, `[1,]`, `"\x"`, ` 0 `, `01`, `1.`, `{"a" 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &scanner{b: b}
		got := s.skip() && s.end()
		if want := json.Valid(b); got != want {
			t.Errorf("scanner says valid=%v for %q, encoding/json says %v", got, b, want)
		}
	})
}
