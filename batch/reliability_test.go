package batch_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/testutil"
)

// relForever retries with jittered exponential waits from 1ms, never
// giving up: only Close ends it.
func relForever() backoff.BackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(time.Millisecond),
		backoff.WithMaxInterval(20*time.Millisecond),
		backoff.WithMaxElapsedTime(0),
	)
}

// relSink is a testutil.Sink that also fails whole calls at random, with an
// error the dispatcher retries.
type relSink struct {
	*testutil.Sink[item]
	mu       sync.Mutex
	rng      *rand.Rand
	failRate float64
}

var errRelTransient = errors.New("reliability test: transient failure")

func (s *relSink) Write(ctx context.Context, items []item) (batch.Outcome, error) {
	s.mu.Lock()
	fail := s.rng.Float64() < s.failRate
	s.mu.Unlock()
	if fail {
		return batch.Outcome{}, errRelTransient
	}
	return s.Sink.Write(ctx, items)
}

// relVersion names one submitted version of a key.
type relVersion struct {
	key     string
	version int
}

// relOutcome checks that every accepted item is accounted for once Close has
// returned: written, failed with its item, or replaced by a later version of
// its key; and that the last version of every key is written or failed.
func relOutcome(t *testing.T, d *batch.Dispatcher[item], s *testutil.Sink[item], accepted map[relVersion]bool, last map[string]int, closeErr error) []batch.Failure[item] {
	t.Helper()
	var fs []batch.Failure[item]
	if closeErr != nil {
		var fe *batch.FailedError[item]
		if !errors.As(closeErr, &fe) {
			t.Fatalf("Close = %v, want nil or a *FailedError", closeErr)
		}
		fs = fe.Failures
	}
	st := d.Stats()
	if st.Submitted != int64(len(accepted)) {
		t.Errorf("Stats.Submitted = %d, but Submit accepted %d items", st.Submitted, len(accepted))
	}
	if st.Submitted != st.Written+st.Failed+st.Unknown+st.Replaced {
		t.Errorf("Submitted %d != Written %d + Failed %d + Replaced %d", st.Submitted, st.Written, st.Failed, st.Replaced)
	}
	if st.Failed+st.Unknown != int64(len(fs)) {
		t.Errorf("Stats.Failed+Unknown = %d, but %d failures were returned", st.Failed+st.Unknown, len(fs))
	}
	if st.Pending != 0 || st.InFlight != 0 {
		t.Errorf("after Close: Pending %d, InFlight %d, want 0", st.Pending, st.InFlight)
	}
	written := make(map[relVersion]bool)
	for _, it := range s.Written() {
		v := relVersion{it.Key, it.Version}
		if !accepted[v] {
			t.Errorf("written %+v, which Submit never accepted", v)
		}
		written[v] = true
	}
	failed := make(map[relVersion]bool)
	for _, f := range fs {
		v := relVersion{f.Item.Key, f.Item.Version}
		if !accepted[v] {
			t.Errorf("failure of %+v, which Submit never accepted", v)
		}
		if failed[v] {
			t.Errorf("%+v reported failed twice", v)
		}
		failed[v] = true
		if f.Err == nil {
			t.Errorf("failure of %+v without a cause", v)
		}
	}
	for v := range written {
		if failed[v] {
			t.Errorf("%+v was written and reported failed", v)
		}
	}
	if n := int64(len(s.Written())); n != st.Written {
		t.Errorf("the sink wrote %d items, Stats.Written is %d", n, st.Written)
	}
	lost := 0
	for k, v := range last {
		if rv := (relVersion{k, v}); !written[rv] && !failed[rv] {
			lost++
			if lost <= 10 {
				t.Errorf("key %s: its last version %d was neither written nor reported failed", k, v)
			}
		}
	}
	if n := s.Overlaps(); n != 0 {
		t.Errorf("%d keys were in two calls at once", n)
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("limits broken: %v", v[:min(3, len(v))])
	}
	t.Logf("accepted %d: written %d, failed %d, replaced %d, retries %d, batches %d; lost %d",
		len(accepted), st.Written, st.Failed, st.Replaced, st.Retries, st.Batches, lost)
	return fs
}

