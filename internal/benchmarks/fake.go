package benchmarks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DynamoDB's limits on one BatchWriteItem call, as FakeDynamoDB checks them.
const (
	fakeMaxRequests     = 25
	fakeMaxRequestBytes = 16 << 20
)

// FakeDynamoDB is a DynamoDB endpoint that speaks the service's JSON 1.0
// protocol over HTTP and answers BatchWriteItem at once, without storing
// anything, so that what a benchmark measures is the client's own cost: the
// SDK's real serialization, signing, HTTP stack and deserialization run.
//
// It decodes each request and checks the limits that a client must respect
// (at most 25 write requests, a body of at most 16 MB, no two requests for the
// same key, a key attribute present in every request), answering a violation
// with a ValidationException as DynamoDB does. Every UnprocessedEvery-th write
// request it receives (counted over all calls, retries included) is returned
// in UnprocessedItems instead of being accepted. Throttling adds the ways a
// real table pushes back (see Throttling), and Timeline says what was
// accepted over time. DescribeTable is answered for any table, with KeyAttr
// as its partition key.
//
// All fields must be set before the first request. Its methods are safe for
// concurrent use.
type FakeDynamoDB struct {
	// KeyAttr is the name of the partition key attribute. "" means "id".
	KeyAttr string
	// UnprocessedEvery, if positive, leaves every UnprocessedEvery-th write
	// request unprocessed: 10 leaves 10% of them.
	UnprocessedEvery int
	// Delay, if positive, is how long each BatchWriteItem call waits
	// before answering: a slow backend.
	Delay time.Duration
	// Throttling says how the endpoint pushes back; the zero value never
	// throttles.
	Throttling Throttling
	// TimelineBucket is the width of the buckets of Timeline. 0: 50 ms.
	TimelineBucket time.Duration

	now func() time.Time // the clock; nil: time.Now

	calls       atomic.Int64 // BatchWriteItem calls
	requests    atomic.Int64 // write requests received, retries included
	accepted    atomic.Int64 // write requests accepted
	unprocessed atomic.Int64 // write requests returned unprocessed
	errors      atomic.Int64 // calls answered with an error
	throttled   atomic.Int64 // calls refused with ProvisionedThroughputExceededException
	cpu         atomic.Int64 // nanoseconds of CPU time spent in handlers

	mu       sync.Mutex
	firstErr string // the first error answered, for the benchmark to report

	tmu sync.Mutex
	ts  throttleState
}

// FakeStats counts what a FakeDynamoDB received.
type FakeStats struct {
	Calls       int64 // BatchWriteItem calls
	Requests    int64 // write requests received, retries included
	Accepted    int64 // write requests accepted
	Unprocessed int64 // write requests returned in UnprocessedItems
	Errors      int64 // calls refused with an error, throttling aside
	Throttled   int64 // calls refused whole over capacity (ProvisionedThroughputExceededException)
	FirstError  string
	// CPU is the CPU time the handlers used from the moment the request body
	// was read to the moment the answer was written (Linux only; 0
	// elsewhere). The rest of the server's work, in net/http, is not in it.
	CPU time.Duration
}

// Stats returns the counters as they are now.
func (f *FakeDynamoDB) Stats() FakeStats {
	f.mu.Lock()
	first := f.firstErr
	f.mu.Unlock()
	return FakeStats{
		Calls:       f.calls.Load(),
		Requests:    f.requests.Load(),
		Accepted:    f.accepted.Load(),
		Unprocessed: f.unprocessed.Load(),
		Errors:      f.errors.Load(),
		Throttled:   f.throttled.Load(),
		FirstError:  first,
		CPU:         time.Duration(f.cpu.Load()),
	}
}

// Start serves f on a new loopback address; close the server when done.
func (f *FakeDynamoDB) Start() *httptest.Server {
	return httptest.NewServer(f)
}

const targetPrefix = "DynamoDB_20120810."

