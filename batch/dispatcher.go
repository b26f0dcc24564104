package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
// failed (waiting for a retry counts as in flight). An item is never sent
// while another item of its key is in flight, so items of one key reach the
// backend in the order they were submitted; an item left to retry is sent
// again before any later item of its key.
type Dispatcher[T any] struct {
	sink     Sink[T]
	settings              // fixed in New
	rate     *rateControl // its own lock, taken after mu, never before

	// ctx is the context of every Write call; it is cancelled when Close
	// gives up waiting.
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // the writers and the scheduler

	rejected atomic.Int64 // changes outside mu

	// mu guards every part below. It is never held while a Sink is
	// called or a caller is told anything but through a buffered channel.
	mu         sync.Mutex
	queue[T]   // what is pending, by key, and what waits for a retry: queue.go
	buffer     // what is accepted and not finished, for backpressure
	counters   // what Stats reports
	waiting[T] // Flush calls waiting, and failures not yet reported: wait.go
	scheduler  // the goroutine of timed work: schedule.go
	lifecycle  // Close
}

// settings are a Dispatcher's configuration, fixed in New.
type settings struct {
	limits      Limits // with MaxItems set to the batch size in use
	maxInFlight int    // writers: Config.MaxInFlight plus Limits.Ahead
	maxBuf      int
	maxBufBytes int
	interval    time.Duration
	policy      DuplicatePolicy
	newBackOff  func() backoff.BackOff
	log         *slog.Logger
	grace       time.Duration // how long Close waits for the calls under way once its context ended
	ttl         time.Duration // Config.ItemTTL
	meters      *meters
}

// buffer is what the dispatcher holds: the items accepted and not finished,
// which Submit blocks on.
type buffer struct {
	bufItems int           // items accepted and not yet finished
	bufBytes int           // sum of their sizes
	flyItems int           // of those, in flight or waiting for a retry
	writers  int           // writer goroutines running
	callTime time.Duration // the moving average of call durations; -1 before the first
	calls    []time.Time   // when each call under way started
	seq      uint64        // the number of the last accepted item
	blocked  int           // Submit calls waiting for room
	room     chan struct{} // closed when room is made, for them
}

// counters are what Stats reports, but Rejected and Rate.
type counters struct {
	submitted int64
	replaced  int64
	written   int64
	failed    int64
	unknown   int64
	retries   int64
	batches   int64
	throttled int64
	// callErrors are the calls that failed as a whole, but for throttling.
	callErrors int64
	reported   reported // what the metrics were given so far
}

// lifecycle is where Close stands.
type lifecycle struct {
	closing   bool          // Close was called: Submit refuses
	aborted   bool          // Close gave up: nothing more is sent
	closeDone chan struct{} // closed when the first Close returns
	idle      chan struct{} // closed when the last writer returns, while Close waits for it
	// The causes of the items Close gives up on: never sent, or sent and
	// unanswered.
	closedErr, unknownErr error
}

// New returns a Dispatcher that writes to sink. It validates cfg against the
// sink's limits once, and returns an error that names the first field in
// error.
func New[T any](sink Sink[T], cfg Config) (*Dispatcher[T], error) {
	if sink == nil {
		return nil, errors.New("batch: New needs a Sink, got nil")
	}
	return newDispatcher(sink, cfg, "")
}

