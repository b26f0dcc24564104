package dynamo_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

// Through the SDK's client, a Dispatcher builds its next call while the
// last is under way, but never has more calls on the wire than MaxInFlight;
// every item is written.
func TestCallsOnTheWireAtMostMaxInFlight(t *testing.T) {
	for _, inFlight := range []int{1, 3} {
		t.Run(fmt.Sprintf("inflight=%d", inFlight), func(t *testing.T) {
			f := testutil.NewFakeDynamoDB()
			f.CreateTable("ahead", testutil.KeySchema{PartitionKey: "id"})
			h := testutil.FakeDynamoDBHandler(f)
			var now, most atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := now.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(2 * time.Millisecond) // time for a call built ahead to try its luck
				h.ServeHTTP(w, r)
				now.Add(-1)
			}))
			t.Cleanup(srv.Close)
			client := testutil.NewDynamoDBClientWith(t, srv.URL, testutil.ClientOptions{})
			d, err := dynamo.New[map[string]any](client, dynamo.Config{Table: "ahead", PartitionKey: "id",
				Batch: batch.Config{MaxInFlight: inFlight}})
			if err != nil {
				t.Fatal(err)
			}
			const items = 500
			for i := range items {
				if err := d.Put(context.Background(), map[string]any{"id": fmt.Sprint(i)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := len(f.Items("ahead")); got != items {
				t.Errorf("%d items in the table, want %d", got, items)
			}
			if got := most.Load(); got > int64(inFlight) {
				t.Errorf("%d calls on the wire at once, want at most %d", got, inFlight)
			}
		})
	}
}
