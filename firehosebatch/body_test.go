package firehosebatch

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/testutil"
)

// TestPutRecordBatchBodyIsTheSDKs sends PutRecordBatch inputs through a
// real client twice, with the SDK's serializer and with putRecordBatchBody,
// and wants the same request on the wire: the same body, byte for byte,
// and the same method, path and protocol headers.
func TestPutRecordBatchBodyIsTheSDKs(t *testing.T) {
	inputs := map[string]*firehose.PutRecordBatchInput{
		"no records":   {DeliveryStreamName: aws.String("s"), Records: []types.Record{}},
		"empty data":   {DeliveryStreamName: aws.String("s"), Records: []types.Record{{Data: []byte{}}}},
		"odd name":     {DeliveryStreamName: aws.String("q\"\\\t\x01\u2028é\xff"), Records: []types.Record{{Data: []byte("x")}}},
		"binary data":  {DeliveryStreamName: aws.String("s"), Records: []types.Record{{Data: []byte{0, 0xff, '"', '\n'}}, {Data: []byte("ab")}, {Data: []byte("abc")}}},
		"large record": {DeliveryStreamName: aws.String("s"), Records: []types.Record{{Data: []byte(strings.Repeat("d", 1000_000))}}},
	}
	r := rand.New(rand.NewPCG(testutil.Seed(t), 0))
	for n := range 10 {
		in := &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("stream")}
		for range r.IntN(500) + 1 {
			data := make([]byte, r.IntN(300))
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			in.Records = append(in.Records, types.Record{Data: data})
		}
		inputs["random "+string(rune('a'+n))] = in
	}
	capture := &testutil.CaptureHTTP{Answer: `{"FailedPutCount":0,"RequestResponses":[]}`}
	client := firehose.New(firehose.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: testutil.CaptureCredentials, HTTPClient: capture})
	fastOpt := func(o *firehose.Options) { o.Protocol = awscall.FastBody(o.Protocol, putRecordBatchBody) }
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			testutil.SameOnTheWire(t, capture, func(fast bool) error {
				var opts []func(*firehose.Options)
				if fast {
					opts = append(opts, fastOpt)
				}
				_, err := client.PutRecordBatch(context.Background(), in, opts...)
				return err
			})
		})
	}
}
