package testutil

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Codec is how a FaultProxy reads one service's batch call and writes the
// service's answers: its per-entry results, its whole-call errors and a
// garbled body, in the service's protocol. The codecs are the values below;
// FaultProxyConfig.Codec picks one.
type Codec struct {
	c codec
}

// The codecs of the services the backends write to.
var (
	// DynamoDBCodec reads BatchWriteItem (JSON 1.0). A per-entry fault
	// leaves write requests in UnprocessedItems; there is no per-entry
	// refusal.
	DynamoDBCodec = &Codec{dynamoCodec{}}
	// KinesisCodec reads PutRecords (JSON 1.1): per-record ErrorCode and
	// FailedRecordCount.
	KinesisCodec = &Codec{kinesisCodec}
	// SQSCodec reads SendMessageBatch in SQS's JSON protocol (JSON 1.0, as
	// the SDK and moto speak it): Successful and Failed entries with
	// SenderFault.
	SQSCodec = &Codec{sqsCodec}
	// FirehoseCodec reads PutRecordBatch (JSON 1.1): RequestResponses[i]
	// with ErrorCode, and FailedPutCount. There is no per-entry refusal.
	FirehoseCodec = &Codec{firehoseCodec}
	// EventBridgeCodec reads PutEvents (JSON 1.1): Entries[i] with
	// ErrorCode, and FailedEntryCount.
	EventBridgeCodec = &Codec{eventBridgeCodec}
	// SNSCodec reads PublishBatch in the Query protocol (a form-encoded
	// request, an XML answer): Successful and Failed members with
	// SenderFault.
	SNSCodec = &Codec{snsCodec}
	// CloudWatchCodec reads PutMetricData in the Query protocol, gzipped
	// or not, as the SDK sends it. Its answer has no per-entry results and
	// is not read by the SDK: only whole-call faults are supported, and
	// FaultGarbled is not (a client takes a garbled 200 for a success).
	CloudWatchCodec = &Codec{cloudWatchCodec}
)

// codecs is Codecs(), in the order a FaultProxy without a Codec tries them.
var codecs = []*Codec{DynamoDBCodec, KinesisCodec, SQSCodec, FirehoseCodec, EventBridgeCodec, SNSCodec, CloudWatchCodec}

// Codecs returns every codec.
func Codecs() []*Codec { return append([]*Codec(nil), codecs...) }

// String returns the service and operation the codec reads, such as
// "DynamoDB BatchWriteItem".
func (c *Codec) String() string { return c.c.name() }

// Supports reports whether the codec's service can answer a call with f.
// Every codec supports FaultNone and the whole-call faults; per-entry
// faults need per-entry results (not CloudWatch), FaultEntryRefused a
// per-entry refusal (not DynamoDB, Firehose or CloudWatch),
// FaultGarbled an answer the client reads (not CloudWatch's), and
// FaultChecksumMismatch an MD5 per entry in the answer (SQS only).
func (c *Codec) Supports(f Fault) bool {
	if f < FaultNone || f >= numFaults {
		return false
	}
	return c.c.supports(f)
}

// codec is what a Codec does.
type codec interface {
	name() string
	// match reports whether r is the batch call the codec reads.
	match(r *http.Request, body []byte) bool
	parse(body []byte) (batchCall, error)
	supports(f Fault) bool
	contentType() string
	// headers returns the headers of an answer with body.
	headers(body []byte, requestID string) http.Header
	// callError returns the error of kind; alt picks the service's other
	// code for it, where it has two.
	callError(kind callErr, alt bool) apiErr
	errorBody(e apiErr, requestID string) []byte
	errorHeaders(e apiErr) http.Header
}

// batchCall is one batch call as a codec read it: its entries in order.
type batchCall interface {
	len() int
	// identity names entry i by its content, whatever the call.
	identity(i int) string
	// group is entry i's ordered group: the service applies nothing of a
	// group past an entry that fails in one call (an SQS FIFO message
	// group). "": none.
	group(i int) string
	// body returns the call with only the entries at keep.
	body(keep []int) []byte
	// answer returns the service's answer to the call, made of up (the
	// upstream's answer to body(keep), nil if keep is empty) and fails.
	answer(keep []int, up []byte, fails []entryFail, requestID string) ([]byte, error)
	// whole returns a successful answer to the call, for garbling.
	whole(requestID string) []byte
}

// callErr is a kind of whole-call error.
type callErr int

