package batch

import (
	"math"
	"sync"
	"time"
)

// rateControl keeps the dispatcher's send rate to what the backend takes,
// and, when several dispatchers that share nothing write to one backend (a
// fleet), to a fair share of it.
//
// Until the backend first pushes back, nothing is limited and no call
// waits. A throttle signal (items the backend left unprocessed as throttled,
// or a call refused with a Throttle error) is a signal for every writer: the
// rate, in items per second, is cut to beta times the rate at which the
// backend pushed back: the limit in force, or before any, the rate it was
// seen to accept of late (multiplicative decrease), and grows back to it in
// a time K along a cubic curve, fast at first and slowly near it, then probes
// past it along the same curve, slowly at first and faster the longer the
// backend takes it (as TCP CUBIC does): a dispatcher left alone by the
// others takes the capacity they leave within a second or so. Each call
// reserves its items before it goes (a generic cell rate algorithm, with a
// burst of burstTime), so the writers together keep to the rate; a turn is
// booked at most rateMaxWait ahead, so that a rate that grows meanwhile
// shortens the wait.
//
// A cut is made when the items sent for the first time that were throttled
// exceed the share cutShare of those sent by rateCutItems batches (a CUSUM
// of the excess, never below zero). The excess grows with the items a
// dispatcher sends: in a fleet, where every member sees the same throttled
// share, the members that send the most cut first and most often, and those
// that send little keep growing, so that the members' rates converge (a
// share test would cut all of them at once, and keep their differences).
//
// Not every item left to retry means the backend is over its capacity: a
// hot key is throttled whatever the rate, and a backend may refuse a share
// of every call. That share is the floor, and only a throttled share above
// it counts. A cut is judged after rateJudge: if the share did not fall,
// the rate is cut once more, to below what the backend accepts now, and if
// it still did not fall, the backend refuses that share whatever the rate:
// the rate goes back to where it was before the first cut and the share
// becomes the floor. A fleet can make a share look like that (the others
// keep the backend over its capacity while one member cuts), so the floor
// is lowered again when one of the last rateWindows windows of
// rateWindowItems fresh items shows a share clearly below it. While a cut
// is judged, the rate is cut again at once if the backend still takes less
// than half of what is sent: then the rate is far above the backend's
// capacity (as at the start of a run, when the backend's burst capacity
// runs out, or when a dispatcher joins a fleet), and what it accepts is its
// capacity. That is measured from the first cut of the run on, over all
// the calls since (farRate): the calls of a few milliseconds are too few
// to measure it by, and a rate cut on them to half the capacity takes a
// second to grow back.
type rateControl struct {
	mu sync.Mutex

	minRate float64 // items/s: never below one full batch per second

	limited bool
	wMax    float64   // the rate at which the backend last pushed back
	cutAt   time.Time // when the rate was last cut
	cuts    int       // how many cuts so far
	tat     time.Time // when the next reservation would be due at the rate
	tatRate float64   // the rate of the last reservation

	// The rate the backend accepted of late: a leaky sum of the items
	// written, with time constant rateWindow.
	leaky     float64
	leakyAt   time.Time
	leakyFrom time.Time // the start of the first call
	// callTime is a moving average of how long a call takes.
	callTime time.Duration
	calls    int // calls seen

	// While a cut is judged: the calls the backend saw alone since.
	items    int // items sent
	written  int
	fresh    int // items sent for the first time
	freshOut int // of those, how many were throttled

	// share is a moving average of the throttled share of the items sent
	// for the first time. Items sent again are left out: a hot key's
	// retries, throttled again and again, say nothing of the rate.
	share float64
	floor float64 // the share that a lower rate does not reduce
	// excess sums the fresh items throttled beyond cutShare of those
	// sent, never below zero (a CUSUM): a cut is made when it reaches
	// rateCutItems batches.
	excess float64
	// The throttled shares of the last rateWindows windows of
	// rateWindowItems fresh items, and the window being filled.
	wins             [rateWindows]float64
	nwin             int
	winFresh, winOut int

	judging     bool    // a cut is being judged
	deeper      bool    // the cut was made deeper once already
	shareAtCut  float64 // the share that caused it
	prevLimited bool    // what to go back to if it did not help
	prevRate    float64 // the rate in force before the first cut
	// What the backend took of the calls that started a call's time after
	// the first cut or later: far above its capacity, the rate it takes
	// (the backend is busy all along, whatever the cuts made since).
	farFrom    time.Time
	farWritten int
	farBusy    time.Duration // how long the calls counted were under way
	farEnd     time.Time     // the last end of one
	farSpells  int           // the spells of such time, between idle ones
	rough      bool          // the last cut was to farRate on too few calls
}

