package batch_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
)

// A failure handler gets every failure once, as it happens: Flush and
// Close report none of them, and Flush returns once the handler has them.
func TestHandleFailures(t *testing.T) {
	refused := errors.New("refused")
	tests := []struct {
		name       string
		closeLate  bool // Close with an expired context while calls hang
		wantFailed []string
	}{
		{"refused items", false, []string{"b", "d"}},
		{"Close gives up", true, []string{"a", "b", "c", "d"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSink(2, 0, 0)
				s.Fail = func(it item) error {
					if it.Key == "b" || it.Key == "d" {
						return refused
					}
					return nil
				}
				if tc.closeLate {
					s.Latency = time.Hour
				}
				d := mustNew(t, s, batch.Config{MaxInFlight: 1, CloseGrace: time.Millisecond})
				var mu sync.Mutex
				var got []string
				d.HandleFailures(func(f batch.Failure[item]) {
					if !errors.Is(f.Err, refused) && !errors.Is(f.Err, batch.ErrClosed) && !errors.Is(f.Err, batch.ErrOutcomeUnknown) {
						t.Errorf("failure of %s: %v", f.Item.Key, f.Err)
					}
					mu.Lock()
					got = append(got, f.Item.Key)
					mu.Unlock()
				})
				ctx := context.Background()
				for _, k := range []string{"a", "b", "c", "d"} {
					if err := d.Submit(ctx, item{Key: k, Size: 1}); err != nil {
						t.Fatal(err)
					}
				}
				if !tc.closeLate {
					if err := d.Flush(ctx); err != nil {
						t.Errorf("Flush = %v, want nil: the handler took the failures", err)
					}
					mu.Lock()
					n := len(got)
					mu.Unlock()
					if n != len(tc.wantFailed) {
						t.Errorf("after Flush the handler had %d failures, want %d", n, len(tc.wantFailed))
					}
				}
				cctx := ctx
				if tc.closeLate {
					var cancel context.CancelFunc
					cctx, cancel = context.WithTimeout(ctx, time.Millisecond)
					defer cancel()
				}
				if err := d.Close(cctx); err != nil {
					t.Errorf("Close = %v, want nil: the handler took the failures", err)
				}
				slices.Sort(got)
				if diff := cmp.Diff(tc.wantFailed, got); diff != "" {
					t.Errorf("handled failures mismatch (-want +got):\n%s", diff)
				}
				if st := d.Stats(); st.Unreported != 0 || st.Failed+st.Unknown != int64(len(tc.wantFailed)) {
					t.Errorf("Stats %+v, want %d failed and none unreported", st, len(tc.wantFailed))
				}
			})
		})
	}
}

// Without a handler, failures wait for Flush, and Stats.Unreported counts
// them; a handler set later takes them.
func TestHandleFailuresLater(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(2, 0, 0)
		s.Fail = func(item) error { return errors.New("no") }
		d := mustNew(t, s, batch.Config{})
		ctx := context.Background()
		for _, k := range []string{"a", "b"} { // a full batch: sent at once
			if err := d.Submit(ctx, item{Key: k, Size: 1}); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if st := d.Stats(); st.Unreported != 2 || st.Failed != 2 {
			t.Errorf("Stats %+v, want 2 failed and unreported", st)
		}
		var got []string
		var mu sync.Mutex
		d.HandleFailures(func(f batch.Failure[item]) {
			mu.Lock()
			got = append(got, f.Item.Key)
			mu.Unlock()
		})
		if err := d.Close(ctx); err != nil {
			t.Errorf("Close = %v, want nil", err)
		}
		slices.Sort(got)
		if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
			t.Errorf("handled mismatch (-want +got):\n%s", diff)
		}
		if st := d.Stats(); st.Unreported != 0 {
			t.Errorf("Stats.Unreported = %d after the handler took them, want 0", st.Unreported)
		}
	})
}
