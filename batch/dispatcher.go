package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Dispatcher takes items one at a time and writes them to its Sink in
// batches. All its methods are safe for concurrent use.
//
// An item is pending from the moment Submit accepts it until it is put in a
// batch, in flight from then until the backend has confirmed it or it has
// failed. At most one item of each non-empty key is pending, and an item is
// never sent while another item of its key is in flight, so items of one key
// reach the backend in the order they were submitted.
type Dispatcher[T any] struct {
	sink        Sink[T]
	limits      Limits // with MaxItems set to the batch size in use
	maxInFlight int
	maxBuf      int
	maxBufBytes int
	interval    time.Duration
	policy      DuplicatePolicy
	newBackOff  func() backoff.BackOff
	log         *slog.Logger

	// ctx is the context of every Write call; it is cancelled when Close
	// gives up waiting.
	ctx    context.Context
	cancel context.CancelCauseFunc

	wg   sync.WaitGroup // the writers and the timer goroutine
	kick chan struct{}  // wakes the timer goroutine
	stop chan struct{}  // closed when the timer goroutine must return

	// Counters that change outside mu.
	written, failed, retries, batches, rejected atomic.Int64

	mu sync.Mutex
	// queue[head:] are the pending items, oldest first; base+i is the
	// position of queue[i] that keyState.pos records.
	queue     []entry[T]
	head      int
	base      int
	keys      map[string]*keyState // the keys pending or in flight
	freeKeys  []*keyState          // for reuse
	pendBytes int                  // sum of the sizes of the pending items
	bufItems  int                  // items accepted and not yet finished
	bufBytes  int                  // sum of their sizes
	flyItems  int                  // items in flight
	writers   int                  // writer goroutines running
	seq       uint64               // the number of the last accepted item
	submitted int64
	replaced  int64
	waiters   []*waiter // Flush calls waiting
	blocked   int       // Submit calls waiting for room
	room      chan struct{}
	failures  []Failure[T] // not yet reported
	timerIdle bool         // the timer goroutine waits for a kick
	closing   bool         // Close was called: Submit refuses
	aborted   bool         // Close gave up: nothing more is sent
	closeDone chan struct{}
}

type entry[T any] struct {
	item T
	ks   *keyState // nil for an item without a key
	size int
	seq  uint64    // 0 once taken into a batch
	at   time.Time // when it was accepted, with a FlushInterval only
}

// keyState is what the dispatcher knows of a key: one lookup in
// Dispatcher.keys per Submit, and none while batching.
type keyState struct {
	key  string
	pos  int  // position of the pending item of this key, or -1
	busy bool // an item of this key is in flight
}

// A batch in flight: its items and, for the bookkeeping once it is done,
// their keys, numbers and sizes.
type flight[T any] struct {
	items []T
	keys  []*keyState // of the items with a key
	seqs  []uint64
	bytes int
}

// waiter is a Flush call waiting for the items accepted before it.
type waiter struct {
	upTo      uint64 // the items numbered up to this one
	remaining int    // of those, how many are not finished
	done      chan struct{}
}

