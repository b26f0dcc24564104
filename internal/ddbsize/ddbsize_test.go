package ddbsize

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

// Short constructors for the tables.
func s(v string) types.AttributeValue     { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue     { return &types.AttributeValueMemberN{Value: v} }
func bin(v []byte) types.AttributeValue   { return &types.AttributeValueMemberB{Value: v} }
func boolean(v bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: v} }
func null() types.AttributeValue          { return &types.AttributeValueMemberNULL{Value: true} }
func ss(v ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: v} }
func ns(v ...string) types.AttributeValue { return &types.AttributeValueMemberNS{Value: v} }
func bs(v ...[]byte) types.AttributeValue { return &types.AttributeValueMemberBS{Value: v} }
func l(v ...types.AttributeValue) types.AttributeValue {
	if v == nil {
		v = []types.AttributeValue{}
	}
	return &types.AttributeValueMemberL{Value: v}
}
func m(v map[string]types.AttributeValue) types.AttributeValue {
	return &types.AttributeValueMemberM{Value: v}
}

type item = map[string]types.AttributeValue

// TestItemSizeDocumentedExamples checks ItemSize against worked examples whose
// totals were published with them.
func TestItemSizeDocumentedExamples(t *testing.T) {
	tests := []struct {
		name   string
		source string
		item   item
		want   int
	}{
		{
			name: "shirt",
			source: "DynamoDB Developer Guide, Constraints, Item size: " +
				`"shirt-color" = "R" and "shirt-size" = "M" is 23 bytes`,
			item: item{"shirt-color": s("R"), "shirt-size": s("M")},
			want: 23,
		},
		{
			name: "ProductCatalog book 101",
			source: "github.com/LeeroyHannigan/DynamoDB-ItemSizeCalculator README (ddb-calc), " +
				"the Developer Guide's ProductCatalog sample item: size 137",
			item: item{
				"Id":              n("101"),
				"Title":           s("Book 101 Title"),
				"ISBN":            s("111-1111111111"),
				"Authors":         l(s("Author1")),
				"Price":           n("2"),
				"Dimensions":      s("8.5 x 11.0 x 0.5"),
				"PageCount":       n("500"),
				"InPublication":   boolean(true),
				"ProductCategory": s("Book"),
			},
			want: 137,
		},
		{
			name:   "time slot",
			source: "github.com/mikaelvesavuori/ddbitemsizer README: 141 bytes",
			item: item{
				"itemType":   s("SLOT"),
				"id":         s("abc1231"),
				"hostName":   s("Harry Mason"),
				"timeSlot":   s("February 23, 1999"),
				"slotStatus": s("OPEN"),
				"createdAt":  s("February 1, 1999"),
				"updatedAt":  s("February 1, 1999"),
				"expiresAt":  n("2099"),
			},
			want: 141,
		},
		{
			name:   "string number buffer",
			source: "github.com/mcwhittemore/dyno-item-size README: 32",
			item: item{
				"string": s("string"),
				"number": n("27"),
				"buffer": bin([]byte("buffer")),
			},
			want: 32,
		},
		{
			name: "calculator default item",
			source: "github.com/zaccharles/dynamodb-calculator index.html default input; " +
				"98 is what its calculateItemSizeInBytes returns for it " +
				"(id 10 + fullName 19 + someData 35 + favouriteNumber 18 + foods 16)",
			item: item{
				"id":              s("f0ba8d6c"),
				"fullName":        s("Zac Charles"),
				"someData":        bin([]byte("this text is base64-encoded")),
				"favouriteNumber": n("-1E-130"),
				"foods":           ss("pizza", "burger"),
			},
			want: 98,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ItemSize(tc.item); got != tc.want {
				t.Errorf("ItemSize = %d, want %d (source: %s)", got, tc.want, tc.source)
			}
		})
	}
}

