package benchmarks

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
)

// SQS's limits on one SendMessageBatch call, as FakeSQS checks them.
const (
	fakeSQSMaxEntries    = 10
	fakeSQSMaxBatchBytes = 1 << 20
	fakeSQSMaxIDLength   = 80
	// fakeSQSMaxBody bounds the JSON body the fake reads: a call of 1 MiB
	// of messages whose every byte is escaped, and some.
	fakeSQSMaxBody = 8 << 20
)

// FakeSQS is an SQS endpoint that speaks the AWS JSON 1.0 protocol that
// aws-sdk-go-v2's service/sqs speaks, and answers SendMessageBatch at once,
// without storing anything, so that what a benchmark measures is the
// client's cost: the SDK's real serialization, signing, HTTP stack,
// deserialization and check of each message's MD5 run.
//
// It refuses a call as SQS does: no QueueUrl (QueueDoesNotExist), no entry
// (EmptyBatchRequest), more than 10 (TooManyEntriesInBatchRequest), an entry
// id that is not 1 to 80 of a-z A-Z 0-9 - _ (InvalidBatchEntryId), two
// entries with one id (BatchEntryIdsNotDistinct), an entry without a body
// (MissingParameter), more than 1 MiB of messages (BatchRequestTooLong, a
// message counting its body and each attribute's name, data type and
// value). It does not check the characters of a body. Every entry it takes
// is answered in Successful, with a MessageId and the MD5 of its body, but
// every FailEvery-th entry it receives (counted over all calls, retries
// included), which is answered in Failed with InternalError, as a fault of
// SQS's that the sender retries.
//
// All fields must be set before the first request. Its methods are safe for
// concurrent use.
type FakeSQS struct {
	// FailEvery, if positive, fails every FailEvery-th entry: 10 fails 10%
	// of them.
	FailEvery int

	ep        jsonEndpoint
	messageID atomicCounter
}

// Stats returns the counters as they are now: Requests counts the entries
// received, Unprocessed those answered in Failed.
func (f *FakeSQS) Stats() FakeStats { return f.ep.stats() }

// Start serves f on a new loopback address; close the server when done.
func (f *FakeSQS) Start() *httptest.Server {
	f.ep.protocol = "1.0"
	f.ep.errorPrefix = "com.amazonaws.sqs#"
	f.ep.queryErrors = sqsQueryErrors
	return httptest.NewServer(f)
}

// sqsQueryErrors are the query protocol's codes that SQS sends along with
// the JSON protocol's, in the header X-Amzn-Query-Error.
var sqsQueryErrors = map[string]string{
	"QueueDoesNotExist":            "AWS.SimpleQueueService.NonExistentQueue;Sender",
	"EmptyBatchRequest":            "AWS.SimpleQueueService.EmptyBatchRequest;Sender",
	"TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender",
	"InvalidBatchEntryId":          "AWS.SimpleQueueService.InvalidBatchEntryId;Sender",
	"BatchEntryIdsNotDistinct":     "AWS.SimpleQueueService.BatchEntryIdsNotDistinct;Sender",
	"BatchRequestTooLong":          "AWS.SimpleQueueService.BatchRequestTooLong;Sender",
	"MissingParameter":             "MissingParameter;Sender",
}

const sqsTargetPrefix = "AmazonSQS."

// ServeHTTP answers one SQS JSON 1.0 call.
func (f *FakeSQS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.ep.serve(w, r, sqsTargetPrefix, fakeSQSMaxBody, func(op string, body []byte) {
		switch op {
		case "SendMessageBatch":
			f.sendMessageBatch(w, body)
		default:
			f.ep.fail(w, http.StatusBadRequest, "UnknownOperationException", "operation "+op)
		}
	})
}

// sqsEntry is an entry found in a SendMessageBatch body: its raw id, the
// MD5 of its body, and its size as SQS counts it (attributes included).
type sqsEntry struct {
	id      []byte
	md5     [md5.Size]byte // of the body
	hasBody bool
	size    int
}

