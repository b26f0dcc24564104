package benchmarks

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/sqsbatch"
)

// Sizes of the end-to-end runs on FakeSQS and FakeKinesis: one op sends all
// the items.
const (
	sqsItems     = 20_000
	kinesisItems = 100_000
)

// streamInFlights are the concurrencies measured on FakeSQS and FakeKinesis.
var streamInFlights = []int{4, 16}

// rawAttempts bounds how often the raw loops send an entry that failed.
const rawAttempts = 10

// BenchmarkSQS sends JSON message bodies of 150 to 300 bytes to the
// in-process FakeSQS with sqsbatch (impl=ours: every setting the default but
// MaxInFlight) and with a hand-written SendMessageBatch loop (impl=raw), at 4
// and 16 calls in flight, every message taken at once. One op sends all the
// items; every figure is reported per item (see meter.stop): cli-cpu-ns/item
// is the client's CPU time, the fake's handlers taken out.
//
// Compare the contenders with benchstat -col /impl, or with cmd/perftable.
func BenchmarkSQS(b *testing.B) {
	fake, client, queueURL := serveSQS(b)
	bodies := makeBodies(sqsItems)
	for _, n := range streamInFlights {
		for _, c := range []struct {
			name string
			run  func(context.Context, *sqs.Client, string, []string, int) error
		}{{"ours", runOursSQS}, {"raw", runRawSQS}} {
			b.Run(fmt.Sprintf("inflight=%d/impl=%s", n, c.name), func(b *testing.B) {
				runStream(b, fake, len(bodies), func(ctx context.Context) error {
					return c.run(ctx, client, queueURL, bodies, n)
				})
			})
		}
	}
}

// BenchmarkKinesis puts records of 150 to 300 bytes of JSON data, each with
// one of 1,000 partition keys, into the in-process FakeKinesis with
// kinesisbatch (impl=ours: every setting the default but MaxInFlight) and
// with a hand-written PutRecords loop (impl=raw), at 4 and 16 calls in
// flight, every record taken at once. One op puts all the records; every
// figure is reported per record, as for BenchmarkSQS.
func BenchmarkKinesis(b *testing.B) {
	fake, client := serveKinesis(b)
	records := makeRecords(kinesisItems)
	for _, n := range streamInFlights {
		for _, c := range []struct {
			name string
			run  func(context.Context, *kinesis.Client, string, []kinesisbatch.Record, int) error
		}{{"ours", runOursKinesis}, {"raw", runRawKinesis}} {
			b.Run(fmt.Sprintf("inflight=%d/impl=%s", n, c.name), func(b *testing.B) {
				runStream(b, fake, len(records), func(ctx context.Context) error {
					return c.run(ctx, client, "bench", records, n)
				})
			})
		}
	}
}

// runStream runs send, which sends items items, once per b.Loop iteration
// and reports the figures per item. A first run, not measured, warms up
// what the first contender of a process would pay for alone: the heap
// growing to its working size, the idle connections.
func runStream(b *testing.B, fake fakeServer, items int, send func(context.Context) error) {
	b.ReportAllocs()
	ctx := context.Background()
	if err := send(ctx); err != nil {
		b.Fatal(err)
	}
	var written int64
	m := startMeter(fake)
	for b.Loop() {
		if err := send(ctx); err != nil {
			b.Fatal(err)
		}
		written += int64(items)
	}
	m.stop(b, written)
}

// makeBody returns message number i: a JSON object of 150 to 300 bytes,
// an order as a service might queue it.
func makeBody(i int) string {
	var sb strings.Builder
	sb.Grow(300)
	sb.WriteString(`{"order_id":"order-`)
	sb.WriteString(strconv.Itoa(i))
	sb.WriteString(`","customer":"customer-`)
	sb.WriteString(strconv.Itoa(i % 1000))
	sb.WriteString(`","status":"created","lines":[{"sku":"sku-`)
	sb.WriteString(strconv.Itoa(i % 517))
	sb.WriteString(`","qty":`)
	sb.WriteString(strconv.Itoa(1 + i%9))
	sb.WriteString(`}],"total":`)
	sb.WriteString(strconv.FormatFloat(float64(i%100_000)/100, 'f', 2, 64))
	sb.WriteString(`,"note":"`)
	// The note brings the body to 150 to 300 bytes, evenly spread.
	pad := 150 + (i*37)%151 - sb.Len() - len(`"}`)
	sb.WriteString(strings.Repeat("n", max(pad, 0)))
	sb.WriteString(`"}`)
	return sb.String()
}

