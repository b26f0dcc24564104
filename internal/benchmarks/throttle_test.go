package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// throttledFake starts a fake with th on a clock of its own, and a client
// that does not retry (so that a refused call is seen once).
func throttledFake(t *testing.T, th Throttling) (*FakeDynamoDB, *fakeClock, *dynamodb.Client) {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	fake := &FakeDynamoDB{Throttling: th, now: clock.Now}
	srv := fake.Start()
	t.Cleanup(srv.Close)
	client, closeIdle := newClient(srv.URL, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	t.Cleanup(closeIdle)
	return fake, clock, client
}

// write sends keys in one call and returns the keys left unprocessed, in
// order, or the call's error.
func write(t *testing.T, client *dynamodb.Client, keys []string) ([]string, error) {
	t.Helper()
	out, err := client.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{
		RequestItems: map[string][]types.WriteRequest{"t": putRequests(keys...)},
	})
	if err != nil {
		return nil, err
	}
	var left []string
	for _, wr := range out.UnprocessedItems["t"] {
		left = append(left, wr.PutRequest.Item["id"].(*types.AttributeValueMemberS).Value)
	}
	return left, nil
}

func keyRange(from, to int) []string {
	return keys(to)[from:]
}

// TestThrottlingRandom checks that a fraction of the requests is left at
// random: about the fraction asked, not every n-th, the same for one seed.
func TestThrottlingRandom(t *testing.T) {
	run := func(seed uint64) []string {
		_, _, client := throttledFake(t, Throttling{UnprocessedFraction: 0.3, Seed: seed})
		var all []string
		for i := range 40 {
			left, err := write(t, client, keyRange(25*i, 25*i+25))
			if err != nil {
				t.Fatalf("BatchWriteItem: %v", err)
			}
			all = append(all, left...)
		}
		return all
	}
	a, b := run(1), run(1)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("left with the same seed mismatch (-want +got):\n%s", diff)
	}
	if frac := float64(len(a)) / 1000; frac < 0.25 || frac > 0.35 {
		t.Errorf("%d of 1,000 requests left, want about 300", len(a))
	}
	if c := run(2); slices.Equal(a, c) {
		t.Errorf("two seeds left the same requests: %v", c)
	}
}

// TestThrottlingCapacity checks the token bucket: full at the start, the
// excess left unprocessed or the call refused whole, refilled with time, and
// full again after Reset.
func TestThrottlingCapacity(t *testing.T) {
	th := Throttling{Capacity: 1000, Burst: 60}
	for _, tc := range []struct {
		name   string
		refuse bool
		// each call sends 25 keys after advancing the clock by after
		after    []time.Duration
		wantLeft []int // per call, -1: refused
	}{
		{name: "unprocessed", after: []time.Duration{0, 0, 0, 0, 10 * time.Millisecond, time.Second},
			wantLeft: []int{0, 0, 15, 25, 15, 0}},
		{name: "refused", refuse: true, after: []time.Duration{0, 0, 0, 10 * time.Millisecond, 5 * time.Millisecond, time.Second},
			wantLeft: []int{0, 0, -1, -1, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := th
			th.RefuseOverCapacity = tc.refuse
			fake, clock, client := throttledFake(t, th)
			var got []int
			accepted := 0
			for i, d := range tc.after {
				clock.Advance(d)
				left, err := write(t, client, keyRange(25*i, 25*i+25))
				var ae smithy.APIError
				switch {
				case err == nil:
					got = append(got, len(left))
					accepted += 25 - len(left)
				case errors.As(err, &ae) && ae.ErrorCode() == "ProvisionedThroughputExceededException":
					got = append(got, -1)
				default:
					t.Fatalf("call %d: %v", i, err)
				}
			}
			if diff := cmp.Diff(tc.wantLeft, got); diff != "" {
				t.Errorf("left per call mismatch (-want +got):\n%s", diff)
			}
			s := fake.Stats()
			s.CPU = 0 // measured, not counted
			refused := int64(0)
			for _, n := range tc.wantLeft {
				if n < 0 {
					refused++
				}
			}
			if diff := cmp.Diff(FakeStats{Calls: int64(len(tc.after)), Requests: int64(25 * len(tc.after)), Accepted: int64(accepted),
				Unprocessed: int64(25*len(tc.after) - accepted - 25*int(refused)), Throttled: refused}, s); diff != "" {
				t.Errorf("stats mismatch (-want +got):\n%s", diff)
			}
			fake.Reset()
			if left, err := write(t, client, keyRange(0, 25)); err != nil || len(left) != 0 {
				t.Errorf("after Reset: %d left, error %v; want the bucket full", len(left), err)
			}
		})
	}
}

