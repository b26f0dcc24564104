package batch

// This file holds the waiting: SubmitWait callers waiting for their item,
// and Flush calls waiting for the items accepted before them.

// waiting is who waits for what, and what is to be reported.
type waiting[T any] struct {
	waiters  []*waiter    // Flush calls waiting
	failures []Failure[T] // not yet reported
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
