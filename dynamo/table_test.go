package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

// tableClient is a TableClient double: it records the operations it is
// asked for, and a created table is CREATING for one DescribeTable.
type tableClient struct {
	tables map[string]*types.TableDescription
	calls  []string
}

func (c *tableClient) DescribeTable(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	c.calls = append(c.calls, "DescribeTable")
	t, ok := c.tables[aws.ToString(in.TableName)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	}
	out := *t
	t.TableStatus = types.TableStatusActive
	return &dynamodb.DescribeTableOutput{Table: &out}, nil
}

func (c *tableClient) CreateTable(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	c.calls = append(c.calls, "CreateTable")
	if in.BillingMode != types.BillingModePayPerRequest {
		return nil, errors.New("test: want on-demand billing")
	}
	c.tables[aws.ToString(in.TableName)] = &types.TableDescription{
		TableName:            in.TableName,
		TableStatus:          types.TableStatusCreating,
		AttributeDefinitions: in.AttributeDefinitions,
		KeySchema:            in.KeySchema,
	}
	return &dynamodb.CreateTableOutput{}, nil
}

func TestEnsureTable(t *testing.T) {
	withSort := dynamo.Config{Table: "orders", PartitionKey: "customer", SortKey: "order_id", SortKeyType: dynamo.Number}
	existing := &types.TableDescription{
		TableName:   aws.String("orders"),
		TableStatus: types.TableStatusActive,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("customer"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("order_id"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("customer"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("order_id"), KeyType: types.KeyTypeRange},
		},
	}
	tests := []struct {
		name      string
		tables    map[string]*types.TableDescription
		cfg       dynamo.Config
		wantCalls []string
		wantErr   string
	}{
		{"missing: created, waited for", map[string]*types.TableDescription{}, withSort,
			[]string{"DescribeTable", "CreateTable", "DescribeTable", "DescribeTable"}, ""},
		{"exists with the same key schema", map[string]*types.TableDescription{"orders": existing}, withSort,
			[]string{"DescribeTable"}, ""},
		{"exists with another key schema", map[string]*types.TableDescription{"orders": existing},
			dynamo.Config{Table: "orders", PartitionKey: "customer"},
			[]string{"DescribeTable"}, `table "orders" exists with the key schema customer (S), sort key order_id (N); Config says customer (S)`},
		{"bad Config", map[string]*types.TableDescription{}, dynamo.Config{Table: "orders"},
			nil, "Config.PartitionKey is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &tableClient{tables: tc.tables}
			err := dynamo.EnsureTable(context.Background(), c, tc.cfg)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("EnsureTable: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("EnsureTable = %v, want an error saying %q", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantCalls, c.calls); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// EnsureTable against the local server: a new table is created and usable,
// and a second call finds it.
func TestIntegrationEnsureTable(t *testing.T) {
	client := testutil.NewDynamoDBClient(t, testutil.DynamoDBEndpoint(t))
	name := fmt.Sprintf("EnsureTable-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		if _, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("deleting table %s: %v", name, err)
		}
	})
	cfg := dynamo.Config{Table: name, PartitionKey: "id", PartitionKeyType: dynamo.Number, SortKey: "sk"}
	for range 2 {
		if err := dynamo.EnsureTable(t.Context(), client, cfg); err != nil {
			t.Fatalf("EnsureTable: %v", err)
		}
	}
	d := newDispatcher[AV](t, client, cfg)
	put(t, d, AV{"id": &N{Value: "1e6"}, "sk": &S{Value: "a"}})
	closeOK(t, d)
	if n := len(testutil.ScanAll(t, client, name)); n != 1 {
		t.Errorf("%d items in the table, want 1", n)
	}
	other := cfg
	other.SortKey = ""
	if err := dynamo.EnsureTable(t.Context(), client, other); err == nil {
		t.Error("EnsureTable with another key schema: no error")
	}
}
