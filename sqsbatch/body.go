package sqsbatch

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/internal/awscall"
)

// sendMessageBatchBody writes the JSON body of a SendMessageBatch call, as
// the SDK's serializer writes it: the members in the order of the API's
// model, each only when the SDK writes it (a pointer or a slice or map that
// is not nil, a DelaySeconds that is not 0), blobs in base64. It is the
// call's awscall.BodyFunc: one buffer, sized up front, and no walk through
// the model's schema per member. Map entries come in Go's map order, as the
// SDK's do: a map of more than one attribute is the same JSON object, not
// the same bytes.
func sendMessageBatchBody(buf []byte, v any) ([]byte, bool) {
	in, ok := v.(*sqs.SendMessageBatchInput)
	if !ok {
		return buf, false
	}
	if buf == nil {
		buf = make([]byte, 0, sendMessageBatchSize(in))
	}
	buf = append(buf, '{')
	more := false // a member was written
	if in.Entries != nil {
		buf = awscall.AppendKey(buf, &more, "Entries")
		buf = append(buf, '[')
		for i := range in.Entries {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendEntry(buf, &in.Entries[i])
		}
		buf = append(buf, ']')
	}
	buf = awscall.AppendStringMember(buf, &more, "QueueUrl", in.QueueUrl)
	return append(buf, '}'), true
}

// appendEntry appends the JSON object of e, as the SDK's
// SendMessageBatchRequestEntry.SerializeMembers writes it.
func appendEntry(buf []byte, e *types.SendMessageBatchRequestEntry) []byte {
	buf = append(buf, '{')
	more := false
	if e.DelaySeconds != 0 {
		buf = awscall.AppendKey(buf, &more, "DelaySeconds")
		buf = strconv.AppendInt(buf, int64(e.DelaySeconds), 10)
	}
	buf = awscall.AppendStringMember(buf, &more, "Id", e.Id)
	if e.MessageAttributes != nil {
		buf = awscall.AppendKey(buf, &more, "MessageAttributes")
		buf = appendAttributes(buf, e.MessageAttributes)
	}
	buf = awscall.AppendStringMember(buf, &more, "MessageBody", e.MessageBody)
	buf = awscall.AppendStringMember(buf, &more, "MessageDeduplicationId", e.MessageDeduplicationId)
	buf = awscall.AppendStringMember(buf, &more, "MessageGroupId", e.MessageGroupId)
	if e.MessageSystemAttributes != nil {
		buf = awscall.AppendKey(buf, &more, "MessageSystemAttributes")
		buf = appendAttributes(buf, e.MessageSystemAttributes)
	}
	return append(buf, '}')
}

// appendAttributes appends m, message attributes or message system
// attributes, as a JSON object of appendAttribute's objects.
func appendAttributes[V types.MessageAttributeValue | types.MessageSystemAttributeValue](buf []byte, m map[string]V) []byte {
	buf = append(buf, '{')
	more := false // an attribute was written
	for k, a := range m {
		buf = awscall.AppendStringKey(buf, &more, k)
		buf = appendAttribute(buf, types.MessageAttributeValue(a))
	}
	return append(buf, '}')
}

// appendAttribute appends the JSON object of a MessageAttributeValue, or of
// a MessageSystemAttributeValue converted to one (the same members), as the
// SDK writes them.
func appendAttribute(buf []byte, a types.MessageAttributeValue) []byte {
	buf = append(buf, '{')
	more := false
	if a.BinaryListValues != nil {
		buf = awscall.AppendKey(buf, &more, "BinaryListValues")
		buf = awscall.AppendArray(buf, a.BinaryListValues, awscall.AppendBlob)
	}
	if a.BinaryValue != nil {
		buf = awscall.AppendKey(buf, &more, "BinaryValue")
		buf = awscall.AppendBlob(buf, a.BinaryValue)
	}
	buf = awscall.AppendStringMember(buf, &more, "DataType", a.DataType)
	if a.StringListValues != nil {
		buf = awscall.AppendKey(buf, &more, "StringListValues")
		buf = awscall.AppendArray(buf, a.StringListValues, awscall.AppendString)
	}
	buf = awscall.AppendStringMember(buf, &more, "StringValue", a.StringValue)
	return append(buf, '}')
}

// sendMessageBatchSize returns the size of in's body when none of its
// strings needs an escape.
func sendMessageBatchSize(in *sqs.SendMessageBatchInput) int {
	n := len(`{"Entries":[],"QueueUrl":}`)
	if in.QueueUrl != nil {
		n += awscall.StringLen(*in.QueueUrl)
	}
	for i := range in.Entries {
		e := &in.Entries[i]
		n += len(`{"DelaySeconds":-2147483648,"Id":,"MessageAttributes":{},"MessageBody":,"MessageDeduplicationId":,"MessageGroupId":,"MessageSystemAttributes":{}},`)
		for _, s := range []*string{e.Id, e.MessageBody, e.MessageDeduplicationId, e.MessageGroupId} {
			if s != nil {
				n += awscall.StringLen(*s)
			}
		}
		for k, a := range e.MessageAttributes {
			n += awscall.StringLen(k) + attributeSize(a.BinaryListValues, a.BinaryValue, a.DataType, a.StringListValues, a.StringValue)
		}
		for k, a := range e.MessageSystemAttributes {
			n += awscall.StringLen(k) + attributeSize(a.BinaryListValues, a.BinaryValue, a.DataType, a.StringListValues, a.StringValue)
		}
	}
	return n
}

// attributeSize returns the size of an attribute's value, its key's colon
// and the comma after it, as appendAttribute writes them, when none of its
// strings needs an escape.
func attributeSize(binList [][]byte, bin []byte, dataType *string, strList []string, str *string) int {
	n := len(`:{"BinaryListValues":[],"BinaryValue":,"DataType":,"StringListValues":[],"StringValue":},`) + awscall.BlobLen(bin)
	for _, b := range binList {
		n += awscall.BlobLen(b) + 1
	}
	for _, s := range strList {
		n += awscall.StringLen(s) + 1
	}
	for _, s := range []*string{dataType, str} {
		if s != nil {
			n += awscall.StringLen(*s)
		}
	}
	return n
}