func (f *FakeSQS) sendMessageBatch(w http.ResponseWriter, body []byte) {
	f.ep.calls.Add(1)
	var (
		queue   []byte
		entries = make([]sqsEntry, 0, fakeSQSMaxEntries)
		badAttr bool
		msg     []byte // the message body being read, unquoted
	)
	s := &scanner{b: body}
	ok := s.object(func(k []byte) bool {
		switch string(k) {
		case "QueueUrl":
			var ok bool
			queue, ok = s.str()
			return ok
		case "Entries":
			return s.array(func() bool {
				var e sqsEntry
				ok := s.object(func(k []byte) bool {
					var ok bool
					switch string(k) {
					case "Id":
						e.id, ok = s.str()
					case "MessageBody":
						var raw []byte
						if raw, ok = s.str(); ok {
							msg, ok = appendUnquoted(msg[:0], raw)
							e.md5 = md5.Sum(msg)
							e.hasBody = true
							e.size += len(msg)
						}
					case "MessageAttributes":
						var n int
						n, ok = s.sqsAttributes()
						if n < 0 {
							badAttr = true
						}
						e.size += max(n, 0)
					default:
						ok = s.skip()
					}
					return ok
				})
				entries = append(entries, e)
				return ok
			})
		default:
			return s.skip()
		}
	}) && s.end()
	if !ok {
		f.ep.fail(w, http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected")
		return
	}
	size := 0
	for _, e := range entries {
		size += e.size
	}
	switch {
	case len(queue) == 0:
		f.ep.fail(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
		return
	case len(entries) == 0:
		f.ep.fail(w, http.StatusBadRequest, "EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.")
		return
	case len(entries) > fakeSQSMaxEntries:
		f.ep.fail(w, http.StatusBadRequest, "TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent "+strconv.Itoa(len(entries))+".")
		return
	case badAttr:
		f.ep.fail(w, http.StatusBadRequest, "InvalidParameterValue", "Message attribute has no DataType or no value.")
		return
	case size > fakeSQSMaxBatchBytes:
		f.ep.fail(w, http.StatusBadRequest, "BatchRequestTooLong", "Batch requests cannot be longer than 1048576 bytes. You have sent "+strconv.Itoa(size)+" bytes.")
		return
	}
	for i, e := range entries {
		if !validBatchEntryID(e.id) {
			f.ep.fail(w, http.StatusBadRequest, "InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
			return
		}
		if !e.hasBody {
			f.ep.fail(w, http.StatusBadRequest, "MissingParameter", "The request must contain the parameter MessageBody.")
			return
		}
		for _, o := range entries[:i] {
			if bytes.Equal(o.id, e.id) {
				f.ep.fail(w, http.StatusBadRequest, "BatchEntryIdsNotDistinct", "Id "+string(e.id)+" repeated.")
				return
			}
		}
	}
	out := make([]byte, 0, 64+len(entries)*160)
	out = append(out, `{"Successful":[`...)
	var failed []int
	n := 0
	for i, e := range entries {
		if c := f.ep.requests.Add(1); f.FailEvery > 0 && c%int64(f.FailEvery) == 0 {
			failed = append(failed, i)
			continue
		}
		if n > 0 {
			out = append(out, ',')
		}
		n++
		out = append(out, `{"Id":"`...)
		out = append(out, e.id...)
		out = append(out, `","MessageId":"`...)
		out = f.messageID.appendUUID(out)
		out = append(out, `","MD5OfMessageBody":"`...)
		out = hex.AppendEncode(out, e.md5[:])
		out = append(out, `"}`...)
	}
	out = append(out, `],"Failed":[`...)
	for j, i := range failed {
		if j > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"Id":"`...)
		out = append(out, entries[i].id...)
		out = append(out, `","Code":"InternalError","Message":"We encountered an internal error. Please try again.","SenderFault":false}`...)
	}
	out = append(out, "]}"...)
	f.ep.accepted.Add(int64(n))
	f.ep.failed.Add(int64(len(failed)))
	f.ep.reply(w, http.StatusOK, out)
}

// sqsAttributes reads the MessageAttributes of an entry and returns their
// size as SQS counts it: each name, data type and value. It returns -1 for
// an attribute without a data type or a value.
func (s *scanner) sqsAttributes() (int, bool) {
	size, bad := 0, false
	ok := s.object(func(name []byte) bool {
		size += len(name)
		hasType, hasValue := false, false
		ok := s.object(func(k []byte) bool {
			switch string(k) {
			case "DataType":
				t, ok := s.str()
				size += len(t)
				hasType = len(t) > 0
				return ok
			case "StringValue":
				v, ok := s.str()
				if u, uok := unquote(v); ok && uok {
					size += len(u)
				}
				hasValue = true
				return ok
			case "BinaryValue":
				v, ok := s.str()
				size += base64.StdEncoding.DecodedLen(len(v))
				hasValue = true
				return ok
			}
			return s.skip()
		})
		bad = bad || !hasType || !hasValue
		return ok
	})
	if bad {
		return -1, ok
	}
	return size, ok
}

// validBatchEntryID reports whether id is 1 to 80 of a-z A-Z 0-9 - _.
func validBatchEntryID(id []byte) bool {
	if len(id) == 0 || len(id) > fakeSQSMaxIDLength {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
