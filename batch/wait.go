package batch

import "context"

// This file holds the waiting: SubmitWait callers waiting for their item,
// and Flush calls waiting for the items accepted before them.

// waiting is who waits for what, and what is to be reported.
type waiting[T any] struct {
	waiters  []*waiter    // Flush calls waiting
	failures []Failure[T] // not yet reported, without a handler
	handoff  handoff[T]   // with one
}

// handoff is the failure handler and what it has yet to receive. One
// goroutine, started by HandleFailures, calls it outside the lock.
type handoff[T any] struct {
	handler    func(Failure[T])
	queue      []Failure[T]  // failures not yet handed over
	delivering bool          // the goroutine is handing some over
	kick       chan struct{} // wakes the goroutine
	stop       bool          // Close: return once the queue is empty
	done       chan struct{} // closed when the goroutine returns
	drained    chan struct{} // closed when the queue is empty and nothing is being handed over, for Flush
}

// HandleFailures makes h receive every failure from now on (and those not
// yet reported), each once, as it happens, with its item and cause: a
// long-running writer can send them to a dead-letter queue or a file without
// calling Flush. Failures handed to h are not kept, and not reported again
// by Flush, Close or SubmitWait... except that a SubmitWait caller still
// gets its own item's outcome, and that failure does not reach h. h is
// called from one goroutine, in the order the failures happen, never with
// the Dispatcher's lock held; Flush returns once h has returned for the
// failures of the items it waited for, and Close once h has returned for
// every failure. h may be slow, but while it runs, later failures wait in
// memory. Call it before the first Submit; a later call replaces h. After
// Close it does nothing.
func (d *Dispatcher[T]) HandleFailures(h func(Failure[T])) {
	if h == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return
	}
	ho := &d.handoff
	first := ho.handler == nil
	ho.handler = h
	if !first {
		return
	}
	ho.queue = append(ho.queue, d.failures...)
	d.failures = nil
	ho.kick = make(chan struct{}, 1)
	ho.done = make(chan struct{})
	go d.handOver()
	if len(ho.queue) > 0 {
		ho.kick <- struct{}{}
	}
}

// failLocked keeps a failure for Flush and Close, or for the handler.
func (d *Dispatcher[T]) failLocked(f Failure[T]) {
	ho := &d.handoff
	if ho.handler == nil {
		d.failures = append(d.failures, f)
		return
	}
	ho.queue = append(ho.queue, f)
	select {
	case ho.kick <- struct{}{}:
	default:
	}
}

// handOver is the goroutine that calls the failure handler. Close stops it
// and waits for it.
func (d *Dispatcher[T]) handOver() {
	ho := &d.handoff
	defer close(ho.done)
	for {
		d.mu.Lock()
		fs, h, stop := ho.queue, ho.handler, ho.stop
		ho.queue = nil
		ho.delivering = len(fs) > 0
		if len(fs) == 0 && ho.drained != nil {
			close(ho.drained)
			ho.drained = nil
		}
		d.mu.Unlock()
		if len(fs) > 0 {
			for _, f := range fs {
				h(f)
			}
			continue
		}
		if stop {
			return
		}
		<-ho.kick
	}
}

// waitHandedLocked waits, with mu held and released meanwhile, until the
// handler has been given every failure so far, or ctx ends.
func (d *Dispatcher[T]) waitHandedLocked(ctx context.Context) error {
	ho := &d.handoff
	if ho.handler == nil || (len(ho.queue) == 0 && !ho.delivering) {
		return nil
	}
	if ho.drained == nil {
		ho.drained = make(chan struct{})
	}
	drained := ho.drained
	select {
	case ho.kick <- struct{}{}:
	default:
	}
	d.mu.Unlock()
	defer d.mu.Lock()
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stopHandOverLocked tells the handler's goroutine to return once it has
// handed everything over; the caller then waits for ho.done.
func (d *Dispatcher[T]) stopHandOverLocked() chan struct{} {
	ho := &d.handoff
	if ho.handler == nil {
		return nil
	}
	ho.stop = true
	select {
	case ho.kick <- struct{}{}:
	default:
	}
	return ho.done
}

// waitCall is a SubmitWait caller waiting for the outcome of its item.
type waitCall struct {
	done chan error // gets the outcome once
	gone bool       // the caller stopped waiting: its context ended
	next *waitCall  // another caller of the same entry (ReplaceDuplicates)
}

// notifyLocked tells e's waiting callers its outcome, and reports whether
// one of them took it: then a failure is theirs, not Flush's.
func (d *Dispatcher[T]) notifyLocked(e *entry[T], err error) bool {
	told := false
	for c := e.wait; c != nil; c = c.next {
		if c.gone {
			continue
		}
		c.done <- err
		c.gone = true
		told = true
	}
	return told
}

// waiter is a Flush call waiting for the items accepted before it.
type waiter struct {
	upTo      uint64 // the items numbered up to this one
	remaining int    // of those, how many are not finished
	done      chan struct{}
}

// finishSeqLocked counts item number seq as finished for the Flush calls
// that wait for it.
func (d *Dispatcher[T]) finishSeqLocked(seq uint64) {
	if len(d.waiters) == 0 {
		return
	}
	kept := d.waiters[:0]
	for _, w := range d.waiters {
		if seq <= w.upTo {
			w.remaining--
		}
		if w.remaining == 0 {
			close(w.done)
			continue
		}
		kept = append(kept, w)
	}
	clear(d.waiters[len(kept):])
	d.waiters = kept
}

func (d *Dispatcher[T]) dropWaiterLocked(w *waiter) {
	for i, x := range d.waiters {
		if x == w {
			d.waiters = append(d.waiters[:i], d.waiters[i+1:]...)
			return
		}
	}
}
