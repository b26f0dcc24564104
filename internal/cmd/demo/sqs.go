package main

// The SQS section of the demo: after the table, -sqs-n messages go to a
// local queue through sqsbatch.Dispatcher, with their own progress line, and
// are received back (while they are sent) and counted.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/sqsbatch"
)

// sqsEndpointEnv names the endpoint that internal/moto/run.sh exports: a
// moto_server's.
const sqsEndpointEnv = "BATCHUTILS_MOTO_ENDPOINT"

// Event is the message the demo sends: a typed struct, sent as a JSON body.
type Event struct {
	ID       string    `json:"id"`
	Customer string    `json:"customer"`
	Product  string    `json:"product"`
	At       time.Time `json:"at"`
}

// runSQS sends opts.sqsN messages to a new queue on the local SQS-compatible
// server, receives them meanwhile, prints the outcome like the table's, and
// deletes the queue. It does nothing with -sqs-n 0; see localEndpoint for
// when it is skipped.
func runSQS(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	if opts.sqsN <= 0 {
		return exitOK
	}
	endpoint, status := localEndpoint(opts, sqsEndpointEnv, "sqs", stderr)
	if endpoint == "" {
		return status
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = opts.concurrency + 2
	})
	client := sqs.New(sqs.Options{
		Region:       opts.region,
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "demo", SecretAccessKey: "demo", Source: "demo dummy credentials"}, nil
		}),
		HTTPClient: httpClient,
	})
	name := "batchutils-demo-" + randomHex(4)
	created, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		fmt.Fprintln(stderr, "demo: creating the queue:", err)
		return statusOf(ctx, exitFailed)
	}
	url := aws.ToString(created.QueueUrl)
	fmt.Fprintf(stderr, "demo: created queue %s on %s\n", name, endpoint)
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := client.DeleteQueue(cctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
			fmt.Fprintf(stderr, "demo: deleting queue %s: %v\n", name, err)
			return
		}
		fmt.Fprintf(stderr, "demo: deleted queue %s\n", name)
	}()

	cfg := sqsbatch.Config{QueueURL: url, Batch: batch.Config{MaxInFlight: opts.concurrency}}
	if opts.verbose {
		cfg.Batch.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d, err := sqsbatch.New[Event](client, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "demo: sending %s messages with %d calls in flight, receiving them meanwhile\n", thousands(int64(opts.sqsN)), opts.concurrency)
	// A local moto_server's cost per message grows with the messages a
	// queue holds: they are received and deleted while they are sent.
	rctx, stopReceiving := context.WithCancel(ctx)
	defer stopReceiving()
	receivedc := make(chan map[string]bool, 1)
	go func() { receivedc <- receiveAll(rctx, client, url, opts.sqsN) }()
	start := time.Now()
	prog := startProgressOf(stderr, "sent", "messages", d.Stats, opts.sqsN, start)
	var sendErr error
	for i := 0; i < opts.sqsN && sendErr == nil; i++ {
		sendErr = d.Send(ctx, Event{
			ID:       strconv.Itoa(i),
			Customer: "customer-" + strconv.Itoa(i%1000),
			Product:  products[i%len(products)],
			At:       start.Add(time.Duration(i) * time.Millisecond).UTC(),
		})
	}
	closeErr := closeWithGrace(ctx, d.Close, stderr)
	elapsed := time.Since(start)
	prog.stop()

	st := d.Stats()
	status = exitOK
	if sendErr != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "demo: Send:", sendErr)
		status = exitFailed
	}
	if closeErr != nil {
		var fe *batch.FailedError[Event]
		if errors.As(closeErr, &fe) {
			fmt.Fprintf(stderr, "demo: %d messages not sent; first: %v\n", len(fe.Failures), fe.Failures[0].Err)
		} else {
			fmt.Fprintln(stderr, "demo: Close:", closeErr)
		}
		status = exitFailed
	}
	fmt.Fprintf(stdout, "queue       %s on %s\n", name, endpoint)
	fmt.Fprintf(stdout, "sent        %s of %s messages in %v: %s messages/s (concurrency %d)\n",
		thousands(st.Written), thousands(int64(opts.sqsN)), elapsed.Round(time.Millisecond),
		thousands(int64(float64(st.Written)/elapsed.Seconds())), opts.concurrency)
	fmt.Fprintf(stdout, "stats       submitted %s, written %s, failed %s, rejected %s, retries %s, batches %s\n",
		thousands(st.Submitted), thousands(st.Written), thousands(st.Failed),
		thousands(st.Rejected), thousands(st.Retries), thousands(st.Batches))
	if ctx.Err() != nil {
		return exitInterrupted
	}
	// Whatever is still on its way to the receiver gets receiveIdle.
	received := <-receivedc
	if ctx.Err() != nil {
		return exitInterrupted
	}
	fmt.Fprintf(stdout, "received    %s distinct messages (ReceiveMessage, DeleteMessageBatch)\n", thousands(int64(len(received))))
	if len(received) != opts.sqsN {
		fmt.Fprintf(stdout, "FAIL: received %s of this run's messages, want %s\n", thousands(int64(len(received))), thousands(int64(opts.sqsN)))
		return exitFailed
	}
	if status != exitOK {
		fmt.Fprintln(stdout, "FAIL")
		return status
	}
	fmt.Fprintln(stdout, "ok")
	return exitOK
}

// receiveIdle is how long receiveAll waits for a message before it gives up.
const receiveIdle = 10 * time.Second

// receiveAll receives and deletes messages from the queue at url until it
// has n distinct ones, ctx ends, or none comes for receiveIdle; it returns
// the bodies it got.
func receiveAll(ctx context.Context, client *sqs.Client, url string, n int) map[string]bool {
	got := make(map[string]bool, n)
	last := time.Now()
	for len(got) < n && ctx.Err() == nil && time.Since(last) < receiveIdle {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil || len(out.Messages) == 0 {
			continue
		}
		last = time.Now()
		del := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
		for i, m := range out.Messages {
			got[aws.ToString(m.Body)] = true
			del[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
	}
	return got
}
