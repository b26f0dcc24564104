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
