package sqsbatch

import (
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/internal/awscall"
)

// sendMessageBatchAnswer reads the JSON answer of a SendMessageBatch call
// into out as the SDK's deserializer does, member for member: it is the
// call's awscall.AnswerFunc, which takes its strings from one copy of the
// body where the SDK makes two allocations per string. A null, which SQS
// does not send, leaves the answer to the SDK. The MD5s of what was sent are
// checked against the answer by the writer (see unconfirmed).
func sendMessageBatchAnswer(body []byte, v any) bool {
	out, ok := v.(*sqs.SendMessageBatchOutput)
	if !ok {
		return false
	}
	r := awscall.NewJSONReader(body)
	var o sqs.SendMessageBatchOutput
	r.Object(func(key string) {
		switch key {
		case "Failed":
			o.Failed = awscall.ReadList(r, 0, func(e *types.BatchResultErrorEntry, key string) bool {
				switch key {
				case "Code":
					e.Code = r.StringPtr()
				case "Id":
					e.Id = r.StringPtr()
				case "Message":
					e.Message = r.StringPtr()
				case "SenderFault":
					e.SenderFault = r.Bool()
				default:
					return false
				}
				return true
			})
		case "Successful":
			o.Successful = awscall.ReadList(r, MaxBatchItems, func(e *types.SendMessageBatchResultEntry, key string) bool {
				switch key {
				case "Id":
					e.Id = r.StringPtr()
				case "MD5OfMessageAttributes":
					e.MD5OfMessageAttributes = r.StringPtr()
				case "MD5OfMessageBody":
					e.MD5OfMessageBody = r.StringPtr()
				case "MD5OfMessageSystemAttributes":
					e.MD5OfMessageSystemAttributes = r.StringPtr()
				case "MessageId":
					e.MessageId = r.StringPtr()
				case "SequenceNumber":
					e.SequenceNumber = r.StringPtr()
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
	out.Failed, out.Successful = o.Failed, o.Successful
	return true
}
