package batch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// While calls are fast on average, one writer runs, unless a call under way
// has stalled; while calls are slow, MaxInFlight do.
func TestWriterLimit(t *testing.T) {
	const maxInFlight = 4
	tests := []struct {
		name  string
		calls []time.Duration // settled, in order
		under time.Duration   // how long the call under way has run; 0: none under way
		want  int
	}{
		{"no call settled yet", nil, 0, maxInFlight},
		{"fast calls", []time.Duration{time.Microsecond}, 0, 1},
		{"fast calls, one under way for a moment", []time.Duration{time.Microsecond}, time.Microsecond, 1},
		{"fast calls, one under way stalled", []time.Duration{time.Microsecond}, 2 * stalledCall, maxInFlight},
		{"slow calls", []time.Duration{time.Millisecond}, 0, maxInFlight},
		{"one slow call after fast ones", []time.Duration{time.Microsecond, time.Microsecond, time.Millisecond}, 0, maxInFlight},
		{"fast again after a slow one", append([]time.Duration{time.Millisecond}, slices.Repeat([]time.Duration{time.Microsecond}, 60)...), 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New[int](nopSink{}, Config{MaxInFlight: maxInFlight})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close(context.Background())
			d.mu.Lock()
			defer d.mu.Unlock()
			for _, took := range tt.calls {
				start := time.Now()
				d.startCallLocked(start)
				d.endCallLocked(start, start.Add(took))
			}
			if len(d.calls) != 0 {
				t.Fatalf("calls under way after all settled: %d", len(d.calls))
			}
			if tt.under > 0 {
				d.startCallLocked(time.Now().Add(-tt.under))
			}
			if got := d.writerLimitLocked(); got != tt.want {
				t.Errorf("writerLimitLocked() = %d, want %d (average call %v)", got, tt.want, d.callTime)
			}
			d.calls = nil
		})
	}
}

// stallSink answers at once, but for one call, which waits until release is
// closed.
type stallSink struct {
	mu      sync.Mutex
	calls   int
	stallAt int
	stalled chan struct{} // closed when the stalled call has begun
	release chan struct{}
	written int
}

func (s *stallSink) Limits() Limits                   { return Limits{MaxItems: 10} }
func (s *stallSink) Measure(int) (string, int, error) { return "", 1, nil }
func (s *stallSink) Write(ctx context.Context, items []int) (Outcome, error) {
	s.mu.Lock()
	s.calls++
	stall := s.calls == s.stallAt
	s.mu.Unlock()
	if stall {
		close(s.stalled)
		<-s.release
	}
	s.mu.Lock()
	s.written += len(items)
	s.mu.Unlock()
	return Outcome{}, nil
}

// A call that stalls after fast ones holds back only its own batch: once it
// counts as stalled, other writers start (the scheduler looks), so that the
// items after it are written before it ends, and Submit does not block for
// good.
func TestStalledCallHoldsBackOnlyItsBatch(t *testing.T) {
	const warm = 500 // items written before the stall, 10 to a call
	s := &stallSink{stallAt: warm/10 + 1, stalled: make(chan struct{}), release: make(chan struct{})}
	d, err := New[int](s, Config{MaxBuffered: 100, MaxInFlight: 4})
	if err != nil {
		t.Fatal(err)
	}
	// A skip or a failure leaves d to this: its goroutines stop only once
	// it is closed (the stalled call is released first).
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
		_ = d.Close(context.Background())
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range warm {
		if err := d.Submit(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	fast, avg, writers := d.callsFastLocked(), d.callTime, d.writers
	d.mu.Unlock()
	if !fast || writers != 0 {
		t.Skipf("calls are not fast on this machine now (average %v), or writers run (%d): the case does not arise", avg, writers)
	}
	// The first call of these stalls; the others come behind it.
	const n = 2000
	for i := range n {
		if err := d.Submit(ctx, warm+i); err != nil {
			t.Fatalf("Submit %d: %v (the stalled call holds everything back)", i, err)
		}
	}
	<-s.stalled
	short, cancelShort := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancelShort()
	if err := d.Flush(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush while a call is stalled: %v, want %v", err, context.DeadlineExceeded)
	}
	s.mu.Lock()
	written := s.written
	s.mu.Unlock()
	close(s.release)
	if want := warm + n - 10; written != want {
		t.Errorf("written before the stalled call ended: %d items, want %d", written, want)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := warm + n; s.written != want {
		t.Errorf("written: %d items, want %d", s.written, want)
	}
}
