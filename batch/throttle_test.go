package batch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/batchutils/batchutils/batch"
)

var errThrottled = errors.New("ThrottlingException: rate exceeded")

// capacitySink is a backend with a capacity: a token bucket of items per
// second. The items over it are left unprocessed as throttled, or, with
// whole, a call that does not fit is refused with a Throttle error.
type capacitySink struct {
	rate, burst float64
	whole       bool
	latency     time.Duration

	mu      sync.Mutex
	tokens  float64
	last    time.Time
	calls   int
	written map[string]int
	// sent and writtenAt, if not nil, count the times each item was sent
	// and say when it was written.
	sent      map[string]int
	writtenAt map[string]time.Time
}

func (s *capacitySink) Limits() batch.Limits { return batch.Limits{MaxItems: 25} }

func (s *capacitySink) Measure(it item) (string, int, error) { return it.Key, 1, nil }

func (s *capacitySink) Write(ctx context.Context, items []item) (batch.Outcome, error) {
	time.Sleep(s.latency)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.last.IsZero() {
		s.tokens, s.last = s.burst, now
	}
	s.tokens = min(s.burst, s.tokens+now.Sub(s.last).Seconds()*s.rate)
	s.last = now
	s.calls++
	if s.sent != nil {
		for _, it := range items {
			s.sent[it.Key]++
		}
	}
	n := min(len(items), int(s.tokens))
	if s.whole && n < len(items) {
		return batch.Outcome{}, batch.Throttle(errThrottled)
	}
	s.tokens -= float64(n)
	var out batch.Outcome
	for i, it := range items {
		if i >= n {
			out.Retry = append(out.Retry, i)
			continue
		}
		s.written[it.Key]++
		if s.writtenAt != nil {
			s.writtenAt[it.Key] = now
		}
	}
	out.Throttled = len(out.Retry) > 0
	return out, nil
}

// numbered returns n items, keyed "0" to n-1.
func numbered(n int) []item {
	items := make([]item, n)
	for i := range items {
		items[i].Key = fmt.Sprint(i)
	}
	return items
}

// TestThrottledBackendIsSustained writes to backends with a capacity, on
// the simulated clock of synctest: the dispatcher slows to what the backend
// takes, keeps it busy, does not flood it with calls that bounce, and loses
// nothing. The figures of a real run are in docs/performance.md.
func TestThrottledBackendIsSustained(t *testing.T) {
	for _, whole := range []bool{false, true} {
		t.Run(fmt.Sprintf("whole=%v", whole), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const items, rate = 4000, 2000.0
				s := &capacitySink{rate: rate, burst: rate / 4, whole: whole, latency: 5 * time.Millisecond, written: map[string]int{}}
				d := mustNew(t, s, batch.Config{MaxInFlight: 8})
				start := time.Now()
				submitAll(t, d, numbered(items)...)
				closeOK(t, d)
				elapsed := time.Since(start)
				st := d.Stats()
				perItem := float64(s.calls) * 25 / items
				t.Logf("%v (simulated) for %d items at a capacity of %.0f/s: %.3f calls per 25 items, %d throttled calls", elapsed, items, rate, perItem, st.Throttled)
				if len(s.written) != items || st.Written != items {
					t.Errorf("%d distinct items written, Stats.Written %d, want %d", len(s.written), st.Written, items)
				}
				for k, n := range s.written {
					if n != 1 {
						t.Errorf("item %s written %d times", k, n)
					}
				}
				if st.Throttled == 0 {
					t.Errorf("Stats.Throttled = 0: the backend never pushed back?")
				}
				// The burst is a quarter second's worth; the rest at the
				// capacity takes 1.75s. Allow a third more: the run is
				// short, and finding the rate takes some of it.
				if limit := time.Duration(1.33 * (items - rate/4) / rate * float64(time.Second)); elapsed > limit {
					t.Errorf("took %v, want at most %v: the capacity was not used", elapsed, limit)
				}
				// At 80 calls a second, with 8 writers that could send
				// twenty times that, finding the rate costs calls that
				// bounce: the rate is cut on what the backend took, and
				// a few calls are a rough measure of that, so it takes a
				// few cuts, each after some calls (about a third more
				// calls than items/25 over this short run; at 20,000
				// items/s the same costs under 5%, see TestRateControl).
				if perItem > 1.4 {
					t.Errorf("%.3f calls per 25 items, want at most 1.4", perItem)
				}
			})
		})
	}
}

// stepBackOff waits waits[i] at its i-th retry, and the last of them after.
type stepBackOff struct {
	waits []time.Duration
	n     int
}

func (b *stepBackOff) NextBackOff() time.Duration {
	w := b.waits[min(b.n, len(b.waits)-1)]
	b.n++
	return w
}

func (b *stepBackOff) Reset() { b.n = 0 }

// TestFirstThrottledRetryGoesAtTheRate: once the dispatcher holds itself
// to a rate, an item throttled for the first time goes again at that rate's
// pace, without the wait its policy gives; its later retries wait. Each
// item's policy waits an hour at its first retry and two at its second, so
// that when an item was written tells which waits it had.
func TestFirstThrottledRetryGoesAtTheRate(t *testing.T) {
	for _, whole := range []bool{false, true} {
		t.Run(fmt.Sprintf("whole=%v", whole), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const items, rate = 4000, 2000.0
				s := &capacitySink{rate: rate, burst: rate / 4, whole: whole, latency: 5 * time.Millisecond,
					written: map[string]int{}, sent: map[string]int{}, writtenAt: map[string]time.Time{}}
				d := mustNew(t, s, batch.Config{MaxInFlight: 8, BackOff: func() backoff.BackOff {
					return &stepBackOff{waits: []time.Duration{time.Hour, 2 * time.Hour, time.Millisecond}}
				}})
				start := time.Now()
				submitAll(t, d, numbered(items)...)
				closeOK(t, d)
				if st := d.Stats(); st.Written != items || st.Throttled == 0 {
					t.Fatalf("Stats.Written %d, Throttled %d: want %d written, some pushed back", st.Written, st.Throttled, items)
				}
				paced, waited := 0, 0
				for k, n := range s.sent {
					at := s.writtenAt[k].Sub(start)
					switch {
					case n == 2 && at < time.Hour:
						paced++
					case n == 2:
						waited++
					case n > 2 && at < 2*time.Hour:
						t.Errorf("item %s sent %d times, written after %v: its second retry did not wait for its backoff", k, n, at)
					}
				}
				t.Logf("items sent twice: %d at the rate's pace, %d after their backoff (throttled before the rate was cut)", paced, waited)
				if paced == 0 {
					t.Errorf("no item's first retry went at the rate's pace")
				}
			})
		})
	}
}
