package benchmarks

import (
	"crypto/md5"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"unicode/utf8"
)

// Kinesis's limits on one PutRecords call, as FakeKinesis checks them.
const (
	fakeKinesisMaxRecords      = 500
	fakeKinesisMaxRequestBytes = 5 << 20
	fakeKinesisMaxRecordBytes  = 1 << 20
	fakeKinesisMaxKeyLength    = 256
	// fakeKinesisMaxBody bounds the JSON body the fake reads: 5 MiB of
	// data is about 6.7 MiB in base64, and every key may be escaped.
	fakeKinesisMaxBody = 12 << 20
)

// FakeKinesis is a Kinesis endpoint that speaks the AWS JSON 1.1 protocol
// that aws-sdk-go-v2's service/kinesis speaks, and answers PutRecords at
// once, without storing anything, so that what a benchmark measures is the
// client's cost: the SDK's real serialization (base64 of the data
// included), signing, HTTP stack and deserialization run.
//
// It refuses a call as Kinesis does: no StreamName nor StreamARN, no record
// or more than 500, a record without data, without a partition key or with
// one over 256 characters (ValidationException), data that is not base64
// (SerializationException), a record over 1 MiB or a call over 5 MiB of
// data and partition keys (InvalidArgumentException). Every record it takes
// is answered with a SequenceNumber and the ShardId that the MD5 of its
// partition key (or its ExplicitHashKey) picks among Shards shards of equal
// ranges, but every FailEvery-th record it receives (counted over all calls,
// retries included), which is answered with
// ProvisionedThroughputExceededException, as a throttled shard does.
//
// All fields must be set before the first request. Its methods are safe for
// concurrent use.
type FakeKinesis struct {
	// Shards is the count of the stream's shards. 0: 1.
	Shards int
	// FailEvery, if positive, fails every FailEvery-th record: 10 fails 10%
	// of them.
	FailEvery int

	ep       jsonEndpoint
	sequence atomicCounter
}

// Stats returns the counters as they are now: Requests counts the records
// received, Unprocessed those answered with an ErrorCode.
func (f *FakeKinesis) Stats() FakeStats { return f.ep.stats() }

// Start serves f on a new loopback address; close the server when done.
func (f *FakeKinesis) Start() *httptest.Server {
	f.ep.protocol = "1.1"
	return httptest.NewServer(f)
}

const kinesisTargetPrefix = "Kinesis_20131202."

// ServeHTTP answers one Kinesis JSON 1.1 call.
func (f *FakeKinesis) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.ep.serve(w, r, kinesisTargetPrefix, fakeKinesisMaxBody, func(op string, body []byte) {
		switch op {
		case "PutRecords":
			f.putRecords(w, body)
		default:
			f.ep.fail(w, http.StatusBadRequest, "UnknownOperationException", "operation "+op)
		}
	})
}

// kinesisRecord is a record found in a PutRecords body: its partition key
// (as sent, escapes and all), its explicit hash key, and its data's length
// once decoded (-1 without data).
type kinesisRecord struct {
	key, hashKey []byte
	hasKey       bool
	keyLen       int // in UTF-16 code units
	keyBytes     int // in bytes, once unescaped
	dataLen      int
}

