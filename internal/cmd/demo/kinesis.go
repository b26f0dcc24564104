package main

// The Kinesis part of the demo: after the DynamoDB part, when
// $BATCHUTILS_KINESIS_ENDPOINT is set (internal/kinesalite/run.sh sets it;
// `make demo` runs both servers), the same -n orders are put as JSON records
// into a new local stream of 4 shards through kinesisbatch.Dispatcher, with
// Ordered (each customer's orders in order), with its own progress line; the
// stream is read back shard by shard and deleted.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
)

const (
	// kinesisEndpointEnv names the endpoint that internal/kinesalite/run.sh
	// exports.
	kinesisEndpointEnv = "BATCHUTILS_KINESIS_ENDPOINT"
	// kinesisShards is the number of shards of the demo's stream.
	kinesisShards = 4
)

// kinesisOrder is an Order as a Kinesis record: its JSON, keyed by customer.
type kinesisOrder struct {
	Order
	Run string `json:"run"`
}

// KinesisPartitionKey keys the record by customer, so that each customer's
// orders are in one shard, in order.
func (o kinesisOrder) KinesisPartitionKey() string { return o.Customer }

// runKinesis is the Kinesis part of the program; it returns the exit status.
// It runs only against a local endpoint from $BATCHUTILS_KINESIS_ENDPOINT.
func runKinesis(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	endpoint, status := localEndpoint(opts, kinesisEndpointEnv, "kinesis", stderr)
	if endpoint == "" {
		return status
	}
	client := newKinesisClient(endpoint, opts.concurrency)
	stream := "batchutils-demo-" + randomHex(4)
	fmt.Fprintf(stderr, "demo: creating stream %s (%d shards) on %s\n", stream, kinesisShards, endpoint)
	if err := createStream(ctx, client, stream); err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return statusOf(ctx, exitFailed)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := client.DeleteStream(dctx, &kinesis.DeleteStreamInput{StreamName: aws.String(stream)}); err != nil {
			fmt.Fprintf(stderr, "demo: deleting stream %s: %v\n", stream, err)
			return
		}
		fmt.Fprintf(stderr, "demo: deleted stream %s\n", stream)
	}()

	cfg := kinesisbatch.Config{Stream: stream, Ordered: true, Batch: batch.Config{MaxInFlight: opts.concurrency}}
	if opts.verbose {
		cfg.Batch.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d, err := kinesisbatch.New[kinesisOrder](client, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitUsage
	}
	runID := "demo-" + randomHex(4)
	fmt.Fprintf(stderr, "demo: putting %s records (run %s), ordered by customer, with %d calls in flight\n",
		thousands(int64(opts.n)), runID, opts.concurrency)
	start := time.Now()
	prog := startProgress(stderr, d.Stats, opts.n, start)
	var putErr error
	for i := range opts.n {
		if putErr = ctx.Err(); putErr != nil {
			break
		}
		if putErr = d.Put(ctx, kinesisOrder{Order: newOrder(runID, i, start), Run: runID}); putErr != nil {
			break
		}
	}
	closeErr := closeWithGrace(ctx, d.Close, stderr)
	elapsed := time.Since(start)
	prog.stop()

	st := d.Stats()
	status = exitOK
	if putErr != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "demo: Put:", putErr)
		status = exitFailed
	}
	if closeErr != nil {
		fmt.Fprintln(stderr, "demo: Close:", closeErr)
		status = exitFailed
	}
	fmt.Fprintf(stdout, "stream      %s on %s (%d shards)\n", stream, endpoint, kinesisShards)
	fmt.Fprintf(stdout, "put         %s of %s records in %v: %s records/s (concurrency %d, ordered by customer)\n",
		thousands(st.Written), thousands(int64(opts.n)), elapsed.Round(time.Millisecond),
		thousands(int64(float64(st.Written)/elapsed.Seconds())), opts.concurrency)
	fmt.Fprintf(stdout, "stats       submitted %s, written %s, failed %s, rejected %s, retries %s, batches %s\n",
		thousands(st.Submitted), thousands(st.Written), thousands(st.Failed),
		thousands(st.Rejected), thousands(st.Retries), thousands(st.Batches))
	if ctx.Err() != nil {
		return exitInterrupted
	}
	count, outOfOrder, err := readBack(ctx, client, stream, runID)
	if err != nil {
		fmt.Fprintln(stderr, "demo: reading the stream back:", err)
		return statusOf(ctx, exitFailed)
	}
	fmt.Fprintf(stdout, "read back   %s records (GetRecords on %d shards), %d out of order\n", thousands(count), kinesisShards, outOfOrder)
	if count != int64(opts.n) || outOfOrder != 0 || status != exitOK {
		fmt.Fprintln(stdout, "FAIL")
		return exitFailed
	}
	fmt.Fprintln(stdout, "ok")
	return exitOK
}

func newKinesisClient(endpoint string, concurrency int) *kinesis.Client {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = concurrency + 2
	})
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "demo", SecretAccessKey: "demo", Source: "demo dummy credentials"}, nil
		}),
		HTTPClient: httpClient,
	})
}

// createStream creates a stream and waits until it is ACTIVE.
func createStream(ctx context.Context, client *kinesis.Client, stream string) error {
	_, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(stream), ShardCount: aws.Int32(kinesisShards)})
	if err != nil {
		return fmt.Errorf("creating stream %s: %w", stream, err)
	}
	waiter := kinesis.NewStreamExistsWaiter(client, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(stream)}, tableActiveTimeout); err != nil {
		return fmt.Errorf("waiting for stream %s to become ACTIVE: %w", stream, err)
	}
	return nil
}

// readBack reads every shard of stream from its start and returns the
// number of this run's records, and how many came after a later order of
// their customer.
func readBack(ctx context.Context, client *kinesis.Client, stream, runID string) (count int64, outOfOrder int, err error) {
	shards, err := client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		return 0, 0, err
	}
	last := map[string]string{} // customer -> ID of the last order read
	for _, sh := range shards.Shards {
		it, err := client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String(stream), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			return count, outOfOrder, err
		}
		for iter := it.ShardIterator; iter != nil; {
			out, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
			if err != nil {
				return count, outOfOrder, err
			}
			for _, r := range out.Records {
				var o kinesisOrder
				if json.Unmarshal(r.Data, &o) != nil || o.Run != runID {
					continue
				}
				count++
				if o.ID < last[o.Customer] { // IDs of one run sort in order
					outOfOrder++
				}
				last[o.Customer] = o.ID
			}
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	return count, outOfOrder, nil
}
