package idbatch_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/internal/idbatch"
)

func answer(n int, groups string, ok []string, failed ...idbatch.Failure) idbatch.Answer {
	a := idbatch.Answer{
		N: n, Successful: ok, Failed: failed,
		Service: awscall.SNS,
	}
	if groups != "" {
		a.Group = func(i int) string { return groups[i : i+1] }
	}
	return a
}

var errBadSum = errors.New("bad MD5")

// unconfirmed makes entry bad of a unconfirmed, with errBadSum.
func unconfirmed(a idbatch.Answer, bad int) idbatch.Answer {
	a.Unconfirmed = func(i, k int) error {
		if a.Successful[k] != idbatch.IDs[i] {
			return fmt.Errorf("entry %d is not the %d-th of Successful", i, k)
		}
		if i == bad {
			return errBadSum
		}
		return nil
	}
	return a
}

func TestOutcome(t *testing.T) {
	sender := idbatch.Failure{ID: "1", Code: "InvalidParameter", Message: "bad", SenderFault: true}
	server := idbatch.Failure{ID: "1", Code: "InternalError", Message: "oops"}
	throttled := idbatch.Failure{ID: "1", Code: "Throttled", Message: "slow", SenderFault: true}
	cause := func(f idbatch.Failure) []batch.ItemError {
		return []batch.ItemError{{Index: 1, Err: &awscall.EntryError{Code: f.Code, Message: f.Message, SenderFault: f.SenderFault, Service: "SNS"}}}
	}
	tests := []struct {
		name    string
		a       idbatch.Answer
		want    batch.Outcome
		wantErr bool
	}{
		{"all taken", answer(2, "", []string{"0", "1"}), batch.Outcome{}, false},
		{"sender fault fails", answer(3, "", []string{"0", "2"}, sender),
			batch.Outcome{Failed: cause(sender)}, false},
		{"server fault retried with its cause", answer(3, "", []string{"0", "2"}, server),
			batch.Outcome{Retried: cause(server)}, false},
		{"a throttle is retried whatever its fault", answer(2, "", []string{"0"}, throttled),
			batch.Outcome{Retried: cause(throttled), Throttled: true}, false},
		{"unmentioned retried, maybe taken", answer(3, "", []string{"0", "2"}),
			batch.Outcome{Retried: []batch.ItemError{{Index: 1, Err: idbatch.ErrUnmentioned}}}, false},
		{"FIFO: the group's later entries go again", answer(4, "abab", []string{"0", "2", "3"}, server),
			batch.Outcome{Retry: []int{3}, Retried: cause(server)}, false},
		{"FIFO: an unmentioned entry holds its group", answer(3, "aaa", []string{"0", "2"}),
			batch.Outcome{Retry: []int{2}, Retried: []batch.ItemError{{Index: 1, Err: idbatch.ErrUnmentioned}}}, false},
		{"FIFO: a refused entry does not hold its group", answer(3, "aaa", []string{"0", "2"}, sender),
			batch.Outcome{Failed: cause(sender)}, false},
		{"an unconfirmed entry fails, maybe taken", unconfirmed(answer(3, "", []string{"0", "1", "2"}), 1),
			batch.Outcome{Failed: []batch.ItemError{{Index: 1, Err: batch.MaybeWritten(errBadSum)}}}, false},
		{"an unconfirmed entry, the answer in another order", unconfirmed(answer(3, "", []string{"2", "0", "1"}), 0),
			batch.Outcome{Failed: []batch.ItemError{{Index: 0, Err: batch.MaybeWritten(errBadSum)}}}, false},
		{"FIFO: an unconfirmed entry does not hold its group", unconfirmed(answer(3, "aaa", []string{"0", "1", "2"}), 1),
			batch.Outcome{Failed: []batch.ItemError{{Index: 1, Err: batch.MaybeWritten(errBadSum)}}}, false},
		{"FIFO: an unconfirmed entry held behind its group goes again", unconfirmed(answer(3, "aaa", []string{"0", "2"}, server), 2),
			batch.Outcome{Retry: []int{2}, Retried: cause(server)}, false},
		{"an id not sent", answer(2, "", []string{"0", "7"}), batch.Outcome{}, true},
		{"an id not ours", answer(2, "", []string{"0", "01"}), batch.Outcome{}, true},
		{"an id twice", answer(2, "", []string{"0"}, idbatch.Failure{ID: "0"}), batch.Outcome{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.a.Outcome()
			if (err != nil) != tc.wantErr {
				t.Fatalf("Outcome error %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), sameMessage); diff != "" {
				t.Fatalf("Outcome mismatch (-want +got):\n%s", diff)
			}
			for i, f := range got.Failed {
				if want := batch.IsMaybeWritten(tc.want.Failed[i].Err); batch.IsMaybeWritten(f.Err) != want {
					t.Errorf("Failed[%d]: %v, want IsMaybeWritten %v", i, f.Err, want)
				}
			}
		})
	}
}

// sameMessage compares errors by their messages: an Outcome's causes are
// made anew by each call.
var sameMessage = cmp.Comparer(func(x, y error) bool {
	if x == nil || y == nil {
		return x == y
	}
	return x.Error() == y.Error()
})
