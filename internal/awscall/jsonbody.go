package awscall

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/batchutils/batchutils/internal/swar"
)

// This file holds what a BodyFunc writes JSON with: strings escaped as the
// SDK's serializer escapes them, and blobs in base64, appended to a buffer.

// AppendString appends s to buf as a JSON string, escaped as the SDK's JSON
// serializer escapes it: ", \ and the control characters and DEL escaped
// (\n, \r and \t by name, the others as \u00XX), U+2028 and U+2029 as
// \u2028 and \u2029, each byte of invalid UTF-8 as U+FFFD, everything else
// as it is.
func AppendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		// Plain bytes eight at a time, then straight to the first byte
		// that is not.
		if i+8 <= len(s) {
			var all bool
			if i, all = swar.Skip(i, swar.JSONPlain(swar.Word(s[i:i+8]))); all {
				continue
			}
		}
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != 0x7F {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\ufffd"...)
		case c == '\u2028' || c == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

const hexDigits = "0123456789abcdef"

// AppendBlob appends b to buf as a JSON string of its standard base64
// encoding, as the SDK writes a blob member (null for a nil b).
func AppendBlob(buf, b []byte) []byte {
	if b == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, '"')
	buf = base64.StdEncoding.AppendEncode(buf, b)
	return append(buf, '"')
}

// AppendArray appends list to buf as a JSON array, each element as
// appendOne writes it (AppendString, AppendBlob): a list of strings or blobs
// as the SDK writes one.
func AppendArray[E any](buf []byte, list []E, appendOne func([]byte, E) []byte) []byte {
	buf = append(buf, '[')
	for i, e := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendOne(buf, e)
	}
	return append(buf, ']')
}

// StringLen returns the length of s as AppendString writes it, when s needs
// no escape (an upper bound of the space it takes is then exact): what a
// BodyFunc sizes its buffer with. A string that needs escapes takes more,
// and the buffer grows.
func StringLen(s string) int { return len(s) + 2 }

// BlobLen returns the length of b as AppendBlob writes it.
func BlobLen(b []byte) int {
	if b == nil {
		return len("null")
	}
	return base64.StdEncoding.EncodedLen(len(b)) + 2
}

// AppendKey appends the key of an object's member, name, which needs no
// escape (a member name of an API's model): a comma first if *more (a
// member came before it in the object), then "name":. It sets *more.
func AppendKey(buf []byte, more *bool, name string) []byte {
	if *more {
		buf = append(buf, ',')
	}
	*more = true
	buf = append(buf, '"')
	buf = append(buf, name...)
	return append(buf, '"', ':')
}

// AppendStringMember appends the member name of an object with the string
// s, as AppendKey and AppendString do, if s is not nil: the SDK writes no
// member for a nil string.
func AppendStringMember(buf []byte, more *bool, name string, s *string) []byte {
	if s == nil {
		return buf
	}
	buf = AppendKey(buf, more, name)
	return AppendString(buf, *s)
}

// AppendStringKey appends the key of an object's member, key, which may
// need escapes (a map key of the caller's): a comma first if *more, then
// key as AppendString writes it, then a colon. It sets *more.
func AppendStringKey(buf []byte, more *bool, key string) []byte {
	if *more {
		buf = append(buf, ',')
	}
	*more = true
	return append(AppendString(buf, key), ':')
}
