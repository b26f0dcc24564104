package batch

import (
	"container/heap"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// fleetSim drives a fleet of rate controls, one per simulated dispatcher,
// that share nothing but one simulated backend: a token bucket of items per
// second. Each member has its own writers and its own items, retries what
// comes back with the default backoff's waits, and starts and stops at its
// own time. Everything runs on a simulated clock, from a seed:
// deterministic, and no time passes.
type fleetSim struct {
	members  []fleetMember
	writers  int           // calls in flight at once, per member
	batch    int           // items per call
	latency  time.Duration // of one call, ±jitter
	jitter   time.Duration
	capacity float64 // items/s the backend takes
	burst    float64 // items its bucket holds
	whole    bool    // over capacity, the call is refused whole (a Throttle error)
	// refusedLatency, if positive, is how long a call refused whole takes
	// (a refusal comes back sooner than a call that is taken).
	refusedLatency time.Duration
	// buffered, if positive, bounds a member's items accepted but not yet
	// written, those waiting for a retry included, as Config.MaxBuffered
	// does: while it is full, no fresh item comes in.
	buffered int
	duration time.Duration
	bucket   time.Duration // width of the timeline's buckets
	seed     uint64
}

// fleetMember is one dispatcher: it writes from start to stop (0: to the
// end of the run).
type fleetMember struct {
	start, stop time.Duration
}

// fleetTimeline is what each member got accepted, and how many calls it
// made, in each bucket of time since the start.
type fleetTimeline struct {
	bucket   time.Duration
	accepted [][]int // [member][bucket]
	calls    [][]int
	limits   [][]float64 // the member's rate limit at the end of each bucket (0: none)
}

type fleetEventKind int

const (
	fleetFree   fleetEventKind = iota // a writer is free
	fleetArrive                       // its call reaches the backend
	fleetDone                         // its answer is back
)

// fleetEvent is something that happens to a writer of a member at a time.
type fleetEvent struct {
	at     time.Time
	seq    int // ties: in the order they were made
	kind   fleetEventKind
	member int
	// The call: its items, of which fresh went for the first time, and
	// for retries, the attempt they are at.
	groups    []retryGroup
	cuts      int
	waited    bool
	start     time.Time
	accepted  int
	bounced   []retryGroup
	freshOut  int
	itemCount int
}

// retryGroup is a number of a member's items at the same attempt (0: never
// sent), due to be sent at a time.
type retryGroup struct {
	n       int
	attempt int
	due     time.Time
}

type fleetEvents []fleetEvent

func (h fleetEvents) Len() int { return len(h) }
func (h fleetEvents) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h fleetEvents) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *fleetEvents) Push(x any)   { *h = append(*h, x.(fleetEvent)) }
func (h *fleetEvents) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// run simulates the fleet in time order.
func (s fleetSim) run() fleetTimeline {
	rng := rand.New(rand.NewPCG(s.seed, s.seed^0x9e3779b97f4a7c15))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := t0.Add(s.duration)
	nb := int(s.duration / s.bucket)
	tl := fleetTimeline{bucket: s.bucket}
	rcs := make([]*rateControl, len(s.members))
	retries := make([][]retryGroup, len(s.members))
	outstanding := make([]int, len(s.members)) // items taken, not yet written
	for m := range s.members {
		rcs[m] = newRateControl(s.batch)
		tl.accepted = append(tl.accepted, make([]int, nb))
		tl.calls = append(tl.calls, make([]int, nb))
		tl.limits = append(tl.limits, make([]float64, nb))
	}
	tokens, last := s.burst, t0
	var ev fleetEvents
	seq := 0
	push := func(e fleetEvent) {
		seq++
		e.seq = seq
		heap.Push(&ev, e)
	}
	for m, mb := range s.members {
		for range s.writers {
			push(fleetEvent{at: t0.Add(mb.start), kind: fleetFree, member: m})
		}
	}
	latency := func() time.Duration {
		if s.jitter == 0 {
			return s.latency
		}
		return s.latency - s.jitter + time.Duration(rng.Int64N(int64(2*s.jitter)+1))
	}
	// backoff returns the default backoff's wait before retry attempt a
	// (1: the first): 50 ms doubling, randomized by half, at most 5 s.
	backoff := func(a int) time.Duration {
		d := min(50*time.Millisecond<<(a-1), 5*time.Second)
		return time.Duration(float64(d) * (0.5 + rng.Float64()))
	}
	// take cuts the next call of member m at now: due retries first, then
	// fresh items (a member always has more).
	take := func(m int, now time.Time) []retryGroup {
		var call []retryGroup
		n := 0
		rs := retries[m]
		for i := 0; i < len(rs) && n < s.batch; {
			g := &rs[i]
			if g.due.After(now) {
				i++
				continue
			}
			k := min(g.n, s.batch-n)
			call = append(call, retryGroup{n: k, attempt: g.attempt})
			n += k
			g.n -= k
			if g.n == 0 {
				rs = append(rs[:i], rs[i+1:]...)
				continue
			}
			i++
		}
		retries[m] = rs
		fresh := s.batch - n
		if s.buffered > 0 {
			fresh = max(0, min(fresh, s.buffered-outstanding[m]))
		}
		if fresh > 0 {
			call = append(call, retryGroup{n: fresh})
			outstanding[m] += fresh
		}
		return call
	}
	sample := 0 // the next bucket whose limits are not sampled yet
	for ev.Len() > 0 {
		e := heap.Pop(&ev).(fleetEvent)
		if e.at.After(end) {
			break
		}
		for ; sample < nb && !t0.Add(time.Duration(sample+1)*s.bucket).After(e.at); sample++ {
			for m := range rcs {
				tl.limits[m][sample] = rcs[m].current(t0.Add(time.Duration(sample+1) * s.bucket))
			}
		}
		m, r := e.member, rcs[e.member]
		switch e.kind {
		case fleetDone:
			c := call{start: e.start, end: e.at, items: e.itemCount, written: e.accepted, freshOut: e.freshOut}
			for _, g := range e.groups {
				if g.attempt == 0 {
					c.fresh += g.n
				}
			}
			if s.whole && e.accepted == 0 {
				// Refused whole: every item counts, as the writer counts them.
				c.fresh, c.freshOut = e.itemCount, e.itemCount
			}
			r.observe(c)
			for _, g := range e.bounced {
				g.due = e.at.Add(backoff(g.attempt))
				retries[m] = append(retries[m], g)
			}
			e.kind = fleetFree
			fallthrough
		case fleetFree:
			if stop := s.members[m].stop; stop > 0 && !e.at.Before(t0.Add(stop)) {
				continue // the member has stopped: its writer ends
			}
			groups := take(m, e.at)
			if len(groups) == 0 {
				// Nothing to send: the writer waits for a retry or room.
				push(fleetEvent{at: e.at.Add(time.Millisecond), kind: fleetFree, member: m})
				continue
			}
			wait, cuts := r.reserve(s.batch, clockAt(e.at))
			push(fleetEvent{at: e.at.Add(wait), kind: fleetArrive, member: m, groups: groups, cuts: cuts, waited: wait > 0})
		case fleetArrive:
			if e.waited && r.stale(e.cuts) { // as the writer does: book again
				wait, cuts := r.reserve(s.batch, clockAt(e.at))
				e.cuts, e.waited, e.at = cuts, wait > 0, e.at.Add(wait)
				push(e)
				continue
			}
			tokens = min(s.burst, tokens+e.at.Sub(last).Seconds()*s.capacity)
			last = e.at
			n := 0
			for _, g := range e.groups {
				n += g.n
			}
			accepted := min(n, int(tokens))
			if s.whole && accepted < n {
				accepted = 0
			}
			tokens -= float64(accepted)
			outstanding[m] -= accepted
			// The items left are the last ones of the call.
			var bounced []retryGroup
			freshOut, keep := 0, accepted
			for _, g := range e.groups {
				k := min(g.n, keep)
				keep -= k
				if out := g.n - k; out > 0 {
					bounced = append(bounced, retryGroup{n: out, attempt: g.attempt + 1})
					if g.attempt == 0 {
						freshOut += out
					}
				}
			}
			b := int(e.at.Sub(t0) / s.bucket)
			tl.accepted[m][b] += accepted
			tl.calls[m][b]++
			lat := latency()
			if s.whole && accepted == 0 && s.refusedLatency > 0 {
				lat = s.refusedLatency
			}
			push(fleetEvent{
				at: e.at.Add(lat), kind: fleetDone, member: m, groups: e.groups,
				start: e.at, accepted: accepted, bounced: bounced, freshOut: freshOut, itemCount: n,
			})
		}
	}
	return tl
}

