package sqsbatch

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/testutil"
)

// TestSendMessageBatchAnswerIsTheSDKs reads SendMessageBatch answers
// through a real client twice, with the SDK's deserializer and with
// sendMessageBatchAnswer, and wants the same output, or an error from both.
// What sendMessageBatchAnswer does not read (a null, which SQS does not
// send, or bad JSON) goes to the SDK: it must read everything else itself.
// The clients do not check MD5s: the answers are made up.
func TestSendMessageBatchAnswerIsTheSDKs(t *testing.T) {
	type answer struct {
		body     string
		fallBack bool
	}
	answers := map[string]answer{
		"empty object": {body: `{}`},
		"all members": {body: `{"Successful":[{"Id":"0","MessageId":"m","MD5OfMessageBody":"b","MD5OfMessageAttributes":"a","MD5OfMessageSystemAttributes":"s","SequenceNumber":"1"}],` +
			`"Failed":[{"Id":"1","Code":"InternalError","Message":"oops","SenderFault":false},{"Id":"2","Code":"InvalidParameterValue","SenderFault":true}]}`},
		"empty lists":     {body: ` { "Successful" : [ ] , "Failed" : [ ] } `},
		"unknown members": {body: `{"Future":[null,{"a":-1.5}],"Successful":[{"Id":"0","Other":true}]}`},
		"escapes":         {body: `{"Failed":[{"Id":"0","Message":"\"\\\u00e9\ud834\udd1e\n"}]}`},
		"null member":     {body: `{"Failed":null}`, fallBack: true},
		"null entry":      {body: `{"Successful":[null]}`, fallBack: true},
		"null fault":      {body: `{"Failed":[{"Id":"0","SenderFault":null}]}`, fallBack: true},
		"garbled":         {body: `{"Successful":[{"Id":"0"`, fallBack: true},
	}
	r := rand.New(rand.NewPCG(testutil.Seed(t), 0))
	for n := range 10 {
		ok, failed := []map[string]any{}, []map[string]any{}
		for i := range r.IntN(MaxBatchItems) + 1 {
			if r.IntN(4) == 0 {
				failed = append(failed, map[string]any{"Id": fmt.Sprint(i), "Code": "InternalError", "Message": fmt.Sprint("message \"", r.Uint64()), "SenderFault": r.IntN(2) == 0})
				continue
			}
			ok = append(ok, map[string]any{"Id": fmt.Sprint(i), "MessageId": fmt.Sprint(r.Uint64()), "MD5OfMessageBody": fmt.Sprintf("%032x", r.Uint64())})
		}
		b, err := json.Marshal(map[string]any{"Successful": ok, "Failed": failed})
		if err != nil {
			t.Fatal(err)
		}
		answers[fmt.Sprintf("random %d", n)] = answer{body: string(b)}
	}
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String("http://127.0.0.1:1/000000000000/q"),
		Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("x")}}}
	fastOpt := func(o *sqs.Options) { o.Protocol = awscall.FastAnswer(o.Protocol, sendMessageBatchAnswer) }
	ignore := []cmp.Option{cmpopts.IgnoreUnexported(sqs.SendMessageBatchOutput{}, types.SendMessageBatchResultEntry{}, types.BatchResultErrorEntry{}),
		cmpopts.IgnoreFields(sqs.SendMessageBatchOutput{}, "ResultMetadata")}
	for name, a := range answers {
		t.Run(name, func(t *testing.T) {
			if got := sendMessageBatchAnswer([]byte(a.body), new(sqs.SendMessageBatchOutput)); got == a.fallBack {
				t.Errorf("sendMessageBatchAnswer read it: %t, want %t", got, !a.fallBack)
			}
			testutil.SameAnswer(t, a.body, func(c *testutil.CaptureHTTP, fast bool) (any, error) {
				client := sqs.New(sqs.Options{Region: "us-east-1", Credentials: testutil.CaptureCredentials, HTTPClient: c,
					RetryMaxAttempts: 1, DisableMessageChecksumValidation: true})
				var opts []func(*sqs.Options)
				if fast {
					opts = append(opts, fastOpt)
				}
				return client.SendMessageBatch(context.Background(), in, opts...)
			}, ignore...)
		})
	}
}