// newDispatcher is New. A configuration error names the field in error
// "batch: Config.Field"; with a prefix, prefix+"Field": a backend names the
// field as its user set it.
func newDispatcher[T any](sink Sink[T], cfg Config, prefix string) (*Dispatcher[T], error) {
	lim := sink.Limits()
	if err := checkConfig(cfg, lim); err != nil {
		if msg, ok := strings.CutPrefix(err.Error(), configPrefix); ok && prefix != "" {
			return nil, errors.New(prefix + msg)
		}
		return nil, err
	}
	if cfg.MaxBatchItems > 0 {
		lim.MaxItems = cfg.MaxBatchItems
	}
	// An item must fit in a batch on its own.
	if lim.MaxBatchBytes > 0 && (lim.MaxItemBytes == 0 || lim.MaxItemBytes > lim.MaxBatchBytes) {
		lim.MaxItemBytes = lim.MaxBatchBytes
	}
	d := &Dispatcher[T]{
		sink: sink,
		settings: settings{
			limits:      lim,
			maxInFlight: orDefault(cfg.MaxInFlight, DefaultMaxInFlight) + lim.Ahead,
			maxBuf:      orDefault(cfg.MaxBuffered, max(DefaultMaxBuffered, 2*orDefault(cfg.MaxInFlight, DefaultMaxInFlight)*lim.MaxItems)),
			maxBufBytes: orDefault(cfg.MaxBufferedBytes, DefaultMaxBufferedBytes),
			interval:    cfg.FlushInterval,
			policy:      cfg.Duplicates,
			newBackOff:  cfg.BackOff,
			log:         cfg.Logger,
			grace:       cfg.CloseGrace,
			ttl:         cfg.ItemTTL,
		},
		rate:      newRateControl(lim.MaxItems),
		queue:     queue[T]{keys: newKeyTable[T]()},
		buffer:    buffer{callTime: -1},
		scheduler: scheduler{stop: make(chan struct{})},
		lifecycle: lifecycle{closeDone: make(chan struct{})},
	}
	if d.grace == 0 {
		d.grace = DefaultCloseGrace
	}
	m, err := newMeters(cfg.MeterProvider, sink, d)
	if err != nil {
		return nil, fmt.Errorf("batch: Config.MeterProvider: %w", err)
	}
	d.meters = m
	if d.newBackOff == nil {
		d.newBackOff = DefaultBackOff
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.ctx, d.cancel = context.WithCancelCause(context.Background())
	if d.interval > 0 {
		d.startSchedulerLocked()
	}
	return d, nil
}

// configPrefix starts the message of every error of checkConfig about a
// Config field.
const configPrefix = "batch: Config."

// checkConfig validates cfg against a sink's limits.
func checkConfig(cfg Config, lim Limits) error {
	switch {
	case lim.MaxItems < 1:
		return fmt.Errorf("batch: Sink Limits().MaxItems %d is less than 1", lim.MaxItems)
	case lim.MaxItemBytes < 0:
		return fmt.Errorf("batch: Sink Limits().MaxItemBytes %d is negative", lim.MaxItemBytes)
	case lim.MaxBatchBytes < 0:
		return fmt.Errorf("batch: Sink Limits().MaxBatchBytes %d is negative", lim.MaxBatchBytes)
	case lim.Ahead < 0:
		return fmt.Errorf("batch: Sink Limits().Ahead %d is negative", lim.Ahead)
	case cfg.MaxBatchItems < 0:
		return fmt.Errorf("batch: Config.MaxBatchItems %d is negative", cfg.MaxBatchItems)
	case cfg.MaxBatchItems > lim.MaxItems:
		return fmt.Errorf("batch: Config.MaxBatchItems %d is more than the sink allows (%d)", cfg.MaxBatchItems, lim.MaxItems)
	case cfg.FlushInterval < 0:
		return fmt.Errorf("batch: Config.FlushInterval %v is negative", cfg.FlushInterval)
	case cfg.MaxInFlight < 0:
		return fmt.Errorf("batch: Config.MaxInFlight %d is negative", cfg.MaxInFlight)
	case cfg.MaxBuffered < 0:
		return fmt.Errorf("batch: Config.MaxBuffered %d is negative", cfg.MaxBuffered)
	case cfg.MaxBufferedBytes < 0:
		return fmt.Errorf("batch: Config.MaxBufferedBytes %d is negative", cfg.MaxBufferedBytes)
	case cfg.Duplicates != RejectDuplicates && cfg.Duplicates != ReplaceDuplicates && cfg.Duplicates != KeepDuplicates:
		return fmt.Errorf("batch: Config.Duplicates %v is not a known policy", cfg.Duplicates)
	case cfg.ItemTTL < 0:
		return fmt.Errorf("batch: Config.ItemTTL %v is negative", cfg.ItemTTL)
	case cfg.CloseGrace < 0:
		return fmt.Errorf("batch: Config.CloseGrace %v is negative", cfg.CloseGrace)
	case cfg.BackOff != nil && cfg.BackOff() == nil:
		return errors.New("batch: Config.BackOff returned nil; return a backoff.BackOff, or leave BackOff nil for DefaultBackOff")
	}
	return nil
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
	return d.submit(ctx, item, nil)
}

// SubmitWait submits item and waits for its own outcome: nil once the
// backend has confirmed it, or its error (the same error a FailedError would
// carry; that failure is then not reported again by Flush or Close). It
// refuses an item as Submit does.
//
// A waiting caller never waits for a batch to fill: with no FlushInterval,
// its item goes as soon as a writer is free, with whatever else is pending,
// and callers that arrive while every writer is busy share the next calls.
// With a FlushInterval, the item goes with the timed flush.
//
// If ctx ends first, SubmitWait returns ctx's error; the item is not lost:
// it is still written, and a failure of it is reported by Flush or Close as
// for Submit. Under ReplaceDuplicates, a caller whose item is displaced by a
// newer one of its key waits for the newer item, and gets its outcome: nil
// only once the newer item is written.
func (d *Dispatcher[T]) SubmitWait(ctx context.Context, item T) error {
	c := &waitCall{done: make(chan error, 1)}
	if err := d.submit(ctx, item, c); err != nil {
		return err
	}
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case err := <-c.done: // the outcome came first after all
		return err
	default:
		c.gone = true
		return ctx.Err()
	}
}