// rate returns member m's accepted items per second over [from, to).
func (tl fleetTimeline) rate(m int, from, to time.Duration) float64 {
	a, b := int(from/tl.bucket), int(to/tl.bucket)
	n := 0
	for _, v := range tl.accepted[m][a:b] {
		n += v
	}
	return float64(n) / (to - from).Seconds()
}

// callsPer returns member m's calls over [from, to) per batch items
// accepted.
func (tl fleetTimeline) callsPer(batch int, members []int, from, to time.Duration) float64 {
	a, b := int(from/tl.bucket), int(to/tl.bucket)
	calls, acc := 0, 0
	for _, m := range members {
		for i := a; i < b; i++ {
			calls += tl.calls[m][i]
			acc += tl.accepted[m][i]
		}
	}
	return float64(calls) * float64(batch) / float64(max(acc, 1))
}

// jain returns Jain's fairness index of xs: 1 when all are equal, 1/n when
// one takes everything.
func jain(xs []float64) float64 {
	var sum, sq float64
	for _, x := range xs {
		sum += x
		sq += x * x
	}
	if sq == 0 {
		return 0
	}
	return sum * sum / (float64(len(xs)) * sq)
}

// fleetFigures are the figures of a fleet that goals are set on.
type fleetFigures struct {
	share    float64 // of the capacity, all members together
	jain     float64 // of the members' rates
	calls25  float64 // calls per 25 items accepted
	joiner   float64 // the late joiner's rate over its fair share, 2 s after it joined
	survivor float64 // the one left's rate over the capacity, 1.5 s after the others left
	min, max float64 // the lowest and highest member's rate
}

