package batch

import (
	"container/heap"
	"math/rand/v2"
	"testing"
	"time"
)

// rateSim drives a rateControl with simulated writers and a simulated
// backend, on a simulated clock: deterministic, and no time passes.
type rateSim struct {
	writers  int           // calls in flight at once
	batch    int           // items per call
	latency  time.Duration // of one call
	capacity float64       // items/s the backend takes; 0: no limit
	burst    float64       // items the backend's bucket holds
	refuse   func(rng *rand.Rand) bool
	whole    bool // over capacity, the call is refused whole (a Throttle error)
	duration time.Duration
}

type rateSimResult struct {
	sent, accepted, calls int
	finalRate             float64 // 0: not limited
}

// simEvent is a writer becoming free (arrive false), or its call reaching
// the backend (arrive true), at a time.
type simEvent struct {
	at     time.Time
	arrive bool
	cuts   int // the rate control's cuts when the call booked its turn
	waited bool
}

type simEvents []simEvent

func (h simEvents) Len() int           { return len(h) }
func (h simEvents) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h simEvents) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *simEvents) Push(x any)        { *h = append(*h, x.(simEvent)) }
func (h *simEvents) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// clockAt returns a clock stopped at t, for rateControl.reserve.
func clockAt(t time.Time) func() time.Time { return func() time.Time { return t } }

// run simulates the writers in time order: a free writer reserves its call,
// the call reaches the backend when its wait is over, and the writer is free
// again, having told the rate control, once the call's latency has passed.
func (s rateSim) run() rateSimResult {
	rng := rand.New(rand.NewPCG(1, 2))
	r := newRateControl(s.batch)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := t0.Add(s.duration)
	tokens, last := s.burst, t0
	var res rateSimResult
	var ev simEvents
	for range s.writers {
		heap.Push(&ev, simEvent{at: t0})
	}
	// A call's result is told when its writer is free again.
	type result struct {
		start             time.Time
		bounced, accepted int
	}
	pending := map[time.Time][]result{}
	for {
		e := heap.Pop(&ev).(simEvent)
		if e.at.After(end) {
			break
		}
		if !e.arrive {
			for _, c := range pending[e.at] {
				r.observe(call{start: c.start, end: e.at, items: s.batch, written: c.accepted, fresh: s.batch, freshOut: c.bounced})
			}
			delete(pending, e.at)
			wait, cuts := r.reserve(s.batch, clockAt(e.at))
			heap.Push(&ev, simEvent{at: e.at.Add(wait), arrive: true, cuts: cuts, waited: wait > 0})
			continue
		}
		if e.waited && r.stale(e.cuts) { // as the writer does: book again
			wait, cuts := r.reserve(s.batch, clockAt(e.at))
			heap.Push(&ev, simEvent{at: e.at.Add(wait), arrive: true, cuts: cuts, waited: wait > 0})
			continue
		}
		if s.capacity > 0 {
			tokens = min(s.burst, tokens+e.at.Sub(last).Seconds()*s.capacity)
			last = e.at
		}
		accepted := 0
		for range s.batch {
			if s.refuse == nil || !s.refuse(rng) {
				accepted++
			}
		}
		if s.capacity > 0 {
			if s.whole && tokens < float64(accepted) {
				accepted = 0
			}
			accepted = min(accepted, int(tokens))
			tokens -= float64(accepted)
		}
		done := e.at.Add(s.latency)
		pending[done] = append(pending[done], result{start: e.at, bounced: s.batch - accepted, accepted: accepted})
		res.sent += s.batch
		res.accepted += accepted
		res.calls++
		heap.Push(&ev, simEvent{at: done})
	}
	res.finalRate = r.current(end)
	return res
}

