package snsbatch_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/batchutils/batchutils/snsbatch"
	"github.com/batchutils/batchutils/testutil"
)

// A standard topic: any type is published as a JSON body, a string as it
// is. The in-memory fake stands in for SNS here; with the real service, pass
// a *sns.Client made by sns.NewFromConfig instead.
func Example() {
	client := testutil.NewFakeSNS()
	topic := client.CreateTopic("alerts", false)

	ctx := context.Background()
	d, err := snsbatch.New[any](client, snsbatch.Config{TopicARN: topic})
	if err != nil {
		panic(err)
	}
	d.Publish(ctx, map[string]any{"disk": "full", "host": "db-1"})
	d.Publish(ctx, "a plain text body")
	d.Publish(ctx, snsbatch.Message{
		Body:       "with a subject and an attribute",
		Subject:    "Heads up",
		Attributes: map[string]types.MessageAttributeValue{"severity": {DataType: aws.String("String"), StringValue: aws.String("high")}},
	})
	// A message SNS would refuse is refused at Publish.
	err = d.Publish(ctx, snsbatch.Message{Body: "x", DeduplicationID: "only on FIFO topics"})
	fmt.Println(errors.Is(err, snsbatch.ErrInvalidDeduplicationID))
	if err := d.Close(ctx); err != nil { // Close flushes
		panic(err)
	}
	for _, m := range client.Messages(topic) {
		fmt.Printf("%s %q\n", m.Body, m.Subject)
	}
	// Output:
	// true
	// {"disk":"full","host":"db-1"} ""
	// a plain text body ""
	// with a subject and an attribute "Heads up"
}

// Order is an item type that carries its FIFO message group and
// deduplication ids: Publish takes them from these methods.
type Order struct {
	Customer string `json:"customer"`
	Number   int    `json:"number"`
}

func (o Order) MessageGroupID() string         { return o.Customer }
func (o Order) MessageDeduplicationID() string { return fmt.Sprintf("%s-%d", o.Customer, o.Number) }

// A FIFO topic: the messages of one group are published in the order of
// Publish, whatever the batches, the concurrency and the retries; groups go
// in parallel.
func Example_fifo() {
	client := testutil.NewFakeSNS()
	topic := client.CreateTopic("orders.fifo", false)
	ctx := context.Background()
	d, err := snsbatch.New[Order](client, snsbatch.Config{TopicARN: topic})
	if err != nil {
		panic(err)
	}
	for n := range 3 {
		for _, c := range []string{"ann", "bob"} {
			if err := d.Publish(ctx, Order{Customer: c, Number: n}); err != nil {
				panic(err)
			}
		}
	}
	if err := d.Close(ctx); err != nil {
		panic(err)
	}
	msgs := client.Messages(topic)
	slices.SortStableFunc(msgs, func(a, b testutil.FakeSNSMessage) int { return strings.Compare(a.GroupID, b.GroupID) })
	for _, m := range msgs {
		fmt.Println(m.Body, m.DeduplicationID)
	}
	// Output:
	// {"customer":"ann","number":0} ann-0
	// {"customer":"ann","number":1} ann-1
	// {"customer":"ann","number":2} ann-2
	// {"customer":"bob","number":0} bob-0
	// {"customer":"bob","number":1} bob-1
	// {"customer":"bob","number":2} bob-2
}
