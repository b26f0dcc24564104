package testutil_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/testutil"
)

// codecCase is one codec under test: how to make a call of n entries, and
// how to read the answer's per-entry failures.
type codecCase struct {
	codec  *testutil.Codec
	target string // X-Amz-Target; "": the Query protocol
	ctype  string
	call   func(n int, tag string) []byte // entries whose contents start with tag
	root   string                         // Query: the answer's root element
	// failed returns the error codes of the answer's failed entries, and
	// the number of entries it answers for.
	failed func(t *testing.T, body []byte) (codes []string, answered int)
}

// jsonIndexed reads an answer with one result per entry in field, and the
// number of failures in count.
func jsonIndexed(field, count string) func(t *testing.T, body []byte) ([]string, int) {
	return func(t *testing.T, body []byte) ([]string, int) {
		t.Helper()
		var out map[string]json.RawMessage
		var results []struct{ ErrorCode string }
		var n int
		if err := json.Unmarshal(body, &out); err != nil || json.Unmarshal(out[field], &results) != nil || json.Unmarshal(out[count], &n) != nil {
			t.Fatalf("answer %s: not a valid answer", body)
		}
		var codes []string
		for _, r := range results {
			if r.ErrorCode != "" {
				codes = append(codes, r.ErrorCode)
			}
		}
		if n != len(codes) {
			t.Errorf("%s = %d, but %d results have an ErrorCode", count, n, len(codes))
		}
		return codes, len(results)
	}
}

var codecCases = []codecCase{
	{
		codec: testutil.DynamoDBCodec, target: "DynamoDB_20120810.BatchWriteItem", ctype: "application/x-amz-json-1.0",
		call: func(n int, tag string) []byte {
			reqs := make([]string, n)
			for i := range reqs {
				reqs[i] = fmt.Sprintf(`{"PutRequest":{"Item":{"id":{"S":"%s%d"}}}}`, tag, i)
			}
			return []byte(`{"RequestItems":{"t":[` + strings.Join(reqs, ",") + `]}}`)
		},
		failed: func(t *testing.T, body []byte) ([]string, int) {
			var out struct{ UnprocessedItems map[string][]json.RawMessage }
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("answer %s: %v", body, err)
			}
			codes := make([]string, len(out.UnprocessedItems["t"]))
			for i := range codes {
				codes[i] = "Unprocessed"
			}
			return codes, -1 // the written ones are not named
		},
	},
	{
		codec: testutil.KinesisCodec, target: "Kinesis_20131202.PutRecords", ctype: "application/x-amz-json-1.1",
		call: func(n int, tag string) []byte {
			recs := make([]string, n)
			for i := range recs {
				recs[i] = fmt.Sprintf(`{"Data":"eA==","PartitionKey":"%s%d"}`, tag, i)
			}
			return []byte(`{"StreamName":"s","Records":[` + strings.Join(recs, ",") + `]}`)
		},
		failed: jsonIndexed("Records", "FailedRecordCount"),
	},
	{
		codec: testutil.FirehoseCodec, target: "Firehose_20150804.PutRecordBatch", ctype: "application/x-amz-json-1.1",
		call: func(n int, tag string) []byte {
			recs := make([]string, n)
			for i := range recs {
				recs[i] = fmt.Sprintf(`{"Data":"%s%02d"}`, tag, i)
			}
			return []byte(`{"DeliveryStreamName":"s","Records":[` + strings.Join(recs, ",") + `]}`)
		},
		failed: jsonIndexed("RequestResponses", "FailedPutCount"),
	},
	{
		codec: testutil.EventBridgeCodec, target: "AWSEvents.PutEvents", ctype: "application/x-amz-json-1.1",
		call: func(n int, tag string) []byte {
			es := make([]string, n)
			for i := range es {
				es[i] = fmt.Sprintf(`{"Source":"s","DetailType":"d","Detail":"{\"n\":\"%s%d\"}"}`, tag, i)
			}
			return []byte(`{"Entries":[` + strings.Join(es, ",") + `]}`)
		},
		failed: jsonIndexed("Entries", "FailedEntryCount"),
	},
	{
		codec: testutil.SQSCodec, target: "AmazonSQS.SendMessageBatch", ctype: "application/x-amz-json-1.0",
		call: func(n int, tag string) []byte {
			es := make([]string, n)
			for i := range es {
				es[i] = fmt.Sprintf(`{"Id":"%d","MessageBody":"%s%d"}`, i, tag, i)
			}
			return []byte(`{"QueueUrl":"http://127.0.0.1/q","Entries":[` + strings.Join(es, ",") + `]}`)
		},
		failed: func(t *testing.T, body []byte) ([]string, int) {
			var out struct {
				Successful []struct{ Id string }
				Failed     []struct {
					Id, Code    string
					SenderFault bool
				}
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("answer %s: %v", body, err)
			}
			var codes []string
			for _, f := range out.Failed {
				codes = append(codes, fmt.Sprintf("%s/%v", f.Code, f.SenderFault))
			}
			return codes, len(out.Successful) + len(out.Failed)
		},
	},
	{
		codec: testutil.SNSCodec, root: "PublishBatchResponse", ctype: "application/x-www-form-urlencoded; charset=utf-8",
		call: func(n int, tag string) []byte {
			v := url.Values{"Action": {"PublishBatch"}, "Version": {"2010-03-31"}, "TopicArn": {"arn:aws:sns:us-east-1:000000000000:t"}}
			for i := range n {
				v.Set(fmt.Sprintf("PublishBatchRequestEntries.member.%d.Id", i+1), fmt.Sprint(i))
				v.Set(fmt.Sprintf("PublishBatchRequestEntries.member.%d.Message", i+1), fmt.Sprint(tag, i))
			}
			return []byte(v.Encode())
		},
		failed: func(t *testing.T, body []byte) ([]string, int) {
			var out struct {
				Successful []struct{ Id string } `xml:"PublishBatchResult>Successful>member"`
				Failed     []struct {
					Id, Code    string
					SenderFault bool
				} `xml:"PublishBatchResult>Failed>member"`
			}
			if err := xml.Unmarshal(body, &out); err != nil {
				t.Fatalf("answer %s: %v", body, err)
			}
			var codes []string
			for _, f := range out.Failed {
				codes = append(codes, fmt.Sprintf("%s/%v", f.Code, f.SenderFault))
			}
			return codes, len(out.Successful) + len(out.Failed)
		},
	},
	{
		codec: testutil.CloudWatchCodec, root: "PutMetricDataResponse", ctype: "application/x-www-form-urlencoded; charset=utf-8",
		call: func(n int, tag string) []byte {
			v := url.Values{"Action": {"PutMetricData"}, "Version": {"2010-08-01"}, "Namespace": {"ns"}}
			for i := range n {
				v.Set(fmt.Sprintf("MetricData.member.%d.MetricName", i+1), fmt.Sprint(tag, i))
				v.Set(fmt.Sprintf("MetricData.member.%d.Value", i+1), "1")
			}
			return []byte(v.Encode())
		},
	},
}

