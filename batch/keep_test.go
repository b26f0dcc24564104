package batch_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
)

// TestKeepDuplicatesWritesEveryVersionInOrder submits 10 versions of one key
// back to back: all are written, in order, none refused. A backend that
// applies a call in order gets several in one call; others get one a call.
func TestKeepDuplicatesWritesEveryVersionInOrder(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inOrder   bool
		wantCalls [][]int // versions of k in each call
	}{
		{name: "in order", inOrder: true, wantCalls: [][]int{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10}}},
		{name: "not in order", wantCalls: [][]int{{1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(4, 0, 0)
			s.Lim.InOrder = tc.inOrder
			d := mustNew(t, s, batch.Config{MaxInFlight: 4, Duplicates: batch.KeepDuplicates})
			for v := 1; v <= 10; v++ {
				if err := d.Submit(context.Background(), item{Key: "k", Version: v}); err != nil {
					t.Fatalf("Submit version %d: %v", v, err)
				}
			}
			closeOK(t, d)
			var calls [][]int
			for _, c := range s.Calls() {
				var vs []int
				for _, it := range c {
					vs = append(vs, it.Version)
				}
				calls = append(calls, vs)
			}
			if diff := cmp.Diff(tc.wantCalls, calls); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			if n := s.Overlaps(); n != 0 {
				t.Errorf("%d keys were in two calls at once", n)
			}
			if v := s.Violations(); len(v) > 0 {
				t.Errorf("sink rules broken: %v", v)
			}
			st := d.Stats()
			if st.Written != 10 || st.Rejected != 0 {
				t.Errorf("Stats = %+v, want 10 written, none rejected", st)
			}
			checkAccounting(t, st)
		})
	}
}

// TestKeepDuplicatesOrderUnderRetries writes many versions of a few keys from
// several goroutines at once, with items left to retry at random and calls
// that fail as a whole: every version is written once, and the versions of
// each key in the order they were submitted.
func TestKeepDuplicatesOrderUnderRetries(t *testing.T) {
	for _, inOrder := range []bool{false, true} {
		t.Run(fmt.Sprintf("InOrder=%v", inOrder), func(t *testing.T) {
			seed := rand.Uint64()
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 0))
			s := newSink(10, 0, 0)
			s.Lim.InOrder = inOrder
			var mu sync.Mutex
			s.Unprocessed = func(item) bool { // under the sink's lock
				return rng.IntN(8) == 0
			}
			// One version is refused outright: its calls are split to
			// isolate it, and no later version of its key may overtake
			// an earlier one left to retry meanwhile.
			s.Refuse = func(it item) error {
				if it.Key == "3" && it.Version == 17 {
					return errRefused
				}
				return nil
			}
			sink := &relSink{Sink: s, rng: rand.New(rand.NewPCG(seed, 1)), failRate: 0.05}
			d := mustNew(t, sink, batch.Config{MaxInFlight: 4, MaxBuffered: 100, Duplicates: batch.KeepDuplicates, BackOff: fastBackOff(1000)})
			const workers, keys, versions = 4, 12, 50
			submitted := make(map[string][]int)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					// Each worker owns keys w, w+workers, ...: the order of
					// a key's versions is the order its worker submits them.
					for v := 1; v <= versions; v++ {
						for k := w; k < keys; k += workers {
							key := fmt.Sprint(k)
							if err := d.Submit(context.Background(), item{Key: key, Version: v}); err != nil {
								t.Errorf("Submit: %v", err)
								return
							}
							mu.Lock()
							submitted[key] = append(submitted[key], v)
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			fs := failedItems(t, d.Close(context.Background()))
			if len(fs) != 1 || fs[0].Item != (item{Key: "3", Version: 17}) || !errors.Is(fs[0].Err, errRefused) {
				t.Errorf("failures = %+v, want key 3 version 17 refused", fs)
			}
			submitted["3"] = slices.DeleteFunc(submitted["3"], func(v int) bool { return v == 17 })
			written := make(map[string][]int)
			for _, it := range s.Written() {
				written[it.Key] = append(written[it.Key], it.Version)
			}
			if diff := cmp.Diff(submitted, written); diff != "" {
				t.Errorf("versions written per key mismatch (-want +got):\n%s", diff)
			}
			if n := s.Overlaps(); n != 0 {
				t.Errorf("%d keys were in two calls at once", n)
			}
			if v := s.Violations(); len(v) > 0 {
				t.Errorf("sink rules broken: %v", v[:min(3, len(v))])
			}
			checkAccounting(t, d.Stats())
		})
	}
}

// TestRetriesRejoinFullBatches checks that items left to retry go back to
// the queue and are merged with others into full calls: no call goes out
// half empty because some of its items are retries.
func TestRetriesRejoinFullBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(10, 0, 0)
		n := 0
		s.Unprocessed = func(item) bool { n++; return n%10 == 0 } // every 10th write
		d := mustNew(t, s, batch.Config{MaxInFlight: 1, BackOff: fastBackOff(1000)})
		const items = 1000
		for i := range items {
			if err := d.Submit(context.Background(), item{Key: fmt.Sprint(i)}); err != nil {
				t.Fatalf("Submit: %v", err)
			}
		}
		// Before Close, nothing is urgent: every call is full, retries
		// merged with fresh items. Close then drains what is left.
		synctest.Wait()
		for i, c := range s.Calls() {
			if len(c) < 10 {
				t.Errorf("call %d before Close has %d items, want 10", i+1, len(c))
			}
		}
		closeOK(t, d)
		// 1000 items with a tenth of each call left over: 1000/0.9 writes,
		// 112 full calls at least.
		calls := s.Calls()
		if len(calls) > 114 {
			t.Errorf("%d calls for %d items with a tenth left to retry, want at most 114", len(calls), items)
		}
		st := d.Stats()
		if st.Written != items {
			t.Errorf("Written = %d, want %d", st.Written, items)
		}
		checkAccounting(t, st)
	})
}

