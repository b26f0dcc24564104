package benchmarks

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cenkalti/backoff/v4"
	gdynamo "github.com/guregu/dynamo/v2"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
)

// A contender writes items to table through client at the given
// concurrency, and returns once all are written, or an error.
type contender struct {
	name string
	// serial contenders run at concurrency 1 only.
	serial bool
	// tinyBackOff makes the contender retry unprocessed items at once, where
	// it can be configured; see each contender.
	run func(ctx context.Context, client *dynamodb.Client, table string, items []Item, inFlight int, tinyBackOff bool) error
}

var contenders = []contender{
	{name: "ours", run: runOurs},
	{name: "raw", run: runRaw},
	{name: "guregu", serial: true, run: runGuregu},
}

// tinyBackOff retries at once, ten times at most: for the benchmarks with
// unprocessed items, so that waiting does not hide the cost of a retry.
func tinyBackOff() backoff.BackOff {
	return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, 10)
}

// runOurs writes with a dynamo.Dispatcher: Put each item, then Close. Every
// setting is the default but MaxInFlight (and BackOff when tiny).
func runOurs(ctx context.Context, client *dynamodb.Client, table string, items []Item, inFlight int, tiny bool) error {
	cfg := dynamo.Config{
		Table:        table,
		PartitionKey: "id",
		Batch:        batch.Config{MaxInFlight: inFlight},
	}
	if tiny {
		cfg.Batch.BackOff = tinyBackOff
	}
	return runOursConfig(ctx, client, items, cfg)
}

func runOursConfig(ctx context.Context, client *dynamodb.Client, items []Item, cfg dynamo.Config) error {
	d, err := dynamo.New[Item](client, cfg)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := d.Put(ctx, it); err != nil {
			_ = d.Close(ctx)
			return err
		}
	}
	if err := d.Close(ctx); err != nil {
		return err
	}
	if s := d.Stats(); s.Written != int64(len(items)) {
		return fmt.Errorf("ours: %d items written, want %d", s.Written, len(items))
	}
	return nil
}

// runRaw is the hand-written loop that is the honest limit for a library on
// aws-sdk-go-v2: one goroutine marshals each item with
// attributevalue.MarshalMap and cuts batches of 25, which inFlight goroutines
// send with BatchWriteItem, sending what comes back unprocessed again at once.
// No checks at all: no key, size or duplicate checks, no bound on retries.
func runRaw(ctx context.Context, client *dynamodb.Client, table string, items []Item, inFlight int, _ bool) error {
	batches := make(chan []types.WriteRequest, inFlight)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range inFlight {
		wg.Go(func() {
			for wrs := range batches {
				for len(wrs) > 0 {
					out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
						RequestItems: map[string][]types.WriteRequest{table: wrs},
					})
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						break
					}
					wrs = out.UnprocessedItems[table]
				}
			}
		})
	}
	wrs := make([]types.WriteRequest, 0, 25)
	var err error
	for _, it := range items {
		var av map[string]types.AttributeValue
		if av, err = attributevalue.MarshalMap(it); err != nil {
			break
		}
		wrs = append(wrs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		if len(wrs) == 25 {
			batches <- wrs
			wrs = make([]types.WriteRequest, 0, 25)
		}
	}
	if len(wrs) > 0 && err == nil {
		batches <- wrs
	}
	close(batches)
	wg.Wait()
	if err != nil {
		return err
	}
	return firstErr
}

// gureguChunk is how many items go into one guregu BatchWrite.Run: one
// BatchWriteItem call each, as a program writing a stream would call it. Run
// sends a longer slice in the same calls of 25, one after the other, but
// keeps one backoff for the whole slice, whose waits only grow.
const gureguChunk = 25

// runGuregu writes with guregu/dynamo v2 at its defaults:
// Table.Batch("id").Write().Put(...).Run(ctx), serial, retrying unprocessed
// items after the waits of backoff.NewExponentialBackOff() (from 500 ms),
// which cannot be configured: tiny is ignored.
func runGuregu(ctx context.Context, client *dynamodb.Client, table string, items []Item, _ int, _ bool) error {
	t := gdynamo.NewFromIface(client).Table(table)
	chunk := make([]any, 0, gureguChunk)
	for start := 0; start < len(items); start += gureguChunk {
		chunk = chunk[:0]
		for _, it := range items[start:min(start+gureguChunk, len(items))] {
			chunk = append(chunk, it)
		}
		wrote, err := t.Batch("id").Write().Put(chunk...).Run(ctx)
		if err != nil {
			return err
		}
		if wrote != len(chunk) {
			return fmt.Errorf("guregu: %d items written, want %d", wrote, len(chunk))
		}
	}
	return nil
}
