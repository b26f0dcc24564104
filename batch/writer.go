package batch

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// This file holds the writers: the goroutines that send batches, and what
// happens to each item of a call once the backend has answered.

// flight is a batch cut from the queue: its entries, and their items as
// Write takes them.
type flight[T any] struct {
	entries []*entry[T]
	items   []T
	bytes   int
}

func (d *Dispatcher[T]) newFlightLocked() *flight[T] {
	if n := len(d.freeFlights); n > 0 {
		f := d.freeFlights[n-1]
		d.freeFlights = d.freeFlights[:n-1]
		return f
	}
	n := d.limits.MaxItems
	return &flight[T]{entries: make([]*entry[T], 0, n), items: make([]T, 0, n)}
}

func (d *Dispatcher[T]) freeFlightLocked(f *flight[T]) {
	clear(f.entries)
	clear(f.items)
	f.entries, f.items, f.bytes = f.entries[:0], f.items[:0], 0
	d.freeFlights = append(d.freeFlights, f)
}

// dispatchLocked starts writers for the batches that are due, as far as
// MaxInFlight allows (see writerLimitLocked).
func (d *Dispatcher[T]) dispatchLocked() {
	for d.writers < d.writerLimitLocked() {
		f := d.nextLocked()
		if f == nil {
			return
		}
		d.writers++
		d.wg.Add(1)
		go d.writer(f)
	}
	d.watchStallLocked()
}

// writer sends batches until none is due.
func (d *Dispatcher[T]) writer(f *flight[T]) {
	defer d.wg.Done()
	for f != nil {
		d.send(f.entries, f.items, false)
		d.mu.Lock()
		d.freeFlightLocked(f)
		if d.room != nil { // wake blocked Submit calls
			close(d.room)
			d.room = nil
		}
		f = nil
		if d.writers <= d.writerLimitLocked() { // else calls are fast again: leave
			f = d.nextLocked()
		}
		if f == nil {
			d.writers--
			if d.writers == 0 && d.idle != nil { // Close waits for it
				close(d.idle)
				d.idle = nil
			}
			if d.interval > 0 && d.ready.len() > 0 {
				d.kickLocked() // the timed flush may now use this slot
			}
		}
		d.mu.Unlock()
	}
}

// send writes entries in one call, or in several when the backend refuses
// the call for what some of its items hold (Permanent), and files what
// became of each item. sub says entries are part of a batch already split.
func (d *Dispatcher[T]) send(entries []*entry[T], items []T, sub bool) {
	if sub {
		d.mu.Lock()
		entries, items = d.holdBehindLocked(entries, items)
		d.mu.Unlock()
		if len(entries) == 0 {
			return
		}
	}
	for {
		wait, cuts := d.rate.reserve(len(entries), time.Now)
		if wait == 0 {
			break
		}
		if !d.sleep(wait) {
			d.mu.Lock()
			d.failStoppedLocked(entries, false)
			d.mu.Unlock()
			return
		}
		if !d.rate.stale(cuts) {
			break
		}
		// The rate was cut while the call waited: book again.
	}
	d.mu.Lock()
	if d.aborted { // Close gave up: nothing more is sent
		d.failStoppedLocked(entries, false)
		d.mu.Unlock()
		return
	}
	if d.ttl > 0 {
		entries, items = d.dropExpiredLocked(entries, items, time.Now())
	}
	if len(entries) == 0 {
		d.mu.Unlock()
		return
	}
	start := time.Now()
	d.startCallLocked(start)
	d.mu.Unlock()
	again := 0
	for _, e := range entries {
		if e.sent > 0 {
			again++
		}
		e.sent++
	}
	out, err := d.sink.Write(d.ctx, items)
	end := time.Now()

	var pe *PermanentError
	if err != nil && d.ctx.Err() == nil && errors.As(err, &pe) && !pe.All && len(entries) > 1 {
		// Split to find the items that cause it; the others go on.
		d.mu.Lock()
		d.endCallLocked(start, end)
		d.batches++
		d.callErrors++
		d.retries += int64(again)
		delta := d.deltaLocked()
		d.mu.Unlock()
		d.meters.reportCall(end.Sub(start), len(entries), delta)
		d.log.Debug("batch: batch refused, splitting it", "items", len(entries), "error", err)
		half := len(entries) / 2
		d.send(entries[:half], items[:half], true)
		d.send(entries[half:], items[half:], true)
		return
	}
	d.mu.Lock()
	d.batches++
	d.retries += int64(again)
	d.settleLocked(entries, out, err, start, end)
	delta := d.deltaLocked()
	d.mu.Unlock()
	d.meters.reportCall(end.Sub(start), len(entries), delta)
}

