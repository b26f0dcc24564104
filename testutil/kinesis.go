package testutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// KinesisEndpointEnv is the environment variable that holds the URL of the
// Kinesis-compatible server integration tests run against.
// internal/kinesalite/run.sh (used by `make test`) starts a local server and
// sets it; set it yourself to use a server of your own, which must listen on a
// loopback address.
const KinesisEndpointEnv = "BATCHUTILS_KINESIS_ENDPOINT"

const kinesisEndpointHint = KinesisEndpointEnv + " is not set: run the tests with `make test`, " +
	"which starts a local Kinesis-compatible server (kinesalite) and sets it"

// KinesisEndpoint returns the URL of the local Kinesis-compatible server from
// $BATCHUTILS_KINESIS_ENDPOINT. When it is not set, the test is skipped, or
// fails when $CI is set: integration tests must run in CI.
func KinesisEndpoint(t testing.TB) string {
	t.Helper()
	return endpointFrom(t, KinesisEndpointEnv, kinesisEndpointHint)
}

// NewKinesisClient returns a real Kinesis client that talks to endpoint
// (usually the one KinesisEndpoint returns) with fake credentials, in region
// us-east-1, tuned by opts as NewDynamoDBClientWith is (the zero value: 30
// second timeouts, the SDK's retries). The test fails at once if endpoint is
// not a loopback URL: no test may touch real AWS. Idle connections are closed
// when the test ends.
func NewKinesisClient(t testing.TB, endpoint string, opts ClientOptions) *kinesis.Client {
	t.Helper()
	p := newSDKParts(t, "Kinesis", endpoint, opts, 64)
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  p.credentials,
		HTTPClient:   p.httpClient,
		Retryer:      p.retryer,
	})
}

// Bounds of CreateStream's wait for ACTIVE and of the deletion at the end of
// the test.
const (
	streamActiveTimeout = 2 * time.Minute
	streamDeleteTimeout = 30 * time.Second
)

// CreateStream creates a provisioned stream of shards shards with a unique
// name derived from the test's name, waits until it is ACTIVE (CreateStream
// is asynchronous), and returns its name. The stream is deleted when the test
// ends.
func CreateStream(t testing.TB, client *kinesis.Client, shards int) string {
	t.Helper()
	name := streamName(t)
	ctx := t.Context()
	_, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String(name),
		ShardCount: aws.Int32(int32(shards)),
	})
	if err != nil {
		t.Fatalf("testutil.CreateStream %s: %v", name, err)
	}
	t.Cleanup(func() { deleteStream(t, client, name) })
	waiter := kinesis.NewStreamExistsWaiter(client, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay = 10 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, streamActiveTimeout); err != nil {
		t.Fatalf("testutil.CreateStream %s: waiting for ACTIVE: %v", name, err)
	}
	return name
}

func deleteStream(t testing.TB, client *kinesis.Client, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), streamDeleteTimeout)
	defer cancel()
	_, err := client.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(name)})
	var notFound *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &notFound) {
		t.Errorf("testutil: deleting stream %s: %v", name, err)
	}
}

// streamName returns a stream name unique to this call: the test's name, in
// the characters Kinesis allows, cut to fit 128, and a random suffix.
func streamName(t testing.TB) string {
	t.Helper()
	clean := strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '_', r == '-', r == '.':
			return r
		}
		return '-'
	}, t.Name())
	if len(clean) > 100 {
		clean = clean[:100]
	}
	var suffix [6]byte
	rand.Read(suffix[:])
	return clean + "-" + hex.EncodeToString(suffix[:])
}

// StreamRecord is a record read back from a stream.
type StreamRecord struct {
	Shard          string
	SequenceNumber string
	PartitionKey   string
	Data           string
}

// ReadStream reads every record of every shard of stream, from the oldest
// (TRIM_HORIZON) until a read finds no more, and returns them shard by shard
// in sequence order (the order Kinesis gives them). It fails the test on any
// error. Call it once the writes are done.
func ReadStream(t testing.TB, client *kinesis.Client, stream string) []StreamRecord {
	t.Helper()
	ctx := t.Context()
	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(stream)}
	for {
		out, err := client.ListShards(ctx, in)
		if err != nil {
			t.Fatalf("testutil.ReadStream %s: ListShards: %v", stream, err)
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	var recs []StreamRecord
	for _, sh := range shards {
		it, err := client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName:        aws.String(stream),
			ShardId:           sh.ShardId,
			ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			t.Fatalf("testutil.ReadStream %s: GetShardIterator %s: %v", stream, aws.ToString(sh.ShardId), err)
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
			if err != nil {
				t.Fatalf("testutil.ReadStream %s: GetRecords %s: %v", stream, aws.ToString(sh.ShardId), err)
			}
			for _, r := range out.Records {
				recs = append(recs, StreamRecord{
					Shard:          aws.ToString(sh.ShardId),
					SequenceNumber: aws.ToString(r.SequenceNumber),
					PartitionKey:   aws.ToString(r.PartitionKey),
					Data:           string(r.Data),
				})
			}
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	return recs
}

// String is for test logs.
func (r StreamRecord) String() string {
	return fmt.Sprintf("%s/%s key %q data %q", r.Shard, r.SequenceNumber, r.PartitionKey, r.Data)
}
