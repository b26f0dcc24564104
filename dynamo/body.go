package dynamo

import (
	"bytes"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/internal/awscall"
)

// batchWriteItemBody writes the JSON body of a BatchWriteItem call, as the
// SDK's serializer writes it: the members in the order of the API's model
// (RequestItems, ReturnConsumedCapacity, ReturnItemCollectionMetrics), a
// write request's DeleteRequest before its PutRequest, each attribute value
// as a union of one member ({"S":...}, N as a string, B and BS in base64),
// maps in Go's iteration order. It is the call's awscall.BodyFunc: no walk
// through the model's schema per attribute.
//
// Given no buffer, it writes the body in one that earlier calls used, and
// returns a copy at the body's size: a copy costs less than finding the
// size first, which walks every attribute map of the call once more (about
// a fifth of writing the body, for items of ten attributes).
//
// An input holding an attribute value the SDK writes nothing for (a nil
// one, or a types.UnknownUnionMember) is left to the SDK: batchWriteItemBody
// reports false for it.
func batchWriteItemBody(buf []byte, v any) ([]byte, bool) {
	in, ok := v.(*dynamodb.BatchWriteItemInput)
	if !ok {
		return buf, false
	}
	if buf != nil {
		return appendBatchWriteItem(buf, in)
	}
	scratch := bodyBuffers.Get().(*[]byte)
	b, ok := appendBatchWriteItem((*scratch)[:0], in)
	if ok {
		buf = bytes.Clone(b)
	}
	if cap(b) <= maxPooledBody {
		*scratch = b[:0]
		bodyBuffers.Put(scratch)
	}
	return buf, ok
}

// bodyBuffers holds the buffers that batchWriteItemBody writes bodies in.
var bodyBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody bounds the buffers kept in bodyBuffers: the body of a call
// with items near DynamoDB's largest is written in a buffer of its own.
const maxPooledBody = 1 << 20

// appendBatchWriteItem appends the body of in to buf.
func appendBatchWriteItem(buf []byte, in *dynamodb.BatchWriteItemInput) ([]byte, bool) {
	ok := true
	buf = append(buf, '{')
	more := false // a member was written
	if in.RequestItems != nil {
		buf = awscall.AppendKey(buf, &more, "RequestItems")
		buf = append(buf, '{')
		tables := false // a table was written
		for table, wrs := range in.RequestItems {
			buf = awscall.AppendStringKey(buf, &tables, table)
			buf = append(buf, '[')
			for i := range wrs {
				if i > 0 {
					buf = append(buf, ',')
				}
				if buf, ok = appendWriteRequest(buf, &wrs[i]); !ok {
					return buf, false
				}
			}
			buf = append(buf, ']')
		}
		buf = append(buf, '}')
	}
	if in.ReturnConsumedCapacity != "" {
		buf = awscall.AppendKey(buf, &more, "ReturnConsumedCapacity")
		buf = awscall.AppendString(buf, string(in.ReturnConsumedCapacity))
	}
	if in.ReturnItemCollectionMetrics != "" {
		buf = awscall.AppendKey(buf, &more, "ReturnItemCollectionMetrics")
		buf = awscall.AppendString(buf, string(in.ReturnItemCollectionMetrics))
	}
	return append(buf, '}'), true
}

// appendWriteRequest appends wr as a JSON object, its DeleteRequest first.
func appendWriteRequest(buf []byte, wr *types.WriteRequest) ([]byte, bool) {
	ok := true
	buf = append(buf, '{')
	if wr.DeleteRequest != nil {
		buf = append(buf, `"DeleteRequest":{`...)
		if wr.DeleteRequest.Key != nil {
			buf = append(buf, `"Key":`...)
			if buf, ok = appendAttributeMap(buf, wr.DeleteRequest.Key); !ok {
				return buf, false
			}
		}
		buf = append(buf, '}')
	}
	if wr.PutRequest != nil {
		if wr.DeleteRequest != nil {
			buf = append(buf, ',')
		}
		buf = append(buf, `"PutRequest":{`...)
		if wr.PutRequest.Item != nil {
			buf = append(buf, `"Item":`...)
			if buf, ok = appendAttributeMap(buf, wr.PutRequest.Item); !ok {
				return buf, false
			}
		}
		buf = append(buf, '}')
	}
	return append(buf, '}'), true
}

// appendAttributeMap appends m as a JSON object of attribute values; a nil
// m as {}, as the SDK writes the M of an attribute value.
func appendAttributeMap(buf []byte, m map[string]types.AttributeValue) ([]byte, bool) {
	ok := true
	buf = append(buf, '{')
	more := false // an attribute was written
	for name, av := range m {
		buf = awscall.AppendStringKey(buf, &more, name)
		if buf, ok = appendAttributeValue(buf, av); !ok {
			return buf, false
		}
	}
	return append(buf, '}'), true
}

// appendAttributeValue appends av as the SDK writes the union: an object of
// its one member. It reports false for a value the SDK writes nothing for.
func appendAttributeValue(buf []byte, av types.AttributeValue) ([]byte, bool) {
	ok := true
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		buf = append(buf, `{"S":`...)
		buf = awscall.AppendString(buf, v.Value)
	case *types.AttributeValueMemberN:
		buf = append(buf, `{"N":`...)
		buf = awscall.AppendString(buf, v.Value)
	case *types.AttributeValueMemberB:
		buf = append(buf, `{"B":`...)
		buf = awscall.AppendBlob(buf, v.Value)
	case *types.AttributeValueMemberBOOL:
		buf = append(buf, `{"BOOL":`...)
		buf = appendBool(buf, v.Value)
	case *types.AttributeValueMemberNULL:
		buf = append(buf, `{"NULL":`...)
		buf = appendBool(buf, v.Value)
	case *types.AttributeValueMemberM:
		buf = append(buf, `{"M":`...)
		if buf, ok = appendAttributeMap(buf, v.Value); !ok {
			return buf, false
		}
	case *types.AttributeValueMemberL:
		buf = append(buf, `{"L":[`...)
		for i, e := range v.Value {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, ok = appendAttributeValue(buf, e); !ok {
				return buf, false
			}
		}
		buf = append(buf, ']')
	case *types.AttributeValueMemberSS:
		buf = append(buf, `{"SS":`...)
		buf = awscall.AppendArray(buf, v.Value, awscall.AppendString)
	case *types.AttributeValueMemberNS:
		buf = append(buf, `{"NS":`...)
		buf = awscall.AppendArray(buf, v.Value, awscall.AppendString)
	case *types.AttributeValueMemberBS:
		buf = append(buf, `{"BS":`...)
		buf = awscall.AppendArray(buf, v.Value, awscall.AppendBlob)
	default:
		return buf, false
	}
	// A nil *types.AttributeValueMemberS (or other member) panics above, as
	// it does in the SDK's serializer.
	return append(buf, '}'), true
}

func appendBool(buf []byte, b bool) []byte {
	if b {
		return append(buf, "true"...)
	}
	return append(buf, "false"...)
}
