package batch_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
)

// Close whose context ends while a call is under way: the items of that call
// may have been applied, so they fail with ErrOutcomeUnknown, never with
// ErrClosed; the items never sent fail with ErrClosed. An answer that comes
// within the grace decides.
func TestCloseOutcomeUnknown(t *testing.T) {
	tests := []struct {
		name    string
		latency time.Duration // of the one call under way
		grace   time.Duration
		want    map[string]string // key -> "written", "unknown" or "closed"
	}{
		{"answer after the grace", time.Hour, 0, map[string]string{
			"a": "unknown", "b": "unknown", "c": "closed", "d": "closed",
		}},
		{"answer within the grace", 50 * time.Millisecond, 0, map[string]string{
			"a": "written", "b": "written", "c": "closed", "d": "closed",
		}},
		{"answer within a longer grace", 500 * time.Millisecond, time.Second, map[string]string{
			"a": "written", "b": "written", "c": "closed", "d": "closed",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSink(2, 0, 0)
				s.Latency = tc.latency
				d := mustNew(t, s, batch.Config{MaxInFlight: 1, CloseGrace: tc.grace})
				ctx := context.Background()
				for _, k := range []string{"a", "b", "c", "d"} { // a, b: the call; c, d: behind it
					if err := d.Submit(ctx, item{Key: k, Size: 1}); err != nil {
						t.Fatal(err)
					}
				}
				synctest.Wait() // the first call is under way
				cctx, cancel := context.WithTimeout(ctx, time.Millisecond)
				defer cancel()
				err := d.Close(cctx)
				got := map[string]string{}
				for _, it := range s.Written() {
					got[it.Key] = "written"
				}
				var fe *batch.FailedError[item]
				if err != nil && !errors.As(err, &fe) {
					t.Fatalf("Close = %v, want a *FailedError", err)
				}
				if fe != nil {
					for _, f := range fe.Failures {
						closed, unknown := errors.Is(f.Err, batch.ErrClosed), errors.Is(f.Err, batch.ErrOutcomeUnknown)
						switch {
						case !errors.Is(f.Err, context.DeadlineExceeded):
							t.Errorf("%s: %v, want it to match context.DeadlineExceeded", f.Item.Key, f.Err)
						case closed && !unknown:
							got[f.Item.Key] = "closed"
						case unknown && !closed:
							got[f.Item.Key] = "unknown"
						default:
							t.Errorf("%s: %v, want ErrClosed or ErrOutcomeUnknown, not both", f.Item.Key, f.Err)
						}
					}
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("outcomes mismatch (-want +got):\n%s", diff)
				}
				st := d.Stats()
				var wantUnknown int64
				for _, o := range tc.want {
					if o == "unknown" {
						wantUnknown++
					}
				}
				if st.Unknown != wantUnknown || st.Submitted != st.Written+st.Failed+st.Unknown+st.Replaced {
					t.Errorf("Stats %+v: want Unknown %d and every item accounted for", st, wantUnknown)
				}
			})
		})
	}
}

// A call that fails with MaybeWritten may have been applied: an item whose
// retries run out after it fails with ErrOutcomeUnknown and the last cause;
// one whose retry goes through is written.
func TestMaybeWrittenGivesUp(t *testing.T) {
	dropped := errors.New("connection reset after the request was sent")
	unavailable := errors.New("503")
	tests := []struct {
		name        string
		errs        []error
		wantUnknown bool
		wantErr     error
	}{
		{"ambiguous, then retries run out", []error{batch.MaybeWritten(dropped), unavailable, unavailable}, true, unavailable},
		{"ambiguous last", []error{unavailable, unavailable, batch.MaybeWritten(dropped)}, true, dropped},
		{"never ambiguous", []error{unavailable, unavailable, unavailable}, false, unavailable},
		{"ambiguous, then written", []error{batch.MaybeWritten(dropped)}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(10, 0, 0)
			s.FailNext(tc.errs...)
			d := mustNew(t, s, batch.Config{BackOff: fastBackOff(2)})
			err := d.SubmitWait(context.Background(), item{Key: "k", Size: 1})
			if got := errors.Is(err, batch.ErrOutcomeUnknown); got != tc.wantUnknown {
				t.Errorf("SubmitWait = %v: ErrOutcomeUnknown %v, want %v", err, got, tc.wantUnknown)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("SubmitWait = %v, want it to wrap %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && err != nil {
				t.Errorf("SubmitWait = %v, want nil", err)
			}
			if errors.Is(err, batch.ErrClosed) {
				t.Errorf("SubmitWait = %v: matches ErrClosed", err)
			}
			closeOK(t, d)
			st := d.Stats()
			want := int64(0)
			if tc.wantUnknown {
				want = 1
			}
			if st.Unknown != want {
				t.Errorf("Stats.Unknown = %d, want %d", st.Unknown, want)
			}
		})
	}
}

