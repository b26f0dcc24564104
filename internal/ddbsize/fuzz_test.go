package ddbsize

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// FuzzSizes decodes the input into an item and checks what holds for every
// item: Sizes agrees with ItemSize and JSONSize; ItemSize is the sum over the
// attributes and agrees with a straightforward reimplementation of the
// rules; JSONSize is never below the bytes of the SDK's serializer (current
// and older) and equals the current one's plus the documented slack wherever
// the SDK writes valid JSON. Nothing panics.
//
// The seed corpus is in testdata/fuzz/FuzzSizes; itemFromBytes says how the
// bytes are read.
func FuzzSizes(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		it := itemFromBytes(data)

		size, js := Sizes(it)
		if size != ItemSize(it) || js != JSONSize(it) {
			t.Fatalf("Sizes = (%d, %d), ItemSize = %d, JSONSize = %d", size, js, ItemSize(it), JSONSize(it))
		}

		sum := 0
		for name, av := range it {
			sum += len(name) + AttributeSize(av)
		}
		if size != sum {
			t.Fatalf("ItemSize = %d, sum of len(name)+AttributeSize = %d", size, sum)
		}
		if want := refItemSize(it); size != want {
			t.Fatalf("ItemSize = %d, reference says %d", size, want)
		}

		sdk, body := sdkItemLen(t, it)
		if js < sdk {
			t.Fatalf("JSONSize = %d, below the SDK's %d bytes; body: %q", js, sdk, body)
		}
		if !brokenJSON(it) {
			if want := sdk + expectedSlack(it); js != want {
				t.Fatalf("JSONSize = %d, want SDK bytes %d + slack %d; body: %q", js, sdk, want-sdk, body)
			}
		}
		if old, ok := oldItemJSON(it); ok && js < len(old) {
			t.Fatalf("JSONSize = %d, below the older encoder's %d bytes: %q", js, len(old), old)
		}
	})
}

// itemFromBytes reads data as a small byte code for an item, so that the
// fuzzer reaches every member type, nesting, nil and unknown values, and
// arbitrary bytes in names, strings and numbers. Missing bytes read as 0.
//
//	item   = count(%6) { bytes value }
//	bytes  = len(%32) byte*
//	value  = op(%13) ...: 0 S bytes, 1 N number, 2 B bytes (nil if len is 31),
//	         3 BOOL flag, 4 NULL flag, 5 SS count(%4) bytes*, 6 NS count number*,
//	         7 BS count bytes* (nil if len is 31), 8 L count value*,
//	         9 M count {bytes value}, 10 nil, 11 unknown member,
//	         12 S bytes with U+2028 appended
//	number = bytes, used as is if its first byte is odd; otherwise the
//	         other bytes mapped onto "0123456789.-+eE"
func itemFromBytes(data []byte) item {
	d := &decoder{data: data}
	return d.item()
}

type decoder struct{ data []byte }

func (d *decoder) byte() byte {
	if len(d.data) == 0 {
		return 0
	}
	c := d.data[0]
	d.data = d.data[1:]
	return c
}

// raw returns up to 30 bytes, or nil when the length byte says 31.
func (d *decoder) raw() []byte {
	n := int(d.byte() % 32)
	if n == 31 {
		return nil
	}
	n = min(n, len(d.data))
	b := d.data[:n:n]
	d.data = d.data[n:]
	return b
}

func (d *decoder) str() string { return string(d.raw()) }

func (d *decoder) number() string {
	raw := d.raw()
	if len(raw) == 0 || raw[0]&1 == 1 {
		return string(raw)
	}
	const chars = "01234567890123456789.-+eE"
	out := make([]byte, len(raw)-1)
	for i, c := range raw[1:] {
		out[i] = chars[int(c)%len(chars)]
	}
	return string(out)
}

func (d *decoder) count() int { return int(d.byte() % 4) }

func (d *decoder) item() item {
	n := int(d.byte() % 6)
	it := make(item, n)
	for range n {
		it[d.str()] = d.value(0)
	}
	return it
}

func (d *decoder) value(depth int) types.AttributeValue {
	op := d.byte() % 13
	if depth >= 8 && (op == 8 || op == 9) {
		op = 0
	}
	switch op {
	case 0:
		return &types.AttributeValueMemberS{Value: d.str()}
	case 1:
		return &types.AttributeValueMemberN{Value: d.number()}
	case 2:
		return &types.AttributeValueMemberB{Value: d.raw()}
	case 3:
		return &types.AttributeValueMemberBOOL{Value: d.byte()&1 == 1}
	case 4:
		return &types.AttributeValueMemberNULL{Value: d.byte()&1 == 1}
	case 5:
		v := make([]string, d.count())
		for i := range v {
			v[i] = d.str()
		}
		return &types.AttributeValueMemberSS{Value: v}
	case 6:
		v := make([]string, d.count())
		for i := range v {
			v[i] = d.number()
		}
		return &types.AttributeValueMemberNS{Value: v}
	case 7:
		v := make([][]byte, d.count())
		for i := range v {
			v[i] = d.raw()
		}
		return &types.AttributeValueMemberBS{Value: v}
	case 8:
		v := make([]types.AttributeValue, d.count())
		for i := range v {
			v[i] = d.value(depth + 1)
		}
		return &types.AttributeValueMemberL{Value: v}
	case 9:
		v := make(item)
		for range d.count() {
			v[d.str()] = d.value(depth + 1)
		}
		return &types.AttributeValueMemberM{Value: v}
	case 10:
		return nil
	case 11:
		return &types.UnknownUnionMember{Tag: "X", Value: d.raw()}
	default:
		return &types.AttributeValueMemberS{Value: d.str() + "\u2028"}
	}
}

// refItemSize is ItemSize written out plainly from the Developer Guide's
// rules, with numbers sized by the port of Zac Charles's calculator.
func refItemSize(it item) int {
	total := 0
	for name, av := range it {
		total += len(name) + refAttrSize(av)
	}
	return total
}

func refAttrSize(av types.AttributeValue) int {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return refNumberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		total := 0
		for _, e := range v.Value {
			total += len(e)
		}
		return total
	case *types.AttributeValueMemberNS:
		total := 0
		for _, e := range v.Value {
			total += refNumberSize(e)
		}
		return total
	case *types.AttributeValueMemberBS:
		total := 0
		for _, e := range v.Value {
			total += len(e)
		}
		return total
	case *types.AttributeValueMemberL:
		total := 3
		for _, e := range v.Value {
			total += 1 + refAttrSize(e)
		}
		return total
	case *types.AttributeValueMemberM:
		total := 3
		for name, e := range v.Value {
			total += 1 + len(name) + refAttrSize(e)
		}
		return total
	}
	return 0
}

// refNumberSize is the calculator's size for a valid number and 21 for an
// invalid one.
func refNumberSize(num string) int {
	if _, err := NumberSize(num); err != nil {
		return 21
	}
	return calculatorNumberSize(num)
}
