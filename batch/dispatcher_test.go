package batch_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type item = testutil.Item

func newSink(maxItems, maxItemBytes, maxBatchBytes int) *testutil.Sink[item] {
	return &testutil.Sink[item]{
		Lim:       batch.Limits{MaxItems: maxItems, MaxItemBytes: maxItemBytes, MaxBatchBytes: maxBatchBytes},
		MeasureFn: testutil.MeasureItem,
	}
}

// fastBackOff retries at once, up to n times.
func fastBackOff(n uint64) func() backoff.BackOff {
	return func() backoff.BackOff { return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, n) }
}

func mustNew(t *testing.T, s batch.Sink[item], cfg batch.Config) *batch.Dispatcher[item] {
	t.Helper()
	d, err := batch.New(s, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	// Close stops the goroutines of d, those of a test that did not close
	// it too (a second Close only waits for the first).
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d
}

func closeOK(t *testing.T, d *batch.Dispatcher[item]) {
	t.Helper()
	if err := d.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func submitAll(t *testing.T, d *batch.Dispatcher[item], items ...item) {
	t.Helper()
	for _, it := range items {
		if err := d.Submit(context.Background(), it); err != nil {
			t.Fatalf("Submit(%+v): %v", it, err)
		}
	}
}

func keysOf(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Key
	}
	return out
}

func failedItems(t *testing.T, err error) []batch.Failure[item] {
	t.Helper()
	var fe *batch.FailedError[item]
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FailedError[item]", err)
	}
	return fe.Failures
}

func checkAccounting(t *testing.T, s batch.Stats) {
	t.Helper()
	if s.Submitted != s.Written+s.Failed+s.Unknown+s.Replaced {
		t.Errorf("Submitted %d != Written %d + Failed %d + Replaced %d", s.Submitted, s.Written, s.Failed, s.Replaced)
	}
	if s.Pending != 0 || s.InFlight != 0 {
		t.Errorf("at rest: Pending %d, InFlight %d, want 0", s.Pending, s.InFlight)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name   string
		limits batch.Limits
		cfg    batch.Config
		want   string // in the error
	}{
		{"no items per batch", batch.Limits{}, batch.Config{}, "MaxItems 0"},
		{"negative item bytes", batch.Limits{MaxItems: 1, MaxItemBytes: -1}, batch.Config{}, "MaxItemBytes -1"},
		{"negative batch bytes", batch.Limits{MaxItems: 1, MaxBatchBytes: -1}, batch.Config{}, "MaxBatchBytes -1"},
		{"batch too big", batch.Limits{MaxItems: 25}, batch.Config{MaxBatchItems: 26}, "MaxBatchItems 26 is more than the sink allows (25)"},
		{"negative batch items", batch.Limits{MaxItems: 25}, batch.Config{MaxBatchItems: -1}, "MaxBatchItems -1"},
		{"negative interval", batch.Limits{MaxItems: 25}, batch.Config{FlushInterval: -time.Second}, "FlushInterval -1s"},
		{"negative in flight", batch.Limits{MaxItems: 25}, batch.Config{MaxInFlight: -2}, "MaxInFlight -2"},
		{"negative buffered", batch.Limits{MaxItems: 25}, batch.Config{MaxBuffered: -3}, "MaxBuffered -3"},
		{"negative buffered bytes", batch.Limits{MaxItems: 25}, batch.Config{MaxBufferedBytes: -4}, "MaxBufferedBytes -4"},
		{"unknown policy", batch.Limits{MaxItems: 25}, batch.Config{Duplicates: 7}, "Duplicates DuplicatePolicy(7)"},
		{"backoff returns nil", batch.Limits{MaxItems: 25}, batch.Config{BackOff: func() backoff.BackOff { return nil }}, "Config.BackOff returned nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &testutil.Sink[item]{Lim: tc.limits, MeasureFn: testutil.MeasureItem}
			d, err := batch.New[item](s, tc.cfg)
			if err == nil {
				d.Close(context.Background())
				t.Fatalf("New succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error %q does not contain %q", err, tc.want)
			}
		})
	}
	if _, err := batch.New[item](nil, batch.Config{}); err == nil {
		t.Error("New(nil sink) succeeded")
	}
}

