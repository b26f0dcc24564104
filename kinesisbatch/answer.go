package kinesisbatch

import (
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/batchutils/batchutils/internal/awscall"
)

// putRecordsAnswer reads the JSON answer of a PutRecords call into out as
// the SDK's deserializer does, member for member: it is the call's
// awscall.AnswerFunc. Its strings are substrings of one copy of the body,
// and the pointers to them point into one slice: a handful of allocations
// per call where the SDK makes four per record. A null anywhere, which the
// service does not send, leaves the answer to the SDK.
func putRecordsAnswer(body []byte, v any) bool {
	out, ok := v.(*kinesis.PutRecordsOutput)
	if !ok {
		return false
	}
	r := awscall.NewJSONReader(body)
	var (
		o    kinesis.PutRecordsOutput
		strs []string // what the results' string pointers point into
		null bool
	)
	str := func() *string {
		if r.Null() {
			null = true
			return nil
		}
		if len(strs) == cap(strs) {
			// A result takes 40 bytes or more for two strings: enough
			// room, most often, for all of them at once.
			strs = make([]string, 0, max(len(body)/20, 2*cap(strs)))
		}
		strs = append(strs, r.String())
		return &strs[len(strs)-1]
	}
	r.Object(func(key string) {
		if r.Null() {
			null = true
			return
		}
		switch key {
		case "EncryptionType":
			o.EncryptionType = types.EncryptionType(r.String())
		case "FailedRecordCount":
			n := r.Int32()
			o.FailedRecordCount = &n
		case "Records":
			o.Records = make([]types.PutRecordsResultEntry, 0, MaxBatchItems)
			r.Array(func() {
				if r.Null() {
					null = true
					return
				}
				var e types.PutRecordsResultEntry
				r.Object(func(key string) {
					switch key {
					case "ErrorCode":
						e.ErrorCode = str()
					case "ErrorMessage":
						e.ErrorMessage = str()
					case "SequenceNumber":
						e.SequenceNumber = str()
					case "ShardId":
						e.ShardId = str()
					default:
						r.Skip()
					}
				})
				o.Records = append(o.Records, e)
			})
		default:
			r.Skip()
		}
	})
	r.End()
	if r.Err != nil || null {
		return false
	}
	out.EncryptionType, out.FailedRecordCount, out.Records = o.EncryptionType, o.FailedRecordCount, o.Records
	return true
}
