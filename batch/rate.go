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
// rate, in items per second, is cut to beta times the rate the backend was
// seen to accept, then grows back along a cubic curve (as TCP CUBIC and the
// AWS SDKs' adaptive retry mode do): fast while far below that rate, slowly
// near it, faster again past it, so that it finds a new limit when the
// backend takes more. Each call reserves its items before it goes (a generic
// cell rate algorithm, with a burst of burstTime), so the writers together
// keep to the rate.
//
// Not every item left to retry means the backend is over its capacity: a
// hot key is throttled whatever the rate, and a backend may refuse a share
// of every call. So a cut is made only when the moving share of items
// throttled on their first try is above what it has been at a lower rate
// (the floor) by more than rateCutShare, and each cut is judged once the new
// rate has held for rateJudge: if the share did not fall, the cut is undone
// and the share becomes the floor. While a cut is judged, the rate is cut
// again at once if the backend still takes less than half of what is sent:
// then the rate is far above the backend's capacity (as at the start of a
// run, or after its burst capacity ran out).
type rateControl struct {
	mu sync.Mutex

	minRate float64 // items/s: never below one full batch per second

	limited bool
	wMax    float64   // the accepted rate at the last cut
	cutAt   time.Time // when the rate was last cut
	tat     time.Time // when the next reservation would be due at the rate

	// Since the last cut (or the first call): the calls started after it.
	since   time.Time
	items   int // items sent
	fresh   int // items on their first try
	bounced int // of those, how many were throttled
	written int

	share float64 // moving average of the throttled share of first tries
	floor float64 // the share that a lower rate does not reduce

	judging     bool    // a moderate cut is being judged
	shareAtCut  float64 // the share that caused it
	prevLimited bool    // what to go back to if it did not help
	prevWMax    float64
	prevCutAt   time.Time
}

const (
	rateBeta     = 0.7                    // the rate after a cut, as a share of the accepted rate
	rateK        = 300 * time.Millisecond // time to grow back to the rate of the last cut
	rateCutShare = 0.10                   // throttled share above the floor that cuts
	rateJudge    = rateK / 2              // how long a cut holds before it is judged
	rateAlpha    = 1.0 / 512              // weight of one first-try item in the moving share
	burstTime    = 50 * time.Millisecond  // the burst a limited rate allows
	// A rate grown to this multiple of the last accepted rate is no limit.
	rateUnlimit = 4
)

func newRateControl(batchItems int) *rateControl {
	return &rateControl{minRate: float64(batchItems)}
}

// reserve books n items to be sent at now and returns how long the call
// must wait for its turn: 0 while the rate is not limited.
func (r *rateControl) reserve(n int, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.since.IsZero() {
		r.since = now
	}
	if !r.limited {
		return 0
	}
	rate := r.rateAt(now)
	if rate >= rateUnlimit*r.wMax {
		r.limited = false
		return 0
	}
	if r.tat.Before(now) {
		r.tat = now
	}
	wait := r.tat.Sub(now) - burstTime
	r.tat = r.tat.Add(time.Duration(float64(n) / rate * float64(time.Second)))
	return max(wait, 0)
}

// rateAt returns the limited rate at t, on the cubic curve from the last
// cut: beta*wMax at the cut, wMax after rateK, growing faster after that.
func (r *rateControl) rateAt(t time.Time) float64 {
	x := (t.Sub(r.cutAt).Seconds() - rateK.Seconds()) / rateK.Seconds()
	return max(r.minRate, r.wMax*(1+(1-rateBeta)*x*x*x))
}

// observe takes what became of a call of items that started at start and
// ended at now: fresh of its items were on their first try, of which
// bounced were throttled, and written were confirmed.
func (r *rateControl) observe(start, now time.Time, items, fresh, bounced, written int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if start.Before(r.cutAt) {
		return // sent before the last cut: says nothing of the new rate
	}
	r.items += items
	r.fresh += fresh
	r.bounced += bounced
	r.written += written
	if fresh > 0 {
		a := 1 - math.Pow(1-rateAlpha, float64(fresh))
		r.share += a * (float64(bounced)/float64(fresh) - r.share)
	}
	if !r.judging {
		if bounced > 0 && r.share > r.floor+rateCutShare {
			r.cut(now, true)
		}
		return
	}
	if r.items >= 4*int(r.minRate) && 2*r.written < r.items {
		// Still far above what the backend takes: cut again at once.
		r.cut(now, false)
		return
	}
	if now.Sub(r.cutAt) >= rateJudge && r.fresh >= 100 {
		r.judging = false
		if got := float64(r.bounced) / float64(r.fresh); got >= 0.7*r.shareAtCut {
			// A lower rate did not help: the backend refuses that share
			// whatever the rate. Undo the cut.
			r.floor = got
			r.share = got
			r.limited, r.wMax, r.cutAt = r.prevLimited, r.prevWMax, r.prevCutAt
		}
	}
}

// cut lowers the rate to beta times the rate the backend accepted since the
// last cut, and judges the cut later. first says the cut is the first of a
// run: what to go back to if it does not help is what was before it.
func (r *rateControl) cut(now time.Time, first bool) {
	elapsed := max(now.Sub(r.since).Seconds(), 0.001)
	accepted := float64(r.written) / elapsed
	if r.limited {
		accepted = min(accepted, r.rateAt(now))
	}
	if first {
		r.shareAtCut = r.share
		r.prevLimited, r.prevWMax, r.prevCutAt = r.limited, r.wMax, r.cutAt
	}
	r.judging = true
	r.limited = true
	r.wMax = max(accepted, r.minRate)
	r.cutAt = now
	r.tat = now
	r.since, r.items, r.fresh, r.bounced, r.written = now, 0, 0, 0, 0
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
