package snsbatch

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/batchutils/batchutils/testutil"
)

// The benchmarks of the backend's own cost per message, with no server:
//
//	go test -run '^$' -bench . -benchmem -count 3 ./snsbatch/
//
// BenchmarkEncode is the work Publish adds to the core for each item (the
// body's JSON, the checks of body, subject and attributes, measuring, the
// entry); BenchmarkPublish is the whole of Publish, the core's share and
// the calls to a client that takes everything at once included.

// nopClient publishes every message at once.
type nopClient struct{}

func (nopClient) PublishBatch(_ context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	out := &sns.PublishBatchOutput{Successful: make([]types.PublishBatchResultEntry, len(in.PublishBatchRequestEntries))}
	for i, e := range in.PublishBatchRequestEntries {
		out.Successful[i].Id = e.Id
	}
	return out, nil
}

// benchOrder is a typical struct item, sent as its JSON (about 150 bytes).
type benchOrder struct {
	ID       string  `json:"id"`
	Customer string  `json:"customer"`
	Product  string  `json:"product"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`
	Express  bool    `json:"express"`
	Note     string  `json:"note"`
}

// benchItems returns 1<<10 orders, and the same as Messages with their
// JSON body, a subject and two attributes.
func benchItems() ([]benchOrder, []Message) {
	orders := make([]benchOrder, 1<<10)
	msgs := make([]Message, len(orders))
	for i := range orders {
		orders[i] = benchOrder{ID: "ord-" + strconv.Itoa(i), Customer: "customer-" + strconv.Itoa(i%97), Product: "notebook",
			Quantity: 1 + i%9, Price: float64(199+i) / 100, Express: i%4 == 0, Note: "left at the door <back>"}
		body, err := json.Marshal(orders[i])
		if err != nil {
			panic(err)
		}
		msgs[i] = Message{Body: string(body), Subject: "order placed", Attributes: map[string]types.MessageAttributeValue{
			"kind":     {DataType: aws.String("String"), StringValue: aws.String("order")},
			"quantity": {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(orders[i].Quantity))},
		}}
	}
	return orders, msgs
}

func BenchmarkEncode(b *testing.B) {
	orders, msgs := benchItems()
	b.Run("struct", func(b *testing.B) { benchEncode(b, orders) })
	b.Run("message", func(b *testing.B) { benchEncode(b, msgs) })
}

// benchEncode encodes items in turn, len(items) a power of two.
func benchEncode[T any](b *testing.B, items []T) {
	w := &writer[T]{client: nopClient{}, topic: "arn:aws:sns:us-east-1:123456789012:bench", maxBytes: DefaultMaxMessageBytes}
	testutil.LoopOver(b, items, func(it T) error {
		_, err := w.Encode(it)
		return err
	})
}

func BenchmarkPublish(b *testing.B) {
	orders, msgs := benchItems()
	b.Run("struct", func(b *testing.B) { benchPublish(b, orders) })
	b.Run("message", func(b *testing.B) { benchPublish(b, msgs) })
}

// benchPublish publishes items in turn, len(items) a power of two.
func benchPublish[T any](b *testing.B, items []T) {
	d, err := New[T](nopClient{}, Config{TopicARN: "arn:aws:sns:us-east-1:123456789012:bench"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	testutil.LoopOver(b, items, func(it T) error {
		return d.Publish(ctx, it)
	})
	if err := d.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