func TestSubmitRefuses(t *testing.T) {
	errBad := errors.New("bad item")
	s := newSink(25, 100, 0)
	s.MeasureFn = func(it item) (string, int, error) {
		if it.Key == "bad" {
			return "", 0, errBad
		}
		return testutil.MeasureItem(it)
	}
	d := mustNew(t, s, batch.Config{})
	tests := []struct {
		name string
		item item
		want error
	}{
		{"too large", item{Key: "a", Size: 101}, batch.ErrItemTooLarge},
		{"sink error as is", item{Key: "bad"}, errBad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := d.Submit(context.Background(), tc.item)
			if !errors.Is(err, tc.want) {
				t.Errorf("Submit = %v, want %v", err, tc.want)
			}
		})
	}
	// At the limit is fine.
	submitAll(t, d, item{Key: "a", Size: 100})
	closeOK(t, d)
	if err := d.Submit(context.Background(), item{Key: "b"}); !errors.Is(err, batch.ErrClosed) {
		t.Errorf("Submit after Close = %v, want ErrClosed", err)
	}
	want := batch.Stats{Submitted: 1, Written: 1, Rejected: 2, Batches: 1}
	if diff := cmp.Diff(want, d.Stats()); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
}

func TestItemLargerThanBatchIsRefused(t *testing.T) {
	s := newSink(25, 0, 50)
	d := mustNew(t, s, batch.Config{})
	defer closeOK(t, d)
	if err := d.Submit(context.Background(), item{Key: "a", Size: 51}); !errors.Is(err, batch.ErrItemTooLarge) {
		t.Errorf("Submit = %v, want ErrItemTooLarge", err)
	}
}

func TestDuplicates(t *testing.T) {
	tests := []struct {
		name         string
		policy       batch.DuplicatePolicy
		wantErr      error
		wantWritten  []item
		wantReplaced int64
	}{
		{
			name:        "reject keeps the pending item",
			policy:      batch.RejectDuplicates,
			wantErr:     batch.ErrDuplicate,
			wantWritten: []item{{Key: "a", Version: 1}, {Key: "b", Version: 1}},
		},
		{
			name:         "replace: last write wins",
			policy:       batch.ReplaceDuplicates,
			wantWritten:  []item{{Key: "a", Version: 2}, {Key: "b", Version: 1}},
			wantReplaced: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(25, 0, 0)
			d := mustNew(t, s, batch.Config{Duplicates: tc.policy})
			submitAll(t, d, item{Key: "a", Version: 1}, item{Key: "b", Version: 1})
			if err := d.Submit(context.Background(), item{Key: "a", Version: 2}); !errors.Is(err, tc.wantErr) {
				t.Errorf("Submit duplicate = %v, want %v", err, tc.wantErr)
			}
			closeOK(t, d)
			if diff := cmp.Diff(tc.wantWritten, s.Written()); diff != "" {
				t.Errorf("written mismatch (-want +got):\n%s", diff)
			}
			st := d.Stats()
			if st.Replaced != tc.wantReplaced {
				t.Errorf("Replaced = %d, want %d", st.Replaced, tc.wantReplaced)
			}
			checkAccounting(t, st)
		})
	}
}

func TestEmptyKeysAreNeverDeduplicated(t *testing.T) {
	s := newSink(25, 0, 0)
	d := mustNew(t, s, batch.Config{})
	submitAll(t, d, item{Version: 1}, item{Version: 2}, item{Version: 3})
	closeOK(t, d)
	if got := len(s.Written()); got != 3 {
		t.Errorf("written %d items, want 3", got)
	}
}

func TestBatchesAreFull(t *testing.T) {
	tests := []struct {
		name  string
		sink  *testutil.Sink[item]
		cfg   batch.Config
		items []item
		want  [][]string // keys per call
	}{
		{
			name:  "by count",
			sink:  newSink(3, 0, 0),
			items: []item{{Key: "1"}, {Key: "2"}, {Key: "3"}, {Key: "4"}, {Key: "5"}, {Key: "6"}, {Key: "7"}},
			want:  [][]string{{"1", "2", "3"}, {"4", "5", "6"}, {"7"}},
		},
		{
			name:  "by MaxBatchItems",
			sink:  newSink(25, 0, 0),
			cfg:   batch.Config{MaxBatchItems: 2},
			items: []item{{Key: "1"}, {Key: "2"}, {Key: "3"}},
			want:  [][]string{{"1", "2"}, {"3"}},
		},
		{
			name:  "by bytes",
			sink:  newSink(25, 0, 100),
			items: []item{{Key: "1", Size: 60}, {Key: "2", Size: 40}, {Key: "3", Size: 1}, {Key: "4", Size: 99}, {Key: "5", Size: 2}},
			want:  [][]string{{"1", "2"}, {"3", "4"}, {"5"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.MaxInFlight = 1
			d := mustNew(t, tc.sink, tc.cfg)
			submitAll(t, d, tc.items...)
			closeOK(t, d)
			var got [][]string
			for _, c := range tc.sink.Calls() {
				got = append(got, keysOf(c))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			if v := tc.sink.Violations(); len(v) > 0 {
				t.Errorf("limits broken: %v", v)
			}
		})
	}
}

func TestFullBatchGoesWithoutFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(2, 0, 0)
		d := mustNew(t, s, batch.Config{})
		submitAll(t, d, item{Key: "1"})
		synctest.Wait()
		if n := len(s.Calls()); n != 0 {
			t.Fatalf("%d calls with half a batch, want 0", n)
		}
		submitAll(t, d, item{Key: "2"})
		synctest.Wait()
		if n := len(s.Written()); n != 2 {
			t.Fatalf("%d written after a full batch, want 2", n)
		}
		closeOK(t, d)
	})
}

func TestFlushInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		d := mustNew(t, s, batch.Config{FlushInterval: 100 * time.Millisecond})
		start := time.Now()
		submitAll(t, d, item{Key: "1"})
		time.Sleep(60 * time.Millisecond)
		submitAll(t, d, item{Key: "2"}) // does not reset the clock
		time.Sleep(39 * time.Millisecond)
		synctest.Wait()
		if n := len(s.Calls()); n != 0 {
			t.Fatalf("%d calls at %v, want 0", n, time.Since(start))
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if diff := cmp.Diff([][]item{{{Key: "1"}, {Key: "2"}}}, s.Calls()); diff != "" {
			t.Fatalf("calls at %v mismatch (-want +got):\n%s", time.Since(start), diff)
		}
		// The next item gets its own full interval.
		submitAll(t, d, item{Key: "3"})
		time.Sleep(99 * time.Millisecond)
		synctest.Wait()
		if n := len(s.Calls()); n != 1 {
			t.Fatalf("%d calls, want 1", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n := len(s.Calls()); n != 2 {
			t.Fatalf("%d calls, want 2", n)
		}
		closeOK(t, d)
	})
}

func TestSubmitBlocksWhenBufferIsFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		s.Latency = time.Second
		d := mustNew(t, s, batch.Config{MaxBuffered: 2})
		submitAll(t, d, item{Key: "1"}, item{Key: "2"})
		// Full: the third waits for room, and gives up with its context.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if err := d.Submit(ctx, item{Key: "3"}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Submit on a full buffer = %v, want DeadlineExceeded", err)
		}
		if st := d.Stats(); st.Submitted != 2 || st.Rejected != 0 {
			t.Errorf("after a cancelled Submit: Submitted %d, Rejected %d; want 2, 0", st.Submitted, st.Rejected)
		}
		// It gets in once the batch in flight is written.
		start := time.Now()
		submitAll(t, d, item{Key: "3"})
		if waited := time.Since(start); waited != 500*time.Millisecond {
			t.Errorf("Submit waited %v, want 500ms (the rest of the write)", waited)
		}
		closeOK(t, d)
		checkAccounting(t, d.Stats())
	})
}

func TestSubmitBlocksOnBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		s.Latency = time.Second
		d := mustNew(t, s, batch.Config{MaxBufferedBytes: 100})
		submitAll(t, d, item{Key: "1", Size: 60})
		start := time.Now()
		submitAll(t, d, item{Key: "2", Size: 60})
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("Submit waited %v, want 1s", waited)
		}
		// A single item larger than the bound is accepted when alone.
		closeOK(t, d)
	})
}