const (
	errThroughput callErr = iota
	errThrottling
	errInternal
	errUnavailable
)

// apiErr is a whole-call error as a service writes it.
type apiErr struct {
	status int
	code   string
	typ    string // JSON __type; "": the code
	msg    string
	sender bool // the client's fault (Query: Type Sender)
}

// entryFail is what a fault does to one entry.
type entryFail int

const (
	failNone entryFail = iota
	failThrottled
	failInternal
	failRefused
)

// entryErr is a per-entry error as a service writes it.
type entryErr struct {
	code   string
	msg    string
	sender bool // SQS and SNS: SenderFault
}

// supportsEntries is supports for a codec with per-entry results; refusal
// says whether it has a per-entry refusal.
func supportsEntries(f Fault, refusal bool) bool {
	return f != FaultChecksumMismatch && (f != FaultEntryRefused || refusal)
}

// wholeCallOnly is supports for a codec without per-entry results.
func wholeCallOnly(f Fault) bool {
	return f != FaultUnprocessed && f != FaultEntryThrottled && f != FaultEntryFailed && f != FaultEntryRefused && f != FaultChecksumMismatch
}

// jsonTarget reports whether r is a JSON-protocol call of target.
func jsonTarget(r *http.Request, target string) bool {
	return r.Header.Get("X-Amz-Target") == target
}

// jsonErrorBody is a JSON protocol's error body.
func jsonErrorBody(e apiErr) []byte {
	typ := e.typ
	if typ == "" {
		typ = e.code
	}
	b, _ := json.Marshal(map[string]string{"__type": typ, "message": e.msg})
	return b
}

// jsonHeaders are the headers of a JSON protocol's answer.
func jsonHeaders(ctype, requestID string) http.Header {
	return http.Header{"Content-Type": {ctype}, "X-Amzn-Requestid": {requestID}}
}

// jsonBody is a JSON request body with one array member, the entries, kept
// as the client wrote them, and its other members kept as they are.
type jsonBody struct {
	rest    map[string]json.RawMessage
	field   string
	entries []json.RawMessage
}

func parseJSONBody(body []byte, field string) (*jsonBody, error) {
	var rest map[string]json.RawMessage
	if err := json.Unmarshal(body, &rest); err != nil {
		return nil, err
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(rest[field], &entries); err != nil {
		return nil, err
	}
	delete(rest, field)
	return &jsonBody{rest: rest, field: field, entries: entries}, nil
}

// body returns the request with the entries at keep.
func (b *jsonBody) body(keep []int) []byte {
	m := make(map[string]any, len(b.rest)+1)
	for k, v := range b.rest {
		m[k] = v
	}
	entries := make([]json.RawMessage, len(keep))
	for j, i := range keep {
		entries[j] = b.entries[i]
	}
	m[b.field] = entries
	out, err := json.Marshal(m)
	if err != nil {
		panic("testutil: FaultProxy: re-encoding a request: " + err.Error()) // raw JSON that parsed
	}
	return out
}

// identity is entry i without its "Id" member (an SQS entry id names it in
// one call only), with its members in a canonical order.
func (b *jsonBody) identity(i int) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(b.entries[i], &m) != nil {
		return string(b.entries[i])
	}
	delete(m, "Id")
	out, _ := json.Marshal(m)
	return string(out)
}

// DynamoDB BatchWriteItem.

type dynamoCodec struct{}

func (dynamoCodec) name() string { return "DynamoDB BatchWriteItem" }
func (dynamoCodec) match(r *http.Request, _ []byte) bool {
	return jsonTarget(r, fltBatchWriteTarget)
}
func (dynamoCodec) supports(f Fault) bool { return supportsEntries(f, false) }
func (dynamoCodec) contentType() string   { return "application/x-amz-json-1.0" }

// headers are DynamoDB's: a request id and the body's CRC32, which the SDK
// checks.
func (c dynamoCodec) headers(body []byte, requestID string) http.Header {
	h := jsonHeaders(c.contentType(), requestID)
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	return h
}

