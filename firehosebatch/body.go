package firehosebatch

import (
	"github.com/aws/aws-sdk-go-v2/service/firehose"

	"github.com/batchutils/batchutils/internal/awscall"
)

// putRecordBatchBody writes the JSON body of a PutRecordBatch call, as the
// SDK's serializer writes it: the members in the order of the API's model, a
// record's Data in base64. It is the call's awscall.BodyFunc: one buffer,
// sized up front, and no walk through the model's schema per member.
func putRecordBatchBody(buf []byte, v any) ([]byte, bool) {
	in, ok := v.(*firehose.PutRecordBatchInput)
	if !ok {
		return buf, false
	}
	if buf == nil {
		n := len(`{"DeliveryStreamName":,"Records":[]}`)
		if in.DeliveryStreamName != nil {
			n += awscall.StringLen(*in.DeliveryStreamName)
		}
		for i := range in.Records {
			n += len(`{"Data":},`) + awscall.BlobLen(in.Records[i].Data)
		}
		buf = make([]byte, 0, n)
	}
	buf = append(buf, '{')
	more := false // a member was written
	buf = awscall.AppendStringMember(buf, &more, "DeliveryStreamName", in.DeliveryStreamName)
	if in.Records != nil {
		buf = awscall.AppendKey(buf, &more, "Records")
		buf = append(buf, '[')
		for i := range in.Records {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '{')
			if d := in.Records[i].Data; d != nil {
				buf = append(buf, `"Data":`...)
				buf = awscall.AppendBlob(buf, d)
			}
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	return append(buf, '}'), true
}
