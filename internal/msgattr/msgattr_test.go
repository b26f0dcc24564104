package msgattr_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/batchutils/batchutils/internal/msgattr"
)

var errGroup, errDedup, errAttr = errors.New("group"), errors.New("dedup"), errors.New("attr")

func TestCheckIDs(t *testing.T) {
	tests := []struct {
		name         string
		fifo, cbd    bool
		group, dedup string
		want         error
	}{
		{"FIFO with both", true, false, "g", "d", nil},
		{"FIFO by content", true, true, "g", "", nil},
		{"FIFO without a group", true, true, "", "d", errGroup},
		{"FIFO without a deduplication id", true, false, "g", "", errDedup},
		{"standard, plain", false, false, "", "", nil},
		{"standard with a group", false, false, "g", "", nil},
		{"standard with a deduplication id", false, false, "", "d", errDedup},
		{"a space in a group", false, false, "a b", "", errGroup},
		{"a group too long", true, true, strings.Repeat("g", 129), "", errGroup},
		{"a deduplication id not ASCII", true, false, "g", "é", errDedup},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := msgattr.CheckIDs(tc.fifo, tc.cbd, tc.group, tc.dedup, errGroup, errDedup); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("CheckIDs: %v, want %v", err, tc.want)
			}
		})
	}
}

func str(typ, v string) msgattr.Value { return msgattr.Value{DataType: &typ, StringValue: &v} }

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]msgattr.Value
		size  int
		ok    bool
	}{
		{"none", nil, 0, true},
		{"a string and a labelled number", map[string]msgattr.Value{"a": str("String", "xy"), "n.b": str("Number.int", "12")}, 1 + 6 + 2 + 3 + 10 + 2, true},
		{"binary", map[string]msgattr.Value{"b": {DataType: ptr("Binary"), BinaryValue: []byte{0, 1}}}, 1 + 6 + 2, true},
		{"String.Array", map[string]msgattr.Value{"a": str("String.Array", `["x"]`)}, 1 + 12 + 5, true},
		{"reserved name", map[string]msgattr.Value{"amazon.x": str("String", "v")}, 0, false},
		{"double dot", map[string]msgattr.Value{"a..b": str("String", "v")}, 0, false},
		{"unknown type", map[string]msgattr.Value{"a": str("Text", "v")}, 0, false},
		{"empty value", map[string]msgattr.Value{"a": str("String", "")}, 0, false},
		{"not a number", map[string]msgattr.Value{"a": str("Number", "1.2.3")}, 0, false},
		{"a bell", map[string]msgattr.Value{"a": str("String", "\a")}, 0, false},
		{"lists", map[string]msgattr.Value{"a": {DataType: ptr("String"), StringValue: ptr("v"), Lists: true}}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			size, err := msgattr.Check(tc.attrs, func(v msgattr.Value) msgattr.Value { return v }, errAttr)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, errAttr)) || size != tc.size {
				t.Errorf("Check: %d, %v; want %d, ok %v", size, err, tc.size, tc.ok)
			}
		})
	}
	many := map[string]msgattr.Value{}
	for _, n := range "abcdefghijk" {
		many[string(n)] = str("String", "v")
	}
	if _, err := msgattr.Check(many, func(v msgattr.Value) msgattr.Value { return v }, errAttr); !errors.Is(err, errAttr) {
		t.Errorf("Check of 11 attributes: %v, want %v", err, errAttr)
	}
}

func TestCheckText(t *testing.T) {
	var ce *msgattr.CharacterError
	if err := msgattr.CheckText("body", "ok\U0001F600\t", errAttr); err != nil {
		t.Errorf("CheckText: %v", err)
	}
	if err := msgattr.CheckText("body", "ab\uFFFF", errAttr); !errors.As(err, &ce) || ce.Offset != 2 || ce.Char != 0xFFFF || !errors.Is(err, errAttr) {
		t.Errorf("CheckText: %v, want a *CharacterError at 2 for U+FFFF", err)
	}
}

func ptr(s string) *string { return &s }

// FuzzCheckText checks CheckText, which reads printable ASCII eight bytes at
// a time, against its rule read one character at a time.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"", "plain ascii text, long enough", "tab\there and\x01 there", "0123456\x1f89", "é and \uFFFE", "12345678\x80", "\xff", "abcdefgh\t\n\rijklmnop\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := -1
		for i, r := range s {
			if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") ||
				r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
				want = i
				break
			}
		}
		got := -1
		err := msgattr.CheckText("body", s, errAttr)
		var ce *msgattr.CharacterError
		if errors.As(err, &ce) {
			got = ce.Offset
		} else if err != nil {
			t.Fatalf("CheckText(%q) = %v, not a *CharacterError", s, err)
		}
		if got != want {
			t.Errorf("CheckText(%q) finds a bad character at %d, want %d (-1: none)", s, got, want)
		}
	})
}