func (d *Dispatcher[T]) submit(ctx context.Context, item T, wc *waitCall) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, size, err := d.sink.Measure(item)
	if err != nil {
		d.reject()
		return err
	}
	if d.limits.MaxItemBytes > 0 && size > d.limits.MaxItemBytes {
		d.reject()
		return fmt.Errorf("%w: %d bytes, the most is %d", ErrItemTooLarge, size, d.limits.MaxItemBytes)
	}
	var h uint64
	if key != "" {
		h = d.keys.hash(key)
	}
	d.mu.Lock()
	var ks *keyState[T]
	var lone *entry[T]
	var at uint32 // where the key goes in d.keys, if it is not there
	for {
		if d.closing {
			d.mu.Unlock()
			return ErrClosed
		}
		if key != "" {
			// Most keys have nothing pending and go to their home
			// place: home tells so inline, and find looks further.
			var home bool
			ks, lone = nil, nil
			if at, home = d.keys.home(h); !home {
				ks, lone, at = d.keys.find(h, key)
				pendingLone := lone
				if ks != nil {
					pendingLone = ks.lone
				}
				if pendingLone != nil && pendingLone.taken {
					pendingLone = nil
				}
				if (pendingLone != nil || (ks != nil && ks.fresh > 0)) && d.policy != KeepDuplicates {
					if d.policy == RejectDuplicates {
						d.mu.Unlock()
						d.reject()
						return ErrDuplicate
					}
					if pendingLone != nil {
						d.replaceLoneLocked(pendingLone, item, size, wc)
					} else {
						d.replaceLocked(ks, item, size, wc)
					}
					d.dispatchIfDueLocked()
					d.mu.Unlock()
					return nil
				}
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
	e := d.newEntryLocked(item, size, wc)
	d.submitted++
	d.bufItems++
	d.bufBytes += size
	d.addLocked(e, key, h, at, ks, lone)
	d.dispatchIfDueLocked()
	if d.interval > 0 && d.wakeAt.IsZero() {
		d.kickLocked() // the timed flush has something to wait for
	}
	d.mu.Unlock()
	return nil
}

// reject counts an item Submit refused.
func (d *Dispatcher[T]) reject() {
	d.rejected.Add(1)
	d.meters.reportRejected()
}

// dispatchIfDueLocked starts writers when a full batch is ready, or an
// urgent one, unless calls are fast and a writer runs: it comes back for
// them at once (see writerlimit.go). Whether a call under way has stalled
// is the scheduler's to find, not every Submit's: writerLimitLocked would
// take the time at each.
func (d *Dispatcher[T]) dispatchIfDueLocked() {
	if d.writers < d.maxInFlight && (d.fullLocked() || (d.interval == 0 && d.waitPending > 0)) {
		if d.writers > 0 && d.callsFastLocked() {
			d.watchStallLocked()
			return
		}
		d.dispatchLocked()
	}
}

// Flush sends every pending item, full batch or not, and waits until each
// item accepted before the call is written or has failed. It returns nil, or
// a *FailedError[T] with every failure not reported before (by Flush, Close
// or SubmitWait), each with its item and cause. If ctx ends first, Flush
// returns ctx's error; nothing is lost: the work goes on and a later Flush or
// Close reports its failures.
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
	if err := d.waitHandedLocked(ctx); err != nil {
		d.mu.Unlock()
		return err
	}
	fs := d.failures
	d.failures = nil
	delta := d.deltaLocked()
	d.mu.Unlock()
	d.meters.report(delta)
	return failedError(fs)
}

func failedError[T any](fs []Failure[T]) error {
	if len(fs) == 0 {
		return nil
	}
	return &FailedError[T]{Failures: fs}
}

// Close refuses further items, flushes, and stops every goroutine the
// Dispatcher started. It returns like Flush. If ctx ends before everything is
// written, Close stops waiting: nothing more is sent, retries are abandoned,
// and every item not written is returned as a failure. An item that was
// never sent, or whose every call was refused, fails with an error that
// matches both ErrClosed and ctx's error. The calls under way get
// Config.CloseGrace to answer; then they are cancelled, and their items,
// which the backend may have applied, fail with an error that matches both
// ErrOutcomeUnknown and ctx's error (and not ErrClosed). Close is idempotent:
// later calls wait for the first to finish and return the failures not yet
// reported. A Dispatcher must be closed once it is no longer needed: its
// goroutines stop only then.
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
		// ctx ended: give up on what is left. What was never sent fails
		// with ErrClosed at once; the calls under way get a short grace to
		// answer, and what they carry then fails as ErrOutcomeUnknown.
		d.mu.Lock()
		d.closedErr = fmt.Errorf("%w before the item was written: %w", ErrClosed, err)
		d.unknownErr = fmt.Errorf("%w: its call was under way when Close gave up: %w", ErrOutcomeUnknown, err)
		d.abortLocked()
		var idle chan struct{}
		if d.writers > 0 && d.grace > 0 {
			idle = make(chan struct{})
			d.idle = idle
		}
		d.mu.Unlock()
		if idle != nil {
			t := time.NewTimer(d.grace)
			select {
			case <-idle:
			case <-t.C:
			}
			t.Stop()
		}
		d.cancel(d.unknownErr)
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
	d.publish()
	_ = d.meters.reg.Unregister() // the gauges: nothing is buffered any more
	close(d.closeDone)
	return err
}