const (
	fleetK        = 8
	fleetCapacity = 20_000.0
	fleetJoinAt   = 3 * time.Second
	fleetLeaveAt  = 3 * time.Second
	fleetJoinBy   = 2 * time.Second         // the joiner's share is measured this long after it joined
	fleetLeaveBy  = 1500 * time.Millisecond // the survivor's, this long after the others left
	fleetWindow   = 250 * time.Millisecond  // over the window that ends then
)

// fleetRun runs the three scenarios of a fleet of fleetK on one seed, and
// returns their figures: the steady state (share, Jain's index, calls per
// 25, lowest and highest rate, over seconds 2 to 8 of 8 members), a ninth
// that joins at fleetJoinAt, and the one left when the seven others stop at
// fleetLeaveAt.
func fleetRun(base fleetSim, seed uint64) fleetFigures {
	var f fleetFigures
	base.seed = seed

	steady := base
	steady.duration = 8 * time.Second
	steady.members = make([]fleetMember, fleetK)
	tl := steady.run()
	from, to := 2*time.Second, steady.duration
	var rates []float64
	all := make([]int, fleetK)
	for m := range fleetK {
		rates = append(rates, tl.rate(m, from, to))
		all[m] = m
	}
	f.min, f.max = rates[0], rates[0]
	for _, r := range rates {
		f.share += r / base.capacity
		f.min, f.max = min(f.min, r), max(f.max, r)
	}
	f.jain = jain(rates)
	f.calls25 = tl.callsPer(base.batch, all, from, to)

	join := base
	join.duration = fleetJoinAt + fleetJoinBy + time.Second
	join.members = append(make([]fleetMember, fleetK), fleetMember{start: fleetJoinAt})
	tl = join.run()
	at := fleetJoinAt + fleetJoinBy
	f.joiner = tl.rate(fleetK, at-fleetWindow, at) / (base.capacity / (fleetK + 1))

	leave := base
	leave.duration = fleetLeaveAt + fleetLeaveBy + time.Second
	leave.members = make([]fleetMember, fleetK)
	for m := 1; m < fleetK; m++ {
		leave.members[m].stop = fleetLeaveAt
	}
	tl = leave.run()
	at = fleetLeaveAt + fleetLeaveBy
	f.survivor = tl.rate(0, at-fleetWindow, at) / base.capacity
	return f
}

