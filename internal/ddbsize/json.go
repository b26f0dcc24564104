package ddbsize

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/batchutils/batchutils/internal/swar"
)

// asciiExtra holds, for each ASCII byte, how many bytes more than one the
// JSON encoders of aws-sdk-go-v2 write for it inside a string:
//
//	'"' '\\' '\n' '\r' '\t'     two bytes (\" \\ \n \r \t): 1 extra
//	other bytes below 0x20      \u00XX, six bytes: 5 extra
//	DEL (0x7F)                  \u007f in smithy-go's schema serializer,
//	                            raw in its encoding/json: 5 extra, the larger
//	everything else             itself: 0 extra
//
// Neither encoder escapes '<', '>' or '&' (smithy-go v1.28.9,
// encoding/json/escape.go and transport/http/protocol/internal/json/shape_serializer.go).
var asciiExtra = func() (t [utf8.RuneSelf]uint8) {
	for b := range 0x20 {
		t[b] = 5
	}
	t['"'], t['\\'], t['\n'], t['\r'], t['\t'] = 1, 1, 1, 1, 1
	t[0x7F] = 5
	return t
}()

// Extra bytes for what is not ASCII: an invalid UTF-8 byte is written as raw
// U+FFFD (3 bytes) by the schema serializer and as \ufffd (6 bytes) by
// encoding/json, and U+2028 and U+2029 (3 bytes each) as \u2028 and \u2029 by
// both.
const (
	invalidExtra   = len(`\ufffd`) - 1
	separatorExtra = len(`\u2028`) - len("\u2028")
)

// escapedLen returns the length of s written as a JSON string by
// aws-sdk-go-v2, quotes included, taking the larger figure where its two
// encoders differ.
func escapedLen(s string) int {
	n, _ := escapedLenValid(s)
	return n
}

// escapedLenValid is escapedLen, and also reports whether s is valid UTF-8.
func escapedLenValid(s string) (n int, valid bool) {
	n = len(`""`) + len(s)
	valid = true
	i := 0
	for i < len(s) {
		// Skip plain ASCII 8 bytes at a time: read them as a little-endian
		// word and flag the bytes that need a closer look. The lowest flag
		// is exact (the SWAR tests can only misflag bytes above a flagged
		// one), so the bytes below it are plain too.
		if i+8 <= len(s) {
			var all bool
			if i, all = swar.Skip(i, swar.JSONPlain(swar.Word(s[i:i+8]))); all {
				continue
			}
		}
		b := s[i]
		if b < utf8.RuneSelf {
			n += int(asciiExtra[b])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += invalidExtra
			valid = false
		case r == '\u2028' || r == '\u2029':
			n += separatorExtra
		}
		i += size
	}
	return n, valid
}

// blobLen returns the length of b in JSON: null for a nil slice, otherwise
// standard padded base64 between quotes.
func blobLen(b []byte) int {
	if b == nil {
		return jsonNull
	}
	return len(`""`) + base64.StdEncoding.EncodedLen(len(b))
}