func makeBodies(n int) []string {
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = makeBody(i)
	}
	return bodies
}

// makeRecords returns n records: makeBody's data, with one of 1,000
// partition keys.
func makeRecords(n int) []kinesisbatch.Record {
	records := make([]kinesisbatch.Record, n)
	for i := range records {
		records[i] = kinesisbatch.Record{
			Data:         []byte(makeBody(i)),
			PartitionKey: "customer-" + strconv.Itoa(i%1000),
		}
	}
	return records
}

// sdkOptions are the settings every client of these benchmarks has, as
// newClient gives them to the DynamoDB client: fake static credentials,
// the standard retryer (3 attempts), and the SDK's default HTTP transport
// with more idle connections, which the returned function closes.
func sdkOptions() (aws.CredentialsProvider, *http.Client, func()) {
	tr := awshttp.NewBuildableClient().GetTransport()
	tr.MaxIdleConns = 2 * maxIdleConns
	tr.MaxIdleConnsPerHost = maxIdleConns
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "bench", SecretAccessKey: "bench", Source: "benchmarks"}, nil
	})
	return creds, &http.Client{Transport: tr}, tr.CloseIdleConnections
}

// newSQSClient returns a real SQS client for endpoint with sdkOptions.
// serveSQS starts a FakeSQS and a client of it, both stopped when b ends,
// and returns them with the URL of a queue on it.
func serveSQS(b *testing.B) (*FakeSQS, *sqs.Client, string) {
	fake := &FakeSQS{}
	srv := fake.Start()
	b.Cleanup(srv.Close)
	client, closeIdle := newSQSClient(srv.URL)
	b.Cleanup(closeIdle)
	return fake, client, srv.URL + "/000000000000/bench"
}

// serveKinesis starts a FakeKinesis and a client of it, both stopped when b
// ends.
func serveKinesis(b *testing.B) (*FakeKinesis, *kinesis.Client) {
	fake := &FakeKinesis{}
	srv := fake.Start()
	b.Cleanup(srv.Close)
	client, closeIdle := newKinesisClient(srv.URL)
	b.Cleanup(closeIdle)
	return fake, client
}

func newSQSClient(endpoint string, optFns ...func(*sqs.Options)) (*sqs.Client, func()) {
	creds, hc, closeIdle := sdkOptions()
	return sqs.New(sqs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      creds,
		HTTPClient:       hc,
		RetryMaxAttempts: 3,
	}, optFns...), closeIdle
}

// newKinesisClient returns a real Kinesis client for endpoint with
// sdkOptions.
func newKinesisClient(endpoint string, optFns ...func(*kinesis.Options)) (*kinesis.Client, func()) {
	creds, hc, closeIdle := sdkOptions()
	return kinesis.New(kinesis.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      creds,
		HTTPClient:       hc,
		RetryMaxAttempts: 3,
	}, optFns...), closeIdle
}

// runOursSQS sends bodies with an sqsbatch.Dispatcher: Send each, then
// Close. Every setting is the default but MaxInFlight.
func runOursSQS(ctx context.Context, client *sqs.Client, queueURL string, bodies []string, inFlight int) error {
	d, err := sqsbatch.New[string](client, sqsbatch.Config{
		QueueURL: queueURL,
		Batch:    batch.Config{MaxInFlight: inFlight},
	})
	if err != nil {
		return err
	}
	for _, body := range bodies {
		if err := d.Send(ctx, body); err != nil {
			_ = d.Close(ctx)
			return err
		}
	}
	if err := d.Close(ctx); err != nil {
		return err
	}
	if s := d.Stats(); s.Written != int64(len(bodies)) {
		return fmt.Errorf("ours: %d messages sent, want %d", s.Written, len(bodies))
	}
	return nil
}

// sqsEntryIDs are the ids of the entries of a raw SendMessageBatch call.
var sqsEntryIDs = func() []string {
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	return ids
}()