const (
	rateBeta        = 0.8                    // the rate after a cut, as a share of wMax
	rateC           = 1111                   // batches/s per s³: the cubic's scale (K of 260 ms at 100 batches/s)
	rateKMin        = 0.1                    // seconds: the shortest K
	rateKMax        = 1.0                    // seconds: the longest K
	rateCutShare    = 0.05                   // throttled share above the floor that cuts
	rateJudge       = 50 * time.Millisecond  // how long a cut holds before it is judged, at least
	rateJudgeCalls  = 8                      // and how many full calls' worth of items it is judged on
	rateWindow      = 50 * time.Millisecond  // what "of late" means for the accepted rate
	rateAlpha       = 1.0 / 512              // weight of one item in the moving share
	burstTime       = 50 * time.Millisecond  // the burst a limited rate allows
	rateUnlimit     = 16                     // a rate grown to this many times wMax is no limit
	rateCutItems    = 0.5                    // batches of excess throttled items that cut
	rateWindowItems = 200                    // fresh items in a window of the floor
	rateWindows     = 16                     // windows the floor is the lowest share of
	rateMaxWait     = 100 * time.Millisecond // the longest wait booked at once
	rateJudgeMax    = 500 * time.Millisecond // a cut not judged by then is kept
	rateFirstCalls  = 8                      // calls seen before the first cut
	rateFarItems    = 4                      // batches sent after a cut before it is judged far above
	rateFarWritten  = 8                      // batches written that measure what the backend takes, far above
)

func newRateControl(batchItems int) *rateControl {
	return &rateControl{minRate: float64(batchItems)}
}

// reserve books n items to be sent now, as clock tells it, and returns how
// long the call must wait for its turn (0 while the rate is not limited),
// and the number of the last cut, for stale. A turn more than rateMaxWait
// away is not booked: reserve returns rateMaxWait and -1, which stale
// reports as stale, so that the call asks again then. The clock is read
// only while the rate is limited.
func (r *rateControl) reserve(n int, clock func() time.Time) (time.Duration, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.limited {
		return 0, r.cuts
	}
	now := clock()
	rate := r.rateAt(now)
	if rate >= rateUnlimit*r.wMax {
		r.limited = false
		return 0, r.cuts
	}
	switch {
	case r.tat.Before(now):
		r.tat = now
	case rate > r.tatRate:
		// The calls booked ahead were booked at a lower rate: at this one,
		// they are due sooner.
		r.tat = now.Add(time.Duration(float64(r.tat.Sub(now)) * r.tatRate / rate))
	}
	r.tatRate = rate
	wait := r.tat.Sub(now) - burstTime
	if wait > rateMaxWait {
		// Not booked: the rate may grow meanwhile, and a long wait
		// booked now would not shorten with it. Ask again then.
		return rateMaxWait, -1
	}
	r.tat = r.tat.Add(time.Duration(float64(n) / rate * float64(time.Second)))
	return max(wait, 0), r.cuts
}

// stale reports whether the rate was cut since a reservation that returned
// cuts: a call that waited for its turn books again at the new rate.
func (r *rateControl) stale(cuts int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cuts != cuts
}

