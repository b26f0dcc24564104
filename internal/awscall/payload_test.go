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

// TestPayloadReusesNothingItReturns encodes one item after another, and
// after an item that fails: each body returned stays as it was, although
// the encoder and its buffer are reused.
func TestPayloadReusesNothingItReturns(t *testing.T) {
	first, err := Payload[[]byte](event{User: "first", Note: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Payload[[]byte](map[string]any{"bad": make(chan int)}); err == nil {
		t.Fatal("Payload of a channel: no error")
	}
	second, err := Payload[[]byte](event{User: "second", Note: "two"})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{string(first), string(second)}
	want := []string{`{"user":"first","note":"one"}`, `{"user":"second","note":"two"}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
}

// BenchmarkPayload measures the encoding of a struct item.
func BenchmarkPayload(b *testing.B) {
	ev := event{User: "user-123", Note: "a note of some length <with> & such"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Payload[string](ev); err != nil {
			b.Fatal(err)
		}
	}
}
