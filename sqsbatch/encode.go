package sqsbatch

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
)

// Encode makes item's message, all but the Id that Write sets, and checks
// it. Its key is the message group on a FIFO queue.
func (w *writer[T]) Encode(item T) (batch.Entry[types.SendMessageBatchRequestEntry], error) {
	var m batch.Entry[types.SendMessageBatchRequestEntry]
	msg, err := toMessage(item)
	if err == nil {
		m.Size, err = w.check(&msg)
	}
	if err != nil {
		return m, err
	}
	m.Value = types.SendMessageBatchRequestEntry{
		MessageBody:       &msg.Body,
		MessageAttributes: msg.Attributes,
		DelaySeconds:      int32(msg.Delay / time.Second),
	}
	if msg.GroupID != "" {
		m.Value.MessageGroupId = &msg.GroupID
	}
	if msg.DeduplicationID != "" {
		m.Value.MessageDeduplicationId = &msg.DeduplicationID
	}
	if w.fifo {
		m.Key = msg.GroupID
	}
	return m, nil
}

// toMessage converts an item to the Message it stands for: a Message as it
// is, else the body awscall.Payload makes of it (a string or []byte as it
// is, anything else as JSON; a nil pointer is refused), with the ids and
// attributes its methods give.
func toMessage[T any](item T) (Message, error) {
	v := any(item) // boxed once
	switch x := v.(type) {
	case Message:
		return x, nil
	case *Message:
		if x == nil {
			return Message{}, fmt.Errorf("%w: nil *Message", ErrInvalidMessage)
		}
		return *x, nil
	}
	body, err := awscall.Payload[string](v)
	if err != nil {
		return Message{}, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	msg := Message{Body: body}
	if g, ok := v.(GroupIDer); ok {
		msg.GroupID = g.MessageGroupID()
	}
	if d, ok := v.(DeduplicationIDer); ok {
		msg.DeduplicationID = d.MessageDeduplicationID()
	}
	if a, ok := v.(Attributer); ok {
		msg.Attributes = a.MessageAttributes()
	}
	return msg, nil
}

// check validates msg as SQS would for this queue and returns its size as
// SQS counts it: the body plus every attribute's name, data type and value.
func (w *writer[T]) check(msg *Message) (int, error) {
	if msg.Body == "" {
		return 0, fmt.Errorf("%w: the body is empty", ErrInvalidMessage)
	}
	if i, r, ok := firstBadChar(msg.Body); !ok {
		return 0, &CharacterError{Where: "body", Offset: i, Char: r, Err: ErrInvalidMessage}
	}
	size := len(msg.Body)
	n, err := checkAttributes(msg.Attributes)
	if err != nil {
		return 0, err
	}
	size += n
	if size > w.maxBytes {
		return 0, fmt.Errorf("%w: %d bytes by SQS's count (body and attributes), the most is %d", batch.ErrItemTooLarge, size, w.maxBytes)
	}
	if w.fifo {
		if msg.GroupID == "" {
			return 0, fmt.Errorf("%w: a message to a FIFO queue needs a group id", ErrInvalidGroupID)
		}
		if err := checkID(msg.GroupID); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrInvalidGroupID, err)
		}
		if msg.DeduplicationID == "" && !w.cbd {
			return 0, fmt.Errorf("%w: a message to a FIFO queue without content-based deduplication needs a deduplication id", ErrInvalidDeduplicationID)
		}
		if msg.Delay != 0 {
			return 0, fmt.Errorf("%w: Delay %v on a FIFO queue, where only the queue has a delay", ErrInvalidMessage, msg.Delay)
		}
	} else {
		if msg.GroupID != "" {
			if err := checkID(msg.GroupID); err != nil {
				return 0, fmt.Errorf("%w: %w", ErrInvalidGroupID, err)
			}
		}
		if msg.DeduplicationID != "" {
			return 0, fmt.Errorf("%w: a deduplication id on a standard queue, which does not deduplicate", ErrInvalidDeduplicationID)
		}
		if msg.Delay < 0 || msg.Delay > MaxDelay || msg.Delay%time.Second != 0 {
			return 0, fmt.Errorf("%w: Delay %v is not a whole number of seconds from 0 to %v", ErrInvalidMessage, msg.Delay, MaxDelay)
		}
	}
	if msg.DeduplicationID != "" {
		if err := checkID(msg.DeduplicationID); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrInvalidDeduplicationID, err)
		}
	}
	return size, nil
}

// firstBadChar returns the byte offset and value of the first character of
// s that SQS does not allow (#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to
// #xFFFD | #x10000 to #x10FFFF), or of the first byte that is not UTF-8
// (as utf8.RuneError), and false; or true if there is none.
func firstBadChar(s string) (int, rune, bool) {
	for i := 0; i < len(s); {
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

// checkID checks a group or deduplication id: 1 to 128 characters of a-z,
// A-Z, 0-9 and ASCII punctuation.
func checkID(id string) error {
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

// checkAttributes checks message attributes as SQS does and returns their
// size: the bytes of every name, data type and value.
func checkAttributes(attrs map[string]types.MessageAttributeValue) (int, error) {
	if len(attrs) > MaxAttributes {
		return 0, fmt.Errorf("%w: %d attributes, the most is %d", ErrInvalidAttribute, len(attrs), MaxAttributes)
	}
	size := 0
	for name, a := range attrs {
		if err := checkAttributeName(name); err != nil {
			return 0, fmt.Errorf("%w: name %q %w", ErrInvalidAttribute, name, err)
		}
		n, err := checkAttributeValue(name, a)
		if err != nil {
			return 0, err
		}
		size += len(name) + n
	}
	return size, nil
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
		return fmt.Errorf("starts with a prefix SQS reserves (AWS. or Amazon.)")
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
func checkAttributeValue(name string, a types.MessageAttributeValue) (int, error) {
	bad := func(format string, args ...any) (int, error) {
		return 0, fmt.Errorf("%w: %q: %s", ErrInvalidAttribute, name, fmt.Sprintf(format, args...))
	}
	if a.DataType == nil || *a.DataType == "" {
		return bad("no DataType")
	}
	typ := *a.DataType
	// The data type, custom label included, is held to a body's
	// characters, and to MaxAttributeNameLength of them.
	if i, r, ok := firstBadChar(typ); !ok {
		return 0, &CharacterError{Where: fmt.Sprintf("the DataType of attribute %q", name), Offset: i, Char: r, Err: ErrInvalidAttribute}
	}
	if n := utf8.RuneCountInString(typ); n > MaxAttributeNameLength {
		return bad("DataType is %d characters long, the most is %d", n, MaxAttributeNameLength)
	}
	base, label, labelled := strings.Cut(typ, ".")
	if labelled && label == "" {
		return bad("DataType %q has an empty custom label", typ)
	}
	if len(a.StringListValues) > 0 || len(a.BinaryListValues) > 0 {
		return bad("StringListValues and BinaryListValues are reserved by SQS and not implemented")
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
				return 0, &NumberError{Attribute: name, Value: v, Digits: d.digits, Exponent: d.exp}
			}
		}
		if i, r, ok := firstBadChar(v); !ok {
			return 0, &CharacterError{Where: fmt.Sprintf("attribute %q", name), Offset: i, Char: r, Err: ErrInvalidAttribute}
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

// decimal is what SQS checks of a Number: its significant digits (leading
// and trailing zeros do not count), and the leading digit and exponent of
// its magnitude, lead.ddd × 10^exp. Zero has no digits.
type decimal struct {
	digits int
	lead   byte
	exp    int
}

// inRange reports whether d is a Number SQS takes: zero, or up to
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
