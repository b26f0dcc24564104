package dynamo_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

// printTable prints a table of the in-memory fake that stands in for
// DynamoDB in these examples. With a real table, pass a *dynamodb.Client
// made by dynamodb.NewFromConfig instead.
func printTable(f *testutil.FakeDynamoDB, table string) {
	for _, item := range f.Items(table) {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(item, &m); err != nil {
			panic(err)
		}
		fmt.Println(m)
	}
}

// The example of boto3_batch_utils' DynamoDB page, in Go.
func Example() {
	client := testutil.NewFakeDynamoDB()
	client.CreateTable("MyExampleDynamoTable", testutil.KeySchema{PartitionKey: "id"})

	ctx := context.Background()
	d, err := dynamo.New[map[string]any](client, dynamo.Config{Table: "MyExampleDynamoTable", PartitionKey: "id"})
	if err != nil {
		panic(err)
	}
	d.Put(ctx, map[string]any{"id": "1", "something": "in", "my": "message"})
	d.Put(ctx, map[string]any{"id": "2", "tells": "me", "this": "is", "easy": true})
	if err := d.Close(ctx); err != nil { // Close flushes
		panic(err)
	}
	printTable(client, "MyExampleDynamoTable")
	// Output:
	// map[id:1 my:message something:in]
	// map[easy:true id:2 tells:me this:is]
}

// Typed structs are marshalled with attributevalue and their dynamodbav tags.
func Example_structs() {
	type Order struct {
		Customer string  `dynamodbav:"customer"`
		OrderID  int     `dynamodbav:"order_id"`
		Total    float64 `dynamodbav:"total"`
	}
	client := testutil.NewFakeDynamoDB()
	client.CreateTable("orders", testutil.KeySchema{
		PartitionKey: "customer",
		SortKey:      "order_id", SortKeyType: types.ScalarAttributeTypeN,
	})

	ctx := context.Background()
	d, _ := dynamo.New[Order](client, dynamo.Config{
		Table:        "orders",
		PartitionKey: "customer",
		SortKey:      "order_id", SortKeyType: dynamo.Number,
	})
	d.Put(ctx, Order{Customer: "ann", OrderID: 2, Total: 9.5})
	d.Put(ctx, Order{Customer: "ann", OrderID: 1, Total: 20})
	// Same partition key and sort key as a pending item: refused.
	err := d.Put(ctx, Order{Customer: "ann", OrderID: 1, Total: 21})
	fmt.Println(errors.Is(err, batch.ErrDuplicate))
	d.Close(ctx)
	printTable(client, "orders")
	// Output:
	// true
	// map[customer:ann order_id:1 total:20]
	// map[customer:ann order_id:2 total:9.5]
}

// The partition key's value can be taken from another attribute, and
// converted to the key's type.
func Example_partitionKeyLocation() {
	client := testutil.NewFakeDynamoDB()
	client.CreateTable("accounts", testutil.KeySchema{PartitionKey: "pk", PartitionKeyType: types.ScalarAttributeTypeN})

	ctx := context.Background()
	d, _ := dynamo.New[map[string]any](client, dynamo.Config{
		Table:                "accounts",
		PartitionKey:         "pk",
		PartitionKeyType:     dynamo.Number,
		PartitionKeyLocation: "account_number", // a string of digits
	})
	d.Put(ctx, map[string]any{"account_number": "1042", "owner": "bo"})
	err := d.Put(ctx, map[string]any{"account_number": "n/a", "owner": "cy"})
	fmt.Println(err)
	d.Close(ctx)
	printTable(client, "accounts")
	// Output:
	// dynamo: invalid key: partition key location "account_number": "n/a" is not a number: ddbsize: invalid DynamoDB number "n/a": unexpected 'n' at offset 0
	// map[account_number:1042 owner:bo pk:1042]
}

// With ReplaceDuplicates the last write of a key wins, and a delete is a
// write like the others.
func Example_lastWriteWins() {
	client := testutil.NewFakeDynamoDB()
	client.CreateTable("stock", testutil.KeySchema{PartitionKey: "sku"})

	ctx := context.Background()
	d, _ := dynamo.New[map[string]any](client, dynamo.Config{
		Table:        "stock",
		PartitionKey: "sku",
		Batch:        batch.Config{Duplicates: batch.ReplaceDuplicates},
	})
	d.Put(ctx, map[string]any{"sku": "a", "count": 1})
	d.Put(ctx, map[string]any{"sku": "a", "count": 2})
	d.Put(ctx, map[string]any{"sku": "b", "count": 7})
	d.Delete(ctx, map[string]any{"sku": "b"})
	d.Close(ctx)
	printTable(client, "stock")
	fmt.Printf("%+v\n", d.Stats())
	// Output:
	// map[count:2 sku:a]
	// {Submitted:4 Written:2 Failed:0 Unknown:0 Replaced:2 Rejected:0 Retries:0 Batches:1 Throttled:0 Rate:0 Pending:0 InFlight:0 Unreported:0}
}

// Items that cannot be written come back from Flush or Close, each with its
// cause: here the table's key is not the one configured, and DynamoDB
// refuses every item with a ValidationException.
func Example_failures() {
	client := testutil.NewFakeDynamoDB()
	client.CreateTable("events", testutil.KeySchema{PartitionKey: "event_id"})

	ctx := context.Background()
	d, _ := dynamo.New[map[string]any](client, dynamo.Config{Table: "events", PartitionKey: "id"})
	d.Put(ctx, map[string]any{"id": "e1"})
	err := d.Close(ctx)

	var fe *batch.FailedError[map[string]any]
	if errors.As(err, &fe) {
		for _, f := range fe.Failures {
			var ae smithy.APIError
			if errors.As(f.Err, &ae) {
				fmt.Println(f.Item["id"], ae.ErrorCode())
			}
		}
	}
	// Output:
	// e1 ValidationException
}