// sleep waits for wait, or until Close gives up; it reports whether the
// wait ran its course.
func (d *Dispatcher[T]) sleep(wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-d.ctx.Done():
		return false
	}
}

// holdBehindLocked takes out of a part of a split batch the items whose key
// has an earlier item of the same batch waiting for a retry: they may not
// overtake it, so they wait behind it, unsent.
func (d *Dispatcher[T]) holdBehindLocked(entries []*entry[T], items []T) ([]*entry[T], []T) {
	n := 0
	for i, e := range entries {
		if ks := e.ks; ks != nil && len(ks.retry) > 0 {
			ks.retry = append(ks.retry, e)
			ks.out--
			d.touched = append(d.touched, ks)
			continue
		}
		entries[n], items[n] = e, items[i]
		n++
	}
	if n < len(entries) {
		d.settleKeysLocked()
	}
	return entries[:n], items[:n]
}

// settleLocked files the result of one call, made from start to now: each
// item is written, failed, or left to retry.
func (d *Dispatcher[T]) settleLocked(entries []*entry[T], out Outcome, err error, start, now time.Time) {
	d.endCallLocked(start, now)
	switch {
	case err == nil:
		// What the backend confirmed is written, even if Close has given
		// up meanwhile.
		states, errs := resolve(len(entries), out)
		c := call{start: start, end: now, items: len(entries)}
		retried := 0
		for i, e := range entries {
			first := e.sent == 1
			if first {
				c.fresh++
			}
			switch states.of(i) {
			case stateWritten:
				c.written++
				d.finishLocked(e, nil, true)
			case stateRetry:
				retried++
				e.last = errs[i]
				if e.last != nil && IsMaybeWritten(e.last) {
					e.maybe = true // the backend cannot say it was not taken
				}
				held := d.heldBehindLocked(e)
				if out.Throttled && first && !held {
					c.freshOut++
				}
				d.retryLocked(e, ErrUnprocessed, now, out.Throttled && !held)
			default:
				d.failItemLocked(e, errs[i])
			}
		}
		if out.Throttled && retried > 0 {
			d.throttled++
		}
		clear(d.retriedKeys)
		d.retriedKeys = d.retriedKeys[:0]
		d.rate.observe(c)
	case d.ctx.Err() != nil:
		d.callErrors++
		// Close gave up while the call was under way: it may have been
		// applied, unless the sink says it was never sent (an error
		// wrapping ErrClosed).
		d.failStoppedLocked(entries, !errors.Is(err, ErrClosed))
	case IsPermanent(err):
		d.callErrors++
		d.log.Warn("batch: items refused", "items", len(entries), "code", errorCode(err))
		d.log.Debug("batch: items refused", "error", err)
		d.failAllLocked(entries, err)
	default:
		if !IsThrottle(err) {
			d.callErrors++
		} else {
			d.throttled++
			// A call refused whole says that the rate is too high, whatever
			// its items: all of them count, those sent again too.
			d.rate.observe(call{start: start, end: now, items: len(entries), fresh: len(entries), freshOut: len(entries)})
		}
		maybe, throttled := IsMaybeWritten(err), IsThrottle(err)
		for _, e := range entries {
			e.maybe = e.maybe || maybe
			d.retryLocked(e, err, now, throttled)
		}
	}
	d.settleKeysLocked()
}

// heldBehindLocked reports whether e, left to retry, has an earlier item
// of its key left to retry in the same call. A backend that keeps a call's
// order (Limits.InOrder) sends such an item again only to keep it behind the
// earlier one (an SQS FIFO group): it was not throttled itself, and does not
// count as a sign that the rate is too high.
func (d *Dispatcher[T]) heldBehindLocked(e *entry[T]) bool {
	if !d.limits.InOrder || e.ks == nil {
		return false
	}
	if slices.Contains(d.retriedKeys, e.ks) {
		return true
	}
	d.retriedKeys = append(d.retriedKeys, e.ks)
	return false
}