// TestItemSizeRules checks each rule of the Developer Guide's "DynamoDB item
// sizes and formats" page on one attribute.
func TestItemSizeRules(t *testing.T) {
	tests := []struct {
		name string
		rule string // quoted or summarized from the guide
		item item
		want int
	}{
		{"ASCII string", "string: name + UTF-8 bytes", item{"name": s("value")}, 4 + 5},
		{"empty string", "string: name + UTF-8 bytes", item{"name": s("")}, 4},
		{"multi-byte string", "string: name + UTF-8 bytes", item{"city": s("Zürich")}, 4 + 7},
		{"four-byte runes", "string: name + UTF-8 bytes", item{"e": s("😀😀")}, 1 + 8},
		{"multi-byte name", "names count UTF-8 bytes", item{"ключ": s("v")}, 8 + 1},
		{"CJK name", "names count UTF-8 bytes", item{"名前": s("")}, 6},
		{"binary", "binary: name + raw bytes, not base64", item{"b": bin([]byte{0, 1, 2, 255})}, 1 + 4},
		{"empty binary", "binary: name + raw bytes", item{"b": bin([]byte{})}, 1},
		{"null", "null: name + 1", item{"n": null()}, 1 + 1},
		{"true", "Boolean: name + 1", item{"t": boolean(true)}, 1 + 1},
		{"false", "Boolean: name + 1", item{"f": boolean(false)}, 1 + 1},
		{"integer", "number: name + 1 byte per two significant digits + 1", item{"n": n("1234")}, 1 + 2 + 1},
		{"trailing zeros trimmed", "number: leading and trailing zeroes are trimmed", item{"n": n("12000000")}, 1 + 1 + 1},
		{"leading zeros trimmed", "number: leading and trailing zeroes are trimmed", item{"n": n("0000.0012")}, 1 + 1 + 1},
		{"empty list", "empty List: name + 3", item{"l": l()}, 1 + 3},
		{"empty map", "empty Map: name + 3", item{"m": m(item{})}, 1 + 3},
		{
			"list", "List: name + 3 + elements, each element 1 more",
			item{"l": l(s("ab"), n("7"), null())}, 1 + 3 + (1 + 2) + (1 + 2) + (1 + 1),
		},
		{
			"map", "Map: name + 3 + elements with their names, each element 1 more",
			item{"m": m(item{"a": s("bc"), "de": boolean(true)})}, 1 + 3 + (1 + 1 + 2) + (1 + 2 + 1),
		},
		{
			"nested", "Lists and Maps nest with the same rules",
			item{"m": m(item{"l": l(m(item{}), l(s("x")))})},
			1 + 3 + (1 + 1 + (3 + (1 + 3) + (1 + (3 + 1 + 1)))),
		},
		{"string set", "sets: sum of the elements", item{"ss": ss("a", "bc", "é")}, 2 + 1 + 2 + 2},
		{"number set", "sets: sum of the elements", item{"ns": ns("1", "22", "-3")}, 2 + 2 + 2 + 3},
		{"binary set", "sets: sum of the elements", item{"bs": bs([]byte{1}, []byte{2, 3})}, 2 + 1 + 2},
		{"nil item", "nothing", nil, 0},
		{"empty item", "nothing", item{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ItemSize(tc.item); got != tc.want {
				t.Errorf("ItemSize = %d, want %d (%s)", got, tc.want, tc.rule)
			}
		})
	}
}