func (dynamoCodec) callError(kind callErr, _ bool) apiErr {
	switch kind {
	case errThroughput:
		return apiErr{status: 400, code: "ProvisionedThroughputExceededException", typ: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
			msg: "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.", sender: true}
	case errThrottling:
		return apiErr{status: 400, code: "ThrottlingException", typ: "com.amazon.coral.availability#ThrottlingException", msg: "Rate of requests exceeds the allowed throughput.", sender: true}
	case errInternal:
		return apiErr{status: 500, code: "InternalServerError", typ: "com.amazonaws.dynamodb.v20120810#InternalServerError", msg: "Internal server error"}
	}
	return apiErr{status: 503, code: "ServiceUnavailableException", typ: "com.amazonaws.dynamodb.v20120810#ServiceUnavailableException", msg: "Service unavailable"}
}

func (dynamoCodec) errorBody(e apiErr, _ string) []byte { return jsonErrorBody(e) }
func (dynamoCodec) errorHeaders(apiErr) http.Header     { return nil }

// dynamoCall is a BatchWriteItem call, its write requests flattened table
// by table, in table name order.
type dynamoCall struct {
	rest   map[string]json.RawMessage
	tables []string          // of each write request
	reqs   []json.RawMessage // as the client wrote them
}

func (dynamoCodec) parse(body []byte) (batchCall, error) {
	var rest map[string]json.RawMessage
	if err := json.Unmarshal(body, &rest); err != nil {
		return nil, err
	}
	var items map[string][]json.RawMessage
	if err := json.Unmarshal(rest["RequestItems"], &items); err != nil {
		return nil, err
	}
	delete(rest, "RequestItems")
	names := make([]string, 0, len(items))
	for name := range items {
		names = append(names, name)
	}
	sort.Strings(names)
	c := &dynamoCall{rest: rest}
	for _, name := range names {
		for _, req := range items[name] {
			c.tables = append(c.tables, name)
			c.reqs = append(c.reqs, req)
		}
	}
	return c, nil
}

func (c *dynamoCall) len() int              { return len(c.reqs) }
func (c *dynamoCall) identity(i int) string { return c.tables[i] + "\x00" + string(c.reqs[i]) }
func (c *dynamoCall) group(int) string      { return "" }

// items returns the write requests at keep, by table.
func (c *dynamoCall) items(keep []int) map[string][]json.RawMessage {
	m := make(map[string][]json.RawMessage)
	for _, i := range keep {
		m[c.tables[i]] = append(m[c.tables[i]], c.reqs[i])
	}
	return m
}

func (c *dynamoCall) body(keep []int) []byte {
	m := make(map[string]any, len(c.rest)+1)
	for k, v := range c.rest {
		m[k] = v
	}
	m["RequestItems"] = c.items(keep)
	out, err := json.Marshal(m)
	if err != nil {
		panic("testutil: FaultProxy: re-encoding a request: " + err.Error()) // raw JSON that parsed
	}
	return out
}

// answer returns the failed write requests, byte for byte as sent, in
// UnprocessedItems, together with any the upstream left unprocessed.
func (c *dynamoCall) answer(keep []int, up []byte, fails []entryFail, _ string) ([]byte, error) {
	var kept []int
	for i, f := range fails {
		if f != failNone {
			kept = append(kept, i)
		}
	}
	left := c.items(kept)
	out := map[string]json.RawMessage{}
	if len(keep) > 0 {
		if err := json.Unmarshal(up, &out); err != nil {
			return nil, err
		}
		var upLeft map[string][]json.RawMessage
		if raw, ok := out["UnprocessedItems"]; ok {
			if err := json.Unmarshal(raw, &upLeft); err != nil {
				return nil, err
			}
		}
		for name, reqs := range upLeft {
			left[name] = append(left[name], reqs...)
		}
	}
	out["UnprocessedItems"], _ = json.Marshal(left)
	return json.Marshal(out)
}

// whole is an answer that echoes every write request as unprocessed: its
// truncation reads as a connection cut off mid-answer.
func (c *dynamoCall) whole(string) []byte {
	all := make([]int, len(c.reqs))
	for i := range all {
		all[i] = i
	}
	b, _ := json.Marshal(map[string]any{"UnprocessedItems": c.items(all)})
	return b
}

// Services whose answer has one result per entry, in order: Kinesis
// PutRecords, Firehose PutRecordBatch, EventBridge PutEvents.

// indexedCodec is a JSON codec of a service that answers one result per
// entry, in order.
type indexedCodec struct {
	svc, target, ctype string
	reqField           string // the entries of the request
	resField           string // the results of the answer
	countField         string // the number of failed entries in the answer
	ok                 func(i int) map[string]any
	calls              [4][2]apiErr           // by callErr, default and alternative
	entries            map[entryFail]entryErr // failRefused absent: no refusal
}

