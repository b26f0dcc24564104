// Package msgattr checks message attributes, message group and
// deduplication ids and message text as Amazon SQS does, for the backends
// whose services share SQS's rules (sqsbatch, snsbatch): one set of rules,
// one set of errors, each wrapping the sentinel of the backend that calls.
package msgattr

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/batchutils/batchutils/internal/swar"
)

// Limits of message attributes and ids.
const (
	// MaxAttributes is the most message attributes on one message.
	MaxAttributes = 10
	// MaxAttributeNameLength bounds an attribute's name and its data type.
	MaxAttributeNameLength = 256
	// MaxNumberDigits is the most significant digits of a Number
	// attribute's value; leading and trailing zeros do not count.
	MaxNumberDigits = 38
	// MinNumberExponent and MaxNumberExponent bound the magnitude of a
	// Number attribute's value other than zero: from 10^MinNumberExponent
	// to 10^MaxNumberExponent, both included.
	MinNumberExponent = -128
	MaxNumberExponent = 126
	// MaxIDLength bounds a message group id and a deduplication id.
	MaxIDLength = 128
)

// Value is a message attribute's value, as the SDK of either service has
// it.
type Value struct {
	DataType, StringValue *string
	BinaryValue           []byte
	Lists                 bool // StringListValues or BinaryListValues are set
}

// CharacterError reports a character the service does not allow in a
// message body, a String attribute value or an attribute's data type, or
// bytes that are not UTF-8. It wraps Err, the sentinel of the backend.
type CharacterError struct {
	Where  string // "body", `attribute "name"` or `the DataType of attribute "name"`
	Offset int    // in bytes, into the body, value or data type
	Char   rune   // utf8.RuneError for bytes that are not UTF-8
	Err    error  // the backend's sentinel: an invalid message or attribute
}

// Error says where the character is and which it is.
func (e *CharacterError) Error() string {
	if e.Char == utf8.RuneError {
		return fmt.Sprintf("%v: %s is not UTF-8 at byte %d", e.Err, e.Where, e.Offset)
	}
	return fmt.Sprintf("%v: %s holds %U at byte %d, a character the service does not allow", e.Err, e.Where, e.Char, e.Offset)
}

// Unwrap returns Err.
func (e *CharacterError) Unwrap() error { return e.Err }

// NumberError reports a Number attribute's value that the service would
// refuse for its precision or its magnitude: more than MaxNumberDigits
// significant digits, or a magnitude, other than zero, below
// 10^MinNumberExponent or above 10^MaxNumberExponent. It wraps Err, the
// backend's sentinel of an invalid attribute.
type NumberError struct {
	Attribute string // the attribute's name
	Value     string // its StringValue
	Digits    int    // its significant digits: leading and trailing zeros do not count
	Exponent  int    // n of its magnitude d.ddd × 10^n (saturated far out of range)
	Err       error
}

// Error says which value it is and what the service takes.
func (e *NumberError) Error() string {
	return fmt.Sprintf("%v: %q: Number %s (significant digits: %d, magnitude: about 10^%d) is out of range: the service takes 0, or up to %d significant digits and a magnitude from 10^%d to 10^%d",
		e.Err, e.Attribute, e.Value, e.Digits, e.Exponent, MaxNumberDigits, MinNumberExponent, MaxNumberExponent)
}

// Unwrap returns Err.
func (e *NumberError) Unwrap() error { return e.Err }

// CheckText returns a *CharacterError wrapping sentinel for the first
// character of s the service does not allow, or nil.
func CheckText(where, s string, sentinel error) error {
	if i, r, ok := firstBadChar(s); !ok {
		return &CharacterError{Where: where, Offset: i, Char: r, Err: sentinel}
	}
	return nil
}

// Check checks message attributes of an SDK's type V, whose Value value
// returns, as the service does and returns their size: the bytes of every
// name, data type and value. Its errors wrap sentinel.
func Check[V any](attrs map[string]V, value func(V) Value, sentinel error) (int, error) {
	if len(attrs) > MaxAttributes {
		return 0, fmt.Errorf("%w: %d attributes, the most is %d", sentinel, len(attrs), MaxAttributes)
	}
	size := 0
	for name, a := range attrs {
		if err := checkAttributeName(name); err != nil {
			return 0, fmt.Errorf("%w: name %q %w", sentinel, name, err)
		}
		n, err := checkAttributeValue(name, value(a), sentinel)
		if err != nil {
			return 0, err
		}
		size += len(name) + n
	}
	return size, nil
}