func (f *FakeKinesis) putRecords(w http.ResponseWriter, body []byte) {
	f.ep.calls.Add(1)
	var (
		stream  bool
		badData bool
		records = make([]kinesisRecord, 0, fakeKinesisMaxRecords)
	)
	s := &scanner{b: body}
	ok := s.object(func(k []byte) bool {
		switch string(k) {
		case "StreamName", "StreamARN":
			v, ok := s.str()
			stream = stream || len(v) > 0
			return ok
		case "Records":
			return s.array(func() bool {
				r := kinesisRecord{dataLen: -1}
				ok := s.object(func(k []byte) bool {
					switch string(k) {
					case "Data":
						v, ok := s.str()
						if n, valid := base64Len(v); valid {
							r.dataLen = n
						} else {
							badData = true
						}
						return ok
					case "PartitionKey":
						v, ok := s.str()
						r.key, r.hasKey = v, true
						if u, uok := unquote(v); ok && uok {
							r.keyLen, r.keyBytes = utf16Len(u), len(u)
						}
						return ok
					case "ExplicitHashKey":
						var ok bool
						r.hashKey, ok = s.str()
						return ok
					}
					return s.skip()
				})
				records = append(records, r)
				return ok
			})
		}
		return s.skip()
	}) && s.end()
	switch {
	case !ok:
		f.ep.fail(w, http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected")
		return
	case badData:
		f.ep.fail(w, http.StatusBadRequest, "SerializationException", "Data is not valid base64")
		return
	case !stream:
		f.ep.fail(w, http.StatusBadRequest, "ValidationException", "Either StreamName or StreamARN should be provided.")
		return
	case len(records) == 0 || len(records) > fakeKinesisMaxRecords:
		f.ep.fail(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value at 'records' failed to satisfy constraint: "+
			"Member must have length between 1 and 500, got "+strconv.Itoa(len(records)))
		return
	}
	size := 0
	for _, r := range records {
		switch {
		case r.dataLen < 0:
			f.ep.fail(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'records.member.data' failed to satisfy constraint: Member must not be null")
			return
		case !r.hasKey || r.keyLen < 1 || r.keyLen > fakeKinesisMaxKeyLength:
			f.ep.fail(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value at 'records.member.partitionKey' failed to satisfy constraint: "+
				"Member must have length between 1 and 256")
			return
		case r.dataLen+r.keyBytes > fakeKinesisMaxRecordBytes:
			f.ep.fail(w, http.StatusBadRequest, "InvalidArgumentException", "Record size exceeds 1 MB limit")
			return
		}
		size += r.dataLen + r.keyBytes
	}
	if size > fakeKinesisMaxRequestBytes {
		f.ep.fail(w, http.StatusBadRequest, "InvalidArgumentException", "Records size exceeds 5 MB limit: "+strconv.Itoa(size)+" bytes")
		return
	}
	out := make([]byte, 0, 48+len(records)*110)
	out = append(out, `{"FailedRecordCount":`...)
	countAt := len(out)
	out = append(out, `     ,"Records":[`...) // room for the count, written below
	failed := 0
	for i, r := range records {
		if i > 0 {
			out = append(out, ',')
		}
		if c := f.ep.requests.Add(1); f.FailEvery > 0 && c%int64(f.FailEvery) == 0 {
			failed++
			out = append(out, `{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded for shard `...)
			out = f.appendShard(out, r)
			out = append(out, ` in stream bench under account 000000000000."}`...)
			continue
		}
		out = append(out, `{"SequenceNumber":"`...)
		out = f.sequence.appendSequence(out)
		out = append(out, `","ShardId":"`...)
		out = f.appendShard(out, r)
		out = append(out, `"}`...)
	}
	out = append(out, "]}"...)
	copy(out[countAt:countAt+5], strconv.Itoa(failed))
	f.ep.accepted.Add(int64(len(records) - failed))
	f.ep.failed.Add(int64(failed))
	f.ep.reply(w, http.StatusOK, out)
}

// appendShard appends the id of r's shard: the one whose range of the
// 128-bit hash key space holds r's explicit hash key, or else the MD5 of its
// partition key.
func (f *FakeKinesis) appendShard(b []byte, r kinesisRecord) []byte {
	shard := 0
	if n := f.Shards; n > 1 {
		var h big.Int
		if _, ok := h.SetString(string(r.hashKey), 10); !ok || len(r.hashKey) == 0 {
			key, _ := unquote(r.key)
			sum := md5.Sum(key)
			h.SetBytes(sum[:])
		}
		shard = int(h.Div(h.Mul(&h, big.NewInt(int64(n))), new(big.Int).Lsh(big.NewInt(1), 128)).Int64())
		shard = min(shard, n-1)
	}
	b = append(b, "shardId-"...)
	var d [20]byte
	return appendPadded(b, strconv.AppendInt(d[:0], int64(shard), 10), 12)
}

// base64Len returns the length of the data that standard, padded base64 v
// (raw from the scanner) stands for, and whether v is such base64.
func base64Len(v []byte) (int, bool) {
	v, ok := unquote(v)
	if !ok || len(v)%4 != 0 {
		return 0, false
	}
	pad := 0
	for i, c := range v {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			if pad > 0 {
				return 0, false
			}
		case c == '=' && i >= len(v)-2:
			pad++
		default:
			return 0, false
		}
	}
	return len(v)/4*3 - pad, true
}

// utf16Len returns the length of the UTF-8 text s in UTF-16 code units, as
// Kinesis counts a partition key: -1 if s is not UTF-8.
func utf16Len(s []byte) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size <= 1 {
			return -1
		}
		n++
		if r >= 0x10000 {
			n++
		}
		s = s[size:]
	}
	return n
}
