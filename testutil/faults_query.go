package testutil

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Services of the AWS Query protocol: a form-encoded request whose list
// members are numbered from 1 (Entries.member.1.Id=...), an XML answer, and
// errors in an XML ErrorResponse.

// queryCodec is the codec of one Query-protocol batch call.
type queryCodec struct {
	svc, action, xmlns string
	list               string // the entries: "<list>.member.N.<field>"
	group              string // the field of an entry's ordered group, on a FIFO target; "": none
	fifoParam          string // the parameter whose ".fifo" suffix says the target is FIFO
	calls              [4]apiErr
	entries            map[entryFail]entryErr // nil: no per-entry results
}

var snsCodec = &queryCodec{
	svc: "SNS PublishBatch", action: "PublishBatch", xmlns: "http://sns.amazonaws.com/doc/2010-03-31/",
	list: "PublishBatchRequestEntries", group: "MessageGroupId", fifoParam: "TopicArn",
	calls: [4]apiErr{
		errThroughput:  {status: 429, code: "Throttled", msg: "Rate exceeded", sender: true},
		errThrottling:  {status: 400, code: "Throttling", msg: "Rate exceeded", sender: true},
		errInternal:    {status: 500, code: "InternalError", msg: "Internal service failure."},
		errUnavailable: {status: 503, code: "ServiceUnavailable", msg: "Service unavailable"},
	},
	entries: map[entryFail]entryErr{
		failThrottled: {code: "Throttled", msg: "testutil: FaultProxy throttled this entry", sender: true},
		failInternal:  {code: "InternalError", msg: "testutil: FaultProxy failed this entry"},
		failRefused:   {code: "InvalidParameter", msg: "testutil: FaultProxy refused this entry", sender: true},
	},
}

var cloudWatchCodec = &queryCodec{
	svc: "CloudWatch PutMetricData", action: "PutMetricData", xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/",
	list: "MetricData",
	calls: [4]apiErr{
		errThroughput:  {status: 400, code: "Throttling", msg: "Rate exceeded", sender: true},
		errThrottling:  {status: 400, code: "Throttling", msg: "Rate exceeded", sender: true},
		errInternal:    {status: 500, code: "InternalServiceError", msg: "Internal service failure."},
		errUnavailable: {status: 503, code: "ServiceUnavailable", msg: "Service unavailable"},
	},
}

func (c *queryCodec) name() string { return c.svc }

func (c *queryCodec) match(r *http.Request, body []byte) bool {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return false
	}
	v, err := url.ParseQuery(string(body))
	return err == nil && v.Get("Action") == c.action
}

func (c *queryCodec) supports(f Fault) bool {
	if c.entries == nil {
		// An answer without results (PutMetricData's) is not read: a
		// garbled one reads as a success, applied or not, so neither
		// garbling is a fault of the call.
		return wholeCallOnly(f) && f != FaultGarbled && f != FaultGarbledAfterWrite
	}
	_, refusal := c.entries[failRefused]
	return supportsEntries(f, refusal)
}

func (c *queryCodec) contentType() string { return "text/xml" }

func (c *queryCodec) headers(_ []byte, requestID string) http.Header {
	return http.Header{"Content-Type": {"text/xml"}, "X-Amzn-Requestid": {requestID}}
}

func (c *queryCodec) callError(kind callErr, _ bool) apiErr { return c.calls[kind] }

// errorBody is a Query ErrorResponse.
func (c *queryCodec) errorBody(e apiErr, requestID string) []byte {
	typ := "Receiver"
	if e.sender {
		typ = "Sender"
	}
	type errorResponse struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Type      string   `xml:"Error>Type"`
		Code      string   `xml:"Error>Code"`
		Message   string   `xml:"Error>Message"`
		RequestID string   `xml:"RequestId"`
	}
	b, _ := xml.Marshal(errorResponse{Xmlns: c.xmlns, Type: typ, Code: e.code, Message: e.msg, RequestID: requestID})
	return append([]byte(xml.Header), b...)
}

func (c *queryCodec) errorHeaders(apiErr) http.Header { return nil }

// queryField is one field of an entry: its name after "<list>.member.N.".
type queryField struct{ name, value string }

// queryCall is a Query batch call: its entries' fields, and the other
// parameters.
type queryCall struct {
	c       *queryCodec
	rest    url.Values
	entries [][]queryField // in member order, each sorted by name
	fifo    bool
}

