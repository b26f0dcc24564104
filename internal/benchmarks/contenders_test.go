package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v4"
	gdynamo "github.com/guregu/dynamo/v2"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
)

// A contender writes items to table through client at the given
// concurrency, and returns once all are written, or an error. drain is the
// time from the moment it had handed over its last item (the last Put) to
// the moment all were written (Close returned).
type contender struct {
	name string
	// serial contenders run at concurrency 1 only.
	serial bool
	// tinyBackOff makes the contender retry unprocessed items at once, where
	// it can be configured; see each contender.
	run runFunc
}

type runFunc func(ctx context.Context, client *dynamodb.Client, table string, items []Item, inFlight int, tinyBackOff bool) (drain time.Duration, err error)

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
func runOurs(ctx context.Context, client *dynamodb.Client, table string, items []Item, inFlight int, tiny bool) (time.Duration, error) {
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

func runOursConfig(ctx context.Context, client *dynamodb.Client, items []Item, cfg dynamo.Config) (time.Duration, error) {
	d, err := dynamo.New[Item](client, cfg)
	if err != nil {
		return 0, err
	}
	for _, it := range items {
		if err := d.Put(ctx, it); err != nil {
			_ = d.Close(ctx)
			return 0, err
		}
	}
	last := time.Now()
	if err := d.Close(ctx); err != nil {
		return 0, err
	}
	drain := time.Since(last)
	if s := d.Stats(); s.Written != int64(len(items)) {
		return 0, fmt.Errorf("ours: %d items written, want %d", s.Written, len(items))
	}
	return drain, nil
}

// runRaw is the hand-written loop that is the honest limit for a library on
// aws-sdk-go-v2: one goroutine marshals each item with
// attributevalue.MarshalMap and cuts batches of 25, which inFlight goroutines
// send with BatchWriteItem. What comes back unprocessed, and a batch refused
// with a throttling error, is sent again after the waits of one backoff per
// batch, ours' default policy (batch.DefaultBackOff: jittered exponential
// from 50 ms, ×2, up to 5 s, 10 retries), or at once when tiny
// (tinyBackOff); the goroutine waits through them, holding its batch, as a
// hand-written loop does. No other checks: no key, size or duplicate
// checks.
func runRaw(ctx context.Context, client *dynamodb.Client, table string, items []Item, inFlight int, tiny bool) (time.Duration, error) {
	return runRawStream(ctx, client, table, len(items), func(i int) Item { return items[i] }, inFlight, tiny)
}

// runRawStream is runRaw for n items made one at a time by item(i), as
// they are marshalled: for the runs that stream more items than they keep.
func runRawStream(ctx context.Context, client *dynamodb.Client, table string, n int, item func(i int) Item, inFlight int, tiny bool) (time.Duration, error) {
	newBackOff := batch.DefaultBackOff
	if tiny {
		newBackOff = tinyBackOff
	}
	batches := make(chan []types.WriteRequest, inFlight)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for range inFlight {
		wg.Go(func() {
			for wrs := range batches {
				var bo backoff.BackOff
				for len(wrs) > 0 {
					out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
						RequestItems: map[string][]types.WriteRequest{table: wrs},
					})
					switch {
					case err == nil:
						wrs = out.UnprocessedItems[table]
						if len(wrs) == 0 {
							continue
						}
					case !isThrottling(err):
						fail(err)
						wrs = nil
						continue
					}
					if bo == nil {
						bo = newBackOff()
					}
					wait := bo.NextBackOff()
					if wait == backoff.Stop {
						fail(fmt.Errorf("raw: %d items still unprocessed after the last retry", len(wrs)))
						break
					}
					if wait > 0 {
						t := time.NewTimer(wait)
						select {
						case <-t.C:
						case <-ctx.Done():
							t.Stop()
							fail(ctx.Err())
							return
						}
					}
				}
			}
		})
	}
	wrs := make([]types.WriteRequest, 0, 25)
	var err error
	for i := range n {
		var av map[string]types.AttributeValue
		if av, err = attributevalue.MarshalMap(item(i)); err != nil {
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
	last := time.Now()
	close(batches)
	wg.Wait()
	drain := time.Since(last)
	if err != nil {
		return 0, err
	}
	return drain, firstErr
}

// isThrottling reports whether err is DynamoDB saying that the table or the
// account is over its capacity: what a hand-written loop retries.
func isThrottling(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded":
		return true
	}
	return false
}

// gureguChunk is how many items go into one guregu BatchWrite.Run: one
// BatchWriteItem call each, as a program writing a stream would call it. Run
// sends a longer slice in the same calls of 25, one after the other, but
// keeps one backoff for the whole slice, whose waits only grow.
const gureguChunk = 25

// runGuregu writes with guregu/dynamo v2 at its defaults:
// Table.Batch("id").Write().Put(...).Run(ctx), serial, retrying unprocessed
// items after the waits of backoff.NewExponentialBackOff() (from 500 ms),
// which cannot be configured: tiny is ignored. A throttling error that the
// SDK's retryer still returns after its attempts fails the run: guregu does
// not retry errors itself. Its drain time is the last Run's: each Run
// returns once its items are written.
func runGuregu(ctx context.Context, client *dynamodb.Client, table string, items []Item, _ int, _ bool) (time.Duration, error) {
	t := gdynamo.NewFromIface(client).Table(table)
	chunk := make([]any, 0, gureguChunk)
	var last time.Time
	for start := 0; start < len(items); start += gureguChunk {
		last = time.Now()
		chunk = chunk[:0]
		for _, it := range items[start:min(start+gureguChunk, len(items))] {
			chunk = append(chunk, it)
		}
		wrote, err := t.Batch("id").Write().Put(chunk...).Run(ctx)
		if err != nil {
			return 0, err
		}
		if wrote != len(chunk) {
			return 0, fmt.Errorf("guregu: %d items written, want %d", wrote, len(chunk))
		}
	}
	return time.Since(last), nil
}