// ServeHTTP answers one DynamoDB JSON 1.0 call.
func (f *FakeDynamoDB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		f.fail(w, http.StatusMethodNotAllowed, "UnknownOperationException", "method "+r.Method)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if len(target) <= len(targetPrefix) || target[:len(targetPrefix)] != targetPrefix {
		f.fail(w, http.StatusBadRequest, "UnknownOperationException", "X-Amz-Target "+strconv.Quote(target))
		return
	}
	if r.Header.Get("Authorization") == "" {
		f.fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Request is missing Authentication Token")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, fakeMaxRequestBytes+1))
	if err != nil {
		f.fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if f.Delay > 0 {
		time.Sleep(f.Delay)
	}
	// The handler's own work does not block: with the goroutine locked to
	// its thread, the thread's CPU clock measures it alone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	defer func() { f.cpu.Add(int64(threadCPU() - t0)) }()
	switch op := target[len(targetPrefix):]; op {
	case "BatchWriteItem":
		f.batchWriteItem(w, body)
	case "DescribeTable":
		f.describeTable(w, body)
	default:
		f.fail(w, http.StatusBadRequest, "UnknownOperationException", "operation "+op)
	}
}

// A write request found in a BatchWriteItem body: its raw JSON (to send it
// back unprocessed), its table (an index in the call's tables), the raw value
// of its key attribute, and how many of PutRequest and DeleteRequest it has.
type writeRequest struct {
	table int
	raw   []byte
	key   []byte
	ops   int
}

var allProcessed = []byte(`{"UnprocessedItems":{}}`)

// overCapacity is DynamoDB's answer to a call over the table's capacity.
var overCapacity = []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",` +
	`"message":"The level of configured provisioned throughput for the table was exceeded. ` +
	`Consider increasing your provisioning level with the UpdateTable API."}`)

func (f *FakeDynamoDB) batchWriteItem(w http.ResponseWriter, body []byte) {
	f.calls.Add(1)
	if len(body) > fakeMaxRequestBytes {
		f.fail(w, http.StatusRequestEntityTooLarge, "ValidationException", "Request size exceeded 16 MB")
		return
	}
	keyAttr := f.KeyAttr
	if keyAttr == "" {
		keyAttr = "id"
	}
	var tables [][]byte
	reqs := make([]writeRequest, 0, fakeMaxRequests)
	s := &scanner{b: body}
	ok := s.object(func(k []byte) bool {
		if string(k) != "RequestItems" {
			return s.skip()
		}
		return s.object(func(table []byte) bool {
			tables = append(tables, table)
			r := writeRequest{table: len(tables) - 1}
			return s.array(func() bool {
				s.ws()
				start := s.i
				r.key, r.ops = nil, 0
				ok := s.object(func(op []byte) bool {
					var field string
					switch string(op) {
					case "PutRequest":
						field = "Item"
					case "DeleteRequest":
						field = "Key"
					default:
						return s.skip()
					}
					r.ops++
					return s.object(func(k []byte) bool {
						if string(k) != field {
							return s.skip()
						}
						return s.object(func(attr []byte) bool {
							if string(attr) != keyAttr {
								return s.skip()
							}
							s.ws()
							ks := s.i
							if !s.skip() {
								return false
							}
							r.key = s.b[ks:s.i]
							return true
						})
					})
				})
				r.raw = s.b[start:s.i]
				reqs = append(reqs, r)
				return ok
			})
		})
	}) && s.end()
	if !ok {
		f.fail(w, http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected")
		return
	}
	switch {
	case len(reqs) == 0:
		f.fail(w, http.StatusBadRequest, "ValidationException", "The requestItems parameter is required for BatchWriteItem")
		return
	case len(reqs) > fakeMaxRequests:
		f.fail(w, http.StatusBadRequest, "ValidationException", "Too many items requested for the BatchWriteItem call")
		return
	}
	for i, r := range reqs {
		switch {
		case r.ops != 1:
			f.fail(w, http.StatusBadRequest, "ValidationException", "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			return
		case r.key == nil:
			f.fail(w, http.StatusBadRequest, "ValidationException", "The provided key element does not match the schema")
			return
		}
		for _, o := range reqs[:i] {
			if o.table == r.table && bytes.Equal(o.key, r.key) {
				f.fail(w, http.StatusBadRequest, "ValidationException", "Provided list of item keys contains duplicates")
				return
			}
		}
	}
	// Every check passed: now decide which requests are left, and write
	// them back grouped by table, as they came.
	left := make([]bool, len(reqs))
	for i := range reqs {
		n := f.requests.Add(1)
		left[i] = f.UnprocessedEvery > 0 && n%int64(f.UnprocessedEvery) == 0
	}
	if f.throttle(reqs, left) {
		f.throttled.Add(1)
		f.reply(w, http.StatusBadRequest, overCapacity)
		return
	}
	var out []byte
	nLeft, table := 0, -1
	for i, r := range reqs {
		if !left[i] {
			f.accepted.Add(1)
			continue
		}
		switch {
		case nLeft == 0:
			out = append(out, `{"UnprocessedItems":{"`...)
			out = append(out, tables[r.table]...)
			out = append(out, `":[`...)
		case r.table != table:
			out = append(out, `],"`...)
			out = append(out, tables[r.table]...)
			out = append(out, `":[`...)
		default:
			out = append(out, ',')
		}
		table = r.table
		out = append(out, r.raw...)
		nLeft++
	}
	if nLeft == 0 {
		out = allProcessed
	} else {
		out = append(out, "]}}"...)
	}
	f.unprocessed.Add(int64(nLeft))
	f.reply(w, http.StatusOK, out)
}

func (f *FakeDynamoDB) describeTable(w http.ResponseWriter, body []byte) {
	var in struct{ TableName string }
	if err := json.Unmarshal(body, &in); err != nil || in.TableName == "" {
		f.fail(w, http.StatusBadRequest, "ValidationException", "TableName is required")
		return
	}
	keyAttr := f.KeyAttr
	if keyAttr == "" {
		keyAttr = "id"
	}
	name, _ := json.Marshal(in.TableName)
	attr, _ := json.Marshal(keyAttr)
	out := fmt.Sprintf(`{"Table":{"TableName":%s,"TableStatus":"ACTIVE",`+
		`"KeySchema":[{"AttributeName":%s,"KeyType":"HASH"}],`+
		`"AttributeDefinitions":[{"AttributeName":%s,"AttributeType":"S"}],`+
		`"BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"},"ItemCount":0,"TableSizeBytes":0}}`,
		name, attr, attr)
	f.reply(w, http.StatusOK, []byte(out))
}

// reply writes a JSON 1.0 answer with the CRC32 header DynamoDB sends, which
// the SDK checks.
func (f *FakeDynamoDB) reply(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	h.Set("X-Amzn-Requestid", "fake")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail answers with a DynamoDB error: the SDK turns it into an error whose
// ErrorCode is code.
func (f *FakeDynamoDB) fail(w http.ResponseWriter, status int, code, msg string) {
	f.errors.Add(1)
	f.mu.Lock()
	if f.firstErr == "" {
		f.firstErr = code + ": " + msg
	}
	f.mu.Unlock()
	body, _ := json.Marshal(map[string]string{
		"__type":  "com.amazonaws.dynamodb.v20120810#" + code,
		"message": msg,
	})
	f.reply(w, status, body)
}