// New returns a Dispatcher that writes to sink. It validates cfg against the
// sink's limits once, and returns an error that names the first field in
// error.
func New[T any](sink Sink[T], cfg Config) (*Dispatcher[T], error) {
	if sink == nil {
		return nil, errors.New("batch: New needs a Sink, got nil")
	}
	lim := sink.Limits()
	switch {
	case lim.MaxItems < 1:
		return nil, fmt.Errorf("batch: Sink Limits().MaxItems %d is less than 1", lim.MaxItems)
	case lim.MaxItemBytes < 0:
		return nil, fmt.Errorf("batch: Sink Limits().MaxItemBytes %d is negative", lim.MaxItemBytes)
	case lim.MaxBatchBytes < 0:
		return nil, fmt.Errorf("batch: Sink Limits().MaxBatchBytes %d is negative", lim.MaxBatchBytes)
	case cfg.MaxBatchItems < 0:
		return nil, fmt.Errorf("batch: Config.MaxBatchItems %d is negative", cfg.MaxBatchItems)
	case cfg.MaxBatchItems > lim.MaxItems:
		return nil, fmt.Errorf("batch: Config.MaxBatchItems %d is more than the sink allows (%d)", cfg.MaxBatchItems, lim.MaxItems)
	case cfg.FlushInterval < 0:
		return nil, fmt.Errorf("batch: Config.FlushInterval %v is negative", cfg.FlushInterval)
	case cfg.MaxInFlight < 0:
		return nil, fmt.Errorf("batch: Config.MaxInFlight %d is negative", cfg.MaxInFlight)
	case cfg.MaxBuffered < 0:
		return nil, fmt.Errorf("batch: Config.MaxBuffered %d is negative", cfg.MaxBuffered)
	case cfg.MaxBufferedBytes < 0:
		return nil, fmt.Errorf("batch: Config.MaxBufferedBytes %d is negative", cfg.MaxBufferedBytes)
	case cfg.Duplicates != RejectDuplicates && cfg.Duplicates != ReplaceDuplicates:
		return nil, fmt.Errorf("batch: Config.Duplicates %v is not a known policy", cfg.Duplicates)
	}
	if cfg.MaxBatchItems > 0 {
		lim.MaxItems = cfg.MaxBatchItems
	}
	// An item must fit in a batch on its own.
	if lim.MaxBatchBytes > 0 && (lim.MaxItemBytes == 0 || lim.MaxItemBytes > lim.MaxBatchBytes) {
		lim.MaxItemBytes = lim.MaxBatchBytes
	}
	d := &Dispatcher[T]{
		sink:        sink,
		limits:      lim,
		maxInFlight: orDefault(cfg.MaxInFlight, DefaultMaxInFlight),
		maxBuf:      orDefault(cfg.MaxBuffered, DefaultMaxBuffered),
		maxBufBytes: orDefault(cfg.MaxBufferedBytes, DefaultMaxBufferedBytes),
		interval:    cfg.FlushInterval,
		policy:      cfg.Duplicates,
		newBackOff:  cfg.BackOff,
		log:         cfg.Logger,
		keys:        make(map[string]*keyState),
		closeDone:   make(chan struct{}),
	}
	if d.newBackOff == nil {
		d.newBackOff = DefaultBackOff
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.ctx, d.cancel = context.WithCancelCause(context.Background())
	if d.interval > 0 {
		d.kick = make(chan struct{}, 1)
		d.stop = make(chan struct{})
		d.wg.Add(1)
		go d.timer()
	}
	return d, nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Submit accepts item for writing. It returns once the item is buffered, not
// once it is written: the outcome of a write is reported by Flush and Close.
//
// Submit refuses an item that the sink's Measure refuses (with that error),
// one larger than the backend allows (ErrItemTooLarge), one whose key is
// already pending under RejectDuplicates (ErrDuplicate), and every item after
// Close (ErrClosed). A refused item changes nothing but Stats.Rejected. When
// the buffer is full, Submit blocks until there is room; if ctx ends first it
// returns ctx's error and the item is not accepted.
func (d *Dispatcher[T]) Submit(ctx context.Context, item T) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, size, err := d.sink.Measure(item)
	if err != nil {
		d.rejected.Add(1)
		return err
	}
	if d.limits.MaxItemBytes > 0 && size > d.limits.MaxItemBytes {
		d.rejected.Add(1)
		return fmt.Errorf("%w: %d bytes, the most is %d", ErrItemTooLarge, size, d.limits.MaxItemBytes)
	}
	d.mu.Lock()
	for {
		if d.closing {
			d.mu.Unlock()
			return ErrClosed
		}
		if key != "" {
			if ks := d.keys[key]; ks != nil && ks.pos >= 0 {
				if d.policy == RejectDuplicates {
					d.mu.Unlock()
					d.rejected.Add(1)
					return ErrDuplicate
				}
				d.replaceLocked(ks.pos-d.base, item, size)
				d.mu.Unlock()
				return nil
			}
		}
		if d.bufItems == 0 || (d.bufItems < d.maxBuf && d.bufBytes+size <= d.maxBufBytes) {
			break
		}
		// Full: make sure what is buffered moves, then wait for room.
		d.blocked++
		d.dispatchLocked()
		if d.room == nil {
			d.room = make(chan struct{})
		}
		room := d.room
		d.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			d.mu.Lock()
			d.blocked--
			d.mu.Unlock()
			return ctx.Err()
		}
		d.mu.Lock()
		d.blocked--
	}
	d.seq++
	e := entry[T]{item: item, size: size, seq: d.seq}
	if d.interval > 0 {
		e.at = time.Now()
	}
	if key != "" {
		ks := d.keys[key]
		if ks == nil {
			ks = d.newKeyLocked(key)
		}
		ks.pos = d.base + len(d.queue)
		e.ks = ks
	}
	d.queue = append(d.queue, e)
	d.submitted++
	d.bufItems++
	d.bufBytes += size
	d.pendBytes += size
	if d.fullLocked() {
		d.dispatchLocked()
	}
	if d.timerIdle {
		d.timerIdle = false
		d.kickTimer()
	}
	d.mu.Unlock()
	return nil
}

