package firehosebatch

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/testutil"
)

// TestPutRecordBatchAnswerIsTheSDKs reads PutRecordBatch answers through a
// real client twice, with the SDK's deserializer and with
// putRecordBatchAnswer, and wants the same output, or an error from both.
// What putRecordBatchAnswer does not read (a null, which Firehose does not
// send, or bad JSON) goes to the SDK: it must read everything else itself.
func TestPutRecordBatchAnswerIsTheSDKs(t *testing.T) {
	answers := map[string]struct {
		body     string
		fallBack bool
	}{
		"empty object":    {body: `{}`},
		"all members":     {body: `{"Encrypted":true,"FailedPutCount":1,"RequestResponses":[{"RecordId":"r1"},{"ErrorCode":"ServiceUnavailableException","ErrorMessage":"Slow down."}]}`},
		"not encrypted":   {body: ` { "Encrypted" : false , "RequestResponses" : [ ] } `},
		"unknown members": {body: `{"Future":[null,{"a":1e5}],"RequestResponses":[{"RecordId":"r","Other":true}]}`},
		"escapes":         {body: `{"RequestResponses":[{"ErrorMessage":"\"\\\u00e9\ud834\udd1e"}]}`},
		"null member":     {body: `{"Encrypted":null}`, fallBack: true},
		"null result":     {body: `{"RequestResponses":[null]}`, fallBack: true},
		"garbled":         {body: `{"RequestResponses":[`, fallBack: true},
	}
	r := rand.New(rand.NewPCG(testutil.Seed(t), 0))
	for n := range 10 {
		var resps []map[string]string
		for range r.IntN(500) + 1 {
			if r.IntN(5) == 0 {
				resps = append(resps, map[string]string{"ErrorCode": "InternalFailure", "ErrorMessage": fmt.Sprint("message \"", r.Uint64())})
				continue
			}
			resps = append(resps, map[string]string{"RecordId": fmt.Sprint(r.Uint64())})
		}
		b, err := json.Marshal(map[string]any{"FailedPutCount": r.IntN(100), "RequestResponses": resps, "Encrypted": r.IntN(2) == 0})
		if err != nil {
			t.Fatal(err)
		}
		answers[fmt.Sprintf("random %d", n)] = struct {
			body     string
			fallBack bool
		}{body: string(b)}
	}
	in := &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("s"), Records: []types.Record{{Data: []byte("x")}}}
	fastOpt := func(o *firehose.Options) { o.Protocol = awscall.FastAnswer(o.Protocol, putRecordBatchAnswer) }
	ignore := []cmp.Option{cmpopts.IgnoreUnexported(firehose.PutRecordBatchOutput{}, types.PutRecordBatchResponseEntry{}),
		cmpopts.IgnoreFields(firehose.PutRecordBatchOutput{}, "ResultMetadata")}
	for name, a := range answers {
		t.Run(name, func(t *testing.T) {
			if got := putRecordBatchAnswer([]byte(a.body), new(firehose.PutRecordBatchOutput)); got == a.fallBack {
				t.Errorf("putRecordBatchAnswer read it: %t, want %t", got, !a.fallBack)
			}
			testutil.SameAnswer(t, a.body, func(c *testutil.CaptureHTTP, fast bool) (any, error) {
				client := firehose.New(firehose.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
					Credentials: testutil.CaptureCredentials, HTTPClient: c, RetryMaxAttempts: 1})
				var opts []func(*firehose.Options)
				if fast {
					opts = append(opts, fastOpt)
				}
				return client.PutRecordBatch(context.Background(), in, opts...)
			}, ignore...)
		})
	}
}