// failItemLocked fails an item the backend refused on its own, or took
// without confirming it (err made with MaybeWritten).
func (d *Dispatcher[T]) failItemLocked(e *entry[T], err error) {
	if IsMaybeWritten(err) {
		d.log.Warn("batch: item not confirmed", "code", errorCode(err))
		d.log.Debug("batch: item not confirmed", "error", err)
		e.maybe = true
		d.finishLocked(e, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err), true)
		return
	}
	d.log.Warn("batch: item refused", "code", errorCode(err))
	d.log.Debug("batch: item refused", "error", err)
	d.finishLocked(e, refusal(e, err), true)
}

// failAllLocked fails every item of a call with err.
func (d *Dispatcher[T]) failAllLocked(entries []*entry[T], err error) {
	for _, e := range entries {
		d.finishLocked(e, refusal(e, err), true)
	}
	d.settleKeysLocked()
}

// refusal is the cause of the failure of e, which the backend refused: err,
// or, when an earlier call that carried e may have been applied, err with
// ErrOutcomeUnknown, since the refusal says nothing of that call.
func refusal[T any](e *entry[T], err error) error {
	if e.maybe {
		return fmt.Errorf("%w: an earlier call may have written it; the last was refused: %w", ErrOutcomeUnknown, err)
	}
	return err
}

// dropExpiredLocked fails the items of a call about to be sent that have
// waited longer than Config.ItemTTL, and returns the others.
func (d *Dispatcher[T]) dropExpiredLocked(entries []*entry[T], items []T, now time.Time) ([]*entry[T], []T) {
	n := 0
	for i, e := range entries {
		if now.Sub(e.at) > d.ttl {
			d.finishLocked(e, d.expiredErr(e, e.why), true)
			continue
		}
		entries[n], items[n] = e, items[i]
		n++
	}
	if n < len(entries) {
		clear(items[n:])
		d.settleKeysLocked()
	}
	return entries[:n], items[:n]
}