// TestFleetSharesCapacity runs fleets of fleetK dispatchers, each with its
// own rate control and nothing shared but the backend, on a simulated clock,
// on ten seeds, and judges the median of each figure, as the benchmark
// does: together they must hold the backend's capacity, share it fairly,
// not flood it with calls that bounce, make room for a ninth that joins,
// and let the one left take the capacity when the others stop.
func TestFleetSharesCapacity(t *testing.T) {
	for _, tc := range []struct {
		name           string
		whole          bool
		refusedLatency time.Duration
	}{
		{name: "unprocessed"},
		{name: "refused whole", whole: true},
		{name: "refused whole, refusals back in 1ms", whole: true, refusedLatency: time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := fleetSim{
				writers: 4, batch: 25, latency: 5 * time.Millisecond, jitter: 2 * time.Millisecond,
				capacity: fleetCapacity, burst: fleetCapacity / 4, whole: tc.whole, refusedLatency: tc.refusedLatency, buffered: 1_000,
				bucket: 50 * time.Millisecond,
			}
			var fs []fleetFigures
			for seed := uint64(1); seed <= 10; seed++ {
				f := fleetRun(sim, seed)
				t.Logf("seed %2d: share %.3f, Jain %.3f (%.0f to %.0f items/s), %.3f calls/25, joiner %.2f of its fair share, survivor %.2f of the capacity",
					seed, f.share, f.jain, f.min, f.max, f.calls25, f.joiner, f.survivor)
				fs = append(fs, f)
			}
			med := func(get func(fleetFigures) float64) float64 {
				xs := make([]float64, len(fs))
				for i, f := range fs {
					xs[i] = get(f)
				}
				slices.Sort(xs)
				return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
			}
			for _, g := range []struct {
				name     string
				get      func(fleetFigures) float64
				min, max float64
			}{
				{name: "share of the capacity", get: func(f fleetFigures) float64 { return f.share }, min: 0.95},
				{name: "Jain's index", get: func(f fleetFigures) float64 { return f.jain }, min: 0.95},
				{name: "calls per 25 items", get: func(f fleetFigures) float64 { return f.calls25 }, max: 1.15},
				{name: "joiner's share of its fair share after 2 s", get: func(f fleetFigures) float64 { return f.joiner }, min: 0.7},
				{name: "survivor's share of the capacity after 1.5 s", get: func(f fleetFigures) float64 { return f.survivor }, min: 0.8},
			} {
				m := med(g.get)
				t.Logf("median %s: %.3f", g.name, m)
				if g.min > 0 && m < g.min {
					t.Errorf("median %s %.3f, want at least %.2f", g.name, m, g.min)
				}
				if g.max > 0 && m > g.max {
					t.Errorf("median %s %.3f, want at most %.2f", g.name, m, g.max)
				}
			}
		})
	}
}