// runRawSQS is the hand-written loop that is the honest limit for a
// library on aws-sdk-go-v2: one goroutine cuts batches of 10 entries (ids
// "0" to "9"), which inFlight goroutines send with SendMessageBatch; the
// entries SQS answers in Failed are sent again at once, up to rawAttempts
// times. No checks: no size, character or attribute checks.
func runRawSQS(ctx context.Context, client *sqs.Client, queueURL string, bodies []string, inFlight int) error {
	entry := func(i, inBatch int) sqstypes.SendMessageBatchRequestEntry {
		return sqstypes.SendMessageBatchRequestEntry{Id: &sqsEntryIDs[inBatch], MessageBody: &bodies[i]}
	}
	return rawLoop(len(bodies), 10, inFlight, "messages", entry, func(entries []sqstypes.SendMessageBatchRequestEntry) ([]sqstypes.SendMessageBatchRequestEntry, error) {
		out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &queueURL, Entries: entries})
		if err != nil {
			return nil, err
		}
		var again []sqstypes.SendMessageBatchRequestEntry
		for _, f := range out.Failed {
			for _, e := range entries {
				if aws.ToString(e.Id) == aws.ToString(f.Id) {
					again = append(again, e)
				}
			}
		}
		return again, nil
	})
}

// rawLoop is the shape of the hand-written loops: one goroutine cuts the
// entries of n items, entry(i, place in its batch), into batches of size,
// which inFlight goroutines send with send; send returns the entries to
// send again at once, up to rawAttempts times.
func rawLoop[E any](n, size, inFlight int, noun string, entry func(i, inBatch int) E, send func([]E) ([]E, error)) error {
	batches := make(chan []E, inFlight)
	var errs firstError
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() {
			for entries := range batches {
				for attempt := 0; len(entries) > 0; attempt++ {
					if attempt == rawAttempts {
						errs.set(fmt.Errorf("raw: %d %s still failed after %d attempts", len(entries), noun, rawAttempts))
						break
					}
					again, err := send(entries)
					if err != nil {
						errs.set(err)
						break
					}
					entries = again
				}
			}
		})
	}
	entries := make([]E, 0, size)
	for i := range n {
		entries = append(entries, entry(i, len(entries)))
		if len(entries) == size {
			batches <- entries
			entries = make([]E, 0, size)
		}
	}
	if len(entries) > 0 {
		batches <- entries
	}
	close(batches)
	wg.Wait()
	return errs.get()
}

// runOursKinesis puts records with a kinesisbatch.Dispatcher: Put each, then
// Close. Every setting is the default but MaxInFlight.
func runOursKinesis(ctx context.Context, client *kinesis.Client, stream string, records []kinesisbatch.Record, inFlight int) error {
	d, err := kinesisbatch.New[kinesisbatch.Record](client, kinesisbatch.Config{
		Stream: stream,
		Batch:  batch.Config{MaxInFlight: inFlight},
	})
	if err != nil {
		return err
	}
	for _, r := range records {
		if err := d.Put(ctx, r); err != nil {
			_ = d.Close(ctx)
			return err
		}
	}
	if err := d.Close(ctx); err != nil {
		return err
	}
	if s := d.Stats(); s.Written != int64(len(records)) {
		return fmt.Errorf("ours: %d records put, want %d", s.Written, len(records))
	}
	return nil
}

// runRawKinesis is the hand-written PutRecords loop: one goroutine cuts
// batches of 500 records, which inFlight goroutines send with PutRecords;
// the records answered with an ErrorCode are sent again at once, up to
// rawAttempts times. No checks: no key or size checks.
func runRawKinesis(ctx context.Context, client *kinesis.Client, stream string, records []kinesisbatch.Record, inFlight int) error {
	entry := func(i, _ int) ktypes.PutRecordsRequestEntry {
		return ktypes.PutRecordsRequestEntry{Data: records[i].Data, PartitionKey: &records[i].PartitionKey}
	}
	return rawLoop(len(records), 500, inFlight, "records", entry, func(entries []ktypes.PutRecordsRequestEntry) ([]ktypes.PutRecordsRequestEntry, error) {
		out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &stream, Records: entries})
		if err != nil {
			return nil, err
		}
		var again []ktypes.PutRecordsRequestEntry
		for i, r := range out.Records {
			if r.ErrorCode != nil && i < len(entries) {
				again = append(again, entries[i])
			}
		}
		return again, nil
	})
}

// firstError keeps the first error of many goroutines.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (e *firstError) set(err error) {
	e.mu.Lock()
	if e.err == nil {
		e.err = err
	}
	e.mu.Unlock()
}

func (e *firstError) get() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}
