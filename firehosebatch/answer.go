package firehosebatch

import (
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/batchutils/batchutils/internal/awscall"
)

// putRecordBatchAnswer reads the JSON answer of a PutRecordBatch call into
// out as the SDK's deserializer does, member for member: it is the call's
// awscall.AnswerFunc, which takes its strings from one copy of the body
// where the SDK makes two allocations per record. A null, which Firehose
// does not send, leaves the answer to the SDK.
func putRecordBatchAnswer(body []byte, v any) bool {
	out, ok := v.(*firehose.PutRecordBatchOutput)
	if !ok {
		return false
	}
	r := awscall.NewJSONReader(body)
	var o firehose.PutRecordBatchOutput
	r.Object(func(key string) {
		switch key {
		case "Encrypted":
			b := r.Bool()
			o.Encrypted = &b
		case "FailedPutCount":
			n := r.Int32()
			o.FailedPutCount = &n
		case "RequestResponses":
			o.RequestResponses = awscall.ReadList(r, MaxBatchItems, func(e *types.PutRecordBatchResponseEntry, key string) bool {
				switch key {
				case "ErrorCode":
					e.ErrorCode = r.StringPtr()
				case "ErrorMessage":
					e.ErrorMessage = r.StringPtr()
				case "RecordId":
					e.RecordId = r.StringPtr()
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
	out.Encrypted, out.FailedPutCount, out.RequestResponses = o.Encrypted, o.FailedPutCount, o.RequestResponses
	return true
}