// abortLocked fails every item that is not in a Write call: pending, or
// waiting for a retry. The writers fail the items in their calls.
func (d *Dispatcher[T]) abortLocked() {
	d.aborted = true
	for d.ready.len() > 0 {
		if s := d.ready.popFront(); s.e != nil {
			d.finishLocked(s.e, d.stopCause(s.e), false)
		}
	}
	for _, s := range d.retrying {
		if s.e != nil {
			d.finishLocked(s.e, d.stopCause(s.e), true)
		}
	}
	clear(d.retrying)
	d.retrying = d.retrying[:0]
	for _, ks := range d.keys.states() {
		d.flyItems -= ks.retried
		for ks.live() > 0 {
			e := ks.popFront()
			d.finishLocked(e, d.stopCause(e), false)
		}
		ks.retried, ks.ready = 0, false
		if ks.out == 0 {
			ks.busy = false
			d.dropKeyLocked(ks)
		}
	}
	d.readyItems, d.readyBytes, d.waitPending = 0, 0, 0
}

// shutdown stops the scheduler, waits for every writer and for the
// scheduler, then for the failure handler's goroutine to hand everything
// over.
func (d *Dispatcher[T]) shutdown() {
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	close(d.stop)
	d.wg.Wait()
	d.mu.Lock()
	done := d.stopHandOverLocked()
	d.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Stats returns the counters as they are now.
func (d *Dispatcher[T]) Stats() Stats {
	d.mu.Lock()
	s := Stats{
		Submitted:  d.submitted,
		Written:    d.written,
		Failed:     d.failed,
		Unknown:    d.unknown,
		Replaced:   d.replaced,
		Retries:    d.retries,
		Batches:    d.batches,
		Throttled:  d.throttled,
		Pending:    d.bufItems - d.flyItems,
		InFlight:   d.flyItems,
		Unreported: len(d.failures),
	}
	d.mu.Unlock()
	s.Rejected = d.rejected.Load()
	s.Rate = d.rate.current(time.Now())
	return s
}
