package sqsbatch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/sqsbatch"
	"github.com/batchutils/batchutils/testutil"
)

// typed returns an attribute of data type typ with a value of its base
// type.
func typed(typ string) types.MessageAttributeValue {
	if strings.HasPrefix(typ, "Binary") {
		return types.MessageAttributeValue{DataType: aws.String(typ), BinaryValue: []byte{0, 1}}
	}
	return types.MessageAttributeValue{DataType: aws.String(typ), StringValue: aws.String("1")}
}

// TestAttributeDataTypes checks data types as SQS does: String, Number or
// Binary, then optionally "." and a custom label; the whole of it in the
// characters a body allows, up to 256 characters.
func TestAttributeDataTypes(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		want error // nil: accepted
		char bool  // refused as a *CharacterError
	}{
		{"label with a space", "String.my label", nil, false},
		{"label with é", "String.café", nil, false},
		{"label with an emoji", "Binary.🖼", nil, false},
		{"label with a tab", "Number.x\ty", nil, false},
		{"label with the edges of the allowed ranges", "String.\t\n\r \ud7ff\ue000\ufffd\U00010000\U0010ffff", nil, false},
		{"label of printable ASCII", "Number.int-32_(signed)", nil, false},
		{"256 characters", "String." + strings.Repeat("é", 249), nil, false},
		{"256 characters beyond the BMP", "Binary." + strings.Repeat("\U0001F5BC", 249), nil, false},
		{"257 characters", "String." + strings.Repeat("é", 250), sqsbatch.ErrInvalidAttribute, false},
		{"empty label", "String.", sqsbatch.ErrInvalidAttribute, false},
		{"label with NUL", "String.a\x00b", sqsbatch.ErrInvalidAttribute, true},
		{"label with a bell", "Number.\a", sqsbatch.ErrInvalidAttribute, true},
		{"label with U+FFFE", "Binary.\ufffe", sqsbatch.ErrInvalidAttribute, true},
		{"label not UTF-8", "String.caf\xe9", sqsbatch.ErrInvalidAttribute, true},
		{"base in lower case", "string.x", sqsbatch.ErrInvalidAttribute, false},
		{"base with a space", "String .x", sqsbatch.ErrInvalidAttribute, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := testutil.NewFakeSQS()
			url := fake.CreateQueue("q", false)
			d, err := sqsbatch.New[sqsbatch.Message](fake, sqsbatch.Config{QueueURL: url})
			if err != nil {
				t.Fatal(err)
			}
			attrs := map[string]types.MessageAttributeValue{"a": typed(tc.typ)}
			err = d.Send(t.Context(), sqsbatch.Message{Body: "x", Attributes: attrs})
			if !errors.Is(err, tc.want) {
				t.Errorf("Send with DataType %q: %v, want %v", tc.typ, err, tc.want)
			}
			var ce *sqsbatch.CharacterError
			if got := errors.As(err, &ce); got != tc.char {
				t.Errorf("Send with DataType %q: %v, a *CharacterError: %v, want %v", tc.typ, err, got, tc.char)
			}
			closeOK(t, d)
			var want []map[string]types.MessageAttributeValue
			if tc.want == nil {
				want = append(want, attrs)
			}
			var got []map[string]types.MessageAttributeValue
			for _, m := range fake.Messages(url) {
				got = append(got, m.Attributes)
			}
			if diff := cmp.Diff(want, got, ignoreAttrInternals); diff != "" {
				t.Errorf("stored attributes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNumberAttributes checks Number values at SQS's limits: up to 38
// significant digits (leading and trailing zeros do not count), a magnitude
// from 10^-128 to 10^+126, or zero.
func TestNumberAttributes(t *testing.T) {
	digits38 := "12345678901234567890123456789012345678"
	tests := []struct {
		name  string
		value string
		want  *sqsbatch.NumberError // nil: accepted; else its Digits and Exponent
	}{
		{"zero", "0", nil},
		{"negative zero", "-0", nil},
		{"zero with a fraction and an exponent", "0.000e-500", nil},
		{"38 digits", digits38, nil},
		{"38 digits negative", "-" + digits38, nil},
		{"39 digits", digits38 + "9", &sqsbatch.NumberError{Digits: 39, Exponent: 38}},
		{"39 digits across the point", digits38[:20] + "." + digits38[20:] + "9", &sqsbatch.NumberError{Digits: 39, Exponent: 19}},
		{"38 digits after leading zeros", "-000.000" + digits38, nil},
		{"38 digits before trailing zeros", digits38 + "000000", nil},
		{"38 digits before fraction zeros", digits38[:30] + "." + digits38[30:] + "0000000", nil},
		{"1 then 60 zeros", "1" + strings.Repeat("0", 60), nil},
		{"1e200", "1e200", &sqsbatch.NumberError{Digits: 1, Exponent: 200}},
		{"-1e200", "-1e200", &sqsbatch.NumberError{Digits: 1, Exponent: 200}},
		{"1e-200", "1e-200", &sqsbatch.NumberError{Digits: 1, Exponent: -200}},
		{"-1e-200", "-1e-200", &sqsbatch.NumberError{Digits: 1, Exponent: -200}},
		{"10^126", "1e126", nil},
		{"-10^126", "-1e126", nil},
		{"10^126 with a plus", "+1E+126", nil},
		{"10^126 written long", "1" + strings.Repeat("0", 126), nil},
		{"10^126 as 0.1e127", "0.1e127", nil},
		{"10^126 as 10e125", "10e125", nil},
		{"just over 10^126", "1.0000000000000000000000000000000000001e126", &sqsbatch.NumberError{Digits: 38, Exponent: 126}},
		{"just under 10^126", "9.9999999999999999999999999999999999999e125", nil},
		{"2 × 10^126", "2e126", &sqsbatch.NumberError{Digits: 1, Exponent: 126}},
		{"10^127", "1e127", &sqsbatch.NumberError{Digits: 1, Exponent: 127}},
		{"10^127 written long", "1" + strings.Repeat("0", 127), &sqsbatch.NumberError{Digits: 1, Exponent: 127}},
		{"10^-128", "1e-128", nil},
		{"-10^-128", "-1E-128", nil},
		{"10^-128 as 0.1e-127", "0.1e-127", nil},
		{"10^-128 written long", "0." + strings.Repeat("0", 127) + "1", nil},
		{"just under 10^-128", "9.9999999999999999999999999999999999999e-129", &sqsbatch.NumberError{Digits: 38, Exponent: -129}},
		{"10^-129", "1e-129", &sqsbatch.NumberError{Digits: 1, Exponent: -129}},
		{"10^-129 written long", "0." + strings.Repeat("0", 128) + "1", &sqsbatch.NumberError{Digits: 1, Exponent: -129}},
		{"38 digits at the top", "9999999999999999999999999999999999999.9e89", nil},
		{"exponent with leading zeros", "1e+000000126", nil},
		{"huge exponent", "1e99999999999999999999999", &sqsbatch.NumberError{Digits: 1, Exponent: 1e9}},
		{"huge negative exponent", "1e-99999999999999999999999", &sqsbatch.NumberError{Digits: 1, Exponent: -1e9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := testutil.NewFakeSQS()
			d, err := sqsbatch.New[sqsbatch.Message](fake, sqsbatch.Config{QueueURL: fake.CreateQueue("q", false)})
			if err != nil {
				t.Fatal(err)
			}
			defer closeOK(t, d)
			attr := types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(tc.value)}
			err = d.Send(t.Context(), sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"n": attr}})
			if tc.want == nil {
				if err != nil {
					t.Errorf("Send(%s): %v, want nil", tc.value, err)
				}
				return
			}
			if !errors.Is(err, sqsbatch.ErrInvalidAttribute) {
				t.Errorf("Send(%s): %v, want ErrInvalidAttribute", tc.value, err)
			}
			var got *sqsbatch.NumberError
			if !errors.As(err, &got) {
				t.Fatalf("Send(%s): %v, want a *NumberError", tc.value, err)
			}
			want := *tc.want
			want.Attribute, want.Value = "n", tc.value
			if diff := cmp.Diff(want, *got); diff != "" {
				t.Errorf("Send(%s): NumberError mismatch (-want +got):\n%s", tc.value, diff)
			}
		})
	}
}
