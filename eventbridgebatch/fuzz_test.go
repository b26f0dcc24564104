package eventbridgebatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/batchutils/batchutils/eventbridgebatch"
	"github.com/batchutils/batchutils/testutil"
)

// FuzzDetail checks Put's checks of an event against an oracle written
// independently (encoding/json's decoder): a detail is accepted if and only
// if it is UTF-8 and decodes to a JSON object, and an accepted event reaches
// the bus as it was put. Seeds are in testdata/fuzz/FuzzDetail.
func FuzzDetail(f *testing.F) {
	f.Add(`{"a": 1}`, "src", "type")
	f.Add(` {} `, "s", "t")
	f.Add(`[1]`, "s", "t")
	f.Add(`{"a": "\xff"}`, "s", "t")
	f.Add(`{"a": 1} {}`, "s", "t")
	f.Add(`{}`, "", "t")
	f.Fuzz(func(t *testing.T, detail, source, detailType string) {
		fake := testutil.NewFakeEventBridge()
		d, err := eventbridgebatch.New[eventbridgebatch.Event](fake, eventbridgebatch.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close(context.Background())
		err = d.PutWait(context.Background(), eventbridgebatch.Event{Source: source, DetailType: detailType, Detail: detail})
		var obj map[string]any
		isObject := utf8.ValidString(detail) && json.Unmarshal([]byte(detail), &obj) == nil && obj != nil
		namesOK := source != "" && detailType != "" && utf8.ValidString(source) && utf8.ValidString(detailType) &&
			utf8.RuneCountInString(detailType) <= eventbridgebatch.MaxDetailTypeLength
		switch {
		case !namesOK:
			if !errors.Is(err, eventbridgebatch.ErrInvalidEvent) {
				t.Fatalf("Put(%q, %q): %v, want ErrInvalidEvent", source, detailType, err)
			}
		case !isObject:
			if !errors.Is(err, eventbridgebatch.ErrInvalidDetail) {
				t.Fatalf("Put(detail %q): %v, want ErrInvalidDetail", detail, err)
			}
		case err != nil:
			t.Fatalf("Put(detail %q): %v, want nil", detail, err)
		default:
			if evs := fake.Events(""); len(evs) != 1 || evs[0].Detail != detail {
				t.Fatalf("bus holds %+v, want the detail %q", evs, detail)
			}
		}
	})
}