// relSubmitters submits versions of keys from 8 goroutines until Submit
// returns ErrClosed or each has submitted perWriter items, and returns
// what was accepted and the last accepted version of each key. Versions of
// one key are submitted under a lock, so "last" is well defined.
func relSubmitters(t *testing.T, d *batch.Dispatcher[item], seed uint64, keys, perWriter int) (func() (map[relVersion]bool, map[string]int), *sync.WaitGroup) {
	var (
		mu       sync.Mutex
		accepted = make(map[relVersion]bool)
		last     = make(map[string]int)
		next     = make([]int, keys)
		keyLocks [64]chan struct{} // not sync.Mutex: synctest cannot advance time past a goroutine blocked on one
		wg       sync.WaitGroup
	)
	for i := range keyLocks {
		keyLocks[i] = make(chan struct{}, 1)
	}
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for range perWriter {
				k := rng.IntN(keys)
				l := keyLocks[k%len(keyLocks)]
				l <- struct{}{}
				next[k]++
				it := item{Key: fmt.Sprint(k), Version: next[k], Size: 10 + rng.IntN(100)}
				err := d.Submit(context.Background(), it)
				if err == nil {
					mu.Lock()
					accepted[relVersion{it.Key, it.Version}] = true
					last[it.Key] = it.Version
					mu.Unlock()
				}
				<-l
				if errors.Is(err, batch.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Submit(%+v): %v", it, err)
					return
				}
			}
		})
	}
	return func() (map[relVersion]bool, map[string]int) {
		mu.Lock()
		defer mu.Unlock()
		return accepted, last
	}, &wg
}

// Close with a deadline that passes while batches are retried, in flight or
// still pending hands back every item not written, each with ErrClosed and
// the deadline as its cause: written + failed + replaced == submitted, and
// no goroutine is left (synctest fails a bubble that leaves one).
func TestReliabilityCloseDeadline(t *testing.T) {
	seed := testutil.Seed(t)
	tests := []struct {
		name     string
		unproc   float64       // share of items left unprocessed per call
		failRate float64       // share of calls failed
		latency  time.Duration // of each call
	}{
		{"unprocessed at random", 0.4, 0, 5 * time.Millisecond},
		{"calls failing at random", 0, 0.5, 5 * time.Millisecond},
		{"both", 0.3, 0.3, 5 * time.Millisecond},
		{"calls that hang", 0, 0, time.Hour},
		{"nothing ever written", 1, 0, time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 99))
				s := newSink(25, 0, 0)
				s.Latency = tc.latency
				s.Unprocessed = func(item) bool { return rng.Float64() < tc.unproc } // under the sink's lock
				sink := &relSink{Sink: s, rng: rand.New(rand.NewPCG(seed, 98)), failRate: tc.failRate}
				d := mustNew(t, sink, batch.Config{
					MaxInFlight: 8, MaxBuffered: 500, Duplicates: batch.ReplaceDuplicates, BackOff: relForever,
				})
				result, wg := relSubmitters(t, d, seed, 1000, 500)
				// Close once the submitters are done, or blocked for good
				// (calls that hang), with a deadline shorter than the work
				// left: up to 500 items buffered, 200 per 5ms at best.
				done := make(chan struct{})
				go func() { wg.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(time.Second): // fake time
				}
				const deadline = 2 * time.Millisecond
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				defer cancel()
				start := time.Now()
				err := d.Close(ctx)
				// The calls under way have the grace to answer.
				if took := time.Since(start); took > deadline+batch.DefaultCloseGrace {
					t.Errorf("Close returned after %v, its deadline was %v and the grace %v", took, deadline, batch.DefaultCloseGrace)
				}
				<-done
				accepted, last := result()
				fs := relOutcome(t, d, s, accepted, last, err)
				if len(fs) == 0 {
					t.Fatal("no failures: the deadline passed after everything was written, the test proves nothing")
				}
				// Never sent: ErrClosed; under way when the grace ran out:
				// ErrOutcomeUnknown; never both.
				unknown := 0
				for _, f := range fs {
					closed, unk := errors.Is(f.Err, batch.ErrClosed), errors.Is(f.Err, batch.ErrOutcomeUnknown)
					if closed == unk || !errors.Is(f.Err, context.DeadlineExceeded) {
						t.Fatalf("failure of %+v: %v, want ErrClosed or ErrOutcomeUnknown, and DeadlineExceeded", f.Item, f.Err)
					}
					if unk {
						unknown++
					}
				}
				if st := d.Stats(); st.Unknown != int64(unknown) {
					t.Errorf("Stats.Unknown = %d, want the %d failures with ErrOutcomeUnknown", st.Unknown, unknown)
				}
				if tc.latency == time.Hour && unknown == 0 {
					t.Error("calls that hang: no item of a call under way failed with ErrOutcomeUnknown")
				}
				if err := d.Submit(context.Background(), item{Key: "late"}); !errors.Is(err, batch.ErrClosed) {
					t.Errorf("Submit after Close = %v, want ErrClosed", err)
				}
			})
		})
	}
}