// caseOf returns the case of c.
func caseOf(t *testing.T, c *testutil.Codec) codecCase {
	for _, tc := range codecCases {
		if tc.codec == c {
			return tc
		}
	}
	t.Fatalf("no case for %v", c)
	return codecCase{}
}

// echoUpstream is an upstream that takes every entry of every batch call:
// it answers as the service does when all went well, and counts the
// entries it got.
type echoUpstream struct {
	codec   *testutil.Codec
	entries int
}

// codecAnswerOK answers each batch call of a codec as the service does when
// every entry is taken.
func (u *echoUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	n, ok := testutil.CodecWhole(u.codec, r, body, w)
	if !ok {
		http.Error(w, "not a batch call", http.StatusBadRequest)
		return
	}
	u.entries += n
}

// send posts body to the proxy as the client of c would.
func send(t *testing.T, tc codecCase, p *testutil.FaultProxy, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", tc.ctype)
	if tc.target != "" {
		req.Header.Set("X-Amz-Target", tc.target)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%v: %v", tc.codec, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// xmlRoot unmarshals an XML document whose root element is name, and
// fails on any other.
type xmlRoot struct{ name string }

func (r *xmlRoot) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if start.Name.Local != r.name {
		return fmt.Errorf("root element %s, want %s", start.Name.Local, r.name)
	}
	return d.Skip()
}

// errorCode reads the code of a whole-call error in JSON (__type, after any
// '#') or in a Query ErrorResponse.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var j struct {
		Type string `json:"__type"`
	}
	if json.Unmarshal(body, &j) == nil && j.Type != "" {
		return j.Type[strings.LastIndex(j.Type, "#")+1:]
	}
	var x struct {
		Code string `xml:"Error>Code"`
	}
	if err := xml.Unmarshal(body, &x); err != nil || x.Code == "" {
		t.Fatalf("error answer %s: neither JSON nor a Query ErrorResponse", body)
	}
	return x.Code
}

