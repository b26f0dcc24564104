package batch

import (
	"math"
	"sync"
	"time"
)

// rateControl keeps the dispatcher's send rate to what the backend takes.
//
// Until the backend first pushes back, nothing is limited and no call
// waits. A throttle signal (items the backend left unprocessed as throttled,
// or a call refused with a Throttle error) is a signal for every writer: the
// rate, in items per second, is cut to beta times the rate at which the
// backend pushed back: the limit in force, or before any, the rate it was
// seen to accept of late (multiplicative decrease), and grows back to it in
// rateK along a cubic curve, fast at first and slowly near it, then probes
// past it slowly at first and faster the longer the backend takes it (as
// TCP CUBIC does). Each call reserves its items before it
// goes (a generic cell rate algorithm, with a burst of burstTime), so the
// writers together keep to the rate.
//
// Not every item left to retry means the backend is over its capacity: a
// hot key is throttled whatever the rate, and a backend may refuse a share
// of every call. So a cut is made only when the moving share of the items
// sent for the first time that were throttled is above what it has been at a lower rate
// (the floor) by more than rateCutShare, and each cut is judged after
// rateJudge: if the share did not fall, the rate is cut once more, to what
// the backend accepts now, and if it still did not fall, the cuts are
// undone and the share becomes the floor. While a cut is judged, the rate is cut again at once
// if the backend still takes less than half of what is sent: then the rate
// is far above the backend's capacity (as at the start of a run, when the
// backend's burst capacity runs out), and what it accepts is its capacity.
type rateControl struct {
	mu sync.Mutex

	minRate float64 // items/s: never below one full batch per second

	limited bool
	wMax    float64   // the rate at which the backend last pushed back
	cutAt   time.Time // when the rate was last cut
	cuts    int       // how many cuts so far
	tat     time.Time // when the next reservation would be due at the rate

	// The rate the backend accepted of late: a leaky sum of the items
	// written, with time constant rateWindow.
	leaky     float64
	leakyAt   time.Time
	leakyFrom time.Time // the start of the first call
	// callTime is a moving average of how long a call takes.
	callTime time.Duration

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

	judging     bool    // a cut is being judged
	deeper      bool    // the cut was made deeper once already
	shareAtCut  float64 // the share that caused it
	prevLimited bool    // what to go back to if it did not help
	prevWMax    float64
	prevCutAt   time.Time
}

const (
	rateBeta       = 0.7                    // the rate after a cut, as a share of wMax
	rateK          = 300 * time.Millisecond // time to grow back to wMax
	rateProbe      = 3                      // past wMax, the curve is this many times slower
	rateCutShare   = 0.05                   // throttled share above the floor that cuts
	rateJudge      = 50 * time.Millisecond  // how long a cut holds before it is judged, at least
	rateJudgeCalls = 8                      // and how many full calls' worth of items it is judged on
	rateWindow     = 50 * time.Millisecond  // what "of late" means for the accepted rate
	rateAlpha      = 1.0 / 512              // weight of one item in the moving share
	burstTime      = 50 * time.Millisecond  // the burst a limited rate allows
	rateUnlimit    = 16                     // a rate grown to this many times wMax is no limit
)

func newRateControl(batchItems int) *rateControl {
	return &rateControl{minRate: float64(batchItems)}
}

// reserve books n items to be sent at now and returns how long the call
// must wait for its turn (0 while the rate is not limited), and the number
// of the last cut, for stale.
func (r *rateControl) reserve(n int, now time.Time) (time.Duration, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.limited {
		return 0, r.cuts
	}
	rate := r.rateAt(now)
	if rate >= rateUnlimit*r.wMax {
		r.limited = false
		return 0, r.cuts
	}
	if r.tat.Before(now) {
		r.tat = now
	}
	wait := r.tat.Sub(now) - burstTime
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

// rateAt returns the limited rate at t: beta*wMax at the last cut, back to
// wMax after rateK along a concave cubic (fast at first, slowly near wMax),
// then on along the convex half of the same cubic, stretched rateProbe
// times (slowly at first, then faster), as TCP CUBIC does.
func (r *rateControl) rateAt(t time.Time) float64 {
	x := t.Sub(r.cutAt).Seconds()/rateK.Seconds() - 1
	if x > 0 {
		x /= rateProbe
	}
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
	if d := now.Sub(start); r.callTime == 0 {
		r.callTime = d
	} else {
		r.callTime += (d - r.callTime) / 8
	}
	if start.Before(r.cutAt) {
		return // sent before the last cut: says nothing of the new rate
	}
	if c.fresh > 0 {
		a := 1 - math.Pow(1-rateAlpha, float64(c.fresh))
		r.share += a * (float64(c.freshOut)/float64(c.fresh) - r.share)
	}
	if !r.judging {
		if c.freshOut > 0 && r.share > r.floor+rateCutShare {
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
	r.items += c.items
	r.written += c.written
	r.fresh += c.fresh
	r.freshOut += c.freshOut
	// Far above the capacity, the backend refuses most of what is sent
	// for the first time. (Items sent again are left out: a hot key's
	// retries, at the front of the queue, can fill calls of their own.)
	if r.items >= 8*int(r.minRate) && r.fresh >= 2*int(r.minRate) && now.Sub(settled) >= 4*r.callTime && 2*r.freshOut > r.fresh {
		// Still far above what the backend takes, which is then the
		// bottleneck: cut again at once, to what it accepts.
		r.cut(now, min(r.acceptedSince(settled, now), r.rateAt(now)), false)
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
			// more before deciding.
			r.deeper = true
			r.cut(now, r.rateAt(now), false)
		default:
			// Twice lower did not help: the backend refuses that share
			// whatever the rate. Undo the cuts.
			r.judging = false
			r.floor = got
			r.share = got
			r.limited, r.wMax, r.cutAt = r.prevLimited, r.prevWMax, r.prevCutAt
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// acceptedSince returns the rate of the items written in the calls counted
// since settled.
func (r *rateControl) acceptedSince(settled, now time.Time) float64 {
	return float64(r.written) / max(now.Sub(settled).Seconds(), 0.001)
}

// leakyRate returns the rate the backend accepted of late: the leaky sum
// over the time it has been filling, at most rateWindow.
func (r *rateControl) leakyRate() float64 {
	filled := 1 - math.Exp(-r.leakyAt.Sub(r.leakyFrom).Seconds()/rateWindow.Seconds())
	return r.leaky / (rateWindow.Seconds() * max(filled, 0.01))
}

// cut sets the rate to beta times base, growing from there, and judges the
// cut later. first says the cut is the first of a run: what to go back to
// if it does not help is what was before it.
func (r *rateControl) cut(now time.Time, base float64, first bool) {
	if first {
		r.shareAtCut, r.deeper = r.share, false
		r.prevLimited, r.prevWMax, r.prevCutAt = r.limited, r.wMax, r.cutAt
	}
	r.cuts++
	r.judging = true
	r.limited = true
	r.wMax = max(base, r.minRate)
	r.cutAt = now
	// No burst right after a cut; calls booked before it keep their turn.
	r.tat = later(r.tat, now.Add(burstTime))
	r.items, r.written, r.fresh, r.freshOut = 0, 0, 0, 0
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
