package sqsbatch_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/sqsbatch"
	"github.com/batchutils/batchutils/testutil"
)

// printQueue prints the messages of the in-memory fake that stands in for
// SQS in these examples, group by group (groups go in parallel, so only the
// order within a group is fixed). With a real queue, pass a *sqs.Client made
// by sqs.NewFromConfig instead, and the URL GetQueueUrl returns.
func printQueue(f *testutil.FakeSQS, url string) {
	msgs := f.Messages(url)
	slices.SortStableFunc(msgs, func(a, b testutil.FakeMessage) int { return strings.Compare(a.GroupID, b.GroupID) })
	for _, m := range msgs {
		if m.GroupID != "" {
			fmt.Printf("%s (group %s, id %s)\n", m.Body, m.GroupID, m.DeduplicationID)
			continue
		}
		fmt.Println(m.Body)
	}
}

// A standard queue: any type is sent as a JSON body, a string as it is.
func Example() {
	client := testutil.NewFakeSQS()
	url := client.CreateQueue("MyExampleQueue", false)

	ctx := context.Background()
	d, err := sqsbatch.New[any](client, sqsbatch.Config{QueueURL: url})
	if err != nil {
		panic(err)
	}
	d.Send(ctx, map[string]any{"something": "in", "my": "message"})
	d.Send(ctx, "a plain text body")
	d.Send(ctx, sqsbatch.Message{
		Body:       "with an attribute",
		Attributes: map[string]types.MessageAttributeValue{"source": {DataType: aws.String("String"), StringValue: aws.String("example")}},
	})
	// A message SQS would refuse is refused at Send, before it can get a
	// whole batch refused.
	err = d.Send(ctx, "a bell \a is not allowed")
	fmt.Println(errors.Is(err, sqsbatch.ErrInvalidMessage))
	if err := d.Close(ctx); err != nil { // Close flushes
		panic(err)
	}
	printQueue(client, url)
	// Output:
	// true
	// {"my":"message","something":"in"}
	// a plain text body
	// with an attribute
}

// Order is an item type that carries its FIFO message group and
// deduplication ids: Send takes them from these methods.
type Order struct {
	Customer string `json:"customer"`
	Number   int    `json:"number"`
}

func (o Order) MessageGroupID() string         { return o.Customer }
func (o Order) MessageDeduplicationID() string { return fmt.Sprintf("%s-%d", o.Customer, o.Number) }

// A FIFO queue: the messages of one group arrive in the order they were
// sent, whatever the batches, the concurrency and the retries; groups go in
// parallel.
func Example_fifo() {
	client := testutil.NewFakeSQS()
	url := client.CreateQueue("orders.fifo", false)

	ctx := context.Background()
	d, err := sqsbatch.New[Order](client, sqsbatch.Config{QueueURL: url, Batch: batch.Config{MaxBatchItems: 2}})
	if err != nil {
		panic(err)
	}
	for n := 1; n <= 3; n++ {
		d.Send(ctx, Order{Customer: "ann", Number: n})
	}
	d.Send(ctx, Order{Customer: "bob", Number: 1})
	// SendWait waits for this message's own outcome.
	if err := d.SendWait(ctx, Order{Customer: "bob", Number: 2}); err != nil {
		panic(err)
	}
	if err := d.Close(ctx); err != nil {
		panic(err)
	}
	printQueue(client, url)
	// Output:
	// {"customer":"ann","number":1} (group ann, id ann-1)
	// {"customer":"ann","number":2} (group ann, id ann-2)
	// {"customer":"ann","number":3} (group ann, id ann-3)
	// {"customer":"bob","number":1} (group bob, id bob-1)
	// {"customer":"bob","number":2} (group bob, id bob-2)
}

// Messages SQS refuses on their own come back from Flush or Close, each
// once, with SQS's code and message.
func Example_failures() {
	client := testutil.NewFakeSQS()
	url := client.CreateQueue("MyExampleQueue", false)
	client.FailEntry = func(_ int, e types.SendMessageBatchRequestEntry) *types.BatchResultErrorEntry {
		if aws.ToString(e.MessageBody) == "refuse me" {
			return &types.BatchResultErrorEntry{SenderFault: true, Code: aws.String("InvalidParameterValue"), Message: aws.String("not today")}
		}
		return nil
	}
	ctx := context.Background()
	d, _ := sqsbatch.New[string](client, sqsbatch.Config{QueueURL: url})
	d.Send(ctx, "fine")
	d.Send(ctx, "refuse me")
	err := d.Close(ctx)
	var failed *batch.FailedError[string]
	if errors.As(err, &failed) {
		for _, f := range failed.Failures {
			var ee *sqsbatch.EntryError
			errors.As(f.Err, &ee)
			fmt.Printf("not sent: %q: %s\n", f.Item, ee.Code)
		}
	}
	printQueue(client, url)
	// Output:
	// not sent: "refuse me": InvalidParameterValue
	// fine
}