// Each codec answers each fault it supports in its protocol: per-entry
// failures that account for every entry, the entries not failed forwarded,
// whole-call errors with the service's status and code, garbled bodies
// that do not parse.
func TestFaultProxyCodecs(t *testing.T) {
	wholeCall := map[testutil.Fault]int{
		testutil.FaultProvisionedThroughputExceeded: 0, // 400, 429 for SNS, 503 for Firehose
		testutil.FaultThrottling:                    400,
		testutil.FaultInternalServerError:           500,
		testutil.FaultServiceUnavailable:            0,
	}
	perEntry := []testutil.Fault{testutil.FaultUnprocessed, testutil.FaultEntryThrottled, testutil.FaultEntryFailed, testutil.FaultEntryRefused}
	for _, tc := range codecCases {
		t.Run(tc.codec.String(), func(t *testing.T) {
			up := &echoUpstream{codec: tc.codec}
			p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Handler: up, Codec: tc.codec, Seed: 3})
			const n = 8

			status, body := send(t, tc, p, tc.call(n, "ok"))
			if status != http.StatusOK || up.entries != n {
				t.Fatalf("no fault: status %d, %d entries forwarded; want 200 and %d: %s", status, up.entries, n, body)
			}
			for f, want := range wholeCall {
				up.entries = 0
				p.Next(f)
				status, body := send(t, tc, p, tc.call(n, "ok"))
				if status < 400 || want != 0 && status != want || up.entries != 0 {
					t.Errorf("%v: status %d, %d entries forwarded; want an error and none", f, status, up.entries)
				}
				t.Logf("%v: %d %s", f, status, errorCode(t, body))
			}
			if tc.codec.Supports(testutil.FaultGarbledAfterWrite) { // not where the answer is not read
				p.Next(testutil.FaultGarbledAfterWrite)
				if _, body := send(t, tc, p, tc.call(n, "ok")); json.Valid(body) || tc.root != "" && xml.Unmarshal(body, &xmlRoot{tc.root}) == nil {
					t.Errorf("garbled: %q parses", body)
				}
			}
			for _, f := range perEntry {
				if !tc.codec.Supports(f) {
					continue
				}
				up.entries = 0
				before := p.Stats()
				p.Next(f)
				status, body := send(t, tc, p, tc.call(n, f.String())) // never forwarded, so refusable
				if status != http.StatusOK {
					t.Fatalf("%v: status %d: %s", f, status, body)
				}
				codes, answered := tc.failed(t, body)
				after := p.Stats()
				failed := (after.Withheld - before.Withheld) + (after.Refused - before.Refused)
				if int64(len(codes)) != failed || failed == 0 || up.entries != n-len(codes) || answered >= 0 && answered != n {
					t.Errorf("%v: %d failed (%v) in an answer for %d, %d forwarded; the proxy failed %d of %d", f, len(codes), codes, answered, up.entries, failed, n)
				}
				t.Logf("%v: %v", f, codes)
			}
		})
	}
}

// A codec supports a fault only where its service can answer with it.
func TestCodecSupports(t *testing.T) {
	got := map[string][]string{}
	for _, c := range testutil.Codecs() {
		for _, f := range []testutil.Fault{testutil.FaultUnprocessed, testutil.FaultEntryRefused, testutil.FaultThrottling} {
			if c.Supports(f) {
				got[c.String()] = append(got[c.String()], f.String())
			}
		}
	}
	want := map[string][]string{
		"DynamoDB BatchWriteItem":  {"Unprocessed", "Throttling"},
		"Kinesis PutRecords":       {"Unprocessed", "EntryRefused", "Throttling"},
		"SQS SendMessageBatch":     {"Unprocessed", "EntryRefused", "Throttling"},
		"Firehose PutRecordBatch":  {"Unprocessed", "Throttling"},
		"EventBridge PutEvents":    {"Unprocessed", "EntryRefused", "Throttling"},
		"SNS PublishBatch":         {"Unprocessed", "EntryRefused", "Throttling"},
		"CloudWatch PutMetricData": {"Throttling"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("supported faults mismatch (-want +got):\n%s", diff)
	}
}

// An entry whose content the proxy forwarded before is never refused: the
// service would take it again.
func TestFaultProxyNeverRefusesForwarded(t *testing.T) {
	tc := caseOf(t, testutil.SQSCodec)
	up := &echoUpstream{codec: tc.codec}
	p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Handler: up, Codec: tc.codec})
	send(t, tc, p, tc.call(5, "m"))
	p.Next(testutil.FaultEntryRefused)
	if status, body := send(t, tc, p, tc.call(5, "m")); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	if st := p.Stats(); st.Refused != 0 || st.Injected[testutil.FaultEntryRefused] != 1 || up.entries != 10 {
		t.Errorf("Stats = %v, %d entries forwarded; want no refusal and 10 forwarded", st, up.entries)
	}
}

