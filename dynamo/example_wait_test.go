package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

// PutWait waits for each item's own outcome, for a caller that must know
// its record is stored before it goes on (a request handler, say). Callers
// that wait at the same time share BatchWriteItem calls.
func ExampleDispatcher_PutWait() {
	client := testutil.NewFakeDynamoDB()
	client.CreateTable("Orders", testutil.KeySchema{PartitionKey: "id"})
	ctx := context.Background()
	d, err := dynamo.New[map[string]any](client, dynamo.Config{Table: "Orders", PartitionKey: "id"})
	if err != nil {
		panic(err)
	}
	defer d.Close(ctx)

	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			if err := d.PutWait(ctx, map[string]any{"id": fmt.Sprint(i), "total": i}); err != nil {
				fmt.Println("order", i, "not stored:", err)
			}
		})
	}
	wg.Wait()

	// An item refused at Put is refused by PutWait too, at once.
	err = d.PutWait(ctx, map[string]any{"total": 1})
	fmt.Println(errors.Is(err, dynamo.ErrInvalidKey))
	fmt.Println(len(client.Items("Orders")), "orders stored")
	// Output:
	// true
	// 100 orders stored
}