// newKeyLocked adds key, neither pending nor in flight yet, to d.keys.
func (d *Dispatcher[T]) newKeyLocked(key string) *keyState {
	var ks *keyState
	if n := len(d.freeKeys); n > 0 {
		ks = d.freeKeys[n-1]
		d.freeKeys = d.freeKeys[:n-1]
	} else {
		ks = new(keyState)
	}
	*ks = keyState{key: key, pos: -1}
	d.keys[key] = ks
	return ks
}

// dropKeyLocked forgets a key that is neither pending nor in flight.
func (d *Dispatcher[T]) dropKeyLocked(ks *keyState) {
	delete(d.keys, ks.key)
	*ks = keyState{}
	if len(d.freeKeys) < d.maxBuf {
		d.freeKeys = append(d.freeKeys, ks)
	}
}

// replaceLocked puts item in the place of the pending entry queue[i], which
// counts as replaced (and so finished).
func (d *Dispatcher[T]) replaceLocked(i int, item T, size int) {
	e := &d.queue[i]
	old := e.seq
	d.seq++
	d.submitted++
	d.replaced++
	d.bufBytes += size - e.size
	d.pendBytes += size - e.size
	e.item, e.size, e.seq = item, size, d.seq
	// The new item is not finished; the old one is: it counts for the
	// Flush calls that wait for it.
	d.finishLocked(old)
}

// fullLocked reports whether the pending items make a full batch.
func (d *Dispatcher[T]) fullLocked() bool {
	n := len(d.queue) - d.head
	return n >= d.limits.MaxItems || (d.limits.MaxBatchBytes > 0 && d.pendBytes >= d.limits.MaxBatchBytes)
}

// urgentLocked reports whether pending items must go now, full batch or not.
func (d *Dispatcher[T]) urgentLocked() bool {
	if len(d.waiters) > 0 || d.closing || d.blocked > 0 {
		return true // a Flush, Close or blocked Submit waits for them
	}
	return d.interval > 0 && d.head < len(d.queue) && time.Since(d.queue[d.head].at) >= d.interval
}

// dispatchLocked starts writers for the batches that are ready, as far as
// MaxInFlight allows.
func (d *Dispatcher[T]) dispatchLocked() {
	for d.writers < d.maxInFlight {
		f := d.nextLocked()
		if f == nil {
			return
		}
		d.writers++
		d.wg.Add(1)
		go d.writer(f)
	}
}

