package testutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSEndpointEnv is the environment variable that holds the URL of the
// SQS-compatible server integration tests run against. internal/moto/run.sh
// (used by `make test`) starts a local moto_server and sets it; set it
// yourself to use a server of your own, which must listen on a loopback
// address.
const SQSEndpointEnv = "BATCHUTILS_SQS_ENDPOINT"

// sqsEndpointHint says how to get a server when SQSEndpointEnv is not set.
const sqsEndpointHint = SQSEndpointEnv + " is not set: run the tests with `make test`, " +
	"which starts a local SQS-compatible server (moto_server) and sets it"

// SQSEndpoint returns the URL of the local SQS-compatible server from
// $BATCHUTILS_SQS_ENDPOINT, or else from $BATCHUTILS_MOTO_ENDPOINT. When it is not set, the test is skipped, or fails
// when $CI is set: integration tests must run in CI.
func SQSEndpoint(t testing.TB) string {
	t.Helper()
	if os.Getenv(SQSEndpointEnv) == "" {
		return MotoEndpoint(t)
	}
	return endpointFrom(t, SQSEndpointEnv, sqsEndpointHint)
}

// NewSQSClient returns a real SQS client for endpoint (usually the one
// SQSEndpoint returns, or a FaultProxy's URL) with fake credentials, in
// region us-east-1, tuned by opts as NewDynamoDBClientWith tunes its client
// (the zero ClientOptions gives 30-second timeouts and the SDK's retries).
// The SDK's client-side retry quota is off. The test fails at once if
// endpoint is not an http or https URL whose host is a loopback address: no
// test may touch real AWS. Idle connections are closed when the test ends.
func NewSQSClient(t testing.TB, endpoint string, opts ClientOptions) *sqs.Client {
	t.Helper()
	p := newSDKParts(t, "SQS", endpoint, opts, 64)
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  p.credentials,
		HTTPClient:   p.httpClient,
		Retryer:      p.retryer,
	})
}

// QueueOptions say what kind of queue CreateQueue makes.
type QueueOptions struct {
	// FIFO makes a FIFO queue; its name ends in ".fifo".
	FIFO bool
	// ContentBasedDeduplication turns content-based deduplication on (FIFO
	// only).
	ContentBasedDeduplication bool
	// Attributes are further queue attributes, such as MaximumMessageSize.
	Attributes map[string]string
}

// CreateQueue creates a queue with a unique name derived from the test's
// name and returns its URL. The queue is deleted when the test ends, unless
// the test deleted it itself.
func CreateQueue(t testing.TB, client *sqs.Client, opts QueueOptions) string {
	t.Helper()
	name := queueName(t, opts.FIFO)
	attrs := map[string]string{}
	for k, v := range opts.Attributes {
		attrs[k] = v
	}
	if opts.FIFO {
		attrs[string(types.QueueAttributeNameFifoQueue)] = "true"
		if opts.ContentBasedDeduplication {
			attrs[string(types.QueueAttributeNameContentBasedDeduplication)] = "true"
		}
	}
	out, err := client.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("testutil.CreateQueue %s: %v", name, err)
	}
	url := aws.ToString(out.QueueUrl)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), tableDeleteTimeout)
		defer cancel()
		_, err := client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
		var gone *types.QueueDoesNotExist
		if err != nil && !errors.As(err, &gone) {
			t.Errorf("testutil: deleting queue %s: %v", url, err)
		}
	})
	return url
}

// queueName returns a queue name unique to this call: the end of the test's
// name, made of the characters SQS allows, and a random suffix, at most 80
// characters with ".fifo" for a FIFO queue.
func queueName(t testing.TB, fifo bool) string {
	t.Helper()
	clean := strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '_', r == '-':
			return r
		}
		return '-'
	}, t.Name())
	if len(clean) > 50 {
		clean = clean[len(clean)-50:]
	}
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatalf("testutil: random queue name: %v", err)
	}
	name := clean + "-" + hex.EncodeToString(suffix[:])
	if fifo {
		name += ".fifo"
	}
	return name
}

// ReceiveMessages receives and deletes up to n messages from the queue at
// url, with every attribute, in the order SQS hands them out, polling until n
// have come, ctx ends, or idle passes without a new one. It returns what it
// got, and the first error. Unlike the other helpers it takes no testing.TB,
// so that a test can receive from several goroutines while it sends.
func ReceiveMessages(ctx context.Context, client *sqs.Client, url string, n int, idle time.Duration) ([]types.Message, error) {
	var got []types.Message
	last := time.Now()
	for len(got) < n && time.Since(last) < idle {
		msgs, err := receiveOnce(ctx, client, url, 1)
		got = append(got, msgs...)
		if err != nil {
			return got, err
		}
		if len(msgs) > 0 {
			last = time.Now()
		}
	}
	return got, nil
}

// DrainQueue receives and deletes the messages of the queue at url, as
// ReceiveMessages does, without waiting: until a receive finds none, at most
// a thousand receives. It reads what was sent before it is called, repeats
// included, once the sender is done.
func DrainQueue(ctx context.Context, client *sqs.Client, url string) ([]types.Message, error) {
	var got []types.Message
	for range 1000 {
		msgs, err := receiveOnce(ctx, client, url, 0)
		got = append(got, msgs...)
		if err != nil || len(msgs) == 0 {
			return got, err
		}
	}
	return got, nil
}

// receiveOnce receives up to 10 messages, waiting up to wait seconds for
// one, and deletes them (a FIFO queue holds back the rest of a group while
// one of its messages is in flight).
func receiveOnce(ctx context.Context, client *sqs.Client, url string, wait int32) ([]types.Message, error) {
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MaxNumberOfMessages:         10,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		WaitTimeSeconds:             wait,
		VisibilityTimeout:           600,
	})
	if err != nil {
		return nil, fmt.Errorf("testutil: receiving from %s: %w", url, err)
	}
	if len(out.Messages) == 0 {
		return nil, nil
	}
	del := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
	for i, m := range out.Messages {
		del[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
	}
	res, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
	if err != nil {
		return out.Messages, fmt.Errorf("testutil: deleting from %s: %w", url, err)
	}
	if len(res.Failed) > 0 {
		return out.Messages, fmt.Errorf("testutil: deleting from %s: %d failed, first %s", url, len(res.Failed), aws.ToString(res.Failed[0].Message))
	}
	return out.Messages, nil
}
