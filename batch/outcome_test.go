package batch_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/testutil"
)

var errRefused = errors.New("refused by the backend")

// TestOutcomeFailedItemsFailAlone checks that an item the sink refuses on
// its own fails with its own error, found by errors.Is through the
// FailedError, and that the call is neither split nor sent again.
func TestOutcomeFailedItemsFailAlone(t *testing.T) {
	s := newSink(5, 0, 0)
	s.Fail = func(it item) error {
		if it.Key == "2" || it.Key == "4" {
			return fmt.Errorf("item %s: %w", it.Key, errRefused)
		}
		return nil
	}
	d := mustNew(t, s, batch.Config{MaxInFlight: 1})
	submitAll(t, d, item{Key: "1"}, item{Key: "2"}, item{Key: "3"}, item{Key: "4"}, item{Key: "5"})
	err := d.Close(context.Background())
	if !errors.Is(err, errRefused) {
		t.Errorf("Close = %v, want errors.Is(err, errRefused)", err)
	}
	var got []string
	for _, f := range failedItems(t, err) {
		got = append(got, f.Item.Key)
		if !errors.Is(f.Err, errRefused) {
			t.Errorf("failure of %s: %v, want errRefused", f.Item.Key, f.Err)
		}
	}
	if diff := cmp.Diff([]string{"2", "4"}, got); diff != "" {
		t.Errorf("failed items mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"1", "2", "3", "4", "5"}}, callKeys(s)); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	st := d.Stats()
	if st.Written != 3 || st.Failed != 2 || st.Retries != 0 {
		t.Errorf("Stats = %+v, want 3 written, 2 failed, 0 retries", st)
	}
	checkAccounting(t, st)
}

// TestOutcomeBadIndexes checks that a sink's Outcome that names an item out
// of range or twice fails the items concerned with ErrBadOutcome, and that
// nothing is lost and nothing panics.
func TestOutcomeBadIndexes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		hook       func(out *batch.Outcome, n int)
		wantFailed []string // keys failed with ErrBadOutcome
		wantOK     []string
	}{
		{
			name:       "out of range",
			hook:       func(out *batch.Outcome, n int) { out.Retry = append(out.Retry, n) },
			wantFailed: []string{"a", "b", "c"},
		},
		{
			name: "negative",
			hook: func(out *batch.Outcome, n int) {
				out.Failed = append(out.Failed, batch.ItemError{Index: -1, Err: errRefused})
			},
			wantFailed: []string{"a", "b", "c"},
		},
		{
			name: "retried and failed",
			hook: func(out *batch.Outcome, n int) {
				out.Retry = append(out.Retry, 1)
				out.Failed = append(out.Failed, batch.ItemError{Index: 1, Err: errRefused})
			},
			wantFailed: []string{"b"},
			wantOK:     []string{"a", "c"},
		},
		{
			name: "failed twice",
			hook: func(out *batch.Outcome, n int) {
				out.Failed = append(out.Failed, batch.ItemError{Index: 0}, batch.ItemError{Index: 0})
			},
			wantFailed: []string{"a"},
			wantOK:     []string{"b", "c"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(5, 0, 0)
			s.OutcomeHook = tc.hook
			d := mustNew(t, s, batch.Config{MaxInFlight: 1})
			submitAll(t, d, item{Key: "a"}, item{Key: "b"}, item{Key: "c"})
			err := d.Close(context.Background())
			var got []string
			if err != nil {
				for _, f := range failedItems(t, err) {
					got = append(got, f.Item.Key)
					if !errors.Is(f.Err, batch.ErrBadOutcome) {
						t.Errorf("failure of %s: %v, want ErrBadOutcome", f.Item.Key, f.Err)
					}
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(tc.wantFailed, got); diff != "" {
				t.Errorf("failed items mismatch (-want +got):\n%s", diff)
			}
			st := d.Stats()
			if int(st.Written) != len(tc.wantOK) {
				t.Errorf("Written = %d, want %d", st.Written, len(tc.wantOK))
			}
			checkAccounting(t, st)
		})
	}
}

// TestOutcomeRetryKeepsKeyOrder checks that an item left to retry is sent
// again before any later item of its key, and that no later item of its key
// goes while it waits.
func TestOutcomeRetryKeepsKeyOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(3, 0, 0)
		tries := 0
		s.Unprocessed = func(it item) bool {
			if it.Key == "k" && it.Version == 1 && tries < 3 {
				tries++
				return true
			}
			return false
		}
		d := mustNew(t, s, batch.Config{MaxInFlight: 4, Duplicates: batch.KeepDuplicates})
		ctx := context.Background()
		submitAll(t, d, item{Key: "k", Version: 1}, item{Key: "x"}, item{Key: "y"})
		synctest.Wait() // the first batch is out, and k@1 waits for a retry
		submitAll(t, d, item{Key: "k", Version: 2}, item{Key: "k", Version: 3}, item{Key: "z"})
		if err := d.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		var versions []int
		for _, it := range s.Written() {
			if it.Key == "k" {
				versions = append(versions, it.Version)
			}
		}
		if diff := cmp.Diff([]int{1, 2, 3}, versions); diff != "" {
			t.Errorf("versions of k written mismatch (-want +got):\n%s", diff)
		}
		if n := s.Overlaps(); n != 0 {
			t.Errorf("%d keys were in two calls at once", n)
		}
		closeOK(t, d)
		checkAccounting(t, d.Stats())
	})
}

// callKeys returns the keys of the items of each call the sink got.
func callKeys(s *testutil.Sink[item]) [][]string {
	var out [][]string
	for _, c := range s.Calls() {
		out = append(out, keysOf(c))
	}
	return out
}

// TestMapFailures checks that MapFailures maps the failures of a
// FailedError, keeps their causes, and passes any other error through.
func TestMapFailures(t *testing.T) {
	upper := func(f batch.Failure[item]) batch.Failure[string] {
		return batch.Failure[string]{Item: "item " + f.Item.Key, Err: f.Err}
	}
	other := errors.New("not a failure list")
	for _, tc := range []struct {
		name string
		err  error
		want []string // the mapped items; nil: err passes through
	}{
		{name: "nil", err: nil},
		{name: "other error", err: other},
		{name: "failures", err: &batch.FailedError[item]{Failures: []batch.Failure[item]{{Item: item{Key: "a"}, Err: errRefused}, {Item: item{Key: "b"}, Err: errRefused}}}, want: []string{"item a", "item b"}},
		{name: "wrapped failures", err: fmt.Errorf("flush: %w", &batch.FailedError[item]{Failures: []batch.Failure[item]{{Item: item{Key: "c"}, Err: errRefused}}}), want: []string{"item c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := batch.MapFailures(tc.err, upper)
			if tc.want == nil {
				if got != tc.err {
					t.Fatalf("MapFailures(%v) = %v, want it as it is", tc.err, got)
				}
				return
			}
			var fe *batch.FailedError[string]
			if !errors.As(got, &fe) {
				t.Fatalf("MapFailures = %v, want a *FailedError[string]", got)
			}
			var items []string
			for _, f := range fe.Failures {
				items = append(items, f.Item)
			}
			if diff := cmp.Diff(tc.want, items); diff != "" {
				t.Errorf("items mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(got, errRefused) {
				t.Errorf("errors.Is(%v, errRefused) = false", got)
			}
		})
	}
}
