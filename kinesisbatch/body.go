package kinesisbatch

import (
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/batchutils/batchutils/internal/awscall"
)

// putRecordsBody writes the JSON body of a PutRecords call, as the SDK's
// serializer writes it: the members in the order of the API's model, a
// record's Data in base64. It is the call's awscall.BodyFunc: one buffer,
// sized up front, and no walk through the model's schema per member.
func putRecordsBody(buf []byte, v any) ([]byte, bool) {
	in, ok := v.(*kinesis.PutRecordsInput)
	if !ok {
		return buf, false
	}
	if buf == nil {
		buf = make([]byte, 0, putRecordsSize(in))
	}
	buf = append(buf, '{')
	more := false // a member was written
	if in.DryRun != nil {
		buf = awscall.AppendKey(buf, &more, "DryRun")
		if *in.DryRun {
			buf = append(buf, "true"...)
		} else {
			buf = append(buf, "false"...)
		}
	}
	if in.Records != nil {
		buf = awscall.AppendKey(buf, &more, "Records")
		buf = append(buf, '[')
		for i := range in.Records {
			r := &in.Records[i]
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '{')
			more := false
			if r.Data != nil {
				buf = awscall.AppendKey(buf, &more, "Data")
				buf = awscall.AppendBlob(buf, r.Data)
			}
			buf = awscall.AppendStringMember(buf, &more, "ExplicitHashKey", r.ExplicitHashKey)
			buf = awscall.AppendStringMember(buf, &more, "PartitionKey", r.PartitionKey)
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	buf = awscall.AppendStringMember(buf, &more, "StreamARN", in.StreamARN)
	buf = awscall.AppendStringMember(buf, &more, "StreamId", in.StreamId)
	buf = awscall.AppendStringMember(buf, &more, "StreamName", in.StreamName)
	return append(buf, '}'), true
}

// putRecordsSize returns the size of in's body when none of its strings
// needs an escape.
func putRecordsSize(in *kinesis.PutRecordsInput) int {
	n := len(`{"DryRun":false,"Records":[],"StreamARN":,"StreamId":,"StreamName":}`)
	for i := range in.Records {
		r := &in.Records[i]
		n += len(`{"Data":,"ExplicitHashKey":,"PartitionKey":},`) + awscall.BlobLen(r.Data)
		if r.ExplicitHashKey != nil {
			n += awscall.StringLen(*r.ExplicitHashKey)
		}
		if r.PartitionKey != nil {
			n += awscall.StringLen(*r.PartitionKey)
		}
	}
	for _, s := range []*string{in.StreamARN, in.StreamId, in.StreamName} {
		if s != nil {
			n += awscall.StringLen(*s)
		}
	}
	return n
}