// sustained returns what a single member's timeline shows of a run against
// a capacity, as BenchmarkThrottle measures it: the share of the capacity
// sustained ((accepted - burst) / duration / capacity), calls per batch
// items, and the longest time the backend accepted less than low of its
// capacity, from the first bucket at low or more on (after the first cut).
func (tl fleetTimeline) sustained(s fleetSim, low float64) (share, calls float64, longest time.Duration) {
	acc := 0
	for _, v := range tl.accepted[0] {
		acc += v
	}
	share = (float64(acc) - s.burst) / s.duration.Seconds() / s.capacity
	calls = tl.callsPer(s.batch, []int{0}, 0, s.duration)
	perBucket := low * s.capacity * tl.bucket.Seconds()
	started, run := false, time.Duration(0)
	for _, v := range tl.accepted[0] {
		if float64(v) >= perBucket {
			started, run = true, 0
			continue
		}
		if started {
			run += tl.bucket
			longest = max(longest, run)
		}
	}
	return share, calls, longest
}

// TestRateControlSustainsCapacity runs one rate control at 4 and 16
// writers against a capacity, its excess left unprocessed or the call
// refused whole, on a simulated clock, on ten seeds: every seed must keep
// the capacity busy (not only the median), with few calls that bounce, and
// no cut may leave the rate far below the capacity for long.
func TestRateControlSustainsCapacity(t *testing.T) {
	const (
		minShare   = 0.95
		maxCalls   = 1.1
		low        = 0.7
		maxLowTime = 200 * time.Millisecond
	)
	for _, tc := range []struct {
		name            string
		writers         int
		latency, jitter time.Duration
		whole           bool
		refusedLatency  time.Duration
	}{
		{name: "4 writers, unprocessed", writers: 4, latency: 2 * time.Millisecond, jitter: time.Millisecond},
		{name: "16 writers, unprocessed", writers: 16, latency: 5 * time.Millisecond, jitter: 2 * time.Millisecond},
		{name: "4 writers, refused whole", writers: 4, latency: 2 * time.Millisecond, jitter: time.Millisecond, whole: true},
		{name: "16 writers, refused whole", writers: 16, latency: 5 * time.Millisecond, jitter: 2 * time.Millisecond, whole: true},
		{name: "16 writers, refused whole, refusals back in 1ms", writers: 16, latency: 5 * time.Millisecond, jitter: 2 * time.Millisecond, whole: true, refusedLatency: time.Millisecond},
		{name: "16 writers, unprocessed, calls of 1 to 15ms", writers: 16, latency: 8 * time.Millisecond, jitter: 7 * time.Millisecond},
		{name: "16 writers, refused whole, calls of 1 to 15ms", writers: 16, latency: 8 * time.Millisecond, jitter: 7 * time.Millisecond, whole: true},
		{name: "16 writers, unprocessed, calls of 0.5 to 3.5ms", writers: 16, latency: 2 * time.Millisecond, jitter: 1500 * time.Microsecond},
		{name: "16 writers, refused whole, calls of 0.5 to 3.5ms", writers: 16, latency: 2 * time.Millisecond, jitter: 1500 * time.Microsecond, whole: true},
		{name: "16 writers, refused whole, calls of 0.5 to 3.5ms, refusals back in 0.2ms", writers: 16, latency: 2 * time.Millisecond, jitter: 1500 * time.Microsecond, whole: true, refusedLatency: 200 * time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 10; seed++ {
				sim := fleetSim{
					members: []fleetMember{{}},
					writers: tc.writers, batch: 25, latency: tc.latency, jitter: tc.jitter,
					capacity: 20_000, burst: 5_000, whole: tc.whole, refusedLatency: tc.refusedLatency, buffered: 1_000,
					duration: 4 * time.Second, bucket: 50 * time.Millisecond, seed: seed,
				}
				share, calls, longest := sim.run().sustained(sim, low)
				t.Logf("seed %2d: %.3f of the capacity sustained, %.3f calls/25, longest below %.1f of it %v", seed, share, calls, low, longest)
				if share < minShare {
					t.Errorf("seed %d: %.3f of the capacity sustained, want at least %.2f", seed, share, minShare)
				}
				if calls > maxCalls {
					t.Errorf("seed %d: %.3f calls per 25 items, want at most %.2f", seed, calls, maxCalls)
				}
				if longest > maxLowTime {
					t.Errorf("seed %d: below %.1f of the capacity for %v, want at most %v", seed, low, longest, maxLowTime)
				}
			}
		})
	}
}
