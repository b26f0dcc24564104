package awscall

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/batchutils/batchutils/internal/swar"
)

// FuzzJSONReader holds JSONReader to encoding/json: it reads exactly the
// valid JSON documents (Skip then End), and a string the way json.Unmarshal
// does.
func FuzzJSONReader(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `""`, `"a\"b\\c\/\b\f\n\r\t"`, `"\u00e9\ud834\udd1e\ud800\udc00x\ud800"`, `{"a":[1,-2.5e3,true,false,null,{"b":"c"}]}`,
		`{"a":1,}`, `[1 2]`, `"\x01"`, `01`, `-`, `1e`, ` {"a" : "b" } `, `{} {}`, `"\uD800\u0041"`,
		// Strings of eight bytes and more, which String reads a word at a time.
		`"12345678"`, `"1234567"`, `"0123456\"89abcdef"`, `"abcdefghij\nklmnop"`, "\"abcdefghijklm\x01nop\"",
		"\"abcdefghi\xc3\xa9jklmnopq\"", `"abcdefghijklmnop`, `{"MessageId":"1f2e3d4c-5b6a-4789-8abc-def012345678"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := NewJSONReader(body)
		r.Skip()
		r.End()
		if valid := json.Valid(body); (r.Err == nil) != valid {
			t.Fatalf("%q: read without error %t, json.Valid %t", body, r.Err == nil, valid)
		}
		var want string
		if json.Unmarshal(body, &want) != nil || !json.Valid(body) {
			return
		}
		r = NewJSONReader(body)
		if got := r.String(); r.Err != nil || got != want {
			t.Fatalf("%q: String %q (error %v), json.Unmarshal %q", body, got, r.Err, want)
		}
	})
}

// TestStringFlags holds stringFlags' first flag, which String skips to, to
// its rule applied one byte at a time, for every byte in every place of a
// word.
func TestStringFlags(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			want := 8
			for j, b := range w {
				if b < 0x20 || b >= 0x80 || b == '"' || b == '\\' {
					want = j
					break
				}
			}
			if got := bits.TrailingZeros64(stringFlags(binary.LittleEndian.Uint64(w))) / 8; got != want {
				t.Errorf("stringFlags(%q): first flag at byte %d, want %d", w, got, want)
			}
		}
	}
}

// FuzzAppendString holds AppendString, which reads plain ASCII eight bytes
// at a time, to appendStringByByte, its rule applied one byte at a time,
// and to what encoding/json reads back; and swar.JSONPlain's first flag,
// which it skips to, to its rule applied one byte at a time.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a", "a\"", "\x7f", "plain ascii text, long enough", "0123456\"89abcdef", "abcdefg\\hijk", "abcdefgh\x7fijklmnop",
		"1234567\x1f", "é and \u2028", "\xff\xfe 12345678", "012345678\n", "0123456789abcd\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		if want := appendStringByByte(nil, s); string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %q, want %q", s, got, want)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: AppendString wrote %q, not a JSON string: %v", s, got, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); utf8.ValidString(s) && back != want {
			t.Fatalf("%q: read back %q", s, back)
		}
		for i := 0; i+8 <= len(s); i++ {
			first := 8 // the first byte of the eight not written as it is
			for j, c := range []byte(s[i : i+8]) {
				if !(c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
					first = j
					break
				}
			}
			if got := bits.TrailingZeros64(swar.JSONPlain(binary.LittleEndian.Uint64([]byte(s[i:i+8])))) / 8; got != first {
				t.Fatalf("swar.JSONPlain(%q): first flag at byte %d, want %d", s[i:i+8], got, first)
			}
		}
	})
}

// appendStringByByte is AppendString's rule, one character at a time.
func appendStringByByte(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', byte(c))
		case c == '\n':
			buf = append(buf, `\n`...)
		case c == '\r':
			buf = append(buf, `\r`...)
		case c == '\t':
			buf = append(buf, `\t`...)
		case c < 0x20 || c == 0x7F || c == '\u2028' || c == '\u2029':
			buf = fmt.Appendf(buf, `\u%04x`, c)
		default:
			buf = utf8.AppendRune(buf, c) // U+FFFD for a byte of invalid UTF-8
		}
		i += size
	}
	return append(buf, '"')
}
