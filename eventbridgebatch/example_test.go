package eventbridgebatch_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batchutils/batchutils/eventbridgebatch"
	"github.com/batchutils/batchutils/testutil"
)

// OrderPlaced is the detail of an event: the dispatcher puts each value as
// the JSON object of an event whose source and detail type Config names.
type OrderPlaced struct {
	OrderID string  `json:"orderId"`
	Total   float64 `json:"total"`
}

// Put events of a type of your own. The in-memory fake stands in for
// EventBridge here; with the real service, pass a *eventbridge.Client made
// by eventbridge.NewFromConfig instead.
func Example() {
	client := testutil.NewFakeEventBridge()
	bus := client.CreateEventBus("orders")

	ctx := context.Background()
	d, err := eventbridgebatch.New[OrderPlaced](client, eventbridgebatch.Config{
		EventBus:   bus,
		Source:     "com.example.shop",
		DetailType: "Order Placed",
	})
	if err != nil {
		panic(err)
	}
	for i := range 3 {
		if err := d.Put(ctx, OrderPlaced{OrderID: fmt.Sprint("o-", i), Total: 9.5 * float64(i+1)}); err != nil {
			panic(err)
		}
	}
	if err := d.Close(ctx); err != nil { // Close flushes
		panic(err)
	}
	for _, e := range client.Events("orders") {
		fmt.Println(e.Source, e.DetailType, e.Detail)
	}
	fmt.Println("calls:", len(client.Calls()), "written:", d.Stats().Written)
	// Output:
	// com.example.shop Order Placed {"orderId":"o-0","total":9.5}
	// com.example.shop Order Placed {"orderId":"o-1","total":19}
	// com.example.shop Order Placed {"orderId":"o-2","total":28.5}
	// calls: 1 written: 3
}

// Put Events with everything PutEvents lets a sender set. An event that
// EventBridge would refuse is refused at Put, before it can get a call
// refused.
func Example_event() {
	client := testutil.NewFakeEventBridge()
	ctx := context.Background()
	d, err := eventbridgebatch.New[eventbridgebatch.Event](client, eventbridgebatch.Config{})
	if err != nil {
		panic(err)
	}
	err = d.PutWait(ctx, eventbridgebatch.Event{
		Source:     "com.example.storage",
		DetailType: "Object Archived",
		Detail:     `{"key": "reports/2026-12.csv"}`,
		Resources:  []string{"arn:aws:s3:::example-bucket"},
		Time:       time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC),
	})
	fmt.Println("PutWait:", err)
	err = d.Put(ctx, eventbridgebatch.Event{Source: "com.example", DetailType: "Bad", Detail: `["not", "an", "object"]`})
	fmt.Println(errors.Is(err, eventbridgebatch.ErrInvalidDetail))
	if err := d.Close(ctx); err != nil {
		panic(err)
	}
	for _, e := range client.Events("") {
		fmt.Println(e.Time, e.Source, e.DetailType, e.Detail, e.Resources)
	}
	// Output:
	// PutWait: <nil>
	// true
	// 2026-12-03T14:00:00Z com.example.storage Object Archived {"key": "reports/2026-12.csv"} [arn:aws:s3:::example-bucket]
}