// firstBadChar returns the byte offset and value of the first character of
// s that the service does not allow (#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to
// #xFFFD | #x10000 to #x10FFFF), or of the first byte that is not UTF-8
// (as utf8.RuneError), and false; or true if there is none.
func firstBadChar(s string) (int, rune, bool) {
	for i := 0; i < len(s); {
		// Eight bytes at a time while they are all printable ASCII, as a
		// JSON message mostly is: no byte with its high bit set, and none
		// below 0x20 (a borrow out of a byte under 0x20 sets its high bit).
		if i+8 <= len(s) {
			if w := swar.Word(s[i : i+8]); swar.NonASCII(w) == 0 && swar.Below(w, 0x20) == 0 {
				i += 8
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i, rune(c), false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return i, utf8.RuneError, false
		}
		// The decoder refuses surrogates; what is left outside the set is
		// U+FFFE and U+FFFF.
		if r == 0xFFFE || r == 0xFFFF {
			return i, r, false
		}
		i += n
	}
	return 0, 0, true
}

// CheckID checks a group or deduplication id: 1 to 128 characters of a-z,
// A-Z, 0-9 and ASCII punctuation.
func CheckID(id string) error {
	if len(id) > MaxIDLength {
		return fmt.Errorf("%d characters, the most is %d", len(id), MaxIDLength)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("%q holds %q at byte %d: only a-z, A-Z, 0-9 and ASCII punctuation are allowed", id, c, i)
		}
	}
	return nil
}

// checkAttributeName applies SQS's rules: 1 to 256 characters of a-z, A-Z,
// 0-9, '_', '-' and '.', not starting or ending with '.', without "..", and
// not starting with "AWS." or "Amazon." in any case.
func checkAttributeName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("is empty")
	case len(name) > MaxAttributeNameLength:
		return fmt.Errorf("is %d characters long, the most is %d", len(name), MaxAttributeNameLength)
	case name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, ".."):
		return fmt.Errorf("starts or ends with '.' or holds \"..\"")
	case hasPrefixFold(name, "AWS.") || hasPrefixFold(name, "Amazon."):
		return fmt.Errorf("starts with a reserved prefix (AWS. or Amazon.)")
	}
	for i := 0; i < len(name); i++ {
		if !nameChar(name[i]) {
			return fmt.Errorf("holds %q: only a-z, A-Z, 0-9, '_', '-' and '.' are allowed", name[i])
		}
	}
	return nil
}

func nameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// checkAttributeValue checks one attribute's data type and value and
// returns their size.
func checkAttributeValue(name string, a Value, sentinel error) (int, error) {
	bad := func(format string, args ...any) (int, error) {
		return 0, fmt.Errorf("%w: %q: %s", sentinel, name, fmt.Sprintf(format, args...))
	}
	if a.DataType == nil || *a.DataType == "" {
		return bad("no DataType")
	}
	typ := *a.DataType
	// The data type, custom label included, is held to a body's
	// characters, and to MaxAttributeNameLength of them.
	if i, r, ok := firstBadChar(typ); !ok {
		return 0, &CharacterError{Where: fmt.Sprintf("the DataType of attribute %q", name), Offset: i, Char: r, Err: sentinel}
	}
	if n := utf8.RuneCountInString(typ); n > MaxAttributeNameLength {
		return bad("DataType is %d characters long, the most is %d", n, MaxAttributeNameLength)
	}
	base, label, labelled := strings.Cut(typ, ".")
	if labelled && label == "" {
		return bad("DataType %q has an empty custom label", typ)
	}
	if a.Lists {
		return bad("StringListValues and BinaryListValues are reserved and not implemented")
	}
	switch base {
	case "String", "Number":
		if a.BinaryValue != nil {
			return bad("a %s attribute with a BinaryValue", base)
		}
		if a.StringValue == nil || *a.StringValue == "" {
			return bad("a %s attribute without a StringValue", base)
		}
		v := *a.StringValue
		if base == "Number" {
			d, ok := parseNumber(v)
			if !ok {
				return bad("%q is not a number", v)
			}
			if !d.inRange() {
				return 0, &NumberError{Attribute: name, Value: v, Digits: d.digits, Exponent: d.exp, Err: sentinel}
			}
		}
		if i, r, ok := firstBadChar(v); !ok {
			return 0, &CharacterError{Where: fmt.Sprintf("attribute %q", name), Offset: i, Char: r, Err: sentinel}
		}
		return len(typ) + len(v), nil
	case "Binary":
		if a.StringValue != nil {
			return bad("a Binary attribute with a StringValue")
		}
		if len(a.BinaryValue) == 0 {
			return bad("a Binary attribute without a BinaryValue")
		}
		return len(typ) + len(a.BinaryValue), nil
	}
	return bad("DataType %q is not String, Number or Binary (with an optional .label)", typ)
}

