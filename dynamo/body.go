package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/internal/awscall"
)

// batchWriteItemBody writes the JSON body of a BatchWriteItem call, as the
// SDK's serializer writes it: the members in the order of the API's model
// (RequestItems, ReturnConsumedCapacity, ReturnItemCollectionMetrics), a
// write request's DeleteRequest before its PutRequest, each attribute value
// as a union of one member ({"S":...}, N as a string, B and BS in base64),
// maps in Go's iteration order. It is the call's awscall.BodyFunc: one
// buffer, sized up front, and no walk through the model's schema per
// attribute.
//
// An input holding an attribute value the SDK writes nothing for (a nil
// one, or a types.UnknownUnionMember) is left to the SDK: batchWriteItemBody
// reports false for it.
func batchWriteItemBody(buf []byte, v any) ([]byte, bool) {
	in, ok := v.(*dynamodb.BatchWriteItemInput)
	if !ok {
		return buf, false
	}
	if buf == nil {
		buf = make([]byte, 0, batchWriteItemSize(in))
	}
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

// batchWriteItemSize returns the size of in's body when none of its strings
// needs an escape.
func batchWriteItemSize(in *dynamodb.BatchWriteItemInput) int {
	n := len(`{"RequestItems":{},"ReturnConsumedCapacity":,"ReturnItemCollectionMetrics":}`) +
		awscall.StringLen(string(in.ReturnConsumedCapacity)) + awscall.StringLen(string(in.ReturnItemCollectionMetrics))
	for table, wrs := range in.RequestItems {
		n += awscall.StringLen(table) + len(`:[],`)
		for i := range wrs {
			wr := &wrs[i]
			n += len(`{},`)
			if wr.DeleteRequest != nil {
				n += len(`"DeleteRequest":{"Key":},`) + attributeMapSize(wr.DeleteRequest.Key)
			}
			if wr.PutRequest != nil {
				n += len(`"PutRequest":{"Item":}`) + attributeMapSize(wr.PutRequest.Item)
			}
		}
	}
	return n
}

// attributeMapSize returns the size of m in JSON when none of its strings
// needs an escape.
func attributeMapSize(m map[string]types.AttributeValue) int {
	n := len(`{}`)
	for name, av := range m {
		n += awscall.StringLen(name) + len(`:,`) + attributeValueSize(av)
	}
	return n
}

// attributeValueSize returns the size of av in JSON when none of its
// strings needs an escape.
func attributeValueSize(av types.AttributeValue) int {
	const union = len(`{"XX":}`)
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return union + awscall.StringLen(v.Value)
	case *types.AttributeValueMemberN:
		return union + awscall.StringLen(v.Value)
	case *types.AttributeValueMemberB:
		return union + awscall.BlobLen(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return union + len(`BOOLfalse`)
	case *types.AttributeValueMemberM:
		return union + attributeMapSize(v.Value)
	case *types.AttributeValueMemberL:
		n := union + len(`[]`)
		for _, e := range v.Value {
			n += attributeValueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberSS:
		return union + stringsSize(v.Value)
	case *types.AttributeValueMemberNS:
		return union + stringsSize(v.Value)
	case *types.AttributeValueMemberBS:
		n := union + len(`[]`)
		for _, b := range v.Value {
			n += awscall.BlobLen(b) + 1
		}
		return n
	}
	return 0
}

// stringsSize returns the size of ss as a JSON array when none of its
// strings needs an escape.
func stringsSize(ss []string) int {
	n := len(`[]`)
	for _, s := range ss {
		n += awscall.StringLen(s) + 1
	}
	return n
}