func TestRetries(t *testing.T) {
	errThrottled := errors.New("throttled")
	tests := []struct {
		name        string
		script      func(s *testutil.Sink[item])
		wantWritten int
		wantFailed  []error // causes, errors.Is
		wantRetries int64
	}{
		{
			name: "unprocessed items are retried",
			script: func(s *testutil.Sink[item]) {
				left := map[string]int{"1": 2, "3": 1}
				s.Unprocessed = func(it item) bool {
					if left[it.Key] > 0 {
						left[it.Key]--
						return true
					}
					return false
				}
			},
			wantWritten: 4,
			wantRetries: 3, // 2 then 1
		},
		{
			name:        "a failed call is retried whole",
			script:      func(s *testutil.Sink[item]) { s.FailNext(errThrottled, errThrottled) },
			wantWritten: 4,
			wantRetries: 8,
		},
		{
			name:        "unprocessed until the policy gives up",
			script:      func(s *testutil.Sink[item]) { s.Unprocessed = func(it item) bool { return it.Key == "2" } },
			wantWritten: 3,
			wantFailed:  []error{batch.ErrUnprocessed},
			wantRetries: 3,
		},
		{
			name:        "failing until the policy gives up",
			script:      func(s *testutil.Sink[item]) { s.FailNext(errThrottled, errThrottled, errThrottled, errThrottled) },
			wantWritten: 0,
			wantFailed:  []error{errThrottled, errThrottled, errThrottled, errThrottled},
			wantRetries: 12,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(25, 0, 0)
			tc.script(s)
			d := mustNew(t, s, batch.Config{BackOff: fastBackOff(3)})
			submitAll(t, d, item{Key: "1"}, item{Key: "2"}, item{Key: "3"}, item{Key: "4"})
			err := d.Flush(context.Background())
			var got []error
			if err != nil {
				for _, f := range failedItems(t, err) {
					got = append(got, f.Err)
				}
			}
			if len(got) != len(tc.wantFailed) {
				t.Fatalf("failures %v, want causes %v", got, tc.wantFailed)
			}
			for i := range got {
				if !errors.Is(got[i], tc.wantFailed[i]) {
					t.Errorf("failure %d: %v, want %v", i, got[i], tc.wantFailed[i])
				}
			}
			closeOK(t, d)
			st := d.Stats()
			if int(st.Written) != tc.wantWritten || st.Retries != tc.wantRetries {
				t.Errorf("Written %d, Retries %d; want %d, %d", st.Written, st.Retries, tc.wantWritten, tc.wantRetries)
			}
			checkAccounting(t, st)
		})
	}
}

func TestRetriesWaitWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		var at []time.Duration
		start := time.Now()
		s.WriteHook = func(context.Context, int, []item) { at = append(at, time.Since(start)) }
		s.FailNext(errors.New("throttled"), errors.New("throttled"))
		d := mustNew(t, s, batch.Config{BackOff: func() backoff.BackOff {
			return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Second), 5)
		}})
		submitAll(t, d, item{Key: "1"})
		if err := d.Flush(context.Background()); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		want := []time.Duration{0, time.Second, 2 * time.Second}
		if diff := cmp.Diff(want, at); diff != "" {
			t.Errorf("call times mismatch (-want +got):\n%s", diff)
		}
		closeOK(t, d)
	})
}

func TestDefaultBackOffIsBounded(t *testing.T) {
	b := batch.DefaultBackOff()
	var total time.Duration
	n := 0
	for {
		w := b.NextBackOff()
		if w == backoff.Stop {
			break
		}
		if w <= 0 {
			t.Fatalf("wait %d is %v, want > 0", n, w)
		}
		total += w
		n++
		if n > 100 {
			t.Fatal("DefaultBackOff never stops")
		}
	}
	if n != 10 || total > 2*time.Minute {
		t.Errorf("DefaultBackOff: %d retries over %v, want 10 within 2m", n, total)
	}
}

func TestPermanentErrorIsolatesBadItems(t *testing.T) {
	errInvalid := errors.New("invalid item")
	s := newSink(25, 0, 0)
	s.Refuse = func(it item) error {
		if it.Version < 0 {
			return fmt.Errorf("%s: %w", it.Key, errInvalid)
		}
		return nil
	}
	d := mustNew(t, s, batch.Config{BackOff: fastBackOff(3)})
	var items []item
	for i := range 25 {
		v := 1
		if i == 3 || i == 17 {
			v = -1
		}
		items = append(items, item{Key: fmt.Sprint(i), Version: v})
	}
	submitAll(t, d, items...)
	err := d.Close(context.Background())
	fs := failedItems(t, err)
	var got []string
	for _, f := range fs {
		got = append(got, f.Item.Key)
		if !errors.Is(f.Err, errInvalid) || !batch.IsPermanent(f.Err) {
			t.Errorf("failure of %s: %v, want a permanent %v", f.Item.Key, f.Err, errInvalid)
		}
	}
	if diff := cmp.Diff([]string{"3", "17"}, got); diff != "" {
		t.Errorf("failed items mismatch (-want +got):\n%s", diff)
	}
	if n := len(s.Written()); n != 23 {
		t.Errorf("written %d, want 23", n)
	}
	checkAccounting(t, d.Stats())
}

