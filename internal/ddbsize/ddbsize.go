package ddbsize

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MaxItemSize is the largest item size this library accepts (DynamoDB's 400 KB, counted as 400,000 bytes).
//
// DynamoDB's own limit is 400 KB with 1 KB = 1,024 bytes (Developer Guide,
// "Constraints in Amazon DynamoDB": "All size measurements in DynamoDB use
// binary-based units"), that is 409,600 bytes; counting 400,000 leaves 9,600
// bytes of margin for the places where [ItemSize] can only follow the
// guide's approximate rules.
const MaxItemSize = 400_000

// Overheads from the Developer Guide, "DynamoDB item sizes and formats".
const (
	docOverhead  = 3 // a List or Map, whatever its contents
	elemOverhead = 1 // each List or Map element
	scalarSize   = 1 // a Null or Boolean value
)

// JSON bytes around each kind of value, as aws-sdk-go-v2 writes them. The
// tags have the same length in each group: N and B as S, NULL as BOOL, M as
// L, NS and BS as SS.
const (
	jsonScalar = len(`{"S":`) + len(`}`)    // S, N, B: 6, plus the value
	jsonBool   = len(`{"BOOL":`) + len(`}`) // BOOL, NULL: 9, plus true or false
	jsonDoc    = len(`{"L":[`) + len(`]}`)  // L, M: 8, plus the elements
	jsonSet    = len(`{"SS":[`) + len(`]}`) // SS, NS, BS: 9, plus the elements
	jsonNull   = len(`null`)                // a nil []byte
	jsonTrue   = len(`true`)
	jsonFalse  = len(`false`)
	jsonObject = len(`{`) + len(`}`) // an item
	jsonColon  = len(`:`)            // after each name
	jsonComma  = len(`,`)            // between elements
)

// ItemSize returns the size of item as DynamoDB counts it (attribute names in UTF-8 plus values).
//
// It is the sum, over the attributes, of the UTF-8 length of the name plus
// [AttributeSize] of the value. A nil item has size 0.
func ItemSize(item map[string]types.AttributeValue) int {
	size, _ := (&walker{}).mapSizes(item)
	return size
}

// AttributeSize returns the size of one attribute value as DynamoDB counts it (without its name).
//
// A nil value, a nil pointer of a member type and a member type this package
// does not know (such as *types.UnknownUnionMember) count 0. A Number that
// [NumberSize] rejects counts 21 bytes, the most a valid
// number can take. The value must not contain itself.
func AttributeSize(av types.AttributeValue) int {
	size, _ := (&walker{}).attrSizes(av)
	return size
}

// JSONSize returns an upper bound, never below the real figure, of the number of bytes that aws-sdk-go-v2
// writes for item as a JSON object in a request body ({"name":{"S":"value"},...}), escaping and base64 included.
//
// For the serializer of service/dynamodb v1.74.0 the bound is exact, with
// two exceptions. An invalid UTF-8 byte in a name or string counts 6 bytes,
// what older releases wrote, where the current one writes 3; see the package
// documentation. A nil or unknown value counts 0 bytes but keeps its comma in
// a List and its name in a Map, as older releases wrote them; the current one
// drops the List comma, and writes invalid JSON for the Map entry, which
// DynamoDB rejects. A nil item counts as {} (2 bytes).
func JSONSize(item map[string]types.AttributeValue) int {
	_, js := (&walker{json: true}).mapSizes(item)
	return js
}

// Sizes returns ItemSize and JSONSize in one walk of the item (this one is on the hot path: one pass, no allocations).
func Sizes(item map[string]types.AttributeValue) (size, jsonSize int) {
	return (&walker{json: true}).mapSizes(item)
}

// SizesChecked is Sizes, and also tells, in the same walk, whether the item
// is plain: false when it holds anything DynamoDB may refuse or the SDK
// would change (a number NumberSize rejects, a nil or unknown value, NULL
// false, a nil binary value or set element, an empty set, a string or name
// that is not valid UTF-8, an attribute name that is empty at any depth or,
// in the item itself, longer than MaxNameSize, nesting deeper than MaxDepth)
// or that needs a closer look (a set of two or more elements, which DynamoDB
// refuses if two are equal). A caller validates only the items that are not
// plain.
func SizesChecked(item map[string]types.AttributeValue) (size, jsonSize int, plain bool) {
	w := walker{json: true}
	size, jsonSize = w.mapSizes(item)
	return size, jsonSize, !w.odd
}

// MaxDepth is the deepest nesting of Lists and Maps DynamoDB accepts.
const MaxDepth = 32

// MaxNameSize is the longest attribute name DynamoDB accepts, in bytes:
// names are "at least one character long and less than 64 KB" (Developer
// Guide, "Supported data types and naming rules").
const MaxNameSize = 65535

// walker walks an item once for its sizes.
type walker struct {
	json  bool // count the JSON size too
	odd   bool // seen something that is not plain (see SizesChecked)
	depth int  // Lists and Maps around the current value
}

// mapSizes returns the DynamoDB size and, if w.json, the JSON size of m as
// an item: names and values only, without a Map's own overheads.
func (w *walker) mapSizes(m map[string]types.AttributeValue) (size, js int) {
	withJSON := w.json
	js = jsonObject
	for name, av := range m {
		if len(name) == 0 || w.depth == 0 && len(name) > MaxNameSize {
			w.odd = true // names are never empty; an item's are at most 65,535 bytes
		}
		s, j := w.attrSizes(av)
		size += len(name) + s
		if withJSON {
			js += w.escapedLen(name) + jsonColon + j + jsonComma
		}
	}
	if withJSON && len(m) > 0 {
		js -= jsonComma // n elements, n-1 commas
	}
	return size, js
}

// attrSizes returns the DynamoDB size and, if w.json, the JSON size of av,
// without its name.
func (w *walker) attrSizes(av types.AttributeValue) (size, js int) {
	withJSON := w.json
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		if v == nil {
			w.odd = true
			return 0, 0
		}
		if withJSON {
			js = jsonScalar + w.escapedLen(v.Value)
		}
		return len(v.Value), js

	case *types.AttributeValueMemberN:
		if v == nil {
			w.odd = true
			return 0, 0
		}
		if withJSON {
			js = jsonScalar + escapedLen(v.Value)
		}
		return w.numberSize(v.Value), js

	case *types.AttributeValueMemberB:
		if v == nil {
			w.odd = true
			return 0, 0
		}
		if v.Value == nil {
			w.odd = true // the SDK sends null, which DynamoDB refuses
		}
		return len(v.Value), jsonScalar + blobLen(v.Value)

	case *types.AttributeValueMemberBOOL:
		if v == nil {
			w.odd = true
			return 0, 0
		}
		return scalarSize, jsonBool + boolLen(v.Value)

	case *types.AttributeValueMemberNULL:
		if v == nil {
			w.odd = true
			return 0, 0
		}
		if !v.Value {
			w.odd = true // DynamoDB refuses NULL false
		}
		return scalarSize, jsonBool + boolLen(v.Value)

	case *types.AttributeValueMemberL:
		if v == nil {
			w.odd = true
			return 0, 0
		}
		if !w.enter() {
			return 0, 0
		}
		defer w.leave()
		size, js = docOverhead, jsonDoc
		for _, e := range v.Value {
			s, j := w.attrSizes(e)
			size += elemOverhead + s
			js += j
		}
		js += commas(len(v.Value))
		return size, js

	case *types.AttributeValueMemberM:
		if v == nil {
			w.odd = true
			return 0, 0
		}
		if !w.enter() {
			return 0, 0
		}
		s, j := w.mapSizes(v.Value)
		w.leave()
		// mapSizes counted the map's braces as an item's; jsonDoc has them.
		return docOverhead + len(v.Value)*elemOverhead + s, jsonDoc - jsonObject + j

	case *types.AttributeValueMemberSS:
		if v == nil {
			w.odd = true
			return 0, 0
		}
		w.checkSet(len(v.Value))
		js = jsonSet + commas(len(v.Value))
		for _, e := range v.Value {
			size += len(e)
			if withJSON {
				js += w.escapedLen(e)
			}
		}
		return size, js

	case *types.AttributeValueMemberNS:
		if v == nil {
			w.odd = true
			return 0, 0
		}
		w.checkSet(len(v.Value))
		js = jsonSet + commas(len(v.Value))
		for _, e := range v.Value {
			size += w.numberSize(e)
			if withJSON {
				js += escapedLen(e)
			}
		}
		return size, js

	case *types.AttributeValueMemberBS:
		if v == nil {
			w.odd = true
			return 0, 0
		}
		w.checkSet(len(v.Value))
		js = jsonSet + commas(len(v.Value))
		for _, e := range v.Value {
			if e == nil {
				w.odd = true // sent as null
			}
			size += len(e)
			js += blobLen(e)
		}
		return size, js
	}
	// nil, *types.UnknownUnionMember, or a member type added to the SDK later.
	// aws-sdk-go-v2 writes nothing for these.
	w.odd = true
	return 0, 0
}

