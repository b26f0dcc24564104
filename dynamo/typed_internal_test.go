package dynamo

import (
	"math"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/internal/ddbsize"
)

// avOpts lets cmp look into the attribute value member types.
var avOpts = cmp.AllowUnexported(types.AttributeValueMemberS{}, types.AttributeValueMemberN{},
	types.AttributeValueMemberBOOL{}, types.AttributeValueMemberB{}, types.AttributeValueMemberNULL{},
	types.AttributeValueMemberL{}, types.AttributeValueMemberM{}, types.AttributeValueMemberSS{},
	types.AttributeValueMemberNS{}, types.AttributeValueMemberBS{})

// every kind the plan covers, tagged, renamed, skipped and untagged.
type planAll struct {
	ID      string  `dynamodbav:"id"`
	Name    string  `dynamodbav:""`
	Skipped string  `dynamodbav:"-"`
	hidden  string  // unexported: left out
	Flag    bool    `dynamodbav:"flag"`
	I       int     `dynamodbav:"i"`
	I8      int8    `dynamodbav:"i8"`
	I16     int16   `dynamodbav:"i16"`
	I32     int32   `dynamodbav:"i32"`
	I64     int64   `dynamodbav:"i64"`
	U       uint    `dynamodbav:"u"`
	U8      uint8   `dynamodbav:"u8"`
	U16     uint16  `dynamodbav:"u16"`
	U32     uint32  `dynamodbav:"u32"`
	U64     uint64  `dynamodbav:"u64"`
	F32     float32 `dynamodbav:"f32"`
	F64     float64 `dynamodbav:"f64"`
	Untaged string
}

// manyNumbers has more numbers than encode keeps on its stack.
type manyNumbers struct {
	A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T float64
	ID                                                         string `dynamodbav:"id"`
}

type onlyStrings struct {
	ID string `dynamodbav:"id"`
}

type (
	withOmit struct {
		ID string `dynamodbav:"id,omitempty"`
	}
	withPointer struct{ ID *string }
	withNamed   struct{ ID kind }
	withNumber  struct{ ID attributevalue.Number }
	withTime    struct{ At time.Time }
	withBytes   struct{ B []byte }
	withAny     struct{ X any }
	withTwice   struct {
		A, B string `dynamodbav:"x"`
	}
	withEmbedded struct{ onlyStrings }
	withUintptr  struct{ P uintptr }
	marshalling  struct{ ID string }
	kind         string
)

func (marshalling) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberS{Value: "x"}, nil
}

// checkPlan encodes v with its type's plan and with attributevalue: the
// maps must be equal, and the counted sizes those SizesChecked finds.
func checkPlan[T any](t *testing.T, v T) {
	t.Helper()
	p := planOf(reflect.TypeFor[T](), nil)
	if p == nil {
		t.Fatalf("no plan for %T", v)
	}
	got, c := p.encode(unsafe.Pointer(&v))
	want, err := attributevalue.MarshalMap(v)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, avOpts); diff != "" {
		t.Errorf("%+v: map mismatch (-want +got):\n%s", v, diff)
	}
	size, js, plain := ddbsize.SizesChecked(want)
	gs, gj, gp := c.Sizes()
	if diff := cmp.Diff([]any{size, js, plain}, []any{gs, gj, gp}); diff != "" {
		t.Errorf("%+v: sizes mismatch (-want +got):\n%s", v, diff)
	}
}

func TestStructPlanMatchesAttributevalue(t *testing.T) {
	tests := []struct {
		name string
		v    planAll
	}{
		{name: "zero", v: planAll{}},
		{name: "typical", v: planAll{ID: "item-1", Name: "name of item 1", Flag: true, I: 42, F64: 12.34, I64: 1_700_000_000}},
		{name: "extremes", v: planAll{
			I: math.MinInt, I8: math.MinInt8, I16: math.MinInt16, I32: math.MinInt32, I64: math.MinInt64,
			U: math.MaxUint, U8: math.MaxUint8, U16: math.MaxUint16, U32: math.MaxUint32, U64: math.MaxUint64,
			F32: math.MaxFloat32, F64: math.SmallestNonzeroFloat64,
		}},
		{name: "floats", v: planAll{F32: 0.1, F64: -1e300}},
		{name: "not numbers", v: planAll{F32: float32(math.NaN()), F64: math.Inf(-1)}},
		{name: "escapes", v: planAll{ID: "a\"b\\c\n\t\x01\x7f", Name: "\u2028é日本"}},
		{name: "invalid UTF-8", v: planAll{ID: "a\xffb"}},
		{name: "hidden and skipped", v: planAll{ID: "x", Skipped: "s", hidden: "h", Untaged: "u"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkPlan(t, tc.v) })
	}
	t.Run("many numbers", func(t *testing.T) {
		checkPlan(t, manyNumbers{A: 1.5, J: -3, T: 1e-7, ID: "k"})
	})
	t.Run("only strings", func(t *testing.T) { checkPlan(t, onlyStrings{ID: "k"}) })
	t.Run("empty struct", func(t *testing.T) { checkPlan(t, struct{}{}) })
}

// The types and options that the plan does not cover exactly are left to
// attributevalue.
func TestStructPlanLeavesOut(t *testing.T) {
	tests := []struct {
		name string
		t    reflect.Type
		opts func(*attributevalue.EncoderOptions)
	}{
		{name: "encoder options", t: reflect.TypeFor[onlyStrings](), opts: func(*attributevalue.EncoderOptions) {}},
		{name: "map", t: reflect.TypeFor[map[string]any]()},
		{name: "pointer to struct", t: reflect.TypeFor[*onlyStrings]()},
		{name: "tag option", t: reflect.TypeFor[withOmit]()},
		{name: "pointer field", t: reflect.TypeFor[withPointer]()},
		{name: "named field type", t: reflect.TypeFor[withNamed]()},
		{name: "Number field", t: reflect.TypeFor[withNumber]()},
		{name: "time field", t: reflect.TypeFor[withTime]()},
		{name: "bytes field", t: reflect.TypeFor[withBytes]()},
		{name: "interface field", t: reflect.TypeFor[withAny]()},
		{name: "name given twice", t: reflect.TypeFor[withTwice]()},
		{name: "embedded", t: reflect.TypeFor[withEmbedded]()},
		{name: "uintptr", t: reflect.TypeFor[withUintptr]()},
		{name: "Marshaler", t: reflect.TypeFor[marshalling]()},
		{name: "time", t: reflect.TypeFor[time.Time]()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if p := planOf(tc.t, tc.opts); p != nil {
				t.Errorf("planOf(%v) = %+v, want nil", tc.t, p)
			}
		})
	}
}

// FuzzStructPlan holds the plan to attributevalue's maps and to
// SizesChecked's sizes for arbitrary field values.
func FuzzStructPlan(f *testing.F) {
	f.Add("item-1", "name", true, int64(7), uint64(9), 1.25, float32(0.5), int8(-1))
	f.Add("", "\xff", false, int64(math.MinInt64), uint64(math.MaxUint64), math.NaN(), float32(math.Inf(1)), int8(0))
	f.Fuzz(func(t *testing.T, id, name string, flag bool, i int64, u uint64, f64 float64, f32 float32, i8 int8) {
		checkPlan(t, planAll{
			ID: id, Name: name, Flag: flag, I: int(i), I8: i8, I16: int16(i), I32: int32(i), I64: i,
			U: uint(u), U8: uint8(u), U16: uint16(u), U32: uint32(u), U64: u, F32: f32, F64: f64,
			Untaged: name + id,
		})
	})
}