func (c *queryCodec) parse(body []byte) (batchCall, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	prefix := c.list + ".member."
	byN := map[int][]queryField{}
	rest := url.Values{}
	for k, vs := range v {
		after, ok := strings.CutPrefix(k, prefix)
		if !ok {
			rest[k] = vs
			continue
		}
		num, field, ok := strings.Cut(after, ".")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 1 {
			return nil, fmt.Errorf("bad member parameter %q", k)
		}
		byN[n] = append(byN[n], queryField{field, v.Get(k)})
	}
	nums := make([]int, 0, len(byN))
	for n := range byN {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	call := &queryCall{c: c, rest: rest, fifo: c.fifoParam != "" && strings.HasSuffix(v.Get(c.fifoParam), ".fifo")}
	for _, n := range nums {
		fs := byN[n]
		sort.Slice(fs, func(i, j int) bool { return fs[i].name < fs[j].name })
		call.entries = append(call.entries, fs)
	}
	return call, nil
}

func (q *queryCall) len() int { return len(q.entries) }

// get returns field name of entry i.
func (q *queryCall) get(i int, name string) string {
	for _, f := range q.entries[i] {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

func (q *queryCall) identity(i int) string {
	var b strings.Builder
	for _, f := range q.entries[i] {
		if f.name != "Id" {
			b.WriteString(f.name + "=" + f.value + "\x00")
		}
	}
	return b.String()
}

func (q *queryCall) group(i int) string {
	if !q.fifo || q.c.group == "" {
		return ""
	}
	return q.get(i, q.c.group)
}

func (q *queryCall) body(keep []int) []byte {
	v := url.Values{}
	for k, vs := range q.rest {
		v[k] = vs
	}
	for j, i := range keep {
		for _, f := range q.entries[i] {
			v.Set(fmt.Sprintf("%s.member.%d.%s", q.c.list, j+1, f.name), f.value)
		}
	}
	return []byte(v.Encode())
}

// snsOK and snsFailed are the members of a PublishBatch answer.
type snsOK struct {
	ID             string `xml:"Id"`
	MessageID      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

type snsFailed struct {
	ID          string `xml:"Id"`
	Code        string `xml:"Code"`
	Message     string `xml:"Message"`
	SenderFault bool   `xml:"SenderFault"`
}

type snsBatchResponse struct {
	XMLName    xml.Name    `xml:"PublishBatchResponse"`
	Xmlns      string      `xml:"xmlns,attr"`
	Successful []snsOK     `xml:"PublishBatchResult>Successful>member"`
	Failed     []snsFailed `xml:"PublishBatchResult>Failed>member"`
	RequestID  string      `xml:"ResponseMetadata>RequestId"`
}

func (q *queryCall) answer(keep []int, up []byte, fails []entryFail, requestID string) ([]byte, error) {
	if q.c.entries == nil {
		return nil, fmt.Errorf("%s has no per-entry results", q.c.svc)
	}
	out := snsBatchResponse{Xmlns: q.c.xmlns, RequestID: requestID}
	if len(keep) > 0 {
		if err := xml.Unmarshal(up, &out); err != nil {
			return nil, err
		}
		out.Xmlns = q.c.xmlns
	}
	for i, f := range fails {
		if f != failNone {
			e := q.c.entries[f]
			out.Failed = append(out.Failed, snsFailed{q.get(i, "Id"), e.code, e.msg, e.sender})
		}
	}
	b, err := xml.Marshal(out)
	return append([]byte(xml.Header), b...), err
}

func (q *queryCall) whole(requestID string) []byte {
	if q.c.entries == nil {
		b := fmt.Sprintf(`<%[1]sResponse xmlns="%[2]s"><ResponseMetadata><RequestId>%[3]s</RequestId></ResponseMetadata></%[1]sResponse>`,
			q.c.action, q.c.xmlns, requestID)
		return []byte(xml.Header + b)
	}
	out := snsBatchResponse{Xmlns: q.c.xmlns, RequestID: requestID}
	for i := range q.entries {
		out.Successful = append(out.Successful, snsOK{ID: q.get(i, "Id"), MessageID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i)})
	}
	b, _ := xml.Marshal(out)
	return append([]byte(xml.Header), b...)
}