// enter enters a List or Map. Past MaxDepth it notes the item as odd and
// returns false: the caller does not go deeper, so that a value that contains
// itself is not walked for ever.
func (w *walker) enter() bool {
	if w.depth >= MaxDepth+1 {
		w.odd = true
		return false
	}
	w.depth++
	if w.depth > MaxDepth {
		w.odd = true
	}
	return true
}

// escapedLen is the package's escapedLen; a string that is not valid UTF-8
// makes the item odd: the SDK would send U+FFFD in place of each bad byte.
func (w *walker) escapedLen(s string) int {
	n, valid := escapedLenValid(s)
	if !valid {
		w.odd = true
	}
	return n
}

func (w *walker) leave() { w.depth-- }

// checkSet notes a set that is empty, or could hold duplicates.
func (w *walker) checkSet(n int) {
	if n != 1 {
		w.odd = true
	}
}

// numberSize is the size of the number n; an invalid one counts
// maxNumberSize and makes the item odd.
func (w *walker) numberSize(n string) int {
	size, bad := parseNumber(n)
	if bad.kind != numOK {
		w.odd = true
		return maxNumberSize
	}
	return size
}

// commas returns the number of commas between n elements.
func commas(n int) int {
	if n == 0 {
		return 0
	}
	return (n - 1) * jsonComma
}

// boolLen returns the length of true or false in JSON.
func boolLen(b bool) int {
	if b {
		return jsonTrue
	}
	return jsonFalse
}
