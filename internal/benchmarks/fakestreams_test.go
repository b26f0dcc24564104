package benchmarks

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

func sqsEntries(bodies ...string) []sqstypes.SendMessageBatchRequestEntry {
	es := make([]sqstypes.SendMessageBatchRequestEntry, len(bodies))
	for i := range bodies {
		es[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String("m" + strconv.Itoa(i)), MessageBody: &bodies[i]}
	}
	return es
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s + strconv.Itoa(i)
	}
	return out
}

// TestFakeSQS checks that the fake answers the real SDK client as SQS does
// (the SDK checks the MD5 of every body it gets back): the limits refused
// with SQS's codes, the rest taken, every n-th entry failed.
func TestFakeSQS(t *testing.T) {
	big := strings.Repeat("x", 110<<10) // 10 of them are over 1 MiB
	for _, tc := range []struct {
		name       string
		every      int
		entries    []sqstypes.SendMessageBatchRequestEntry
		wantCode   string
		wantFailed []string
	}{
		{name: "one", entries: sqsEntries(`{"a":"quoted \"body\" \\ with é and \u2028"}`)},
		{name: "ten", entries: sqsEntries(repeat("body ", 10)...)},
		{name: "eleven", entries: sqsEntries(repeat("body ", 11)...), wantCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{name: "none", entries: sqsEntries(), wantCode: "AWS.SimpleQueueService.EmptyBatchRequest"},
		{name: "over 1 MiB", entries: sqsEntries(repeat(big, 10)...), wantCode: "AWS.SimpleQueueService.BatchRequestTooLong"},
		{name: "just 1 MiB", entries: sqsEntries(strings.Repeat("x", 1<<20-2), "y", "z")},
		{name: "attributes count", entries: func() []sqstypes.SendMessageBatchRequestEntry {
			es := sqsEntries(strings.Repeat("x", 1<<20-10))
			es[0].MessageAttributes = map[string]sqstypes.MessageAttributeValue{
				"name": {DataType: aws.String("String"), StringValue: aws.String("value")}, // 4+6+5
			}
			return es
		}(), wantCode: "AWS.SimpleQueueService.BatchRequestTooLong"},
		{name: "duplicate ids", entries: func() []sqstypes.SendMessageBatchRequestEntry {
			es := sqsEntries("a", "b", "c")
			es[2].Id = aws.String("m0")
			return es
		}(), wantCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{name: "bad id", entries: func() []sqstypes.SendMessageBatchRequestEntry {
			es := sqsEntries("a")
			es[0].Id = aws.String("a.b")
			return es
		}(), wantCode: "AWS.SimpleQueueService.InvalidBatchEntryId"},
		{name: "every 4th failed", every: 4, entries: sqsEntries(repeat("body ", 10)...), wantFailed: []string{"m3", "m7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &FakeSQS{FailEvery: tc.every}
			srv := fake.Start()
			defer srv.Close()
			client, closeIdle := newSQSClient(srv.URL)
			defer closeIdle()
			out, err := client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{
				QueueUrl: aws.String(srv.URL + "/000000000000/q"),
				Entries:  tc.entries,
			})
			if tc.wantCode != "" {
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != tc.wantCode {
					t.Fatalf("SendMessageBatch error = %v, want an API error %s", err, tc.wantCode)
				}
				if s := fake.Stats(); s.Errors != 1 || s.Accepted != 0 {
					t.Errorf("stats %+v, want 1 error and nothing accepted", s)
				}
				return
			}
			if err != nil {
				t.Fatalf("SendMessageBatch: %v", err)
			}
			var failed []string
			for _, f := range out.Failed {
				if f.SenderFault || aws.ToString(f.Code) == "" {
					t.Errorf("failed entry %+v is not a fault of SQS's", f)
				}
				failed = append(failed, aws.ToString(f.Id))
			}
			if diff := cmp.Diff(tc.wantFailed, failed); diff != "" {
				t.Errorf("failed entries mismatch (-want +got):\n%s", diff)
			}
			if got, want := len(out.Successful), len(tc.entries)-len(tc.wantFailed); got != want {
				t.Errorf("%d entries successful, want %d", got, want)
			}
			ids := map[string]bool{}
			for _, s := range out.Successful {
				id := aws.ToString(s.MessageId)
				if id == "" || ids[id] {
					t.Errorf("message id %q is empty or given twice", id)
				}
				ids[id] = true
			}
			want := FakeStats{Calls: 1, Requests: int64(len(tc.entries)), Accepted: int64(len(out.Successful)), Unprocessed: int64(len(failed))}
			got := fake.Stats()
			got.CPU = 0
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stats mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFakeSQSChecksum checks that the MD5 the fake answers is the body's:
// the SDK refuses an answer whose MD5 is not, so a fake that got it wrong
// for escaped characters would fail TestFakeSQS, and one that skipped the
// MD5 would pass it unseen.
func TestFakeSQSChecksum(t *testing.T) {
	fake := &FakeSQS{}
	srv := fake.Start()
	defer srv.Close()
	client, closeIdle := newSQSClient(srv.URL)
	defer closeIdle()
	body := "tab\t \"q\" é"
	out, err := client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{
		QueueUrl: aws.String(srv.URL + "/000000000000/q"),
		Entries:  sqsEntries(body),
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte(body))
	if got, want := aws.ToString(out.Successful[0].MD5OfMessageBody), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("MD5OfMessageBody %q, want %q", got, want)
	}
}

func kinesisEntries(n int, data []byte) []ktypes.PutRecordsRequestEntry {
	es := make([]ktypes.PutRecordsRequestEntry, n)
	for i := range es {
		es[i] = ktypes.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String("key-" + strconv.Itoa(i))}
	}
	return es
}

// TestFakeKinesis checks that the fake answers the real SDK client as
// Kinesis does: the limits refused with Kinesis's codes, the rest taken
// with a sequence number and a shard, every n-th record throttled.
func TestFakeKinesis(t *testing.T) {
	small := []byte(`{"a":1}`)
	for _, tc := range []struct {
		name       string
		every      int
		shards     int
		stream     string
		entries    []ktypes.PutRecordsRequestEntry
		wantCode   string
		wantFailed []int
		wantShards []string
	}{
		{name: "one", entries: kinesisEntries(1, small), wantShards: []string{"shardId-000000000000"}},
		{name: "500", entries: kinesisEntries(500, small)},
		{name: "501", entries: kinesisEntries(501, small), wantCode: "ValidationException"},
		{name: "no stream", stream: "-", entries: kinesisEntries(1, small), wantCode: "ValidationException"},
		{name: "empty data", entries: kinesisEntries(2, []byte{})},
		{name: "over 5 MiB", entries: kinesisEntries(6, make([]byte, 1<<20-10)), wantCode: "InvalidArgumentException"},
		{name: "record over 1 MiB", entries: kinesisEntries(1, make([]byte, 1<<20)), wantCode: "InvalidArgumentException"},
		{name: "missing partition key", entries: func() []ktypes.PutRecordsRequestEntry {
			es := kinesisEntries(3, small)
			es[1].PartitionKey = nil
			return es
		}(), wantCode: "ValidationException"},
		{name: "partition key too long", entries: func() []ktypes.PutRecordsRequestEntry {
			es := kinesisEntries(1, small)
			es[0].PartitionKey = aws.String(strings.Repeat("é", 257))
			return es
		}(), wantCode: "ValidationException"},
		{name: "partition key of 256 characters", entries: func() []ktypes.PutRecordsRequestEntry {
			es := kinesisEntries(1, small)
			es[0].PartitionKey = aws.String(strings.Repeat("\"", 256))
			return es
		}()},
		{name: "explicit hash keys pick shards", shards: 4, entries: func() []ktypes.PutRecordsRequestEntry {
			es := kinesisEntries(3, small)
			es[0].ExplicitHashKey = aws.String("0")
			es[1].ExplicitHashKey = aws.String("170141183460469231731687303715884105728") // 2^127
			es[2].ExplicitHashKey = aws.String("340282366920938463463374607431768211455") // 2^128-1
			return es
		}(), wantShards: []string{"shardId-000000000000", "shardId-000000000002", "shardId-000000000003"}},
		{name: "every 3rd throttled", every: 3, entries: kinesisEntries(7, small), wantFailed: []int{2, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &FakeKinesis{FailEvery: tc.every, Shards: tc.shards}
			srv := fake.Start()
			defer srv.Close()
			client, closeIdle := newKinesisClient(srv.URL)
			defer closeIdle()
			in := &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: tc.entries}
			if tc.stream == "-" {
				in.StreamName = nil
			}
			out, err := client.PutRecords(context.Background(), in)
			if tc.wantCode != "" {
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != tc.wantCode {
					t.Fatalf("PutRecords error = %v, want an API error %s", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("PutRecords: %v", err)
			}
			if len(out.Records) != len(tc.entries) {
				t.Fatalf("%d results for %d records", len(out.Records), len(tc.entries))
			}
			var failed []int
			var shards []string
			for i, r := range out.Records {
				if r.ErrorCode != nil {
					if aws.ToString(r.ErrorCode) != "ProvisionedThroughputExceededException" {
						t.Errorf("record %d: ErrorCode %q", i, aws.ToString(r.ErrorCode))
					}
					failed = append(failed, i)
					continue
				}
				if len(aws.ToString(r.SequenceNumber)) != 56 {
					t.Errorf("record %d: SequenceNumber %q is not 56 digits", i, aws.ToString(r.SequenceNumber))
				}
				shards = append(shards, aws.ToString(r.ShardId))
			}
			if diff := cmp.Diff(tc.wantFailed, failed); diff != "" {
				t.Errorf("failed records mismatch (-want +got):\n%s", diff)
			}
			if got := int(aws.ToInt32(out.FailedRecordCount)); got != len(failed) {
				t.Errorf("FailedRecordCount %d, want %d", got, len(failed))
			}
			if tc.wantShards != nil {
				if diff := cmp.Diff(tc.wantShards, shards); diff != "" {
					t.Errorf("shards mismatch (-want +got):\n%s", diff)
				}
			}
			want := FakeStats{Calls: 1, Requests: int64(len(tc.entries)), Accepted: int64(len(tc.entries) - len(failed)), Unprocessed: int64(len(failed))}
			got := fake.Stats()
			got.CPU = 0
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stats mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFakeStreamsProtocol checks what both fakes refuse before they read a
// request: another operation, no signature, a malformed body.
func TestFakeStreamsProtocol(t *testing.T) {
	sqsSrv := (&FakeSQS{}).Start()
	defer sqsSrv.Close()
	kinesisSrv := (&FakeKinesis{}).Start()
	defer kinesisSrv.Close()
	for _, tc := range []struct {
		name, url, target, auth, body string
		wantStatus                    int
		wantType                      string
	}{
		{"sqs unknown operation", sqsSrv.URL, "AmazonSQS.ReceiveMessage", "x", "{}", 400, "com.amazonaws.sqs#UnknownOperationException"},
		{"sqs no signature", sqsSrv.URL, "AmazonSQS.SendMessageBatch", "", "{}", 400, "com.amazonaws.sqs#MissingAuthenticationTokenException"},
		{"sqs malformed", sqsSrv.URL, "AmazonSQS.SendMessageBatch", "x", `{"QueueUrl":"q","Entries":[}`, 400, "com.amazonaws.sqs#SerializationException"},
		{"sqs no queue", sqsSrv.URL, "AmazonSQS.SendMessageBatch", "x", `{"Entries":[{"Id":"a","MessageBody":"b"}]}`, 400, "com.amazonaws.sqs#QueueDoesNotExist"},
		{"sqs no body", sqsSrv.URL, "AmazonSQS.SendMessageBatch", "x", `{"QueueUrl":"q","Entries":[{"Id":"a"}]}`, 400, "com.amazonaws.sqs#MissingParameter"},
		{"sqs attribute without a value", sqsSrv.URL, "AmazonSQS.SendMessageBatch", "x",
			`{"QueueUrl":"q","Entries":[{"Id":"a","MessageBody":"b","MessageAttributes":{"n":{"DataType":"String"}}}]}`, 400, "com.amazonaws.sqs#InvalidParameterValue"},
		{"kinesis unknown operation", kinesisSrv.URL, "Kinesis_20131202.PutRecord", "x", "{}", 400, "UnknownOperationException"},
		{"kinesis malformed", kinesisSrv.URL, "Kinesis_20131202.PutRecords", "x", `{"StreamName":"s","Records":[{]}`, 400, "SerializationException"},
		{"kinesis data not base64", kinesisSrv.URL, "Kinesis_20131202.PutRecords", "x", `{"StreamName":"s","Records":[{"Data":"a!==","PartitionKey":"k"}]}`, 400, "SerializationException"},
		{"kinesis no data", kinesisSrv.URL, "Kinesis_20131202.PutRecords", "x", `{"StreamName":"s","Records":[{"PartitionKey":"k"}]}`, 400, "ValidationException"},
		{"kinesis taken", kinesisSrv.URL, "Kinesis_20131202.PutRecords", "x", `{"StreamName":"s","Records":[{"Data":"YWI=","PartitionKey":"k"}]}`, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, tc.url, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Target", tc.target)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				Type string `json:"__type"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatalf("answer is not JSON: %v", err)
			}
			if resp.StatusCode != tc.wantStatus || got.Type != tc.wantType {
				t.Errorf("answer %d %q, want %d %q", resp.StatusCode, got.Type, tc.wantStatus, tc.wantType)
			}
		})
	}
}

// TestStreamBodies checks the size of the messages the benchmarks send.
func TestStreamBodies(t *testing.T) {
	lo, hi := 1<<30, 0
	for i := range 10_000 {
		b := makeBody(i)
		lo, hi = min(lo, len(b)), max(hi, len(b))
	}
	if lo < 150 || hi > 300 || hi-lo < 100 {
		t.Errorf("bodies of %d to %d bytes, want from about 150 to about 300", lo, hi)
	}
}

// FuzzUnquote checks that the fakes read a JSON string as encoding/json
// does, for the UTF-8 the SDK sends.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"a"`, `"\"q\" \\ \/ \b\f\n\r\t"`, `"\u00e9\u2028"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d\u0041"`, `"\x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &scanner{b: b}
		raw, ok := s.str()
		if !ok || !s.end() || !utf8.Valid(b) {
			return
		}
		var want string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("the scanner took %q, encoding/json refuses it: %v", b, err)
		}
		got, ok := unquote(raw)
		if !ok || string(got) != want {
			t.Errorf("unquote(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	})
}
