// Package ddbsize measures DynamoDB items before they are sent, so that a
// batch writer can refuse an item DynamoDB would reject as too large and can
// keep a BatchWriteItem request body under its size limit without encoding
// anything.
//
// Two figures are computed, in one walk of the item and without allocating:
//
//   - [ItemSize] is the size DynamoDB itself counts against its 400 KB item
//     limit (attribute names plus values, with the overheads listed in the
//     DynamoDB Developer Guide, "DynamoDB item sizes and formats":
//     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
//   - [JSONSize] is an upper bound of the bytes aws-sdk-go-v2 writes for the
//     item in a request body, escaping and base64 included. It is exact for
//     the current SDK unless the item holds invalid UTF-8 or nil values.
//
// [Sizes] returns both and is the one to call on a hot path.
//
// # Item size rules
//
// The Developer Guide page above gives these rules, which [ItemSize] follows:
//
//	String        UTF-8 bytes
//	Binary        raw bytes (not base64)
//	Number        about 1 byte per two significant digits, plus 1 byte
//	Null, Boolean 1 byte
//	List, Map     3 bytes, plus 1 byte and the size of each element
//	              (a Map element's size includes its name)
//	Attribute     UTF-8 bytes of its name, plus the size of its value
//
// Sets (SS, NS, BS) are not on that page; they count the sum of their elements,
// as the public calculators do (see [NumberSize] for the number rule, which
// the guide only gives approximately). The Developer Guide's "Constraints"
// page (item size, number range) is the source for [MaxItemSize] and for the
// checks in [NumberSize].
//
// # The JSON wire size
//
// aws-sdk-go-v2's DynamoDB client, as of service/dynamodb v1.74.0,
// serializes through smithy-go's schema-based JSON serializer
// (transport/http/protocol/internal/json in smithy-go v1.28.9); releases
// before that serializer used generated code over smithy-go's encoding/json. Both escape '"', '\\' and control
// characters below U+0020 (\n, \r, \t as two bytes, the others as \u00XX) and
// U+2028 and U+2029 as \u2028 and \u2029; neither escapes '<', '>' or '&'.
// They differ on two inputs: the schema serializer escapes DEL (0x7F) as
// \u007f where encoding/json writes it raw, and it writes an invalid UTF-8
// byte as a raw U+FFFD (3 bytes) where encoding/json writes \ufffd (6 bytes).
// [JSONSize] counts the larger of the two for each, so it bounds both.
// Binary values are standard, padded base64; numbers are JSON strings.
package ddbsize