func TestFlushReportsEachFailureOnce(t *testing.T) {
	s := newSink(25, 0, 0)
	s.Refuse = func(it item) error { return errors.New("no") }
	d := mustNew(t, s, batch.Config{})
	submitAll(t, d, item{Key: "1"})
	if err := d.Flush(context.Background()); len(failedItems(t, err)) != 1 {
		t.Fatalf("first Flush = %v, want 1 failure", err)
	}
	if err := d.Flush(context.Background()); err != nil {
		t.Errorf("second Flush = %v, want nil", err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
	if st := d.Stats(); st.Failed != 1 {
		t.Errorf("Failed = %d, want 1", st.Failed)
	}
}

func TestFlushContextEndsNothingLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		s.Latency = time.Second
		d := mustNew(t, s, batch.Config{})
		submitAll(t, d, item{Key: "1"}, item{Key: "2"})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := d.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Flush = %v, want DeadlineExceeded", err)
		}
		if err := d.Flush(context.Background()); err != nil {
			t.Fatalf("second Flush = %v", err)
		}
		if n := len(s.Written()); n != 2 {
			t.Errorf("written %d, want 2", n)
		}
		closeOK(t, d)
	})
}

func TestFlushWaitsOnlyForEarlierItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(1, 0, 0)
		s.Latency = time.Second
		d := mustNew(t, s, batch.Config{MaxInFlight: 1})
		submitAll(t, d, item{Key: "1"})
		done := make(chan error)
		go func() { done <- d.Flush(context.Background()) }()
		synctest.Wait()
		submitAll(t, d, item{Key: "2"}) // after the Flush: not waited for
		start := time.Now()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("Flush returned after %v, want 1s", waited)
		}
		closeOK(t, d)
	})
}

func TestCloseDeadlineMidRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(2, 0, 0)
		s.Unprocessed = func(item) bool { return true } // never written
		d := mustNew(t, s, batch.Config{MaxInFlight: 1, BackOff: func() backoff.BackOff {
			return backoff.NewConstantBackOff(time.Second) // forever
		}})
		submitAll(t, d, item{Key: "1"}, item{Key: "2"}, item{Key: "3"})
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		err := d.Close(ctx)
		fs := failedItems(t, err)
		var got []string
		for _, f := range fs {
			got = append(got, f.Item.Key)
			if !errors.Is(f.Err, batch.ErrClosed) || !errors.Is(f.Err, context.DeadlineExceeded) {
				t.Errorf("failure of %s: %v, want ErrClosed and DeadlineExceeded", f.Item.Key, f.Err)
			}
		}
		slices.Sort(got) // the order of the failures is not promised
		if diff := cmp.Diff([]string{"1", "2", "3"}, got); diff != "" {
			t.Errorf("failed items mismatch (-want +got):\n%s", diff)
		}
		checkAccounting(t, d.Stats())
		// Idempotent: nothing new to report.
		if err := d.Close(context.Background()); err != nil {
			t.Errorf("second Close = %v", err)
		}
	})
}

func TestCloseWakesBlockedSubmit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(25, 0, 0)
		s.Latency = time.Second
		d := mustNew(t, s, batch.Config{MaxBuffered: 1})
		submitAll(t, d, item{Key: "1"})
		errc := make(chan error)
		go func() { errc <- d.Submit(context.Background(), item{Key: "2"}) }()
		synctest.Wait()
		closeOK(t, d)
		if err := <-errc; !errors.Is(err, batch.ErrClosed) {
			t.Errorf("blocked Submit = %v, want ErrClosed", err)
		}
	})
}

func TestConcurrentCloseCalls(t *testing.T) {
	s := newSink(25, 0, 0)
	d := mustNew(t, s, batch.Config{})
	submitAll(t, d, item{Key: "1"})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := d.Close(context.Background()); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if n := len(s.Written()); n != 1 {
		t.Errorf("written %d, want 1", n)
	}
}

