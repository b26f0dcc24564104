package kinesisbatch

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/testutil"
)

// TestPutRecordsAnswerIsTheSDKs reads PutRecords answers through a real
// client twice, with the SDK's deserializer and with putRecordsAnswer, and
// wants the same output, or an error from both. What putRecordsAnswer does
// not read (a null, which Kinesis does not send, or bad JSON) goes to the
// SDK: it must read everything else itself.
func TestPutRecordsAnswerIsTheSDKs(t *testing.T) {
	odd := []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline", "\x01\x1f\x7f", "ünïcödé ☃ 𝄞", "\u2028", "<&>"}
	answers := map[string]string{
		"empty object":    `{}`,
		"no records":      `{"FailedRecordCount":0,"Records":[]}`,
		"all members":     `{"EncryptionType":"KMS","FailedRecordCount":1,"Records":[{"SequenceNumber":"4958","ShardId":"shardId-000000000001"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded for shard"}]}`,
		"white space":     " {\n\t\"FailedRecordCount\" : 0 ,\r\n \"Records\" : [ { \"ShardId\" : \"s\" } ] }\n",
		"unknown members": `{"Future":{"a":[1,2.5e3,-3,true,false,null,"x"]},"Records":[{"ShardId":"s","Other":[{}]}],"FailedRecordCount":0}`,
		"escapes":         `{"Records":[{"ErrorCode":"A\"B\\C\/D\b\f\n\r\t","ErrorMessage":"\u00e9\u2028\ud834\udd1e \ud800 \udc00x"}]}`,
		"null member":     `{"FailedRecordCount":null,"Records":[]}`,
		"null result":     `{"Records":[null]}`,
		"null string":     `{"Records":[{"ShardId":null}]}`,
		"garbled":         `{"Records":[{"ShardId":"s"`,
		"trailing":        `{} {}`,
		"not an object":   `[]`,
		"big count":       `{"FailedRecordCount":99999999999}`,
	}
	r := rand.New(rand.NewPCG(testutil.Seed(t), 0))
	for n := range 10 {
		var recs []map[string]string
		for range r.IntN(500) + 1 {
			if r.IntN(5) == 0 {
				recs = append(recs, map[string]string{"ErrorCode": odd[r.IntN(len(odd))], "ErrorMessage": odd[r.IntN(len(odd))]})
				continue
			}
			recs = append(recs, map[string]string{"SequenceNumber": fmt.Sprint(r.Uint64()), "ShardId": "shardId-" + odd[r.IntN(len(odd))]})
		}
		b, err := json.Marshal(map[string]any{"FailedRecordCount": r.IntN(100), "Records": recs, "EncryptionType": "NONE"})
		if err != nil {
			t.Fatal(err)
		}
		answers[fmt.Sprintf("random %d", n)] = string(b)
	}
	sdkErrs := map[string]bool{"garbled": true, "trailing": true, "not an object": true, "big count": true}
	in := &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{{Data: []byte("x"), PartitionKey: aws.String("k")}}}
	fastOpt := func(o *kinesis.Options) { o.Protocol = awscall.FastAnswer(o.Protocol, putRecordsAnswer) }
	ignore := []cmp.Option{cmpopts.IgnoreUnexported(kinesis.PutRecordsOutput{}, types.PutRecordsResultEntry{}), cmpopts.IgnoreFields(kinesis.PutRecordsOutput{}, "ResultMetadata")}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			fallBack := strings.HasPrefix(name, "null ") || sdkErrs[name]
			if got := putRecordsAnswer([]byte(answer), new(kinesis.PutRecordsOutput)); got == fallBack {
				t.Errorf("putRecordsAnswer read it: %t, want %t", got, !fallBack)
			}
			testutil.SameAnswer(t, answer, func(c *testutil.CaptureHTTP, fast bool) (any, error) {
				client := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
					Credentials: testutil.CaptureCredentials, HTTPClient: c, RetryMaxAttempts: 1})
				var opts []func(*kinesis.Options)
				if fast {
					opts = append(opts, fastOpt)
				}
				return client.PutRecords(context.Background(), in, opts...)
			}, ignore...)
		})
	}
}
