package batch

import (
	"container/heap"
	"time"
)

// This file holds what happens at a time rather than on an event: retried
// items return to the queue when their backoff ends, the timed flush, and
// the look at a call that may have stalled (writerlimit.go). One goroutine,
// the scheduler, does them all; it starts with the first need.

// scheduler is the state of the scheduler goroutine.
type scheduler struct {
	schedOn bool          // the scheduler runs
	wakeAt  time.Time     // when it wakes; zero: when kicked
	stopped bool          // it was told to stop
	kick    chan struct{} // wakes it
	// kicked says a kick was sent since the scheduler last began a round:
	// it will begin another, and see all that changed before, so further
	// kicks can wait until then.
	kicked bool
	stop   chan struct{} // closed when it must return
}

// retrySlot is an item without a key, or a key, waiting until due.
type retrySlot[T any] struct {
	slot[T]
	due time.Time
}

// retryHeap holds the items and keys waiting for their backoff to end,
// soonest first.
type retryHeap[T any] []retrySlot[T]

func (h retryHeap[T]) Len() int           { return len(h) }
func (h retryHeap[T]) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h retryHeap[T]) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *retryHeap[T]) Push(x any)        { *h = append(*h, x.(retrySlot[T])) }
func (h *retryHeap[T]) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = retrySlot[T]{}
	*h = old[:len(old)-1]
	return x
}

// pushRetryLocked files an item without a key, or a key with the items it
// has to send again, until s.due.
func (d *Dispatcher[T]) pushRetryLocked(s retrySlot[T]) {
	heap.Push(&d.retrying, s)
	d.startSchedulerLocked()
	if d.wakeAt.IsZero() || s.due.Before(d.wakeAt) {
		d.kickLocked()
	}
}

// releaseDueLocked returns to the front of the ready queue what has waited
// its backoff out.
func (d *Dispatcher[T]) releaseDueLocked(now time.Time) {
	for len(d.retrying) > 0 && !d.retrying[0].due.After(now) {
		s := heap.Pop(&d.retrying).(retrySlot[T])
		if e := s.e; e != nil {
			d.flyItems--
			if e.wait != nil {
				d.waitPending++
			}
			d.queueItemLocked(e, true)
			continue
		}
		ks := s.ks
		d.flyItems -= ks.retried
		for _, e := range ks.items[ks.head : ks.head+ks.retried] {
			if e.wait != nil {
				d.waitPending++
			}
		}
		ks.retried, ks.busy, ks.due = 0, false, time.Time{}
		d.queueKeyLocked(ks, true)
	}
}

// startSchedulerLocked starts the scheduler goroutine if it is not running.
func (d *Dispatcher[T]) startSchedulerLocked() {
	if d.schedOn || d.stopped {
		return
	}
	d.schedOn = true
	d.kick = make(chan struct{}, 1)
	d.wg.Add(1)
	go d.schedule()
}

// kickLocked wakes the scheduler without blocking.
func (d *Dispatcher[T]) kickLocked() {
	if !d.schedOn || d.kicked {
		return
	}
	select {
	case d.kick <- struct{}{}:
	default: // a kick is on its way already
	}
	d.kicked = true
}

// schedule returns retried items to the queue when they are due, sends
// the pending items that have waited FlushInterval, and starts writers when
// a call under way has stalled.
func (d *Dispatcher[T]) schedule() {
	defer d.wg.Done()
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		d.mu.Lock()
		now := time.Now()
		d.wakeAt = now // awake: what it does here needs no kick
		d.kicked = false
		d.releaseDueLocked(now)
		d.dispatchLocked()
		var wake time.Time
		if len(d.retrying) > 0 {
			wake = d.retrying[0].due
		}
		// With every writer busy, a writer sends what is due when it is
		// done, and kicks this goroutine when it leaves.
		if d.interval > 0 && d.ready.len() > 0 && d.writers < d.maxInFlight {
			if at := d.oldestReadyLocked().Add(d.interval); wake.IsZero() || at.Before(wake) {
				wake = at
			}
		}
		if at := d.stallCheckLocked(now); !at.IsZero() && (wake.IsZero() || at.Before(wake)) {
			wake = at
		}
		d.wakeAt = wake
		d.mu.Unlock()
		if wake.IsZero() {
			select {
			case <-d.kick:
			case <-d.stop:
				return
			}
			continue
		}
		t.Reset(max(time.Until(wake), time.Millisecond/10))
		select {
		case <-t.C:
		case <-d.kick:
			t.Stop()
		case <-d.stop:
			t.Stop()
			return
		}
	}
}