var kinesisCodec = &indexedCodec{
	svc: "Kinesis PutRecords", target: kinPutRecordsTarget, ctype: "application/x-amz-json-1.1",
	reqField: "Records", resField: "Records", countField: "FailedRecordCount",
	ok: func(i int) map[string]any {
		return map[string]any{"SequenceNumber": fmt.Sprintf("%056d", i), "ShardId": "shardId-000000000000"}
	},
	calls: [4][2]apiErr{
		errThroughput:  {{status: 400, code: "ProvisionedThroughputExceededException", msg: kinThroughputMessage, sender: true}},
		errThrottling:  {{status: 400, code: "ThrottlingException", msg: "Rate exceeded", sender: true}},
		errInternal:    {{status: 500, code: "InternalFailure", msg: "Internal service failure."}},
		errUnavailable: {{status: 503, code: "ServiceUnavailable", msg: "Service unavailable"}},
	},
	entries: map[entryFail]entryErr{
		failThrottled: {code: "ProvisionedThroughputExceededException", msg: kinThroughputMessage},
		failInternal:  {code: "InternalFailure", msg: "Internal service failure."},
		failRefused:   {code: "KMSAccessDeniedException", msg: "testutil: FaultProxy refused this record: access to the stream's KMS key is denied."},
	},
}

// kinPutRecordsTarget is the X-Amz-Target of PutRecords in JSON 1.1.
const kinPutRecordsTarget = "Kinesis_20131202.PutRecords"

// kinThroughputMessage is Kinesis's message for a throttled call or record.
const kinThroughputMessage = "Rate exceeded for shard shardId-000000000000 in stream faultproxy under account 000000000000."

var firehoseCodec = &indexedCodec{
	svc: "Firehose PutRecordBatch", target: "Firehose_20150804.PutRecordBatch", ctype: "application/x-amz-json-1.1",
	reqField: "Records", resField: "RequestResponses", countField: "FailedPutCount",
	ok: func(i int) map[string]any {
		return map[string]any{"RecordId": fmt.Sprintf("faultproxy-record-%08d", i)}
	},
	calls: [4][2]apiErr{
		errThroughput:  {{status: 503, code: "ServiceUnavailableException", msg: "Slow down."}},
		errThrottling:  {{status: 400, code: "ThrottlingException", msg: "Rate exceeded", sender: true}},
		errInternal:    {{status: 500, code: "InternalFailure", msg: "Internal service failure."}},
		errUnavailable: {{status: 503, code: "ServiceUnavailableException", msg: "The service is unavailable. Back off and retry the operation."}},
	},
	entries: map[entryFail]entryErr{
		failThrottled: {code: "ServiceUnavailableException", msg: "Slow down."},
		failInternal:  {code: "InternalFailure", msg: "Internal service failure."},
	},
}

var eventBridgeCodec = &indexedCodec{
	svc: "EventBridge PutEvents", target: "AWSEvents.PutEvents", ctype: "application/x-amz-json-1.1",
	reqField: "Entries", resField: "Entries", countField: "FailedEntryCount",
	ok: func(i int) map[string]any {
		return map[string]any{"EventId": fmt.Sprintf("00000000-0000-0000-0000-%012d", i)}
	},
	calls: [4][2]apiErr{
		errThroughput:  {{status: 400, code: "ThrottlingException", msg: "Rate exceeded", sender: true}},
		errThrottling:  {{status: 400, code: "ThrottlingException", msg: "Rate exceeded", sender: true}},
		errInternal:    {{status: 500, code: "InternalException", msg: "Internal service failure."}},
		errUnavailable: {{status: 503, code: "ServiceUnavailable", msg: "Service unavailable"}},
	},
	entries: map[entryFail]entryErr{
		failThrottled: {code: "ThrottlingException", msg: "Rate exceeded"},
		failInternal:  {code: "InternalFailure", msg: "Internal service failure."},
		failRefused:   {code: "InvalidArgument", msg: "testutil: FaultProxy refused this entry."},
	},
}