// k returns the time to grow back to wMax: longer the higher wMax, as TCP
// CUBIC's K is (the cube root of wMax*(1-beta)/rateC, wMax in batches per
// second), between rateKMin and rateKMax. A member of a fleet that sends
// less grows back sooner, in proportion, than one that sends more, so that
// their rates converge.
func (r *rateControl) k() time.Duration {
	k := math.Cbrt(r.wMax / r.minRate * (1 - rateBeta) / rateC)
	return time.Duration(min(max(k, rateKMin), rateKMax) * float64(time.Second))
}

// rateAt returns the limited rate at t: beta*wMax at the last cut, back to
// wMax after k() along a concave cubic (fast at first, slowly near wMax),
// then on along the convex half of the same cubic (slowly at first, then
// faster), as TCP CUBIC does.
func (r *rateControl) rateAt(t time.Time) float64 {
	x := t.Sub(r.cutAt).Seconds()/r.k().Seconds() - 1
	return max(r.minRate, r.wMax*(1+(1-rateBeta)*x*x*x))
}

// call is what the rate control learns of one call.
type call struct {
	start, end time.Time
	items      int // items sent
	written    int // how many were confirmed
	fresh      int // of the items sent, how many went for the first time
	freshOut   int // of those, how many were throttled
}

// observe takes what became of a call.
func (r *rateControl) observe(c call) {
	start, now := c.start, c.end
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.leakyFrom.IsZero() {
		r.leakyFrom, r.leakyAt = start, start
	}
	if dt := now.Sub(r.leakyAt); dt > 0 {
		r.leaky *= math.Exp(-dt.Seconds() / rateWindow.Seconds())
		r.leakyAt = now
	}
	r.leaky += float64(c.written)
	r.calls++
	if d := now.Sub(start); c.written == 0 && c.freshOut == c.items {
		// Refused whole: a refusal comes back sooner than a call that is
		// taken, and says nothing of how long one takes.
	} else if r.callTime == 0 {
		r.callTime = d
	} else {
		r.callTime += (d - r.callTime) / 8
	}
	if r.judging && !r.farFrom.IsZero() && !start.Before(r.farFrom) {
		r.farWritten += c.written
		r.busy(start, now)
	}
	if start.Before(r.cutAt) {
		return // sent before the last cut: says nothing of the new rate
	}
	// (A share of 0 stays 0 while nothing is throttled: no need to weigh.)
	if c.fresh > 0 && (c.freshOut > 0 || r.share != 0) {
		a := 1 - math.Pow(1-rateAlpha, float64(c.fresh))
		r.share += a * (float64(c.freshOut)/float64(c.fresh) - r.share)
	}
	if c.fresh > 0 {
		r.window(c.fresh, c.freshOut)
		r.excess = max(0, r.excess+float64(c.freshOut)-r.cutShare()*float64(c.fresh))
	}
	if !r.judging {
		if c.freshOut > 0 && r.excess >= rateCutItems*r.minRate && (r.limited || r.calls >= rateFirstCalls) {
			base := r.leakyRate()
			if r.limited {
				base = r.rateAt(now)
			}
			r.cut(now, base, true)
		}
		return
	}
	// A cut is judged on the calls that the backend saw alone, without
	// the calls sent before the cut: those that started a call's time
	// after it.
	settled := r.cutAt.Add(r.callTime)
	if start.Before(settled) {
		return
	}
	if now.Sub(r.cutAt) > rateJudgeMax {
		// Too few items to judge the cut by: a slow rate. Keep it.
		r.judging = false
		return
	}
	r.items += c.items
	r.written += c.written
	r.fresh += c.fresh
	r.freshOut += c.freshOut
	// Far above the capacity, the backend refuses most of what is sent
	// for the first time. (Items sent again are left out: a hot key's
	// retries, at the front of the queue, can fill calls of their own.
	// But when the retries of a burst fill the calls, too few go for
	// the first time to tell: then what is sent at all counts.) After a
	// cut to a rough measure of what the backend takes (farRate, on too
	// few calls), a fifth refused, of either, is far enough. And the call
	// must have been throttled itself: a dispatcher whose items all wait
	// for their retries leaves the backend idle a while, and what it
	// takes of the calls that follow is not known yet (farRate counts the
	// calls that ended).
	fewFresh, far := r.fresh < rateFarItems*int(r.minRate), 2
	if r.rough {
		far = 5
	}
	if c.written < c.items && r.items >= rateFarItems*int(r.minRate) && now.Sub(settled) >= 2*r.callTime &&
		(!fewFresh && far*r.freshOut > r.fresh || (fewFresh || r.rough) && far*(r.items-r.written) > r.items) {
		// Still far above what the backend takes, which is then the
		// bottleneck: cut again at once, to what it accepts.
		rough := r.farWritten < rateFarWritten*int(r.minRate)
		r.cut(now, min(r.rateAt(now), r.farRate(now)), false)
		r.rough = rough
		return
	}
	if now.Sub(settled) >= rateJudge && r.fresh >= rateJudgeCalls*int(r.minRate) {
		got := float64(r.freshOut) / float64(r.fresh)
		switch {
		case got < min(0.7*r.shareAtCut, r.shareAtCut-0.03):
			// The lower rate helped: the backend was over its capacity.
			r.judging = false
			r.floor = min(r.floor, got)
		case !r.deeper:
			// It did not help; perhaps it was not low enough. Cut once
			// more before deciding, to what the backend accepts: what
			// the calls since the cut took, or if more, what those since
			// the first cut took while they kept it busy (farRate): a
			// dispatcher whose items all waited for their retries sent
			// little since the cut, and that is not the backend's limit.
			r.deeper = true
			r.cut(now, min(r.rateAt(now), max(r.acceptedSince(settled, now), r.farRate(now))), false)
		default:
			// Twice lower did not help: the backend refuses that share
			// whatever the rate. Undo the cuts.
			r.judging = false
			r.floor = got
			r.share = got
			// Back to the rate before the first cut, from where it probes
			// on as it would have: not along the old curve, which may have
			// run far past it meanwhile.
			r.limited, r.wMax, r.cutAt = r.prevLimited, r.prevRate, now.Add(-r.k())
		}
	}
}

