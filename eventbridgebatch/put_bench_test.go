package eventbridgebatch

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/batchutils/batchutils/testutil"
)

// The benchmarks of the backend's own cost per event, with no server:
//
//	go test -run '^$' -bench . -benchmem -count 3 ./eventbridgebatch/
//
// BenchmarkEncode is the work Put adds to the core for each item (the
// detail's JSON and its checks, the names, measuring, the entry);
// BenchmarkPut is the whole of Put, the core's share and the calls to a
// client that takes everything at once included. The struct items take
// Config's Source and DetailType; the Events carry their own, and Config has
// none, as where a Dispatcher[Event] sends events of several kinds.

// nopClient takes every event at once.
type nopClient struct{}

func (nopClient) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	return &eventbridge.PutEventsOutput{Entries: make([]types.PutEventsResultEntry, len(in.Entries))}, nil
}

// benchOrder is a typical struct item, the detail of an event (about 150
// bytes of JSON).
type benchOrder struct {
	ID       string  `json:"id"`
	Customer string  `json:"customer"`
	Product  string  `json:"product"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`
	Express  bool    `json:"express"`
	Note     string  `json:"note"`
}

// benchItems returns 1<<10 orders, and the same as Events with a raw JSON
// detail, a resource and a time.
func benchItems() ([]benchOrder, []Event) {
	orders := make([]benchOrder, 1<<10)
	events := make([]Event, len(orders))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range orders {
		orders[i] = benchOrder{ID: "ord-" + strconv.Itoa(i), Customer: "customer-" + strconv.Itoa(i%97), Product: "notebook",
			Quantity: 1 + i%9, Price: float64(199+i) / 100, Express: i%4 == 0, Note: "left at the door <back>"}
		detail, err := json.Marshal(orders[i])
		if err != nil {
			panic(err)
		}
		events[i] = Event{Source: "shop.orders", DetailType: "OrderPlaced", Detail: json.RawMessage(detail),
			Resources: []string{"arn:aws:s3:::shop-" + strconv.Itoa(i%7)}, Time: at.Add(time.Duration(i) * time.Second)}
	}
	return orders, events
}

func BenchmarkEncode(b *testing.B) {
	orders, events := benchItems()
	b.Run("struct", func(b *testing.B) { benchEncode(b, orders, benchConfig) })
	b.Run("event", func(b *testing.B) { benchEncode(b, events, Config{}) })
}

// benchConfig is the Config of the struct items.
var benchConfig = Config{Source: "shop.orders", DetailType: "OrderPlaced"}

// benchEncode encodes items in turn, len(items) a power of two.
func benchEncode[T any](b *testing.B, items []T, cfg Config) {
	w := newWriter[T](nopClient{}, cfg.EventBus, cfg.Source, cfg.DetailType, 0)
	testutil.LoopOver(b, items, func(it T) error {
		_, err := w.Encode(it)
		return err
	})
}

func BenchmarkPut(b *testing.B) {
	orders, events := benchItems()
	b.Run("struct", func(b *testing.B) { benchPut(b, orders, benchConfig) })
	b.Run("event", func(b *testing.B) { benchPut(b, events, Config{}) })
}

// benchPut puts items in turn, len(items) a power of two.
func benchPut[T any](b *testing.B, items []T, cfg Config) {
	d, err := New[T](nopClient{}, cfg)
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
