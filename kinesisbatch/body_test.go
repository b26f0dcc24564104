package kinesisbatch

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/testutil"
)

// TestPutRecordsBodyIsTheSDKs sends PutRecords inputs through a real client
// twice, with the SDK's serializer and with putRecordsBody, and wants the
// same request on the wire: the same body, byte for byte, and the same
// method, path and protocol headers.
func TestPutRecordsBodyIsTheSDKs(t *testing.T) {
	odd := []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rret", "\x00\x01\x1f\x7f", "ünïcödé ☃ 𝄞",
		"\u2028\u2029", "bad \xff\xfe utf-8", "<html>&amp;</html>", strings.Repeat("k", 256)}
	inputs := map[string]*kinesis.PutRecordsInput{
		"no records": {Records: []types.PutRecordsRequestEntry{}, StreamName: aws.String("s")},
		"everything": {DryRun: aws.Bool(false), StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/s"),
			StreamId: aws.String("id"), StreamName: aws.String("s"),
			Records: []types.PutRecordsRequestEntry{{Data: []byte("x"), PartitionKey: aws.String("k"), ExplicitHashKey: aws.String("42")}}},
		"dry run": {DryRun: aws.Bool(true), StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{{Data: []byte{}, PartitionKey: aws.String("k")}}},
		"no key":  {StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{{Data: []byte{0}}}},
	}
	var oddRecords []types.PutRecordsRequestEntry
	for _, s := range odd {
		oddRecords = append(oddRecords, types.PutRecordsRequestEntry{Data: []byte(s), PartitionKey: aws.String(s), ExplicitHashKey: aws.String(s)})
	}
	inputs["odd strings"] = &kinesis.PutRecordsInput{Records: oddRecords, StreamName: aws.String(strings.Join(odd, "|"))}
	r := rand.New(rand.NewPCG(testutil.Seed(t), 0))
	for n := range 20 {
		in := &kinesis.PutRecordsInput{StreamName: aws.String("stream")}
		for range r.IntN(500) + 1 {
			data := make([]byte, r.IntN(300))
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			e := types.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(odd[r.IntN(len(odd))] + RandomPartitionKey())}
			if r.IntN(4) == 0 {
				e.ExplicitHashKey = aws.String(odd[r.IntN(len(odd))])
			}
			in.Records = append(in.Records, e)
		}
		inputs["random "+string(rune('a'+n))] = in
	}
	capture := &testutil.CaptureHTTP{Answer: `{"FailedRecordCount":0,"Records":[]}`}
	client := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: testutil.CaptureCredentials, HTTPClient: capture})
	fastOpt := func(o *kinesis.Options) { o.Protocol = awscall.FastBody(o.Protocol, putRecordsBody) }
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			testutil.SameOnTheWire(t, capture, func(fast bool) error {
				var opts []func(*kinesis.Options)
				if fast {
					opts = append(opts, fastOpt)
				}
				_, err := client.PutRecords(context.Background(), in, opts...)
				return err
			})
		})
	}
}

// BenchmarkPutRecordsBody compares the body of a call of 500 records of 250
// bytes as the SDK writes it and as putRecordsBody does.
func BenchmarkPutRecordsBody(b *testing.B) {
	in := &kinesis.PutRecordsInput{StreamName: aws.String("stream")}
	for i := range 500 {
		in.Records = append(in.Records, types.PutRecordsRequestEntry{Data: []byte(strings.Repeat("d", 250)), PartitionKey: aws.String("customer-" + string(rune('a'+i%26)))})
	}
	capture := &testutil.CaptureHTTP{Answer: `{"FailedRecordCount":0,"Records":[]}`}
	client := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: testutil.CaptureCredentials, HTTPClient: capture})
	for _, c := range []struct {
		name string
		opts []func(*kinesis.Options)
	}{{"sdk", nil}, {"ours", []func(*kinesis.Options){func(o *kinesis.Options) { o.Protocol = awscall.FastBody(o.Protocol, putRecordsBody) }}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.PutRecords(context.Background(), in, c.opts...); err != nil {
					b.Fatal(err)
				}
				capture.Requests()
			}
		})
	}
}