// cutShare returns the throttled share of the fresh items above which the
// excess grows: rateCutShare above the floor, and more above a high floor,
// whose noise is larger.
func (r *rateControl) cutShare() float64 {
	return r.floor + rateCutShare + r.floor/4
}

// window counts the fresh items of a call into the windows of
// rateWindowItems, and lowers the floor to the lowest share of the last
// rateWindows of them: a share the backend refused whatever the rate shows
// in every window, where one that a lower rate (here or in other clients)
// ended does not.
func (r *rateControl) window(fresh, out int) {
	r.winFresh += fresh
	r.winOut += out
	if r.winFresh < rateWindowItems {
		return
	}
	r.wins[r.nwin%rateWindows] = float64(r.winOut) / float64(r.winFresh)
	r.nwin++
	r.winFresh, r.winOut = 0, 0
	low := 1.0
	for _, w := range r.wins[:min(r.nwin, rateWindows)] {
		low = min(low, w)
	}
	// A share that only noise puts below the floor does not lower it.
	if noise := 3 * math.Sqrt(r.floor*(1-r.floor)/rateWindowItems); low < r.floor-max(noise, rateCutShare/2) {
		r.floor = low
	}
}

// recentShare returns the throttled share of the last fresh items: those
// of the window being filled, with the last full window if it holds fewer
// than a batch. The moving share lags a sudden throttle, as when a burst
// capacity runs out: a cut judged against it would never seem to help.
func (r *rateControl) recentShare() float64 {
	fresh, out := r.winFresh, r.winOut
	if fresh < int(r.minRate) && r.nwin > 0 {
		last := r.wins[(r.nwin-1)%rateWindows]
		fresh += rateWindowItems
		out += int(math.Round(last * rateWindowItems))
	}
	if fresh == 0 {
		return 0
	}
	return float64(out) / float64(fresh)
}

