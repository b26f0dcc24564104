package awscall

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/batchutils/batchutils/internal/swar"
)

// This file holds what an AnswerFunc reads JSON with: a reader over a whole
// answer body, strict about the syntax, that takes strings without escapes
// as substrings of one copy of the body.

// errSyntax is what JSONReader reports for JSON it cannot read: the answer
// then goes to the SDK's own deserializer, which says what is wrong.
var errSyntax = errors.New("awscall: JSON the fast reader does not read")

// JSONReader reads one JSON value from a body. Its methods record the first
// error in Err and do nothing after it. A null where a method expects a
// value of its kind is an error too: the answers read with it never hold
// one, and the SDK's deserializer then reads the answer.
type JSONReader struct {
	b    []byte
	s    string   // b as a string: the strings read are its substrings
	strs []string // what StringPtr's pointers point into
	i    int
	Err  error
}

// NewJSONReader returns a reader of body, which it copies once.
func NewJSONReader(body []byte) *JSONReader {
	return &JSONReader{b: body, s: string(body)}
}

func (r *JSONReader) fail() {
	if r.Err == nil {
		r.Err = errSyntax
	}
}

func (r *JSONReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (r *JSONReader) peek() byte {
	r.ws()
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

func (r *JSONReader) expect(c byte) bool {
	if r.Err != nil || r.peek() != c {
		r.fail()
		return false
	}
	r.i++
	return true
}

// Object reads an object, calling member with each key; member reads the
// value (or Skip does).
func (r *JSONReader) Object(member func(key string)) {
	if !r.expect('{') {
		return
	}
	if r.peek() == '}' {
		r.i++
		return
	}
	for r.Err == nil {
		key := r.String()
		if !r.expect(':') {
			return
		}
		member(key)
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return
		default:
			r.fail()
		}
	}
}

// Array reads an array, calling elem for each element, which elem reads.
func (r *JSONReader) Array(elem func()) {
	if !r.expect('[') {
		return
	}
	if r.peek() == ']' {
		r.i++
		return
	}
	for r.Err == nil {
		elem()
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return
		default:
			r.fail()
		}
	}
}

// String reads a string.
func (r *JSONReader) String() string {
	if !r.expect('"') {
		return ""
	}
	s, start := r.s, r.i
	for i := start; i < len(s); {
		// Eight bytes at a time while none ends the string or needs more
		// than copying, then straight to the first of the eight that does.
		if i+8 <= len(s) {
			var all bool
			if i, all = swar.Skip(i, stringFlags(swar.Word(s[i:i+8]))); all {
				continue
			}
		}
		switch c := s[i]; {
		case c == '"':
			r.i = i + 1
			return s[start:i]
		case c == '\\' || c >= utf8.RuneSelf:
			r.i = i
			return r.escaped(start)
		case c < 0x20:
			r.i = i
			r.fail()
			return ""
		}
		i++
	}
	r.i = len(s)
	r.fail()
	return ""
}

// stringFlags flags the bytes of the word w that String does not take as
// they are: one with its high bit set, one under 0x20, " or \ (DEL is taken
// as it is, where swar.JSONPlain flags it); its lowest flag is exact.
func stringFlags(w uint64) uint64 {
	return swar.NonASCII(w) | swar.Below(w, 0x20) | swar.Equal(w, '"') | swar.Equal(w, '\\')
}

// escaped reads the rest of a string that has escapes or bytes beyond
// ASCII, from start: each byte of invalid UTF-8 becomes U+FFFD, as
// encoding/json has it.
func (r *JSONReader) escaped(start int) string {
	out := []byte(r.s[start:r.i])
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return string(out)
		case c < 0x20:
			r.fail()
			return ""
		case c >= utf8.RuneSelf:
			c, size := utf8.DecodeRune(r.b[r.i:])
			out = utf8.AppendRune(out, c) // RuneError for a bad byte
			r.i += size
			continue
		case c != '\\':
			out = append(out, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.b) {
			break
		}
		r.i += 2
		switch e := r.b[r.i-1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			c1, ok := r.hex4()
			if !ok {
				return ""
			}
			if utf16.IsSurrogate(c1) {
				c2 := rune(-1)
				if r.i+1 < len(r.b) && r.b[r.i] == '\\' && r.b[r.i+1] == 'u' {
					save := r.i
					r.i += 2
					if c2, ok = r.hex4(); !ok {
						return ""
					}
					if utf16.DecodeRune(c1, c2) == utf8.RuneError {
						r.i, c2 = save, -1
					}
				}
				if c2 >= 0 {
					c1 = utf16.DecodeRune(c1, c2)
				} else {
					c1 = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, c1)
		default:
			r.fail()
			return ""
		}
	}
	r.fail()
	return ""
}