// TestRateControl runs the rate control against simulated backends: it must
// sustain a capacity-limited backend at nearly its capacity with few items
// throttled, and must not slow down for throttling that a lower rate does
// not reduce (hot keys, a share of every call refused).
func TestRateControl(t *testing.T) {
	const writers, batch, latency, dur = 16, 25, 5 * time.Millisecond, 5 * time.Second
	open := float64(writers*batch) / latency.Seconds() // items/s with no limit: 80,000, but where a case says otherwise
	share := func(p float64) func(*rand.Rand) bool {
		return func(rng *rand.Rand) bool { return rng.Float64() < p }
	}
	for _, tc := range []struct {
		name        string
		sim         rateSim
		minAccepted float64 // items/s accepted, at least
		maxBounced  float64 // share of the items sent that were throttled, at most
	}{
		{name: "never throttled", sim: rateSim{}, minAccepted: open},
		{name: "capacity, unprocessed", sim: rateSim{capacity: 20_000, burst: 5_000}, minAccepted: 0.95 * 20_000, maxBounced: 0.09},
		{name: "capacity, refused whole", sim: rateSim{capacity: 20_000, burst: 5_000, whole: true}, minAccepted: 0.95 * 20_000, maxBounced: 0.09},
		{name: "capacity, small burst", sim: rateSim{capacity: 20_000, burst: 500}, minAccepted: 0.9 * 20_000, maxBounced: 0.09},
		{name: "capacity, 4 writers, 10ms calls", sim: rateSim{writers: 4, latency: 10 * time.Millisecond, capacity: 5_000, burst: 1_250}, minAccepted: 0.95 * 5_000, maxBounced: 0.09},
		// A known weakness: at a few calls a second, the share of items
		// throttled is learnt slowly in time, and the rate overshoots
		// between cuts, so most calls bounce. The backend is still used,
		// and nothing is lost. See docs/reliability.md.
		{name: "capacity of 4 calls a second", sim: rateSim{capacity: 100, burst: 100}, minAccepted: 0.3 * 100, maxBounced: 0.85},
		{name: "hot keys, 5% refused at any rate", sim: rateSim{refuse: share(0.05)}, minAccepted: 0.95 * 0.95 * open, maxBounced: 1},
		{name: "10% refused at any rate", sim: rateSim{refuse: share(0.10)}, minAccepted: 0.85 * 0.9 * open, maxBounced: 1},
		{name: "30% refused at any rate", sim: rateSim{refuse: share(0.30)}, minAccepted: 0.85 * 0.7 * open, maxBounced: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := tc.sim
			sim.batch, sim.duration = batch, dur
			if sim.writers == 0 {
				sim.writers, sim.latency = writers, latency
			}
			res := sim.run()
			accepted := float64(res.accepted) / dur.Seconds()
			bounced := float64(res.sent-res.accepted) / float64(res.sent)
			t.Logf("accepted %.0f items/s, %.1f%% of items throttled, %.3f calls per %d items, final rate %.0f",
				accepted, 100*bounced, float64(res.calls)*batch/float64(res.accepted), batch, res.finalRate)
			if accepted < tc.minAccepted {
				t.Errorf("accepted %.0f items/s, want at least %.0f", accepted, tc.minAccepted)
			}
			if tc.maxBounced > 0 && bounced > tc.maxBounced {
				t.Errorf("%.1f%% of items throttled, want at most %.1f%%", 100*bounced, 100*tc.maxBounced)
			}
		})
	}
}

// TestCutAfterSuddenThrottleIsJudged drives a rateControl through a backend
// that takes everything, then suddenly leaves most of a call unprocessed
// (as when its burst capacity runs out), then takes everything sent at the
// lower rate: the cut helped, and is kept. The moving share, which lags such
// a change, must not make the cut look useless: that went deeper, then
// undid both cuts and left the rate unlimited, at the capacity's mercy.
func TestCutAfterSuddenThrottleIsJudged(t *testing.T) {
	const wantShareAbove = 0.1
	for _, tc := range []struct {
		name string
		out  int // items of 25 left unprocessed by the call that cuts
	}{
		{name: "most of a call", out: 20},
		{name: "more than half a call", out: 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const items = 25
			r := newRateControl(items)
			t0 := time.Unix(1_000_000, 0)
			at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
			ms := 0
			send := func(out int) {
				r.observe(call{start: at(ms), end: at(ms + 5), items: items, written: items - out, fresh: items, freshOut: out})
				ms += 10
			}
			for range 20 {
				send(0)
			}
			send(tc.out)
			if !r.limited || r.cuts != 1 {
				t.Fatalf("after the throttled call: limited %v, cuts %d; want a first cut", r.limited, r.cuts)
			}
			if r.shareAtCut <= wantShareAbove {
				t.Errorf("share at the cut %.3f, want above %.2f: the call that cut left %d of %d unprocessed", r.shareAtCut, wantShareAbove, tc.out, items)
			}
			for range 20 {
				send(0)
			}
			if r.judging || !r.limited || r.cuts != 1 {
				t.Errorf("after calls all taken at the lower rate: judging %v, limited %v, cuts %d; want the cut judged as helping, kept, and no other", r.judging, r.limited, r.cuts)
			}
		})
	}
}