// decimal is what the service checks of a Number: its significant digits (leading
// and trailing zeros do not count), and the leading digit and exponent of
// its magnitude, lead.ddd × 10^exp. Zero has no digits.
type decimal struct {
	digits int
	lead   byte
	exp    int
}

// inRange reports whether d is a Number the service takes: zero, or up to
// MaxNumberDigits significant digits and a magnitude from
// 10^MinNumberExponent to 10^MaxNumberExponent.
func (d decimal) inRange() bool {
	switch {
	case d.digits == 0:
		return true
	case d.digits > MaxNumberDigits, d.exp < MinNumberExponent, d.exp > MaxNumberExponent:
		return false
	case d.exp == MaxNumberExponent:
		return d.digits == 1 && d.lead == '1' // 10^MaxNumberExponent itself
	}
	return true
}

// parseNumber parses s as a decimal number: an optional sign, digits with
// an optional fraction (".5" and "5." included), and an optional exponent.
// It reports false if s is not one. An exponent of 10^9 or more in
// magnitude is taken as ±10^9.
func parseNumber(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	n, first, last := 0, -1, -1 // mantissa digits, and the index among them of the first and last that are not 0
	digits := func() {
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			if s[i] != '0' {
				if first < 0 {
					first, d.lead = n, s[i]
				}
				last = n
			}
			n++
		}
	}
	digits()
	whole := n // mantissa digits before the point
	if i < len(s) && s[i] == '.' {
		i++
		digits()
	}
	if n == 0 {
		return decimal{}, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		neg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		start := i
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			if exp < 1e8 {
				exp = exp*10 + int(s[i]-'0')
			} else {
				exp = 1e9 // far out of range; fits an int of 32 bits
			}
		}
		if i == start {
			return decimal{}, false
		}
		if neg {
			exp = -exp
		}
	}
	if i != len(s) {
		return decimal{}, false
	}
	if first < 0 {
		return decimal{}, true // zero
	}
	// The first significant digit stands for 10^(whole-1-first) before the
	// exponent.
	d.digits = last - first + 1
	d.exp = exp + whole - 1 - first
	return d, true
}

// GroupIDer is implemented by an item type that carries its message group
// id.
type GroupIDer interface {
	MessageGroupID() string
}

// DeduplicationIDer is implemented by an item type that carries its
// message deduplication id.
type DeduplicationIDer interface {
	MessageDeduplicationID() string
}

// IDsOf returns the message group and deduplication ids that v's methods
// give, "" for those it lacks.
func IDsOf(v any) (group, dedup string) {
	if g, ok := v.(GroupIDer); ok {
		group = g.MessageGroupID()
	}
	if d, ok := v.(DeduplicationIDer); ok {
		dedup = d.MessageDeduplicationID()
	}
	return group, dedup
}

// CheckIDs checks a message's group and deduplication ids as a FIFO queue
// or topic does (fifo; cbd: it deduplicates by content), or a standard one:
// on FIFO a group id is required, and a deduplication id unless cbd; a
// standard one refuses a deduplication id; each id is checked by CheckID.
// Its errors wrap errGroup or errDedup.
func CheckIDs(fifo, cbd bool, group, dedup string, errGroup, errDedup error) error {
	switch {
	case fifo && group == "":
		return fmt.Errorf("%w: a message to a FIFO queue or topic needs a group id", errGroup)
	case fifo && dedup == "" && !cbd:
		return fmt.Errorf("%w: a message to a FIFO queue or topic without content-based deduplication needs a deduplication id", errDedup)
	case !fifo && dedup != "":
		return fmt.Errorf("%w: a deduplication id on a standard queue or topic, which does not deduplicate", errDedup)
	}
	for _, id := range []struct {
		v   string
		err error
	}{{group, errGroup}, {dedup, errDedup}} {
		if id.v != "" {
			if err := CheckID(id.v); err != nil {
				return fmt.Errorf("%w: %w", id.err, err)
			}
		}
	}
	return nil
}
