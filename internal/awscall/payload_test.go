package awscall

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type named string

type event struct {
	User string `json:"user"`
	Note string `json:"note"`
}

func TestPayload(t *testing.T) {
	t.Parallel()
	var nilEvent *event
	tests := []struct {
		name string
		item any
		want string
		err  error // matched with errors.Is; nil: no error
	}{
		{name: "bytes as they are", item: []byte("a\x00<b>"), want: "a\x00<b>"},
		{name: "string as it is", item: "héllo <&>", want: "héllo <&>"},
		{name: "empty string", item: "", want: ""},
		{name: "named string: JSON", item: named("x"), want: `"x"`},
		{name: "struct: JSON without HTML escapes or newline", item: event{User: "u", Note: "<a & b>"}, want: `{"user":"u","note":"<a & b>"}`},
		{name: "pointer: JSON of what it points to", item: &event{User: "u"}, want: `{"user":"u","note":""}`},
		{name: "map", item: map[string]int{"b": 2, "a": 1}, want: `{"a":1,"b":2}`},
		{name: "nil pointer", item: nilEvent, err: ErrNil},
		{name: "nil", item: nil, err: ErrNil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := Payload[[]byte](tc.item)
			s, err2 := Payload[string](tc.item)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(err2, tc.err) {
					t.Fatalf("Payload(%#v) = %v, %v; want %v", tc.item, err, err2, tc.err)
				}
				return
			}
			if err != nil || err2 != nil {
				t.Fatalf("Payload(%#v): %v, %v", tc.item, err, err2)
			}
			if diff := cmp.Diff(tc.want, string(b)); diff != "" {
				t.Errorf("Payload[[]byte] mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, s); diff != "" {
				t.Errorf("Payload[string] mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPayloadJSONError(t *testing.T) {
	t.Parallel()
	_, err := Payload[string](make(chan int))
	var ute *json.UnsupportedTypeError
	if !errors.As(err, &ute) {
		t.Errorf("Payload(chan) = %v, want a *json.UnsupportedTypeError", err)
	}
}

// TestPayloadBytesNotCopied checks that a []byte payload is the caller's
// own slice, not a copy.
func TestPayloadBytesNotCopied(t *testing.T) {
	t.Parallel()
	in := []byte("data")
	out, _ := Payload[[]byte](in)
	if &out[0] != &in[0] {
		t.Error("Payload[[]byte] copied a []byte")
	}
}