// nextLocked takes the next batch off the queue if one is ready, or returns
// nil.
func (d *Dispatcher[T]) nextLocked() *flight[T] {
	if d.aborted || d.head == len(d.queue) || !(d.fullLocked() || d.urgentLocked()) {
		return nil
	}
	max := d.limits.MaxItems
	n := min(max, len(d.queue)-d.head)
	f := &flight[T]{items: make([]T, 0, n), seqs: make([]uint64, 0, n), keys: make([]*keyState, 0, n)}
	// Take from the head, oldest first, passing over the items whose key is
	// in flight: they keep their place, moved up behind the scanned part.
	i := d.head
	for ; i < len(d.queue) && len(f.items) < max; i++ {
		e := &d.queue[i]
		if e.ks != nil && e.ks.busy {
			continue
		}
		if d.limits.MaxBatchBytes > 0 && len(f.items) > 0 && f.bytes+e.size > d.limits.MaxBatchBytes {
			break
		}
		f.items = append(f.items, e.item)
		f.seqs = append(f.seqs, e.seq)
		f.bytes += e.size
		if e.ks != nil {
			f.keys = append(f.keys, e.ks)
			e.ks.busy = true
			e.ks.pos = -1
		}
		e.seq = 0 // marks it taken
	}
	if len(f.items) == 0 {
		return nil
	}
	// Compact queue[head:i]: the held entries (those still with a seq) move
	// to the end of that range, in order; the taken ones are cleared.
	w := i
	for r := i - 1; r >= d.head; r-- {
		if d.queue[r].seq == 0 {
			continue
		}
		w--
		if w != r {
			d.queue[w] = d.queue[r]
			if ks := d.queue[w].ks; ks != nil {
				ks.pos = d.base + w
			}
		}
	}
	clear(d.queue[d.head:w])
	d.head = w
	d.pendBytes -= f.bytes
	d.flyItems += len(f.items)
	d.compactLocked()
	return f
}

// compactLocked drops the consumed head of the queue once it is most of it.
func (d *Dispatcher[T]) compactLocked() {
	if d.head == len(d.queue) {
		d.base += d.head
		d.queue = d.queue[:0]
		d.head = 0
		return
	}
	if d.head < 1024 || d.head < len(d.queue)/2 {
		return
	}
	n := copy(d.queue, d.queue[d.head:])
	clear(d.queue[n:])
	d.queue = d.queue[:n]
	d.base += d.head
	d.head = 0
}

// writer delivers batches until none is ready.
func (d *Dispatcher[T]) writer(f *flight[T]) {
	defer d.wg.Done()
	for f != nil {
		failed := d.deliver(f.items)
		d.mu.Lock()
		d.doneLocked(f, failed)
		f = d.nextLocked()
		if f == nil {
			d.writers--
		}
		d.mu.Unlock()
	}
}

// doneLocked records the end of a batch: every item is written or failed.
func (d *Dispatcher[T]) doneLocked(f *flight[T], failed []Failure[T]) {
	d.failures = append(d.failures, failed...)
	d.failed.Add(int64(len(failed)))
	for _, ks := range f.keys {
		ks.busy = false
		if ks.pos < 0 {
			d.dropKeyLocked(ks)
		}
	}
	d.flyItems -= len(f.items)
	d.bufItems -= len(f.items)
	d.bufBytes -= f.bytes
	for _, s := range f.seqs {
		d.finishLocked(s)
	}
	if d.room != nil {
		close(d.room)
		d.room = nil
	}
	if d.timerIdle && d.head < len(d.queue) {
		d.timerIdle = false
		d.kickTimer()
	}
}

// finishLocked counts item number seq as finished for the Flush calls that
// wait for it.
func (d *Dispatcher[T]) finishLocked(seq uint64) {
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

// deliver writes items, retrying what is left unprocessed or fails for a
// reason a retry can fix, until all are written or the retry policy gives up.
// It returns the items that failed.
func (d *Dispatcher[T]) deliver(items []T) (failures []Failure[T]) {
	var b backoff.BackOff // made at the first retry: most batches need none
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for attempt := 1; ; attempt++ {
		if err := context.Cause(d.ctx); err != nil {
			return failAll(items, err)
		}
		if attempt > 1 {
			d.retries.Add(int64(len(items)))
		}
		d.batches.Add(1)
		out, err := d.sink.Write(d.ctx, items)
		var cause error
		switch {
		case err == nil:
			// What the backend confirmed is written, even if Close has
			// given up meanwhile.
			retry, fs := splitOutcome(items, out)
			failures = append(failures, fs...)
			d.written.Add(int64(len(items) - len(retry) - len(fs)))
			if len(retry) == 0 {
				return failures
			}
			items, cause = retry, ErrUnprocessed
		case d.ctx.Err() != nil:
			return append(failures, failAll(items, context.Cause(d.ctx))...)
		case IsPermanent(err):
			var pe *PermanentError
			if errors.As(err, &pe); len(items) == 1 || pe.All {
				d.log.Warn("batch: item refused", "code", errorCode(err))
				d.log.Debug("batch: item refused", "error", err)
				return append(failures, failAll(items, err)...)
			}
			// Split to find the items that cause it; the others go on.
			half := len(items) / 2
			d.retries.Add(int64(len(items)))
			d.log.Debug("batch: batch refused, splitting it", "items", len(items), "error", err)
			failures = append(failures, d.deliver(items[:half])...)
			return append(failures, d.deliver(items[half:])...)
		default:
			cause = err
		}
		if b == nil {
			b = d.newBackOff()
		}
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			err := fmt.Errorf("batch: gave up after %d attempts: %w", attempt, cause)
			d.log.Warn("batch: retries exhausted", "items", len(items), "attempts", attempt, "code", errorCode(cause))
			d.log.Debug("batch: retries exhausted", "error", cause)
			return append(failures, failAll(items, err)...)
		}
		d.log.Debug("batch: retrying", "items", len(items), "attempt", attempt, "wait", wait, "error", cause)
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-timer.C:
		case <-d.ctx.Done():
			return append(failures, failAll(items, context.Cause(d.ctx))...)
		}
	}
}

