package batch

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// This file holds the pending items: how Submit files them, and how the next
// batch is cut from them.
//
// An item without a key waits in the ready queue on its own. The items of a
// key wait, oldest first, in their keyState, and the key has one place in the
// ready queue while it may be sent: not while an item of it is in flight or
// waiting for a retry (then it is busy). So a batch is cut from the front of
// the ready queue without passing over anything, and per-key order holds by
// construction: the items of a key leave their keyState in order, and only
// when none of the key is out.
//
// Most keys have one item at a time. The first item of a key with nothing
// else accepted waits in the ready queue on its own, as an item without a
// key does, and is its key's lone item: it holds the key in the key table,
// and the key has no keyState. When a second item of the key comes before
// the lone one is finished, the key gets its keyState, busy, with the lone
// item counted out (ks.lone while it was never taken into a batch), and the
// second item waits there until the lone one is finished. (Not for a backend
// that keeps the order of a call: there, the items of a key go together.)

// queue is the pending items and those waiting for a retry: the ready
// queue holds the items without a key and the keys that may be sent, in the
// order they go.
type queue[T any] struct {
	ready       ring[slot[T]]
	readyItems  int // what the ready queue holds for the next batches
	readyBytes  int
	keys        keyTable[T]    // the keys with items not finished
	retrying    retryHeap[T]   // what waits for its backoff to end
	touched     []*keyState[T] // keys a call settled, to update
	retriedKeys []*keyState[T] // keys with an item left to retry in the call being settled
	freeKeys    []*keyState[T] // for reuse
	freeEntries []*entry[T]
	freeFlights []*flight[T]
	waitPending int // pending items with a SubmitWait caller
}

// entry is one accepted item, from Submit until it is written or failed.
type entry[T any] struct {
	item T
	ks   *keyState[T] // nil for an item without a key
	size int
	seq  uint64    // its number, for the Flush calls that wait for it
	at   time.Time // when it was accepted, with a FlushInterval only
	sent int       // the Write calls that carried it
	bo   backoff.BackOff
	due  time.Time // when a retried item may go again
	why  error     // the cause of its last retry
	last error     // the backend's own answer for it when last left to retry (Outcome.Retried)
	// maybe says a call that carried the item may have been applied: it
	// was under way when Close gave up, or failed with MaybeWritten. An
	// item that fails for any reason but its own refusal then fails with
	// ErrOutcomeUnknown.
	maybe bool
	wait  *waitCall // SubmitWait callers, or nil
	// alone says the item is its key's lone item and holds the key in the
	// key table, at place: its key has no keyState.
	alone bool
	key   string // the key of a lone item
	place uint32
	taken bool // it was taken into a batch at least once
}

// keyState is what the dispatcher knows of a key with items accepted and
// not finished.
type keyState[T any] struct {
	key   string
	place uint32 // of key, in keys
	// items are the key's items not in flight, oldest first: items sent
	// before and waiting to go again, then fresh ones. items[head:] are live.
	items []*entry[T]
	head  int
	fresh int // of the live items, how many were never sent (the last ones)
	bytes int // the sum of the live items' sizes
	out   int // items of the key in flight, and the lone one
	// lone is the key's lone item while it waits in the ready queue, never
	// taken into a batch (then, it counts in out).
	lone *entry[T]
	// retry collects the key's items that a call in flight left to retry,
	// in order; they return to items when none of the key is in flight.
	retry   []*entry[T]
	due     time.Time // when the retried items may go again
	retried int       // while in the retry heap: its first items to retry
	busy    bool      // items of the key are in flight or waiting for a retry
	ready   bool      // the key is in the ready queue
}

func (ks *keyState[T]) live() int { return len(ks.items) - ks.head }

func (ks *keyState[T]) front() *entry[T] { return ks.items[ks.head] }

// popFront takes the oldest live item.
func (ks *keyState[T]) popFront() *entry[T] {
	e := ks.items[ks.head]
	ks.items[ks.head] = nil
	ks.head++
	ks.bytes -= e.size
	if ks.head == len(ks.items) {
		ks.items, ks.head = ks.items[:0], 0
	}
	ks.fresh = min(ks.fresh, ks.live())
	return e
}

// slot is a place in the ready queue: a key, or an item without one.
type slot[T any] struct {
	e  *entry[T]    // an item without a key
	ks *keyState[T] // or a key
}

// ring is a double-ended queue, its length a power of two.
type ring[E any] struct {
	buf  []E
	head int
	n    int
}

func (r *ring[E]) len() int { return r.n }

func (r *ring[E]) grow() {
	buf := make([]E, max(16, 2*len(r.buf)))
	mask := len(r.buf) - 1
	for i := range r.n {
		buf[i] = r.buf[(r.head+i)&mask]
	}
	r.buf, r.head = buf, 0
}

func (r *ring[E]) pushBack(x E) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = x
	r.n++
}

func (r *ring[E]) pushFront(x E) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.head = (r.head - 1) & (len(r.buf) - 1)
	r.buf[r.head] = x
	r.n++
}

func (r *ring[E]) front() E { return r.buf[r.head] }