// TestPerKeyOrder submits several versions of each key from many goroutines,
// with batches in flight at once and retries, and checks that the last
// version submitted of each key is the last written, and that no key was in
// two calls at once.
func TestPerKeyOrder(t *testing.T) {
	for _, policy := range []batch.DuplicatePolicy{batch.RejectDuplicates, batch.ReplaceDuplicates} {
		t.Run(policy.String(), func(t *testing.T) {
			seed := rand.Uint64()
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 0))
			s := newSink(5, 0, 0)
			var mu sync.Mutex
			s.Unprocessed = func(item) bool {
				mu.Lock()
				defer mu.Unlock()
				return rng.IntN(10) == 0
			}
			s.WriteHook = func(context.Context, int, []item) {
				mu.Lock()
				n := rng.IntN(200)
				mu.Unlock()
				time.Sleep(time.Duration(n) * time.Microsecond)
			}
			d := mustNew(t, s, batch.Config{MaxInFlight: 8, MaxBuffered: 64, Duplicates: policy, BackOff: fastBackOff(1000)})
			const workers, keys, versions = 8, 50, 20
			var wg sync.WaitGroup
			last := make([]int, keys) // accepted version per key
			var lmu sync.Mutex
			for w := range workers {
				wg.Go(func() {
					for v := 1; v <= versions; v++ {
						for k := w; k < keys; k += workers {
							it := item{Key: fmt.Sprint(k), Version: v}
							for {
								err := d.Submit(context.Background(), it)
								if errors.Is(err, batch.ErrDuplicate) {
									// The earlier version is still pending: send it.
									if err := d.Flush(context.Background()); err != nil {
										t.Errorf("Flush: %v", err)
									}
									continue
								}
								if err != nil {
									t.Errorf("Submit: %v", err)
								}
								break
							}
							lmu.Lock()
							last[k] = v
							lmu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			closeOK(t, d)
			final := make([]int, keys)
			for _, it := range s.Written() {
				var k int
				fmt.Sscan(it.Key, &k)
				if it.Version < final[k] {
					t.Errorf("key %d: version %d written after %d", k, it.Version, final[k])
				}
				final[k] = it.Version
			}
			if diff := cmp.Diff(last, final); diff != "" {
				t.Errorf("last versions mismatch (-want +got):\n%s", diff)
			}
			if n := s.Overlaps(); n != 0 {
				t.Errorf("%d keys were in two calls at once", n)
			}
			if v := s.Violations(); len(v) > 0 {
				t.Errorf("limits broken: %v", v[:min(3, len(v))])
			}
			checkAccounting(t, d.Stats())
		})
	}
}

// TestMemoryBoundedByMaxBuffered streams many items through a slow sink and
// checks that what is held never passes MaxBuffered.
func TestMemoryBoundedByMaxBuffered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(10, 0, 0)
		s.Latency = time.Millisecond
		d := mustNew(t, s, batch.Config{MaxBuffered: 100, MaxInFlight: 2})
		peak := 0
		for i := range 5000 {
			submitAll(t, d, item{Key: fmt.Sprint(i)})
			st := d.Stats()
			peak = max(peak, st.Pending+st.InFlight)
		}
		closeOK(t, d)
		if peak > 100 {
			t.Errorf("held %d items at the peak, MaxBuffered is 100", peak)
		}
		if n := len(s.Written()); n != 5000 {
			t.Errorf("written %d, want 5000", n)
		}
	})
}

func TestFailedError(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	tests := []struct {
		name string
		fe   *batch.FailedError[item]
		want string
	}{
		{"one", &batch.FailedError[item]{Failures: []batch.Failure[item]{{Err: errA}}}, "batch: 1 item failed: a"},
		{"two", &batch.FailedError[item]{Failures: []batch.Failure[item]{{Err: errA}, {Err: errB}}}, "batch: 2 items failed; first: a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fe.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
	var err error = tests[1].fe
	if !errors.Is(err, errB) {
		t.Error("errors.Is does not see the second cause")
	}
}

func TestPermanentForAllFailsTheBatchWithoutSplitting(t *testing.T) {
	errNoTable := errors.New("no such table")
	s := newSink(25, 0, 0)
	s.FailNext(batch.PermanentForAll(errNoTable))
	d := mustNew(t, s, batch.Config{BackOff: fastBackOff(3)})
	for i := range 10 {
		submitAll(t, d, item{Key: fmt.Sprint(i)})
	}
	fs := failedItems(t, d.Close(context.Background()))
	if len(fs) != 10 {
		t.Fatalf("%d failures, want 10", len(fs))
	}
	for _, f := range fs {
		if !errors.Is(f.Err, errNoTable) || !batch.IsPermanent(f.Err) {
			t.Errorf("failure of %s: %v, want %v", f.Item.Key, f.Err, errNoTable)
		}
	}
	if n := len(s.Calls()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
	if st := d.Stats(); st.Retries != 0 || st.Failed != 10 {
		t.Errorf("Stats %+v, want 0 retries, 10 failed", st)
	}
}
