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
// per call where the SDK makes four per record. A null, which Kinesis does
// not send, leaves the answer to the SDK.
func putRecordsAnswer(body []byte, v any) bool {
	out, ok := v.(*kinesis.PutRecordsOutput)
	if !ok {
		return false
	}
	r := awscall.NewJSONReader(body)
	var o kinesis.PutRecordsOutput
	r.Object(func(key string) {
		switch key {
		case "EncryptionType":
			o.EncryptionType = types.EncryptionType(r.String())
		case "FailedRecordCount":
			n := r.Int32()
			o.FailedRecordCount = &n
		case "Records":
			o.Records = awscall.ReadList(r, MaxBatchItems, func(e *types.PutRecordsResultEntry, key string) bool {
				switch key {
				case "ErrorCode":
					e.ErrorCode = r.StringPtr()
				case "ErrorMessage":
					e.ErrorMessage = r.StringPtr()
				case "SequenceNumber":
					e.SequenceNumber = r.StringPtr()
				case "ShardId":
					e.ShardId = r.StringPtr()
				default:
					return false
				}
				return true
			})
		default:
			r.Skip()
		}
	})
	r.End()
	if r.Err != nil {
		return false
	}
	out.EncryptionType, out.FailedRecordCount, out.Records = o.EncryptionType, o.FailedRecordCount, o.Records
	return true
}
