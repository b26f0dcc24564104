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
			if r.ExplicitHashKey != nil {
				buf = awscall.AppendKey(buf, &more, "ExplicitHashKey")
				buf = awscall.AppendString(buf, *r.ExplicitHashKey)
			}
			if r.PartitionKey != nil {
				buf = awscall.AppendKey(buf, &more, "PartitionKey")
				buf = awscall.AppendString(buf, *r.PartitionKey)
			}
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	for _, m := range []struct {
		name string
		v    *string
	}{{"StreamARN", in.StreamARN}, {"StreamId", in.StreamId}, {"StreamName", in.StreamName}} {
		if m.v != nil {
			buf = awscall.AppendKey(buf, &more, m.name)
			buf = awscall.AppendString(buf, *m.v)
		}
	}
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
