package dynamo_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/dynamo"
)

// nopClient accepts every call at once.
type nopClient struct{}

func (nopClient) BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return &dynamodb.BatchWriteItemOutput{}, nil
}

type event struct {
	ID      string  `dynamodbav:"id"`
	Kind    string  `dynamodbav:"kind"`
	Count   int     `dynamodbav:"count"`
	Amount  float64 `dynamodbav:"amount"`
	Enabled bool    `dynamodbav:"enabled"`
}

func events(n int) []event {
	es := make([]event, n)
	for i := range es {
		es[i] = event{ID: "evt-" + strconv.Itoa(i), Kind: "click", Count: i, Amount: float64(i) / 4, Enabled: i%2 == 0}
	}
	return es
}

// BenchmarkPut measures what the dispatcher costs per item on top of the
// marshalling that any writer does (BenchmarkMarshalMap), with a client
// that answers at once: the SDK's serialization is left out of both.
func BenchmarkPut(b *testing.B) {
	es := events(1 << 14)
	b.Run("struct", func(b *testing.B) { benchPut(b, es) })
	avs := make([]map[string]types.AttributeValue, len(es))
	for i, e := range es {
		avs[i], _ = attributevalue.MarshalMap(e)
	}
	b.Run("attributevalues", func(b *testing.B) { benchPut(b, avs) })
}

// benchPut puts items in turn, len(items) a power of two.
func benchPut[T any](b *testing.B, items []T) {
	d, err := dynamo.New[T](nopClient{}, dynamo.Config{Table: "events", PartitionKey: "id"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := d.Put(ctx, items[i&(len(items)-1)]); err != nil {
			b.Fatal(err)
		}
		if i++; i&(len(items)-1) == 0 {
			d.Flush(ctx) // keys repeat from here
		}
	}
	if err := d.Close(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkMarshalMap is the floor for struct items: attributevalue alone.
func BenchmarkMarshalMap(b *testing.B) {
	es := events(1 << 14)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := attributevalue.MarshalMap(es[i&(len(es)-1)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