// TestThrottlingHotKeys checks that the hot keys, and they alone, are left
// on every try for HotFor after they were first seen, and what Timeline
// counts of the others.
func TestThrottlingHotKeys(t *testing.T) {
	fake, clock, client := throttledFake(t, Throttling{HotEvery: 20, HotFor: 500 * time.Millisecond})
	// 3 hot keys and 22 others, in the order of their numbers.
	var ks, hot []string
	nHot := 0
	for _, k := range keys(1000) {
		switch {
		case isHot([]byte(`{"S":"`+k+`"}`), 20):
			nHot++
			if len(hot) < 3 {
				hot = append(hot, k)
				ks = append(ks, k)
			}
		case len(ks)-len(hot) < 22:
			ks = append(ks, k)
		}
	}
	if nHot < 30 || nHot > 70 {
		t.Fatalf("%d hot keys among 1,000, want about 50 (5%%)", nHot)
	}
	if len(ks) != 25 {
		t.Fatalf("%d keys, want 25", len(ks))
	}
	for _, step := range []struct {
		after time.Duration
		want  []string
	}{
		{0, hot},
		{100 * time.Millisecond, hot},
		{399 * time.Millisecond, hot},
		{time.Millisecond, nil},
	} {
		clock.Advance(step.after)
		left, err := write(t, client, ks)
		if err != nil {
			t.Fatalf("BatchWriteItem: %v", err)
		}
		if diff := cmp.Diff(step.want, left); diff != "" {
			t.Errorf("left mismatch (-want +got):\n%s", diff)
		}
	}
	tl := fake.Timeline()
	nonHot := int64(3 * (25 - len(hot))) // the three calls inside the window
	if diff := cmp.Diff(Timeline{
		Bucket:         50 * time.Millisecond,
		Accepted:       []int64{nonHot / 3, 0, nonHot / 3, 0, 0, 0, 0, 0, 0, nonHot / 3, 25}, // at 0, 100, 499 and 500 ms
		Total:          nonHot + 25,
		Span:           500 * time.Millisecond,
		HotKeys:        int64(len(hot)),
		NonHotWhileHot: nonHot,
		NonHotSpan:     499 * time.Millisecond,
	}, tl); diff != "" {
		t.Errorf("Timeline mismatch (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		share float64
		want  time.Duration
	}{{0, 50 * time.Millisecond}, {0.2, 50 * time.Millisecond}, {0.45, 150 * time.Millisecond}, {0.7, 500 * time.Millisecond}, {1, 550 * time.Millisecond}} {
		if got := tl.TimeTo(tc.share); got != tc.want {
			t.Errorf("TimeTo(%v) = %v, want %v", tc.share, got, tc.want)
		}
	}
}

// TestThrottleScenarios runs every contender through every scenario of
// BenchmarkThrottle with small counts and short windows, and checks that
// the endpoint accepted every item once, after the throttling it was meant
// to meet.
func TestThrottleScenarios(t *testing.T) {
	for _, sc := range []struct {
		name       string
		throttling Throttling
	}{
		{"none", Throttling{}},
		{"random", Throttling{UnprocessedFraction: 0.3, Seed: 1}},
		{"capacity unprocessed", Throttling{Capacity: 2_000, Burst: 50}},
		{"capacity refused", Throttling{Capacity: 2_000, Burst: 50, RefuseOverCapacity: true}},
		{"hot keys", Throttling{HotEvery: 20, HotFor: 20 * time.Millisecond}},
	} {
		for _, tc := range throttleContenders {
			if tc.c.serial && sc.throttling != (Throttling{}) && sc.throttling.Capacity == 0 {
				// guregu waits from 500 ms: only where it is not throttled
				// (capacity: it is serial, and stays under it).
				continue
			}
			t.Run(fmt.Sprintf("%s/inflight=%d/%s", sc.name, tc.inFlight, tc.c.name), func(t *testing.T) {
				const n = 300
				fake := &FakeDynamoDB{Throttling: sc.throttling}
				srv := fake.Start()
				defer srv.Close()
				client, closeIdle := newClient(srv.URL)
				defer closeIdle()
				if _, err := tc.c.run(context.Background(), client, "bench", makeItems(n), tc.inFlight, false); err != nil {
					t.Fatalf("run: %v", err)
				}
				tl := fake.Timeline()
				s := fake.Stats()
				if tl.Total != n || s.Accepted != n {
					t.Errorf("accepted %d (timeline %d), want %d", s.Accepted, tl.Total, n)
				}
				if s.Errors != 0 {
					t.Errorf("%d calls refused; first: %s", s.Errors, s.FirstError)
				}
				th := sc.throttling
				switch {
				case th.RefuseOverCapacity && s.Throttled == 0:
					t.Errorf("no call refused over capacity")
				case th != (Throttling{}) && !th.RefuseOverCapacity && s.Unprocessed == 0:
					t.Errorf("no request left unprocessed")
				case th.HotEvery > 0 && tl.HotKeys == 0:
					t.Errorf("no hot key seen")
				}
			})
		}
	}
}
