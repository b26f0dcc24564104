package batch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
)

// TestSubmitWaitIsBatched starts 1,000 SubmitWait calls at once: they share
// far fewer calls than items, and each caller gets its own item's outcome.
func TestSubmitWaitIsBatched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		s.Latency = 10 * time.Millisecond
		s.Fail = func(it item) error {
			if it.Version%100 == 0 {
				return fmt.Errorf("item %d: %w", it.Version, errRefused)
			}
			return nil
		}
		d := mustNew(t, s, batch.Config{MaxInFlight: 4})
		const n = 1000
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = d.SubmitWait(context.Background(), item{Key: fmt.Sprint(i), Version: i})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if i%100 == 0 {
				if !errors.Is(err, errRefused) {
					t.Errorf("SubmitWait(%d) = %v, want errRefused", i, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("SubmitWait(%d) = %v, want nil", i, err)
			}
		}
		if calls := len(s.Calls()); calls > n/10 {
			t.Errorf("%d calls for %d items, want at most %d", calls, n, n/10)
		}
		// The failures went to their callers: Close has none to report.
		closeOK(t, d)
		st := d.Stats()
		if st.Written != n-10 || st.Failed != 10 {
			t.Errorf("Stats = %+v, want %d written and 10 failed", st, n-10)
		}
		checkAccounting(t, st)
	})
}

// TestSubmitWaitDoesNotWaitForAFullBatch checks that a lone waiting caller's
// item goes at once, not when a batch is full or Flush is called.
func TestSubmitWaitDoesNotWaitForAFullBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		d := mustNew(t, s, batch.Config{})
		if err := d.SubmitWait(context.Background(), item{Key: "a"}); err != nil {
			t.Fatalf("SubmitWait: %v", err)
		}
		if diff := cmp.Diff([][]string{{"a"}}, callKeys(s)); diff != "" {
			t.Errorf("calls mismatch (-want +got):\n%s", diff)
		}
		closeOK(t, d)
	})
}

// TestSubmitWaitContextEnds checks that a caller whose context ends gets
// the context's error, and that its item's failure is then reported by
// Flush, as for Submit.
func TestSubmitWaitContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		s.Latency = time.Second
		s.Fail = func(item) error { return errRefused }
		d := mustNew(t, s, batch.Config{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- d.SubmitWait(ctx, item{Key: "a"}) }()
		synctest.Wait() // the item is in flight
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("SubmitWait = %v, want context.Canceled", err)
		}
		err := d.Flush(context.Background())
		fs := failedItems(t, err)
		if len(fs) != 1 || fs[0].Item.Key != "a" || !errors.Is(fs[0].Err, errRefused) {
			t.Errorf("Flush failures = %+v, want item a with errRefused", fs)
		}
		closeOK(t, d)
	})
}

// TestSubmitWaitDisplaced checks what a caller whose item is replaced by a
// newer one of its key gets: the newer item's outcome, never nil before it
// is written.
func TestSubmitWaitDisplaced(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fail    bool
		wantErr error
	}{
		{name: "newer written"},
		{name: "newer refused", fail: true, wantErr: errRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSink(25, 0, 0)
				s.Fail = func(it item) error {
					if tc.fail && it.Version == 2 {
						return errRefused
					}
					return nil
				}
				// With a FlushInterval, a waiting item goes with the timed
				// flush: it is still pending when its newer version comes.
				d := mustNew(t, s, batch.Config{FlushInterval: time.Second, Duplicates: batch.ReplaceDuplicates})
				done := make(chan error, 1)
				go func() { done <- d.SubmitWait(context.Background(), item{Key: "k", Version: 1}) }()
				synctest.Wait()
				if err := d.Submit(context.Background(), item{Key: "k", Version: 2}); err != nil {
					t.Fatalf("Submit: %v", err)
				}
				synctest.Wait()
				select {
				case err := <-done:
					t.Fatalf("SubmitWait returned %v before anything was written", err)
				default:
				}
				err := <-done // the timed flush writes version 2
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
					t.Errorf("SubmitWait = %v, want %v", err, tc.wantErr)
				}
				if diff := cmp.Diff([][]string{{"k"}}, callKeys(s)); diff != "" {
					t.Errorf("calls mismatch (-want +got):\n%s", diff)
				}
				// The failure went to the waiting caller, not to Close.
				closeOK(t, d)
				checkAccounting(t, d.Stats())
			})
		})
	}
}

// TestSubmitWaitRefused checks that SubmitWait refuses what Submit refuses.
func TestSubmitWaitRefused(t *testing.T) {
	s := newSink(25, 10, 0)
	d := mustNew(t, s, batch.Config{FlushInterval: time.Hour})
	ctx := context.Background()
	if err := d.Submit(ctx, item{Key: "a"}); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	for _, tc := range []struct {
		it   item
		want error
	}{
		{item{Key: "a"}, batch.ErrDuplicate},
		{item{Key: "b", Size: 11}, batch.ErrItemTooLarge},
	} {
		if err := d.SubmitWait(ctx, tc.it); !errors.Is(err, tc.want) {
			t.Errorf("SubmitWait(%+v) = %v, want %v", tc.it, err, tc.want)
		}
	}
	closeOK(t, d)
	if err := d.SubmitWait(ctx, item{Key: "c"}); !errors.Is(err, batch.ErrClosed) {
		t.Errorf("SubmitWait after Close = %v, want ErrClosed", err)
	}
}
