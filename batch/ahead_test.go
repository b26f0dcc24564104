package batch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
)

// A sink's Limits.Ahead lets that many Write calls more than MaxInFlight
// run at once, and no more.
func TestAheadWrites(t *testing.T) {
	tests := []struct {
		maxInFlight, ahead int
		want               int32 // Write calls under way at once
	}{
		{maxInFlight: 1, ahead: 0, want: 1},
		{maxInFlight: 1, ahead: 1, want: 2},
		{maxInFlight: 3, ahead: 1, want: 4},
		{maxInFlight: 0, ahead: 1, want: batch.DefaultMaxInFlight + 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("inflight=%d/ahead=%d", tc.maxInFlight, tc.ahead), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSink(1, 0, 0)
				s.Lim.Ahead = tc.ahead
				s.Latency = time.Second
				var (
					mu     sync.Mutex
					starts []time.Time
				)
				s.WriteHook = func(ctx context.Context, call int, items []item) {
					mu.Lock()
					starts = append(starts, time.Now())
					mu.Unlock()
				}
				d := mustNew(t, s, batch.Config{MaxInFlight: tc.maxInFlight})
				for i := range 10 {
					submitAll(t, d, item{Key: fmt.Sprint(i), Size: 1})
				}
				synctest.Wait()
				mu.Lock()
				first := int32(len(starts))
				mu.Unlock()
				if first != tc.want {
					t.Errorf("%d Write calls under way at once, want %d", first, tc.want)
				}
				closeOK(t, d)
				// Each call takes the sink's Latency from its start: count
				// the calls under way at each start.
				var most int32
				for _, at := range starts {
					var n int32
					for _, s0 := range starts {
						if !s0.After(at) && at.Sub(s0) < s.Latency {
							n++
						}
					}
					most = max(most, n)
				}
				if most != tc.want {
					t.Errorf("at most %d Write calls at once, want %d", most, tc.want)
				}
			})
		})
	}
}

// aheadSink holds each Write until its context ends: the call of item "a"
// as a call on the wire does (it may have been applied), the others as
// calls waiting for their turn to be sent (never sent: their error wraps
// ErrClosed).
type aheadSink struct{ calls atomic.Int32 }

func (s *aheadSink) Limits() batch.Limits { return batch.Limits{MaxItems: 1, Ahead: 1} }

func (s *aheadSink) Measure(it item) (string, int, error) { return it.Key, 1, nil }

func (s *aheadSink) Write(ctx context.Context, items []item) (batch.Outcome, error) {
	s.calls.Add(1)
	<-ctx.Done()
	if items[0].Key == "a" {
		return batch.Outcome{}, ctx.Err()
	}
	return batch.Outcome{}, fmt.Errorf("%w: not sent: %w", batch.ErrClosed, ctx.Err())
}

// When Close gives up, the items of a call that says it was never sent (an
// error wrapping ErrClosed) fail with ErrClosed, and those of the call on
// the wire with ErrOutcomeUnknown.
func TestCloseWithACallNotSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &aheadSink{}
		d, err := batch.New[item](s, batch.Config{MaxInFlight: 1, CloseGrace: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"a", "b", "c"} { // a: on the wire; b: ahead; c: pending
			submitAll(t, d, item{Key: k})
		}
		synctest.Wait()
		if n := s.calls.Load(); n != 2 {
			t.Fatalf("%d Write calls under way, want 2", n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		err = d.Close(ctx)
		var fe *batch.FailedError[item]
		if !errors.As(err, &fe) {
			t.Fatalf("Close = %v, want a *FailedError", err)
		}
		got := map[string]string{}
		for _, f := range fe.Failures {
			switch {
			case errors.Is(f.Err, batch.ErrOutcomeUnknown):
				got[f.Item.Key] = "unknown"
			case errors.Is(f.Err, batch.ErrClosed):
				got[f.Item.Key] = "closed"
			default:
				got[f.Item.Key] = f.Err.Error()
			}
		}
		want := map[string]string{"a": "unknown", "b": "closed", "c": "closed"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("outcomes mismatch (-want +got):\n%s", diff)
		}
	})
}