func (r *JSONReader) hex4() (rune, bool) {
	if r.i+4 > len(r.b) {
		r.fail()
		return 0, false
	}
	v, err := strconv.ParseUint(string(r.b[r.i:r.i+4]), 16, 32)
	if err != nil {
		r.fail()
		return 0, false
	}
	r.i += 4
	return rune(v), true
}

// StringPtr reads a string and returns a pointer to it, from a slice of
// the reader's: no allocation per string.
func (r *JSONReader) StringPtr() *string {
	if len(r.strs) == cap(r.strs) {
		// A result of a batch answer takes 20 bytes or more a string:
		// room, most often, for all of them at once.
		r.strs = make([]string, 0, max(len(r.b)/20, 2*cap(r.strs)))
	}
	r.strs = append(r.strs, r.String())
	return &r.strs[len(r.strs)-1]
}

// Bool reads true or false.
func (r *JSONReader) Bool() bool {
	switch {
	case r.literal("true"):
		return true
	case r.literal("false"):
		return false
	}
	r.fail()
	return false
}

// literal reads lit if it comes next and reports whether it did.
func (r *JSONReader) literal(lit string) bool {
	if r.Err == nil && r.peek() == lit[0] && r.i+len(lit) <= len(r.b) && string(r.b[r.i:r.i+len(lit)]) == lit {
		r.i += len(lit)
		return true
	}
	return false
}

// Int32 reads an integer that fits in 32 bits.
func (r *JSONReader) Int32() int32 {
	v, err := strconv.ParseInt(r.number(), 10, 32)
	if err != nil {
		r.fail()
	}
	return int32(v)
}

// number reads a number as JSON writes one and returns its text.
func (r *JSONReader) number() string {
	r.ws()
	start := r.i
	digits := func() bool {
		n := r.i
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
		}
		return r.i > n
	}
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.b) && r.b[r.i] == '0':
		r.i++
	case !digits():
		r.fail()
		return ""
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if !digits() {
			r.fail()
			return ""
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if !digits() {
			r.fail()
			return ""
		}
	}
	return r.s[start:r.i]
}

// Skip reads a value of any kind and drops it.
func (r *JSONReader) Skip() {
	switch c := r.peek(); {
	case c == '{':
		r.Object(func(string) { r.Skip() })
	case c == '[':
		r.Array(r.Skip)
	case c == '"':
		_ = r.String()
	case c == 't' || c == 'f' || c == 'n':
		if !r.literal("true") && !r.literal("false") && !r.literal("null") {
			r.fail()
		}
	case c == '-' || c >= '0' && c <= '9':
		r.number()
	default:
		r.fail()
	}
}

// End checks that nothing but white space is left.
func (r *JSONReader) End() {
	if r.Err == nil {
		if r.ws(); r.i < len(r.b) {
			r.fail()
		}
	}
}

// ReadList reads an array of objects into a list of E, with room for n at
// first, as the SDK reads a list of result entries: never nil, even for [].
// member reads the value of an object's member into e and reports whether
// it knew key; a member it does not know is skipped.
func ReadList[E any](r *JSONReader, n int, member func(e *E, key string) bool) []E {
	list := make([]E, 0, n)
	r.Array(func() {
		// The entry is read in its place in the list: a local one,
		// its address given to member, would move to the heap.
		var zero E
		list = append(list, zero)
		e := &list[len(list)-1]
		r.Object(func(key string) {
			if !member(e, key) {
				r.Skip()
			}
		})
	})
	return list
}