// splitOutcome returns the items of a call that out says to retry, and the
// failures it names. An index out of range or named twice is a sink bug:
// the items concerned fail with ErrBadOutcome.
func splitOutcome[T any](items []T, out Outcome) (retry []T, failures []Failure[T]) {
	if len(out.Retry) == 0 && len(out.Failed) == 0 {
		return nil, nil
	}
	const (
		written = iota
		retried
		failed
		bad
	)
	state := make([]uint8, len(items))
	var errs map[int]error
	var outOfRange []int
	mark := func(i int, s uint8) bool {
		if i < 0 || i >= len(items) {
			outOfRange = append(outOfRange, i)
			return false
		}
		if state[i] != written {
			state[i] = bad
			return false
		}
		state[i] = s
		return true
	}
	for _, i := range out.Retry {
		mark(i, retried)
	}
	for _, f := range out.Failed {
		if mark(f.Index, failed) {
			if errs == nil {
				errs = make(map[int]error)
			}
			errs[f.Index] = f.Err
		}
	}
	for i, it := range items {
		switch {
		case state[i] == written && len(outOfRange) > 0:
			// The sink named an item that is not there: which one it
			// meant is unknown, so none of the unnamed is known written.
			failures = append(failures, Failure[T]{Item: it, Err: fmt.Errorf("%w: index %d out of range for a batch of %d", ErrBadOutcome, outOfRange[0], len(items))})
		case state[i] == retried:
			retry = append(retry, it)
		case state[i] == failed:
			failures = append(failures, Failure[T]{Item: it, Err: errs[i]})
		case state[i] == bad:
			failures = append(failures, Failure[T]{Item: it, Err: fmt.Errorf("%w: item %d named twice", ErrBadOutcome, i)})
		}
	}
	return retry, failures
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
	if errors.Is(err, ErrUnprocessed) {
		return "Unprocessed"
	}
	return fmt.Sprintf("%T", errors.Unwrap(err))
}

func failAll[T any](items []T, err error) []Failure[T] {
	fs := make([]Failure[T], len(items))
	for i, it := range items {
		fs[i] = Failure[T]{Item: it, Err: err}
	}
	return fs
}

