package firehosebatch

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/batchutils/batchutils/testutil"
)

// The benchmarks of the backend's own cost per record, with no server:
//
//	go test -run '^$' -bench . -benchmem -count 3 ./firehosebatch/
//
// BenchmarkEncode is the work Put adds to the core for each item (making
// the record: JSON for a struct, and measuring it); BenchmarkPut is the
// whole of Put, the core's share and the calls to a client that takes
// everything at once included.

// nopClient takes every record at once.
type nopClient struct{}

func (nopClient) PutRecordBatch(_ context.Context, in *firehose.PutRecordBatchInput, _ ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error) {
	return &firehose.PutRecordBatchOutput{RequestResponses: make([]types.PutRecordBatchResponseEntry, len(in.Records))}, nil
}

// benchEvent is a typical struct item, sent as its JSON (about 150 bytes).
type benchEvent struct {
	ID       string  `json:"id"`
	Customer string  `json:"customer"`
	Product  string  `json:"product"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`
	Express  bool    `json:"express"`
	Note     string  `json:"note"`
}

// benchEvents returns 1<<10 events, and the same as JSON lines.
func benchEvents() ([]benchEvent, [][]byte) {
	events := make([]benchEvent, 1<<10)
	lines := make([][]byte, len(events))
	for i := range events {
		events[i] = benchEvent{ID: "evt-" + strconv.Itoa(i), Customer: "customer-" + strconv.Itoa(i%97), Product: "notebook",
			Quantity: 1 + i%9, Price: float64(199+i) / 100, Express: i%4 == 0, Note: "left at the door <back>"}
		line, err := json.Marshal(events[i])
		if err != nil {
			panic(err)
		}
		lines[i] = append(line, '\n')
	}
	return events, lines
}

func BenchmarkEncode(b *testing.B) {
	events, lines := benchEvents()
	b.Run("struct", func(b *testing.B) { benchEncode(b, events) })
	b.Run("bytes", func(b *testing.B) { benchEncode(b, lines) })
}

// benchEncode encodes items in turn, len(items) a power of two.
func benchEncode[T any](b *testing.B, items []T) {
	w := &writer[T]{client: nopClient{}, stream: "bench"}
	testutil.LoopOver(b, items, func(it T) error {
		_, err := w.Encode(it)
		return err
	})
}

func BenchmarkPut(b *testing.B) {
	events, lines := benchEvents()
	b.Run("struct", func(b *testing.B) { benchPut(b, events) })
	b.Run("bytes", func(b *testing.B) { benchPut(b, lines) })
}

// benchPut puts items in turn, len(items) a power of two.
func benchPut[T any](b *testing.B, items []T) {
	d, err := New[T](nopClient{}, Config{DeliveryStream: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	testutil.LoopOver(b, items, func(it T) error {
		return d.Put(ctx, it)
	})
	if err := d.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