func (c *indexedCodec) name() string { return c.svc }
func (c *indexedCodec) match(r *http.Request, _ []byte) bool {
	return jsonTarget(r, c.target)
}
func (c *indexedCodec) supports(f Fault) bool {
	_, refusal := c.entries[failRefused]
	return supportsEntries(f, refusal)
}
func (c *indexedCodec) contentType() string { return c.ctype }
func (c *indexedCodec) headers(_ []byte, requestID string) http.Header {
	return jsonHeaders(c.ctype, requestID)
}
func (c *indexedCodec) callError(kind callErr, alt bool) apiErr {
	if e := c.calls[kind][1]; alt && e.code != "" {
		return e
	}
	return c.calls[kind][0]
}
func (c *indexedCodec) errorBody(e apiErr, _ string) []byte { return jsonErrorBody(e) }
func (c *indexedCodec) errorHeaders(apiErr) http.Header     { return nil }

type indexedCall struct {
	c *indexedCodec
	*jsonBody
}

func (c *indexedCodec) parse(body []byte) (batchCall, error) {
	b, err := parseJSONBody(body, c.reqField)
	if err != nil {
		return nil, err
	}
	return &indexedCall{c, b}, nil
}

func (c *indexedCall) len() int         { return len(c.entries) }
func (c *indexedCall) group(int) string { return "" }

// answer merges the upstream's results for the entries at keep, in order,
// with the failures.
func (c *indexedCall) answer(keep []int, up []byte, fails []entryFail, _ string) ([]byte, error) {
	out := map[string]json.RawMessage{}
	var upResults []map[string]any
	if len(keep) > 0 {
		if err := json.Unmarshal(up, &out); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(out[c.c.resField], &upResults); err != nil {
			return nil, err
		}
		if len(upResults) != len(keep) {
			return nil, fmt.Errorf("%d results for %d entries", len(upResults), len(keep))
		}
	}
	results := make([]map[string]any, len(fails))
	failed := 0
	for i, f := range fails {
		if f != failNone {
			e := c.c.entries[f]
			results[i] = map[string]any{"ErrorCode": e.code, "ErrorMessage": e.msg}
			failed++
			continue
		}
		results[i], upResults = upResults[0], upResults[1:]
		if code, _ := results[i]["ErrorCode"].(string); code != "" {
			failed++
		}
	}
	out[c.c.resField], _ = json.Marshal(results)
	out[c.c.countField], _ = json.Marshal(failed)
	return json.Marshal(out)
}

func (c *indexedCall) whole(string) []byte {
	results := make([]map[string]any, len(c.entries))
	for i := range results {
		results[i] = c.c.ok(i)
	}
	b, _ := json.Marshal(map[string]any{c.c.countField: 0, c.c.resField: results})
	return b
}

// SQS SendMessageBatch, in SQS's JSON protocol.

type sqsJSONCodec struct{}

var sqsCodec = sqsJSONCodec{}

// sqsEntries are SQS's per-entry errors.
var sqsEntries = map[entryFail]entryErr{
	failThrottled: {code: "RequestThrottled", msg: "testutil: FaultProxy throttled this entry", sender: true},
	failInternal:  {code: "InternalError", msg: "testutil: FaultProxy failed this entry"},
	failRefused:   {code: "InvalidParameterValue", msg: "testutil: FaultProxy refused this entry", sender: true},
}

func (sqsJSONCodec) name() string { return "SQS SendMessageBatch" }
func (sqsJSONCodec) match(r *http.Request, _ []byte) bool {
	return jsonTarget(r, "AmazonSQS.SendMessageBatch")
}
func (sqsJSONCodec) supports(f Fault) bool {
	return f == FaultChecksumMismatch || supportsEntries(f, true)
}
func (sqsJSONCodec) contentType() string { return "application/x-amz-json-1.0" }
func (c sqsJSONCodec) headers(_ []byte, requestID string) http.Header {
	return jsonHeaders(c.contentType(), requestID)
}
func (sqsJSONCodec) callError(kind callErr, alt bool) apiErr {
	switch kind {
	case errThroughput:
		return apiErr{status: 400, code: "RequestThrottled", msg: "Rate exceeded", sender: true}
	case errThrottling:
		if alt {
			return apiErr{status: 400, code: "RequestThrottled", msg: "Rate exceeded", sender: true}
		}
		return apiErr{status: 400, code: "ThrottlingException", msg: "Rate exceeded", sender: true}
	case errInternal:
		return apiErr{status: 500, code: "InternalError", msg: "We encountered an internal error. Please try again."}
	}
	return apiErr{status: 503, code: "ServiceUnavailable", msg: "The request has failed due to a temporary failure of the server."}
}