func (r *ring[E]) popFront() E {
	var zero E
	x := r.buf[r.head]
	r.buf[r.head] = zero
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return x
}

// sendable returns what a key in the ready queue adds to a batch: its oldest
// item, or, when the backend keeps the order of a call, all of them.
func (d *Dispatcher[T]) sendable(ks *keyState[T]) (items, bytes int) {
	if ks.live() == 0 {
		return 0, 0
	}
	if d.limits.InOrder {
		return ks.live(), ks.bytes
	}
	return 1, ks.front().size
}

// unreadyLocked takes what ks adds to a batch out of the ready counts, before
// ks changes; reReadyLocked puts it back after.
func (d *Dispatcher[T]) unreadyLocked(ks *keyState[T]) {
	if ks.ready {
		n, b := d.sendable(ks)
		d.readyItems -= n
		d.readyBytes -= b
	}
}

func (d *Dispatcher[T]) reReadyLocked(ks *keyState[T]) {
	if ks.ready {
		n, b := d.sendable(ks)
		d.readyItems += n
		d.readyBytes += b
	}
}

// queueKeyLocked puts a key that is not busy and has items into the ready
// queue: at the front for a key whose items have waited (retried, or held
// behind an earlier item), at the back for a new key.
func (d *Dispatcher[T]) queueKeyLocked(ks *keyState[T], front bool) {
	ks.ready = true
	if front {
		d.ready.pushFront(slot[T]{ks: ks})
	} else {
		d.ready.pushBack(slot[T]{ks: ks})
	}
	d.reReadyLocked(ks)
}

// queueItemLocked puts an item without a key into the ready queue.
func (d *Dispatcher[T]) queueItemLocked(e *entry[T], front bool) {
	if front {
		d.ready.pushFront(slot[T]{e: e})
	} else {
		d.ready.pushBack(slot[T]{e: e})
	}
	d.readyItems++
	d.readyBytes += e.size
}

// addLocked files a newly accepted item; h is the hash of its key, ks and
// lone are what the key table holds for it, and at is where the key goes in
// the table if it holds neither.
func (d *Dispatcher[T]) addLocked(e *entry[T], key string, h uint64, at uint32, ks *keyState[T], lone *entry[T]) {
	if e.wait != nil {
		d.waitPending++
	}
	if key == "" {
		d.queueItemLocked(e, false)
		return
	}
	switch {
	case lone != nil:
		ks = d.promoteLocked(lone)
	case ks == nil && !d.limits.InOrder:
		e.alone, e.key = true, key
		d.keys.add(h, at, keyRef[T]{e: e})
		d.queueItemLocked(e, false)
		return
	case ks == nil:
		ks = d.newKeyLocked(key)
		d.keys.add(h, at, keyRef[T]{ks: ks})
	}
	e.ks = ks
	d.unreadyLocked(ks)
	ks.items = append(ks.items, e)
	ks.fresh++
	ks.bytes += e.size
	switch {
	case ks.ready:
		d.reReadyLocked(ks)
	case !ks.busy:
		d.queueKeyLocked(ks, false)
	}
}

// replaceLocked puts a new item in the place of the key's pending one, which
// counts as replaced. Its SubmitWait callers wait on for the new item.
func (d *Dispatcher[T]) replaceLocked(ks *keyState[T], item T, size int, wc *waitCall) {
	e := ks.items[len(ks.items)-1] // the fresh one: the last
	d.unreadyLocked(ks)
	ks.bytes += size - e.size
	d.replaceEntryLocked(e, item, size, wc)
	d.reReadyLocked(ks)
}

// replaceLoneLocked puts a new item in the place of e, a lone item not yet
// taken into a batch, which counts as replaced, as replaceLocked does.
func (d *Dispatcher[T]) replaceLoneLocked(e *entry[T], item T, size int, wc *waitCall) {
	d.readyBytes += size - e.size // e waits in the ready queue on its own
	d.replaceEntryLocked(e, item, size, wc)
}

// replaceEntryLocked puts item in e, a pending entry, in the place of the
// item it held, which counts as replaced; wc, if any, waits for the new
// item with e's other SubmitWait callers. The caller keeps the ready counts.
func (d *Dispatcher[T]) replaceEntryLocked(e *entry[T], item T, size int, wc *waitCall) {
	old := e.seq
	d.seq++
	d.submitted++
	d.replaced++
	d.bufBytes += size - e.size
	e.item, e.size, e.seq = item, size, d.seq
	if wc != nil {
		if e.wait == nil {
			d.waitPending++
		}
		wc.next, e.wait = e.wait, wc
	}
	d.finishSeqLocked(old)
}

// promoteLocked gives the key of a lone item its keyState, busy while the
// lone item is not finished.
func (d *Dispatcher[T]) promoteLocked(lone *entry[T]) *keyState[T] {
	ks := d.newKeyLocked(lone.key)
	d.keys.promote(lone, ks)
	lone.alone, lone.key, lone.ks = false, "", ks
	ks.out, ks.busy = 1, true
	if !lone.taken {
		ks.lone = lone
	}
	return ks
}

