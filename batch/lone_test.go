package batch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/batchutils/batchutils/batch"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestDuplicateOfAnItemInFlight submits items of a key while its first item
// is in a call: the second is not a duplicate of anything pending, and goes
// after the first; the third is the second's duplicate.
func TestDuplicateOfAnItemInFlight(t *testing.T) {
	tests := []struct {
		name        string
		policy      batch.DuplicatePolicy
		wantThird   error
		wantWritten []item
	}{
		{"reject", batch.RejectDuplicates, batch.ErrDuplicate, []item{{Key: "a", Version: 1}, {Key: "a", Version: 2}}},
		{"replace", batch.ReplaceDuplicates, nil, []item{{Key: "a", Version: 1}, {Key: "a", Version: 3}}},
		{"keep", batch.KeepDuplicates, nil, []item{{Key: "a", Version: 1}, {Key: "a", Version: 2}, {Key: "a", Version: 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			s := newSink(25, 0, 0)
			s.WriteHook = func(_ context.Context, call int, _ []item) {
				if call == 1 {
					close(entered)
					<-release
				}
			}
			d := mustNew(t, s, batch.Config{Duplicates: tc.policy})
			ctx := context.Background()
			submitAll(t, d, item{Key: "a", Version: 1})
			flushed := make(chan error, 1)
			go func() { flushed <- d.Flush(ctx) }()
			<-entered
			if err := d.Submit(ctx, item{Key: "a", Version: 2}); err != nil {
				t.Fatalf("Submit of the second item, the first in flight: %v", err)
			}
			if err := d.Submit(ctx, item{Key: "a", Version: 3}); !errors.Is(err, tc.wantThird) {
				t.Errorf("Submit of the third item = %v, want %v", err, tc.wantThird)
			}
			close(release)
			if err := <-flushed; err != nil {
				t.Fatalf("Flush: %v", err)
			}
			closeOK(t, d)
			if diff := cmp.Diff(tc.wantWritten, s.Written()); diff != "" {
				t.Errorf("written (-want +got):\n%s", diff)
			}
			if n := s.Overlaps(); n != 0 {
				t.Errorf("%d keys written by two calls at once", n)
			}
			checkAccounting(t, d.Stats())
		})
	}
}

// TestKeepBehindALoneItem keeps a second item of a key whose first is still
// pending, and a third after the first was left to retry: each goes after
// the one before, in a call of its own.
func TestKeepBehindALoneItem(t *testing.T) {
	s := newSink(25, 0, 0)
	left := false
	s.Unprocessed = func(it item) bool {
		if it.Key == "a" && it.Version == 1 && !left {
			left = true
			return true
		}
		return false
	}
	d := mustNew(t, s, batch.Config{Duplicates: batch.KeepDuplicates, BackOff: fastBackOff(3)})
	submitAll(t, d, item{Key: "a", Version: 1}, item{Key: "b", Version: 1}, item{Key: "a", Version: 2})
	if err := d.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	submitAll(t, d, item{Key: "a", Version: 3})
	closeOK(t, d)
	var gotA []int
	for _, it := range s.Written() {
		if it.Key == "a" {
			gotA = append(gotA, it.Version)
		}
	}
	if diff := cmp.Diff([]int{1, 2, 3}, gotA); diff != "" {
		t.Errorf("versions of a written (-want +got):\n%s", diff)
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("sink violations: %v", v)
	}
	checkAccounting(t, d.Stats())
}

// TestCloseGivesUpOnLoneItems closes with a context already ended while
// lone items and a key with a second item wait behind a call that does not
// end: the items never sent fail with ErrClosed, in no set order, the one in
// the call with ErrOutcomeUnknown, and nothing is left counted.
func TestCloseGivesUpOnLoneItems(t *testing.T) {
	s := newSink(25, 0, 0)
	entered := make(chan struct{})
	s.WriteHook = func(ctx context.Context, call int, _ []item) {
		if call == 1 {
			close(entered)
			<-ctx.Done() // until Close gives up on it
		}
	}
	s.Latency = time.Hour // the call then fails with ctx's error
	d := mustNew(t, s, batch.Config{
		Duplicates:    batch.KeepDuplicates,
		MaxBatchItems: 1, // each item is a full batch: it goes at once
		MaxInFlight:   1,
		CloseGrace:    time.Millisecond,
	})
	submitAll(t, d, item{Key: "x", Version: 1})
	<-entered
	submitAll(t, d, item{Key: "a", Version: 1}, item{Key: "b", Version: 1}, item{Key: "a", Version: 2})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fs := failedItems(t, d.Close(ctx))
	var closed, unknown []item
	for _, f := range fs {
		switch {
		case errors.Is(f.Err, batch.ErrClosed):
			closed = append(closed, f.Item)
		case errors.Is(f.Err, batch.ErrOutcomeUnknown):
			unknown = append(unknown, f.Item)
		default:
			t.Errorf("failure of %+v: %v, want ErrClosed or ErrOutcomeUnknown", f.Item, f.Err)
		}
	}
	byKey := cmpopts.SortSlices(func(x, y item) bool { return x.Key < y.Key || x.Key == y.Key && x.Version < y.Version })
	wantClosed := []item{{Key: "a", Version: 1}, {Key: "a", Version: 2}, {Key: "b", Version: 1}}
	if diff := cmp.Diff(wantClosed, closed, byKey); diff != "" {
		t.Errorf("items failed with ErrClosed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]item{{Key: "x", Version: 1}}, unknown); diff != "" {
		t.Errorf("items failed with ErrOutcomeUnknown (-want +got):\n%s", diff)
	}
	checkAccounting(t, d.Stats())
}