// errorBody is SQS's JSON error, with the query-compatible header of
// errorHeaders.
func (sqsJSONCodec) errorBody(e apiErr, _ string) []byte {
	e.typ = "com.amazonaws.sqs#" + e.code
	return jsonErrorBody(e)
}

func (sqsJSONCodec) errorHeaders(e apiErr) http.Header {
	fault := "Receiver"
	if e.sender {
		fault = "Sender"
	}
	return http.Header{
		"X-Amzn-Query-Error":  {e.code + ";" + fault},
		"X-Amzn-Errortype":    {e.code},
		"X-Amzn-Query-Status": {strconv.Itoa(e.status)},
	}
}

// sqsCall is a SendMessageBatch call.
type sqsCall struct {
	*jsonBody
	ids    []string
	groups []string // each entry's message group on a FIFO queue
}

func (sqsJSONCodec) parse(body []byte) (batchCall, error) {
	b, err := parseJSONBody(body, "Entries")
	if err != nil {
		return nil, err
	}
	var queueURL string
	json.Unmarshal(b.rest["QueueUrl"], &queueURL)
	fifo := strings.HasSuffix(queueURL, ".fifo")
	c := &sqsCall{jsonBody: b, ids: make([]string, len(b.entries)), groups: make([]string, len(b.entries))}
	for i, raw := range b.entries {
		var e struct{ Id, MessageGroupId string }
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, err
		}
		c.ids[i] = e.Id
		if fifo {
			c.groups[i] = e.MessageGroupId
		}
	}
	return c, nil
}

func (c *sqsCall) len() int           { return len(c.entries) }
func (c *sqsCall) group(i int) string { return c.groups[i] }

type sqsFailed struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
}

func (c *sqsCall) answer(keep []int, up []byte, fails []entryFail, _ string) ([]byte, error) {
	var failed []sqsFailed
	for i, f := range fails {
		if f != failNone {
			e := sqsEntries[f]
			failed = append(failed, sqsFailed{c.ids[i], e.sender, e.code, e.msg})
		}
	}
	out := map[string]json.RawMessage{"Successful": json.RawMessage("[]")}
	if len(keep) > 0 {
		var upOut map[string]json.RawMessage
		if err := json.Unmarshal(up, &upOut); err != nil {
			return nil, err
		}
		if s, ok := upOut["Successful"]; ok {
			out["Successful"] = s
		}
		var upFailed []sqsFailed
		if raw, ok := upOut["Failed"]; ok {
			if err := json.Unmarshal(raw, &upFailed); err != nil {
				return nil, err
			}
		}
		failed = append(failed, upFailed...)
	}
	out["Failed"], _ = json.Marshal(failed)
	return json.Marshal(out)
}

// mismatch returns up, the upstream's answer to the call, with the MD5 of
// the bodies of the taken entries that pick chooses (indexes into the taken
// ones, given their number) changed, and how many it changed.
func (c *sqsCall) mismatch(up []byte, pick func(taken int) []int) ([]byte, int, error) {
	var out map[string]json.RawMessage
	if err := json.Unmarshal(up, &out); err != nil {
		return nil, 0, err
	}
	var taken []map[string]any
	if err := json.Unmarshal(out["Successful"], &taken); err != nil || len(taken) == 0 {
		return nil, 0, err
	}
	n := 0
	for _, i := range pick(len(taken)) {
		if sum, ok := taken[i]["MD5OfMessageBody"].(string); ok && sum != "" {
			flip := byte('0')
			if sum[0] == '0' {
				flip = '1'
			}
			taken[i]["MD5OfMessageBody"] = string(flip) + sum[1:]
			n++
		}
	}
	var err error
	if out["Successful"], err = json.Marshal(taken); err != nil {
		return nil, 0, err
	}
	body, err := json.Marshal(out)
	return body, n, err
}

func (c *sqsCall) whole(string) []byte {
	type ok struct {
		ID               string `json:"Id"`
		MessageID        string `json:"MessageId"`
		MD5OfMessageBody string `json:"MD5OfMessageBody"`
	}
	oks := make([]ok, len(c.ids))
	for i, id := range c.ids {
		oks[i] = ok{id, fmt.Sprintf("00000000-0000-0000-0000-%012d", i), "d41d8cd98f00b204e9800998ecf8427e"}
	}
	b, _ := json.Marshal(map[string]any{"Successful": oks, "Failed": []sqsFailed{}})
	return b
}
