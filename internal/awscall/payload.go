package awscall

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
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
	e := jsonEncoders.Get().(*jsonEncoder)
	defer e.put()
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return P(""), fmt.Errorf("%T cannot be encoded to JSON: %w", v, err)
	}
	// The one allocation: the body, copied out of the buffer, which is
	// reused.
	b := bytes.TrimSuffix(e.buf.Bytes(), []byte{'\n'})
	var p P
	if _, ok := any(p).(string); ok {
		return P(b), nil // a conversion to string copies
	}
	return P(bytes.Clone(b)), nil
}

// jsonEncoder is an encoder that writes into its own buffer, kept in
// jsonEncoders between calls so that Payload does not make an encoder and
// grow a buffer for each item.
type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// maxPooledBuffer is the largest buffer put back in the pool: a rare large
// message does not keep its memory.
const maxPooledBuffer = 64 << 10

var jsonEncoders = sync.Pool{New: func() any {
	e := new(jsonEncoder)
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

func (e *jsonEncoder) put() {
	if e.buf.Cap() <= maxPooledBuffer {
		jsonEncoders.Put(e)
	}
}