// TestHotKeyDoesNotHoldBackOthers checks that a key throttled again and
// again backs off on its own, while the items of other keys keep flowing.
func TestHotKeyDoesNotHoldBackOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(5, 0, 0)
		hot := 0
		s.Unprocessed = func(it item) bool {
			if it.Key == "hot" && hot < 8 {
				hot++
				return true
			}
			return false
		}
		s.Throttles = true
		d := mustNew(t, s, batch.Config{MaxInFlight: 2, FlushInterval: time.Millisecond})
		ctx := context.Background()
		submitAll(t, d, item{Key: "hot"})
		for i := range 200 {
			if err := d.Submit(ctx, item{Key: fmt.Sprint(i)}); err != nil {
				t.Fatalf("Submit: %v", err)
			}
		}
		// The hot key's default backoff (from 50ms, doubling) adds up to
		// seconds over its 8 throttled tries; every other item is written
		// meanwhile.
		time.Sleep(100 * time.Millisecond)
		got, hotWritten := 0, false
		for _, it := range s.Written() {
			if it.Key != "hot" {
				got++
			} else {
				hotWritten = true
			}
		}
		if got != 200 || hotWritten {
			t.Errorf("after 100ms: %d of 200 other items written, hot key written %v; want all others, not the hot key", got, hotWritten)
		}
		closeOK(t, d)
		if st := d.Stats(); st.Written != 201 {
			t.Errorf("Written = %d, want 201", st.Written)
		}
	})
}

// TestSplitNeverLetsALaterItemOvertake checks the split of a refused batch
// on a backend that applies calls in order: when the first half leaves an
// item of a key to retry, the later items of that key in the second half
// wait behind it, unsent.
func TestSplitNeverLetsALaterItemOvertake(t *testing.T) {
	s := newSink(4, 0, 0)
	s.Lim.InOrder = true
	s.Refuse = func(it item) error {
		if it.Key == "bad" {
			return errRefused
		}
		return nil
	}
	first := true
	s.Unprocessed = func(it item) bool {
		if it.Key == "k" && it.Version == 1 && first {
			first = false
			return true
		}
		return false
	}
	d := mustNew(t, s, batch.Config{MaxInFlight: 1, Duplicates: batch.KeepDuplicates, BackOff: fastBackOff(10)})
	submitAll(t, d, item{Key: "a"}, item{Key: "k", Version: 1}, item{Key: "k", Version: 2}, item{Key: "bad"})
	fs := failedItems(t, d.Close(context.Background()))
	if len(fs) != 1 || fs[0].Item.Key != "bad" || !errors.Is(fs[0].Err, errRefused) {
		t.Errorf("failures = %+v, want bad refused", fs)
	}
	var calls [][]string
	for _, c := range s.Calls() {
		var names []string
		for _, it := range c {
			names = append(names, fmt.Sprintf("%s%d", it.Key, it.Version))
		}
		calls = append(calls, names)
	}
	want := [][]string{{"a0", "k1", "k2", "bad0"}, {"a0", "k1"}, {"bad0"}, {"k1", "k2"}}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	var written []string
	for _, it := range s.Written() {
		written = append(written, fmt.Sprintf("%s%d", it.Key, it.Version))
	}
	if diff := cmp.Diff([]string{"a0", "k1", "k2"}, written); diff != "" {
		t.Errorf("written mismatch (-want +got):\n%s", diff)
	}
	checkAccounting(t, d.Stats())
}

// TestRetriesDrainTogether checks that items left to retry at about the same
// time come back together when Close sends everything at once: their
// jittered backoffs end on a common tick, and they share calls.
func TestRetriesDrainTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		seen := map[string]bool{}
		s.Unprocessed = func(it item) bool { // every item once
			if seen[it.Key] {
				return false
			}
			seen[it.Key] = true
			return true
		}
		d := mustNew(t, s, batch.Config{MaxInFlight: 4}) // DefaultBackOff: jittered, 25 to 75ms first
		for i := range 500 {
			if err := d.Submit(context.Background(), item{Key: fmt.Sprint(i)}); err != nil {
				t.Fatalf("Submit: %v", err)
			}
		}
		closeOK(t, d)
		// 20 full calls the first time; the 500 retries end on at most 4
		// ticks of 20ms (a 50ms spread), so 20 calls and 4 short ones.
		if n := len(s.Calls()); n > 44 {
			t.Errorf("%d calls for 500 items each retried once, want at most 44", n)
		}
		if st := d.Stats(); st.Written != 500 {
			t.Errorf("Written = %d, want 500", st.Written)
		}
	})
}

// TestBackOffThatTurnsNilLater checks that a Config.BackOff that returns a
// policy at New but nil later is taken for the default, never a panic in a
// writer goroutine.
func TestBackOffThatTurnsNilLater(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(5, 0, 0)
		once := true
		s.Unprocessed = func(item) bool { r := once; once = false; return r }
		calls := 0
		d := mustNew(t, s, batch.Config{BackOff: func() backoff.BackOff {
			calls++
			if calls == 1 { // New's check
				return &backoff.ZeroBackOff{}
			}
			return nil
		}})
		submitAll(t, d, item{Key: "a"})
		closeOK(t, d)
		if st := d.Stats(); st.Written != 1 || st.Retries != 1 {
			t.Errorf("Stats = %+v, want 1 written after 1 retry", st)
		}
	})
}