// On a FIFO queue, nothing of a message group is taken past an entry that
// failed in the same call.
func TestFaultProxyFIFOGroupStops(t *testing.T) {
	tc := caseOf(t, testutil.SQSCodec)
	groups := []string{"a", "a", "b", "a", "b", "c", "a", "b"}
	body := func(tag string) []byte {
		es := make([]string, len(groups))
		for i, g := range groups {
			es[i] = fmt.Sprintf(`{"Id":"%d","MessageBody":"%s%d","MessageGroupId":"%s","MessageDeduplicationId":"%s%d"}`, i, tag, i, g, tag, i)
		}
		return []byte(`{"QueueUrl":"http://127.0.0.1/q.fifo","Entries":[` + strings.Join(es, ",") + `]}`)
	}
	for seed := range uint64(20) {
		p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Handler: &echoUpstream{codec: tc.codec}, Codec: tc.codec, Seed: seed})
		p.Next(testutil.FaultUnprocessed)
		_, out := send(t, tc, p, body(fmt.Sprint(seed)))
		var ans struct{ Failed []struct{ Id string } }
		if err := json.Unmarshal(out, &ans); err != nil {
			t.Fatal(err)
		}
		failed := map[int]bool{}
		for _, f := range ans.Failed {
			var i int
			fmt.Sscan(f.Id, &i)
			failed[i] = true
		}
		stopped := map[string]bool{}
		for i, g := range groups {
			if stopped[g] && !failed[i] {
				t.Errorf("seed %d: entry %d of group %s taken after an earlier one of its group failed (failed: %v)", seed, i, g, failed)
			}
			stopped[g] = stopped[g] || failed[i]
		}
	}
}

// Arrived's channel is closed once the proxy has received that many batch
// calls, and at once for a number already reached.
func TestFaultProxyArrived(t *testing.T) {
	tc := caseOf(t, testutil.KinesisCodec)
	p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Handler: &echoUpstream{codec: tc.codec}, Codec: tc.codec})
	second := p.Arrived(2)
	send(t, tc, p, tc.call(1, "a"))
	select {
	case <-second:
		t.Fatal("Arrived(2) closed after 1 call")
	default:
	}
	send(t, tc, p, tc.call(1, "b"))
	<-second // closed, or the test times out
	<-p.Arrived(1)
}

// A gzipped call (CloudWatch's SDK compresses PutMetricData) is read as
// plain, and forwarded as it came.
func TestFaultProxyGzippedCall(t *testing.T) {
	tc := caseOf(t, testutil.CloudWatchCodec)
	var got []byte
	p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Codec: tc.codec, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.Write([]byte("<PutMetricDataResponse/>"))
	})})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(tc.call(3, "m"))
	zw.Close()
	post := func() int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, p.URL+"/", bytes.NewReader(buf.Bytes()))
		req.Header.Set("Content-Type", tc.ctype)
		req.Header.Set("Content-Encoding", "gzip")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	p.Next(testutil.FaultThrottling)
	if status := post(); status != http.StatusBadRequest || got != nil {
		t.Errorf("throttled: status %d, forwarded %q; want 400 and nothing", status, got)
	}
	if status := post(); status != http.StatusOK || !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("passed: status %d; forwarded body changed", status)
	}
	if st := p.Stats(); st.Calls != 2 || st.Requests != 6 {
		t.Errorf("Stats = %v, want 2 calls of 3 entries", st)
	}
}