// acceptedSince returns the rate of the items written in the calls counted
// since settled. Those are the calls that started after settled and ended
// by now: the backend took their items over a call's time less than that
// (the calls still under way are not counted yet), and counting over all
// of it would put the rate too low by their share.
func (r *rateControl) acceptedSince(settled, now time.Time) float64 {
	span := now.Sub(settled)
	span = max(span-r.callTime, span/2)
	return float64(r.written) / max(span.Seconds(), 0.001)
}

// farRate returns the rate the backend took, far above its capacity, since
// farFrom: the items written in the calls counted, over the time they were
// under way (busy), less a call's time in each spell of it (the calls
// still under way are not counted). The backend was busy
// all along, so this is its capacity, or in a fleet this dispatcher's part
// of it, whatever the cuts made meanwhile. A few calls are a rough measure
// (a call refused whole is all or nothing): until rateFarWritten batches
// are counted, the count is taken as one batch more, so that the rate is
// not cut far below the capacity on too few, and before one batch, the
// rate is halved.
func (r *rateControl) farRate(now time.Time) float64 {
	span := max(r.farBusy-time.Duration(r.farSpells)*r.callTime, r.farBusy/2)
	written := float64(r.farWritten)
	switch {
	case written < r.minRate:
		// Not a batch yet: nothing to measure by, but that the rate is
		// far above the capacity. Halve it.
		return r.rateAt(now) / 2
	case r.farWritten < rateFarWritten*int(r.minRate):
		written += r.minRate
	}
	return written / max(span.Seconds(), 0.001)
}

// busy counts a call from start to end into the time the calls counted for
// farRate were under way. A gap between them longer than twice the rate's
// spacing of calls is idle: the dispatcher had nothing to send (its items
// waited for their retries), the backend was not kept busy, and what it
// took then says nothing of its capacity. A shorter gap is the rate's.
func (r *rateControl) busy(start, end time.Time) {
	if end.Before(r.farEnd) {
		return
	}
	gap := start.Sub(r.farEnd)
	switch {
	case gap <= 0:
		r.farBusy += end.Sub(r.farEnd)
	case gap > time.Duration(2*r.minRate/r.rateAt(end)*float64(time.Second)):
		r.farBusy += end.Sub(start)
		r.farSpells++
	default:
		r.farBusy += end.Sub(r.farEnd)
	}
	r.farEnd = end
}

// leakyRate returns the rate the backend accepted of late: the leaky sum
// over the time it has been filling, at most rateWindow.
func (r *rateControl) leakyRate() float64 {
	filled := 1 - math.Exp(-r.leakyAt.Sub(r.leakyFrom).Seconds()/rateWindow.Seconds())
	return r.leaky / (rateWindow.Seconds() * max(filled, 0.01))
}

// cut sets the rate to beta times base, growing from there, and judges the
// cut later. first says the cut is the first of a run: what to go back to
// if it does not help is what was before it, and what the backend takes far
// above its capacity is measured from then on (farRate).
func (r *rateControl) cut(now time.Time, base float64, first bool) {
	if first {
		r.farFrom, r.farWritten = now.Add(r.callTime), 0
		r.farBusy, r.farEnd, r.farSpells = 0, r.farFrom, 1
		r.shareAtCut, r.deeper = max(r.share, r.recentShare()), false
		r.prevLimited = r.limited
		if r.limited {
			r.prevRate = r.rateAt(now)
		}
	}
	r.cuts++
	// The first cut of a dispatcher is to what the backend took of late,
	// its burst capacity too: a rough measure.
	r.rough = !r.prevLimited && first
	r.judging = true
	r.limited = true
	r.wMax = max(base, r.minRate)
	r.cutAt = now
	// No burst right after a cut, and no gap either: the calls that
	// waited for a turn booked before it book again (stale), so their
	// turns are given back.
	r.tat = now.Add(burstTime)
	r.items, r.written, r.fresh, r.freshOut = 0, 0, 0, 0
	r.excess = 0
}

// current returns the limited rate now, or 0 while the rate is not limited.
func (r *rateControl) current(now time.Time) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.limited {
		return 0
	}
	return r.rateAt(now)
}