// A Submit whose context ends while it waits for room leaves nothing
// behind: it is not counted, never written, and the items accepted around
// it are.
func TestReliabilityCancelledSubmit(t *testing.T) {
	seed := testutil.Seed(t)
	synctest.Test(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(seed, 1))
		s := newSink(10, 0, 0)
		s.Latency = 10 * time.Millisecond
		d := mustNew(t, s, batch.Config{MaxInFlight: 2, MaxBuffered: 20, BackOff: relForever})
		var (
			mu        sync.Mutex
			accepted  = make(map[string]bool)
			cancelled = make(map[string]bool)
			wg        sync.WaitGroup
		)
		for w := range 8 {
			timeouts := make([]time.Duration, 200)
			for i := range timeouts {
				timeouts[i] = time.Duration(rng.IntN(30)) * time.Millisecond
			}
			wg.Go(func() {
				for i, to := range timeouts {
					key := fmt.Sprintf("%d-%d", w, i)
					ctx, cancel := context.WithTimeout(context.Background(), to)
					err := d.Submit(ctx, item{Key: key})
					cancel()
					mu.Lock()
					switch {
					case err == nil:
						accepted[key] = true
					case errors.Is(err, context.DeadlineExceeded):
						cancelled[key] = true
					default:
						t.Errorf("Submit(%s) = %v", key, err)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()

		// An ended context is refused even when there is room.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := d.Submit(ctx, item{Key: "cancelled-before"}); !errors.Is(err, context.Canceled) {
			t.Errorf("Submit with a cancelled context = %v, want context.Canceled", err)
		}
		cancelled["cancelled-before"] = true
		closeOK(t, d)

		if len(accepted) == 0 || len(cancelled) < 2 {
			t.Fatalf("%d accepted, %d cancelled: the test needs both", len(accepted), len(cancelled))
		}
		for _, call := range s.Calls() {
			for _, it := range call {
				if cancelled[it.Key] {
					t.Errorf("%s was sent, but its Submit returned an error", it.Key)
				}
			}
		}
		got := make(map[string]bool)
		for _, it := range s.Written() {
			got[it.Key] = true
		}
		for k := range accepted {
			if !got[k] {
				t.Errorf("%s was accepted but not written", k)
			}
		}
		st := d.Stats()
		if st.Submitted != int64(len(accepted)) || st.Written != int64(len(accepted)) || st.Rejected != 0 {
			t.Errorf("Stats %+v: want %d submitted and written, none rejected", st, len(accepted))
		}
		t.Logf("%d accepted, %d cancelled while waiting for room", len(accepted), len(cancelled))
	})
}

// Under ReplaceDuplicates, a Submit with an ended context does not replace
// the pending version of its key.
func TestReliabilityCancelledSubmitKeepsPendingVersion(t *testing.T) {
	s := newSink(25, 0, 0)
	d := mustNew(t, s, batch.Config{Duplicates: batch.ReplaceDuplicates})
	submitAll(t, d, item{Key: "k", Version: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Submit(ctx, item{Key: "k", Version: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("Submit = %v, want context.Canceled", err)
	}
	closeOK(t, d)
	if w := s.Written(); len(w) != 1 || w[0].Version != 1 {
		t.Errorf("written %+v, want version 1 only", w)
	}
	if st := d.Stats(); st.Submitted != 1 || st.Replaced != 0 {
		t.Errorf("Stats %+v: want 1 submitted, none replaced", st)
	}
}

// No goroutine started by a Dispatcher outlives Close, whichever way Close
// ends: with everything written, with its deadline mid-retry, racing
// Submit calls, or waking a blocked one. Real time, checked with goleak.
func TestReliabilityNoGoroutineOutlivesClose(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"everything written, timed flush", func(t *testing.T) {
			s := newSink(25, 0, 0)
			d := mustNew(t, s, batch.Config{FlushInterval: time.Millisecond, MaxInFlight: 8})
			for i := range 1000 {
				submitAll(t, d, item{Key: fmt.Sprint(i)})
			}
			closeOK(t, d)
		}},
		{"deadline mid-retry, timed flush", func(t *testing.T) {
			s := newSink(25, 0, 0)
			s.Unprocessed = func(it item) bool { return it.Key[0]%2 == 0 }
			d := mustNew(t, s, batch.Config{FlushInterval: time.Millisecond, MaxInFlight: 8, BackOff: relForever})
			for i := range 1000 {
				submitAll(t, d, item{Key: fmt.Sprint(i)})
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			if err := d.Close(ctx); !errors.Is(err, batch.ErrClosed) {
				t.Errorf("Close = %v, want failures with ErrClosed", err)
			}
		}},
		{"calls that hang", func(t *testing.T) {
			s := newSink(25, 0, 0)
			s.Latency = time.Hour
			d := mustNew(t, s, batch.Config{MaxInFlight: 8})
			for i := range 300 {
				submitAll(t, d, item{Key: fmt.Sprint(i)})
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			if err := d.Close(ctx); !errors.Is(err, batch.ErrClosed) {
				t.Errorf("Close = %v, want failures with ErrClosed", err)
			}
		}},
		{"Close racing Submit", func(t *testing.T) {
			s := newSink(25, 0, 0)
			s.Latency = time.Millisecond
			d := mustNew(t, s, batch.Config{MaxInFlight: 4, MaxBuffered: 50})
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for i := 0; ; i++ {
						if err := d.Submit(context.Background(), item{Key: fmt.Sprint(w, "-", i)}); err != nil {
							if !errors.Is(err, batch.ErrClosed) {
								t.Errorf("Submit: %v", err)
							}
							return
						}
					}
				})
			}
			for d.Stats().Batches < 20 {
				// Busy-wait on progress, not on time: Close must come
				// while Submit calls are under way.
				if err := d.Flush(context.Background()); err != nil {
					t.Errorf("Flush: %v", err)
				}
			}
			closeOK(t, d)
			wg.Wait()
			checkAccounting(t, d.Stats())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			tc.run(t)
		})
	}
}

// A call that the backend confirms just as Close's deadline passes counts as
// written, not failed: a program that resends its failures resends only
// what may be missing.
func TestReliabilityConfirmedWriteNotReportedFailed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		// The backend's confirmation arrives at the very moment the
		// deadline passes: Write returns at once, with success.
		s.WriteHook = func(ctx context.Context, _ int, _ []item) { <-ctx.Done() }
		d := mustNew(t, s, batch.Config{})
		submitAll(t, d, item{Key: "a"}, item{Key: "b"})
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		err := d.Close(ctx)
		if n := len(s.Written()); n != 2 {
			t.Fatalf("the sink wrote %d items, want 2", n)
		}
		if err != nil {
			t.Errorf("Close = %v, want nil: both items were confirmed", err)
		}
		if st := d.Stats(); st.Written != 2 || st.Failed != 0 {
			t.Errorf("Stats %+v: want 2 written, none failed", st)
		}
	})
}