// expiredErr is the cause of the failure of e past Config.ItemTTL: with
// ErrOutcomeUnknown too if a call that carried it may have been applied, and
// the cause of its last retry, if any.
func (d *Dispatcher[T]) expiredErr(e *entry[T], last error) error {
	err := fmt.Errorf("%w: it waited over %v", ErrExpired, d.ttl)
	if last != nil {
		err = fmt.Errorf("%w; last try: %w", err, last)
	}
	if e.maybe {
		err = fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return err
}

// failStoppedLocked fails the items of a call that Close gave up on:
// underWay says the call was sent and may have been applied.
func (d *Dispatcher[T]) failStoppedLocked(entries []*entry[T], underWay bool) {
	for _, e := range entries {
		e.maybe = e.maybe || underWay
		d.finishLocked(e, d.stopCause(e), true)
	}
	d.settleKeysLocked()
}

// stopCause is the cause of the failure of e when Close gives up on it:
// ErrOutcomeUnknown if a call that carried it may have been applied, else
// ErrClosed.
func (d *Dispatcher[T]) stopCause(e *entry[T]) error {
	if e.maybe {
		return d.unknownErr
	}
	return d.closedErr
}

// retryLocked files an item of a call to be sent again after its backoff,
// or fails it once its retry policy gives up. throttled says the backend
// pushed back on it: then its first retry, if the send rate is limited,
// goes at the rate's pace instead of after a wait of its own. The rate, cut
// when the backend pushed back, is the backoff that matters then, and a
// wait of the item's own would only hold it back while the rate has room
// (at the end of a run, when nothing else is left to send). The retry still
// counts as one of its policy's, which may give up on it; its later retries
// wait for their backoff.
func (d *Dispatcher[T]) retryLocked(e *entry[T], cause error, now time.Time, throttled bool) {
	if d.aborted {
		d.finishLocked(e, d.stopCause(e), true)
		return
	}
	first := e.bo == nil
	if first {
		e.bo = d.newBackOff()
		if e.bo == nil { // a Config.BackOff that returns nil: the default
			e.bo = DefaultBackOff()
		}
	}
	wait := e.bo.NextBackOff()
	if wait != backoff.Stop && first && throttled && d.rate.current(now) > 0 {
		wait = 0
	}
	if d.ttl > 0 && wait != backoff.Stop && now.Add(wait).After(e.at.Add(d.ttl)) {
		d.finishLocked(e, d.expiredErr(e, cause), true) // it would go again too late
		return
	}
	if wait == backoff.Stop {
		if cause == ErrUnprocessed && e.last != nil {
			cause = fmt.Errorf("%w (last answer: %w)", cause, e.last)
		}
		err := fmt.Errorf("batch: gave up after %d attempts: %w", e.sent, cause)
		if e.maybe {
			err = fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
		}
		d.log.Warn("batch: retries exhausted", "attempts", e.sent, "code", errorCode(cause))
		d.log.Debug("batch: retries exhausted", "error", cause)
		d.finishLocked(e, err, true)
		return
	}
	d.log.Debug("batch: retrying", "attempt", e.sent, "wait", wait, "error", cause)
	e.due, e.why = retryDue(now, wait), cause
	if ks := e.ks; ks != nil {
		ks.retry = append(ks.retry, e)
		if e.due.After(ks.due) {
			ks.due = e.due
		}
		ks.out--
		d.touched = append(d.touched, ks)
		return
	}
	d.pushRetryLocked(retrySlot[T]{slot[T]{e: e}, e.due})
}

// retryTick is the grid on which retried items return to the queue: the
// items left to retry at about the same time come back together and share
// calls, instead of going one by one as their jittered waits end (which,
// when Flush or Close sends everything at once, would make a call of each).
const retryTick = 20 * time.Millisecond

// retryDue returns when an item left to retry at now with a backoff of wait
// returns to the queue: now+wait rounded up to the retry tick, for a wait
// of a tick or more; shorter waits are kept as they are.
func retryDue(now time.Time, wait time.Duration) time.Time {
	due := now.Add(wait)
	if wait < retryTick {
		return due
	}
	if r := due.UnixNano() % int64(retryTick); r != 0 {
		due = due.Add(retryTick - time.Duration(r))
	}
	return due
}

// finishLocked ends an item: written (err nil) or failed. flying says it
// was counted in flight.
func (d *Dispatcher[T]) finishLocked(e *entry[T], err error, flying bool) {
	if e.alone {
		if !d.keys.removeLast(e.place) {
			d.keys.remove(e.place)
		}
	} else if ks := e.ks; ks != nil && (flying || ks.lone == e) {
		if ks.lone == e { // failed before it was sent: Close gave up
			ks.lone = nil
		}
		ks.out--
		d.touched = append(d.touched, ks)
	}
	if flying {
		d.flyItems--
	}
	d.bufItems--
	d.bufBytes -= e.size
	switch {
	case err == nil:
		d.written++
	case e.maybe && errors.Is(err, ErrOutcomeUnknown):
		d.unknown++
	default:
		d.failed++
	}
	if !d.notifyLocked(e, err) && err != nil {
		d.failLocked(Failure[T]{Item: e.item, Err: err})
	}
	d.finishSeqLocked(e.seq)
	d.freeEntryLocked(e)
}

// settleKeysLocked updates the keys whose items a call has settled: a key
// with nothing left in flight goes back to the ready queue, to the retry
// heap with the items it has to send again, or away.
func (d *Dispatcher[T]) settleKeysLocked() {
	for _, ks := range d.touched {
		if ks.out > 0 || !ks.busy || ks.retried > 0 || ks.key == "" {
			continue // still in flight, already settled (busy no more, or waiting for its retry), or dropped
		}
		if n := len(ks.retry); n > 0 {
			d.unreadyLocked(ks)
			items := make([]*entry[T], 0, n+ks.live())
			items = append(items, ks.retry...)
			items = append(items, ks.items[ks.head:]...)
			for _, e := range ks.retry {
				ks.bytes += e.size
			}
			ks.items, ks.head = items, 0
			clear(ks.retry)
			ks.retry = ks.retry[:0]
			ks.retried = n
			d.pushRetryLocked(retrySlot[T]{slot[T]{ks: ks}, ks.due})
			continue
		}
		ks.busy = false
		if ks.live() > 0 {
			d.queueKeyLocked(ks, true)
		} else {
			d.dropKeyLocked(ks)
		}
	}
	clear(d.touched)
	d.touched = d.touched[:0]
}

// errorCode returns the code of an API error (as smithy.APIError's
// ErrorCode), or the error's type: what a log line at warn level may carry.
// Error messages stay at debug level, since a backend may quote item contents
// in them.
func errorCode(err error) string {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		return coded.ErrorCode()
	}
	switch {
	case errors.Is(err, ErrOutcomeUnknown):
		return "OutcomeUnknown"
	case errors.Is(err, ErrUnprocessed):
		return "Unprocessed"
	}
	// The innermost error's type: that of a wrapper says nothing.
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return fmt.Sprintf("%T", err)
		}
		err = inner
	}
}
