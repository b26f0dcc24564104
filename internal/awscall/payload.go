package awscall

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// ErrNil is returned by Payload for a nil interface or a nil pointer: it
// stands for no message, and its JSON would be the body "null".
var ErrNil = errors.New("a nil value")

// Payload returns the message body an item stands for, as a []byte or a
// string (P): a []byte or a string as it is, anything else (named string and
// byte-slice types too) as its encoding/json encoding, without a trailing
// newline and with <, > and & as they are (a message is not HTML). An error
// wraps ErrNil or json's error.
func Payload[P []byte | string](v any) (P, error) {
	switch x := v.(type) {
	case []byte:
		return P(x), nil
	case string:
		return P(x), nil
	}
	if rv := reflect.ValueOf(v); !rv.IsValid() || rv.Kind() == reflect.Pointer && rv.IsNil() {
		return P(""), fmt.Errorf("%w %T", ErrNil, v)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return P(""), fmt.Errorf("%T cannot be encoded to JSON: %w", v, err)
	}
	return P(bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})), nil
}
