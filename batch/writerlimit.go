package batch

import (
	"slices"
	"time"
)

// This file holds how many writers run: MaxInFlight, or one while calls are
// fast.

// A Sink whose calls are fast (in memory, not over a network) keeps one
// writer busy without a pause: more writers would only take turns at the
// dispatcher's lock, each waiting for the others, and make every item
// slower. So while calls are fast, one writer runs, unless a call under way
// has stalled: then MaxInFlight applies, and the items behind the stalled
// call go on. The scheduler looks at the calls under way when one would
// count as stalled, for as long as items wait.
const (
	// fastCall is the time under which calls count as fast, on average:
	// less than a writer spends on a batch under the lock, so that a second
	// writer would mostly wait for it. A call that works for longer (over
	// a network, or with work of its own) gains from calls in parallel.
	fastCall = 5 * time.Microsecond
	// stalledCall is the time after which a call under way counts as
	// stalled, however fast calls are on average.
	stalledCall = time.Millisecond
)

// startCallLocked counts a call as under way from start. Calls start under
// the lock, so d.calls is in the order they started: the oldest first.
func (d *Dispatcher[T]) startCallLocked(start time.Time) {
	d.calls = append(d.calls, start)
}

// endCallLocked counts the call from start to end as settled, and takes its
// duration into the moving average of call durations, an eighth at a time.
func (d *Dispatcher[T]) endCallLocked(start, end time.Time) {
	if i := slices.Index(d.calls, start); i >= 0 {
		d.calls = slices.Delete(d.calls, i, i+1)
	}
	took := end.Sub(start)
	if d.callTime < 0 {
		d.callTime = took
		return
	}
	d.callTime += (took - d.callTime) / 8
}

// callsFastLocked reports whether calls are fast on average.
func (d *Dispatcher[T]) callsFastLocked() bool {
	return d.callTime >= 0 && d.callTime < fastCall
}

// writerLimitLocked returns how many writers may run: one while calls are
// fast and none under way has stalled, MaxInFlight otherwise.
func (d *Dispatcher[T]) writerLimitLocked() int {
	if !d.callsFastLocked() {
		return d.maxInFlight
	}
	if len(d.calls) > 0 && time.Since(d.calls[0]) >= stalledCall {
		return d.maxInFlight
	}
	return 1
}

// heldBackLocked reports whether items wait that another writer would send
// but for the one writer that fast calls allow (writerLimitLocked).
func (d *Dispatcher[T]) heldBackLocked() bool {
	return d.ready.len() > 0 && d.writers > 0 && d.writers < d.maxInFlight && d.callsFastLocked()
}

// stallCheckLocked returns when the scheduler, which has just started the
// writers due at now, must look at them again, while items wait that
// another writer would send: when the oldest call under way would count as
// stalled, or, if the writer has not started its call yet, a stalledCall
// from now. Zero: no need, or the call has stalled already (the scheduler
// has started writers for what was due; a batch due later makes Submit
// wake it: watchStallLocked).
func (d *Dispatcher[T]) stallCheckLocked(now time.Time) time.Time {
	if !d.heldBackLocked() {
		return time.Time{}
	}
	if len(d.calls) == 0 {
		return now.Add(stalledCall)
	}
	if at := d.calls[0].Add(stalledCall); at.After(now) {
		return at
	}
	return time.Time{}
}

// watchStallLocked makes sure that the scheduler looks again at the writers
// if items wait behind a call that may stall (stallCheckLocked).
func (d *Dispatcher[T]) watchStallLocked() {
	if d.wakeAt.IsZero() && !d.kicked && d.heldBackLocked() {
		d.startSchedulerLocked()
		d.kickLocked()
	}
}
