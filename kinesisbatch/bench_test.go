package kinesisbatch_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
)

// Each iteration of the benchmarks puts benchRecords records of 100 bytes,
// keyed by 1,000 users, and waits until they are written.
const (
	benchRecords = 5_000
	benchUsers   = 1_000
)

var benchData = make([]byte, 100)

func benchRecord(i int) kinesisbatch.Record {
	return kinesisbatch.Record{Data: benchData, PartitionKey: "user-" + strconv.Itoa(i%benchUsers)}
}

// BenchmarkKinesalite puts records into a local kinesalite stream of 4
// shards: impl=raw is a hand-written loop of PutRecords calls of 500 records,
// one at a time, sending failed records again (the baseline); impl=ours is a
// Dispatcher with its defaults; impl=ours-ordered the same with Ordered.
// Skipped without $BATCHUTILS_KINESIS_ENDPOINT.
//
//	internal/kinesalite/run.sh go test -run '^$' -bench Kinesalite -benchtime 5x -count 6 ./kinesisbatch/
func BenchmarkKinesalite(b *testing.B) {
	client := testutil.NewKinesisClient(b, testutil.KinesisEndpoint(b), testutil.ClientOptions{})
	stream := testutil.CreateStream(b, client, 4)
	raw := func(ctx context.Context, b *testing.B) {
		entries := make([]types.PutRecordsRequestEntry, 0, kinesisbatch.MaxBatchItems)
		for i := range benchRecords {
			r := benchRecord(i)
			entries = append(entries, types.PutRecordsRequestEntry{Data: r.Data, PartitionKey: aws.String(r.PartitionKey)})
			if len(entries) == cap(entries) || i == benchRecords-1 {
				rawPut(ctx, b, client, stream, entries)
				entries = entries[:0]
			}
		}
	}
	raw(context.Background(), b) // warms kinesalite up (its JIT), untimed
	b.Run("impl=raw", func(b *testing.B) {
		run(b, func(ctx context.Context) { raw(ctx, b) })
	})
	for _, ordered := range []bool{false, true} {
		name := "impl=ours"
		if ordered {
			name = "impl=ours-ordered"
		}
		b.Run(name, func(b *testing.B) {
			d, err := kinesisbatch.New[kinesisbatch.Record](client, kinesisbatch.Config{Stream: stream, Ordered: ordered})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close(context.Background())
			run(b, func(ctx context.Context) {
				for i := range benchRecords {
					if err := d.Put(ctx, benchRecord(i)); err != nil {
						b.Fatal(err)
					}
				}
				if err := d.Flush(ctx); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// rawPut puts entries with PutRecords, sending the failed ones again until
// none is left, as a hand-written loop does.
func rawPut(ctx context.Context, b *testing.B, client *kinesis.Client, stream string, entries []types.PutRecordsRequestEntry) {
	for len(entries) > 0 {
		out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
		if err != nil {
			b.Fatal(err)
		}
		var again []types.PutRecordsRequestEntry
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				again = append(again, entries[i])
			}
		}
		entries = again
	}
}

// run times put, which puts benchRecords records, and reports records/s.
func run(b *testing.B, put func(ctx context.Context)) {
	b.ReportAllocs()
	ctx := context.Background()
	start := time.Now()
	for b.Loop() {
		put(ctx)
	}
	b.ReportMetric(float64(b.N*benchRecords)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkPut measures the dispatcher's own cost per record, against the
// in-memory fake: encoding, checking, batching and mapping the answer.
func BenchmarkPut(b *testing.B) {
	for _, tc := range []struct {
		name    string
		ordered bool
	}{{"unordered", false}, {"ordered", true}} {
		b.Run(tc.name, func(b *testing.B) {
			d, err := kinesisbatch.New[kinesisbatch.Record](&discardKinesis{}, kinesisbatch.Config{Stream: "s", Ordered: tc.ordered,
				Batch: batch.Config{MaxBuffered: 100_000}})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close(context.Background())
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := d.Put(ctx, benchRecord(i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if err := d.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// discardKinesis takes every record and keeps none.
type discardKinesis struct{}

func (discardKinesis) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	return &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}, nil
}