// kickTimer wakes the timer goroutine without blocking.
func (d *Dispatcher[T]) kickTimer() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// timer sends the pending items that have waited FlushInterval.
func (d *Dispatcher[T]) timer() {
	defer d.wg.Done()
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		d.mu.Lock()
		d.dispatchLocked()
		wait := time.Duration(-1)
		if d.head < len(d.queue) && d.writers < d.maxInFlight {
			wait = max(time.Until(d.queue[d.head].at.Add(d.interval)), 0)
		}
		// With nothing to wait for, or every writer busy (a writer sends
		// what is due when it is done), sleep until kicked.
		d.timerIdle = wait <= 0
		d.mu.Unlock()
		if wait <= 0 {
			select {
			case <-d.kick:
			case <-d.stop:
				return
			}
			continue
		}
		t.Reset(wait)
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

// Flush sends every pending item, full batch or not, and waits until each
// item accepted before the call is written or has failed. It returns nil, or
// a *FailedError[T] with every failure not reported before (by Flush or
// Close), each with its item and cause. If ctx ends first, Flush returns
// ctx's error; nothing is lost: the work goes on and a later Flush or Close
// reports its failures.
func (d *Dispatcher[T]) Flush(ctx context.Context) error {
	d.mu.Lock()
	if n := d.bufItems; n > 0 {
		w := &waiter{upTo: d.seq, remaining: n, done: make(chan struct{})}
		d.waiters = append(d.waiters, w)
		d.dispatchLocked()
		d.mu.Unlock()
		select {
		case <-w.done:
		case <-ctx.Done():
			d.mu.Lock()
			d.dropWaiterLocked(w)
			d.mu.Unlock()
			return ctx.Err()
		}
		d.mu.Lock()
	}
	fs := d.failures
	d.failures = nil
	d.mu.Unlock()
	return failedError(fs)
}

func (d *Dispatcher[T]) dropWaiterLocked(w *waiter) {
	for i, x := range d.waiters {
		if x == w {
			d.waiters = append(d.waiters[:i], d.waiters[i+1:]...)
			return
		}
	}
}

func failedError[T any](fs []Failure[T]) error {
	if len(fs) == 0 {
		return nil
	}
	return &FailedError[T]{Failures: fs}
}

// Close refuses further items, flushes, and stops every goroutine the
// Dispatcher started. It returns like Flush. If ctx ends before everything is
// written, Close stops waiting: in-flight calls are cancelled, retries
// abandoned, and every item not written is returned as a failure whose error
// matches both ErrClosed and ctx's error. Close is idempotent: later calls
// wait for the first to finish and return the failures not yet reported.
func (d *Dispatcher[T]) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		select {
		case <-d.closeDone:
		case <-ctx.Done():
			return ctx.Err()
		}
		d.mu.Lock()
		fs := d.failures
		d.failures = nil
		d.mu.Unlock()
		return failedError(fs)
	}
	d.closing = true
	d.dispatchLocked()
	if d.room != nil { // wake blocked Submit calls: they return ErrClosed
		close(d.room)
		d.room = nil
	}
	d.mu.Unlock()

	err := d.Flush(ctx)
	if err != nil && !errors.As(err, new(*FailedError[T])) {
		// ctx ended: give up on what is left.
		cause := fmt.Errorf("%w before the item was written: %w", ErrClosed, err)
		d.cancel(cause)
		d.mu.Lock()
		d.aborted = true
		for _, e := range d.queue[d.head:] {
			d.failures = append(d.failures, Failure[T]{Item: e.item, Err: cause})
			d.failed.Add(1)
			d.bufItems--
			d.bufBytes -= e.size
			d.finishLocked(e.seq)
			if ks := e.ks; ks != nil {
				ks.pos = -1
				if !ks.busy {
					d.dropKeyLocked(ks)
				}
			}
		}
		clear(d.queue)
		d.queue, d.head, d.pendBytes = d.queue[:0], 0, 0
		d.mu.Unlock()
		d.shutdown()
		d.mu.Lock()
		fs := d.failures
		d.failures = nil
		d.mu.Unlock()
		err = failedError(fs)
	} else {
		d.shutdown()
	}
	d.cancel(ErrClosed)
	close(d.closeDone)
	return err
}

// shutdown stops the timer and waits for every goroutine.
func (d *Dispatcher[T]) shutdown() {
	if d.stop != nil {
		close(d.stop)
	}
	d.wg.Wait()
}

// Stats returns the counters as they are now.
func (d *Dispatcher[T]) Stats() Stats {
	d.mu.Lock()
	s := Stats{
		Submitted: d.submitted,
		Replaced:  d.replaced,
		Pending:   len(d.queue) - d.head,
		InFlight:  d.flyItems,
	}
	d.mu.Unlock()
	s.Written = d.written.Load()
	s.Failed = d.failed.Load()
	s.Rejected = d.rejected.Load()
	s.Retries = d.retries.Load()
	s.Batches = d.batches.Load()
	return s
}