// newKeyLocked returns a keyState for key, with nothing filed under it yet;
// the caller puts it in d.keys.
func (d *Dispatcher[T]) newKeyLocked(key string) *keyState[T] {
	var ks *keyState[T]
	if n := len(d.freeKeys); n > 0 {
		ks = d.freeKeys[n-1]
		d.freeKeys = d.freeKeys[:n-1]
	} else {
		ks = new(keyState[T])
	}
	ks.key = key
	return ks
}

// dropKeyLocked forgets a key with nothing left: no item filed, none out.
func (d *Dispatcher[T]) dropKeyLocked(ks *keyState[T]) {
	d.keys.remove(ks.place)
	items, retry := ks.items[:0], ks.retry[:0]
	*ks = keyState[T]{items: items, retry: retry}
	if len(d.freeKeys) < d.maxBuf {
		d.freeKeys = append(d.freeKeys, ks)
	}
}

// newEntryLocked returns an entry for an accepted item, numbered.
func (d *Dispatcher[T]) newEntryLocked(item T, size int, wc *waitCall) *entry[T] {
	var e *entry[T]
	if n := len(d.freeEntries); n > 0 {
		e = d.freeEntries[n-1]
		d.freeEntries = d.freeEntries[:n-1]
	} else {
		e = new(entry[T])
	}
	d.seq++
	e.item, e.size, e.seq, e.wait = item, size, d.seq, wc
	if d.interval > 0 || d.ttl > 0 {
		e.at = time.Now()
	}
	return e
}

// freeEntryLocked recycles a finished entry.
func (d *Dispatcher[T]) freeEntryLocked(e *entry[T]) {
	*e = entry[T]{}
	if len(d.freeEntries) < d.maxBuf {
		d.freeEntries = append(d.freeEntries, e)
	}
}

// fullLocked reports whether the ready items make a full batch.
func (d *Dispatcher[T]) fullLocked() bool {
	return d.readyItems >= d.limits.MaxItems ||
		(d.limits.MaxBatchBytes > 0 && d.readyBytes >= d.limits.MaxBatchBytes)
}

// urgentLocked reports whether ready items must go now, full batch or not.
func (d *Dispatcher[T]) urgentLocked() bool {
	if len(d.waiters) > 0 || d.closing {
		return true // a Flush or Close waits for them
	}
	if d.blocked > 0 && d.flyItems == 0 {
		// A Submit waits for room and nothing is out to make any: what
		// is pending must go, full batch or not. (While items are in
		// flight or waiting for a retry, their end makes room; sending
		// the few ready items meanwhile would only make small calls.)
		return true
	}
	if d.interval == 0 {
		return d.waitPending > 0 // a SubmitWait caller waits
	}
	return d.ready.len() > 0 && time.Since(d.oldestReadyLocked()) >= d.interval
}

// oldestReadyLocked returns when the item at the front of the ready queue
// was accepted. Items that waited (retried, or held behind their key) go to
// the front, so it is the oldest but for keys held up behind others.
func (d *Dispatcher[T]) oldestReadyLocked() time.Time {
	s := d.ready.front()
	if s.e != nil {
		return s.e.at
	}
	return s.ks.front().at
}

// fits reports whether an item of size bytes fits in f.
func (d *Dispatcher[T]) fits(f *flight[T], size int) bool {
	return len(f.entries) == 0 || d.limits.MaxBatchBytes == 0 || f.bytes+size <= d.limits.MaxBatchBytes
}

// nextLocked cuts the next batch from the front of the ready queue if one is
// due, or returns nil.
func (d *Dispatcher[T]) nextLocked() *flight[T] {
	if d.aborted || d.ready.len() == 0 || !(d.fullLocked() || d.urgentLocked()) {
		return nil
	}
	max := d.limits.MaxItems
	f := d.newFlightLocked()
	for d.ready.len() > 0 && len(f.entries) < max {
		s := d.ready.front()
		if s.e != nil {
			if !d.fits(f, s.e.size) {
				break
			}
			d.ready.popFront()
			d.readyItems--
			d.readyBytes -= s.e.size
			d.takeLocked(f, s.e)
			continue
		}
		ks := s.ks
		if !d.fits(f, ks.front().size) {
			break
		}
		d.ready.popFront()
		d.unreadyLocked(ks)
		ks.ready, ks.busy = false, true
		for {
			e := ks.popFront()
			ks.out++
			d.takeLocked(f, e)
			if !d.limits.InOrder || ks.live() == 0 || len(f.entries) == max || !d.fits(f, ks.front().size) {
				break
			}
		}
	}
	return f
}

// takeLocked moves e into f.
func (d *Dispatcher[T]) takeLocked(f *flight[T], e *entry[T]) {
	e.taken = true
	if ks := e.ks; ks != nil && ks.lone == e {
		ks.lone = nil // out counts it already
	}
	if e.wait != nil {
		d.waitPending--
	}
	f.entries = append(f.entries, e)
	f.items = append(f.items, e.item)
	f.bytes += e.size
	d.flyItems++
}