// TestAttributeSizeOddValues checks that values the SDK cannot send count 0
// and do not panic.
func TestAttributeSizeOddValues(t *testing.T) {
	tests := []struct {
		name string
		av   types.AttributeValue
		want int
	}{
		{"nil", nil, 0},
		{"unknown member", &types.UnknownUnionMember{Tag: "X", Value: []byte("abc")}, 0},
		{"nil *S", (*types.AttributeValueMemberS)(nil), 0},
		{"nil *N", (*types.AttributeValueMemberN)(nil), 0},
		{"nil *B", (*types.AttributeValueMemberB)(nil), 0},
		{"nil *BOOL", (*types.AttributeValueMemberBOOL)(nil), 0},
		{"nil *NULL", (*types.AttributeValueMemberNULL)(nil), 0},
		{"nil *L", (*types.AttributeValueMemberL)(nil), 0},
		{"nil *M", (*types.AttributeValueMemberM)(nil), 0},
		{"nil *SS", (*types.AttributeValueMemberSS)(nil), 0},
		{"nil *NS", (*types.AttributeValueMemberNS)(nil), 0},
		{"nil *BS", (*types.AttributeValueMemberBS)(nil), 0},
		{"nil list", &types.AttributeValueMemberL{}, 3},
		{"nil map", &types.AttributeValueMemberM{}, 3},
		{"nil binary", &types.AttributeValueMemberB{}, 0},
		{"list of nils", l(nil, nil), 3 + 1 + 1},
		{"map with a nil value", m(item{"k": nil}), 3 + 1 + 1},
		{"invalid number", n("NaN"), maxNumberSize},
		{"invalid number in a set", ns("1", "x"), 2 + maxNumberSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AttributeSize(tc.av); got != tc.want {
				t.Errorf("AttributeSize = %d, want %d", got, tc.want)
			}
			// The same value inside an item, and Sizes, must not panic either.
			it := item{"a": tc.av}
			if got, want := ItemSize(it), 1+tc.want; got != want {
				t.Errorf("ItemSize = %d, want %d", got, want)
			}
			size, js := Sizes(it)
			if diff := cmp.Diff([2]int{ItemSize(it), JSONSize(it)}, [2]int{size, js}); diff != "" {
				t.Errorf("Sizes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestItemSizeIsSumOfAttributes checks ItemSize against its definition.
func TestItemSizeIsSumOfAttributes(t *testing.T) {
	it := item{
		"pk":    s("USER#123"),
		"name":  s("Ada"),
		"tags":  ss("a", "b"),
		"score": n("-12.5"),
		"doc":   m(item{"x": l(n("1"), s("two"), null())}),
		"blob":  bin([]byte(strings.Repeat("z", 100))),
	}
	want := 0
	for name, av := range it {
		want += len(name) + AttributeSize(av)
	}
	if got := ItemSize(it); got != want {
		t.Errorf("ItemSize = %d, want sum of len(name)+AttributeSize = %d", got, want)
	}
}

// TestMaxItemSize keeps the constant below DynamoDB's 400 KB (409,600 bytes).
func TestMaxItemSize(t *testing.T) {
	if MaxItemSize != 400_000 || MaxItemSize > 400*1024 {
		t.Errorf("MaxItemSize = %d", MaxItemSize)
	}
	// An item of exactly MaxItemSize: a 1-byte name and a string.
	it := item{"k": s(strings.Repeat("x", MaxItemSize-1))}
	if got := ItemSize(it); got != MaxItemSize {
		t.Errorf("ItemSize = %d, want %d", got, MaxItemSize)
	}
}

func TestSizesCheckedPlain(t *testing.T) {
	deep := types.AttributeValue(&types.AttributeValueMemberS{Value: "x"})
	for range MaxDepth {
		deep = &types.AttributeValueMemberL{Value: []types.AttributeValue{deep}}
	}
	tests := []struct {
		name  string
		item  map[string]types.AttributeValue
		plain bool
	}{
		{"scalars", map[string]types.AttributeValue{"s": &types.AttributeValueMemberS{Value: "a"}, "n": &types.AttributeValueMemberN{Value: "1.5"}}, true},
		{"one-element set", map[string]types.AttributeValue{"ss": &types.AttributeValueMemberSS{Value: []string{"a"}}}, true},
		{"32 levels", map[string]types.AttributeValue{"l": deep}, true},
		{"33 levels", map[string]types.AttributeValue{"l": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"m": deep}}}, false},
		{"bad number", map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "NaN"}}, false},
		{"bad number in a set", map[string]types.AttributeValue{"ns": &types.AttributeValueMemberNS{Value: []string{"x"}}}, false},
		{"empty set", map[string]types.AttributeValue{"bs": &types.AttributeValueMemberBS{}}, false},
		{"set that may hold duplicates", map[string]types.AttributeValue{"ss": &types.AttributeValueMemberSS{Value: []string{"a", "b"}}}, false},
		{"nil value", map[string]types.AttributeValue{"x": nil}, false},
		{"NULL false", map[string]types.AttributeValue{"x": &types.AttributeValueMemberNULL{}}, false},
		{"NULL true", map[string]types.AttributeValue{"x": &types.AttributeValueMemberNULL{Value: true}}, true},
		{"nil member", map[string]types.AttributeValue{"x": (*types.AttributeValueMemberS)(nil)}, false},
		{"unknown member", map[string]types.AttributeValue{"x": &types.UnknownUnionMember{Tag: "Z"}}, false},
		{"nested nil", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{nil}}}, false},
		{"empty name", map[string]types.AttributeValue{"": &types.AttributeValueMemberBOOL{}}, false},
		{"empty name in a map", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"": &types.AttributeValueMemberBOOL{}}}}, false},
		{"empty name in a map in a list", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"": &types.AttributeValueMemberBOOL{}}}}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			size, js, plain := SizesChecked(tc.item)
			if plain != tc.plain {
				t.Errorf("plain = %v, want %v", plain, tc.plain)
			}
			if ws, wj := Sizes(tc.item); ws != size || wj != js {
				t.Errorf("SizesChecked sizes (%d, %d), Sizes (%d, %d)", size, js, ws, wj)
			}
		})
	}
}