// Outcome.Retried gives the backend's answer for each item left to retry:
// an item the retry policy gives up on fails with ErrUnprocessed and that
// answer, kept by the core.
func TestOutcomeRetriedCause(t *testing.T) {
	throttled := errors.New("ProvisionedThroughputExceededException: slow down")
	s := newSink(10, 0, 0)
	s.OutcomeHook = func(out *batch.Outcome, n int) {
		out.Retry = nil
		for i := range n {
			out.Retried = append(out.Retried, batch.ItemError{Index: i, Err: fmt.Errorf("record %d: %w", i, throttled)})
		}
		out.Throttled = true
	}
	d := mustNew(t, s, batch.Config{BackOff: fastBackOff(2)})
	err := d.SubmitWait(context.Background(), item{Key: "k", Size: 1})
	if !errors.Is(err, batch.ErrUnprocessed) || !errors.Is(err, throttled) {
		t.Errorf("SubmitWait = %v, want ErrUnprocessed and the last answer", err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Errorf("Close = %v, want nil: the failure went to SubmitWait", err)
	}
	if st := d.Stats(); st.Failed != 1 || st.Unknown != 0 || st.Written != 0 {
		t.Errorf("Stats %+v, want 1 failed", st)
	}
}

// An item refused after a call that may have been applied is not reported
// as plainly not written: it may be in the backend.
func TestRefusedAfterMaybeWritten(t *testing.T) {
	refused := errors.New("KMSAccessDeniedException")
	tests := []struct {
		name  string
		whole bool // the call is refused whole (Permanent), not the item alone
	}{
		{"item refused alone", false},
		{"call refused whole", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(10, 0, 0)
			s.FailNext(batch.MaybeWritten(errors.New("connection reset after the request was sent")))
			if tc.whole {
				s.FailNext(batch.PermanentForAll(refused))
			} else {
				s.Fail = func(item) error { return refused }
			}
			d := mustNew(t, s, batch.Config{BackOff: fastBackOff(3)})
			err := d.SubmitWait(context.Background(), item{Key: "k", Size: 1})
			if !errors.Is(err, batch.ErrOutcomeUnknown) || !errors.Is(err, refused) {
				t.Errorf("SubmitWait = %v, want ErrOutcomeUnknown and the refusal", err)
			}
			closeOK(t, d)
			if st := d.Stats(); st.Unknown != 1 || st.Failed != 0 {
				t.Errorf("Stats %+v, want 1 unknown", st)
			}
		})
	}
}

// An item left to retry with a MaybeWritten cause (the answer did not
// mention it) may have been taken: if it is never confirmed, it fails with
// ErrOutcomeUnknown.
func TestRetriedMaybeWritten(t *testing.T) {
	unmentioned := batch.MaybeWritten(errors.New("the answer did not mention the entry"))
	s := newSink(10, 0, 0)
	s.OutcomeHook = func(out *batch.Outcome, n int) {
		out.Retry = nil
		for i := range n {
			out.Retried = append(out.Retried, batch.ItemError{Index: i, Err: unmentioned})
		}
	}
	d := mustNew(t, s, batch.Config{BackOff: fastBackOff(2)})
	err := d.SubmitWait(context.Background(), item{Key: "k", Size: 1})
	if !errors.Is(err, batch.ErrOutcomeUnknown) || !errors.Is(err, unmentioned) {
		t.Errorf("SubmitWait = %v, want ErrOutcomeUnknown and the last answer", err)
	}
	closeOK(t, d)
	if st := d.Stats(); st.Unknown != 1 {
		t.Errorf("Stats.Unknown = %d, want 1", st.Unknown)
	}
}

// An item the backend took without confirming it (Outcome.Failed with a
// MaybeWritten error, as for an SQS message whose MD5 does not match) fails
// with ErrOutcomeUnknown and that error, counts as unknown, and is never sent
// again; the other items of the call are written.
func TestFailedMaybeWritten(t *testing.T) {
	unconfirmed := batch.MaybeWritten(errors.New("the MD5 in the answer is not that of the item"))
	s := newSink(10, 0, 0)
	s.OutcomeHook = func(out *batch.Outcome, n int) {
		out.Failed = append(out.Failed, batch.ItemError{Index: 0, Err: unconfirmed})
	}
	d := mustNew(t, s, batch.Config{MaxInFlight: 1, BackOff: fastBackOff(3)})
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		if err := d.Submit(ctx, item{Key: k, Size: 1}); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Close(ctx)
	var fe *batch.FailedError[item]
	if !errors.As(err, &fe) || len(fe.Failures) != 1 {
		t.Fatalf("Close = %v, want a *FailedError of one item", err)
	}
	if f := fe.Failures[0]; f.Item.Key != "a" || !errors.Is(f.Err, batch.ErrOutcomeUnknown) || !errors.Is(f.Err, unconfirmed) {
		t.Errorf("failure %s: %v, want a with ErrOutcomeUnknown and the backend's error", f.Item.Key, f.Err)
	}
	var taken []string // by the sink, a unconfirmed: each once
	for _, it := range s.Written() {
		taken = append(taken, it.Key)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, taken); diff != "" {
		t.Errorf("items the sink took mismatch (-want +got):\n%s", diff)
	}
	st := d.Stats()
	if diff := cmp.Diff([]int64{1, 2, 1, 0}, []int64{st.Batches, st.Written, st.Unknown, st.Failed}); diff != "" {
		t.Errorf("Stats batches, written, unknown, failed mismatch (-want +got):\n%s", diff)
	}
}
