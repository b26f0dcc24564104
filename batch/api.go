package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.opentelemetry.io/otel/metric"
)

// Limits are a backend's hard limits on one batch call. The dispatcher never
// builds a batch that breaks them.
type Limits struct {
	MaxItems      int // items in one batch; must be at least 1
	MaxItemBytes  int // size of one item, as the backend counts it; 0: no limit
	MaxBatchBytes int // sum of the item sizes in one batch; 0: no limit
	// InOrder says that the backend applies the items of one call in the
	// order they are given (an SQS FIFO queue does). The dispatcher may then
	// put several items of one key in one call, in submission order. When
	// false (DynamoDB, Kinesis), a call never holds two items of one key.
	InOrder bool
	// Ahead is how many Write calls beyond Config.MaxInFlight the
	// dispatcher may make at once, to a backend that itself holds the
	// requests that reach the service to Config.MaxInFlight at a time
	// (the AWS backends, through an SDK client: internal/awscall's Gate).
	// Such a Write builds and signs its request while the calls before it
	// are under way, and sends it as soon as one of them ends: with one
	// call in flight, the next is ready when the last returns. 0 for a
	// backend whose every Write call is a call in flight.
	Ahead int
}

// Sink is a backend whose items need no encoding: it measures items and
// writes batches of them. A backend with a wire format of its own implements
// Backend instead, and its users get a Front.
//
// The dispatcher calls Limits once, in New. Measure is called from the
// goroutine that calls Submit, possibly from many goroutines at once. Write is
// called from up to Config.MaxInFlight (plus Limits().Ahead) goroutines at
// once, never with an item whose key has an earlier item in another call
// still under way, and, unless Limits().InOrder, never with two items of one
// non-empty key in one call.
// Write must return soon after ctx ends. A Sink never retries, sleeps or keeps
// items on its own: it says what happened to each item, and the dispatcher
// decides what happens next. docs/backends.md is the guide to writing one.
type Sink[T any] interface {
	// Limits returns the backend's limits on one batch.
	Limits() Limits
	// Measure validates item and returns its key ("" = no key: never
	// de-duplicated, never ordered) and its size in bytes as the backend
	// counts it. An error rejects the item at Submit.
	Measure(item T) (key string, size int, err error)
	// Write sends one batch. A nil error means the call went through: every
	// item is written except those the Outcome names. A non-nil error means
	// the call failed as a whole: an error wrapped with Permanent is never
	// retried, and the dispatcher splits the batch to isolate the items that
	// cause it; one wrapped with PermanentForAll fails every item of the
	// call at once; any other error is retried, every item of the call
	// again. Wrap an error with Throttle when the backend said it is
	// overloaded, so that the dispatcher slows down. An error that wraps
	// ErrClosed, once ctx has ended, says that the call was never sent:
	// its items are then failed with ErrClosed, not ErrOutcomeUnknown.
	Write(ctx context.Context, items []T) (Outcome, error)
}

// Outcome is what a call that went through did with its batch. The zero
// Outcome says every item was written.
type Outcome struct {
	// Retry holds the indexes, into the batch passed to Write, of the items
	// the backend did not take this time (DynamoDB's UnprocessedItems, a
	// throttled Kinesis record). They are sent again after a backoff, before
	// any later item of their key.
	Retry []int
	// Failed holds the items the backend refused on their own: they are
	// reported with their error and never sent again. The other items of the
	// call are not sent again either. An error made with MaybeWritten says
	// the backend took the item but did not confirm it as sent (an SQS
	// answer whose MD5 is not that of the message): the item fails with
	// ErrOutcomeUnknown and that error, and is not sent again, since a
	// copy sent again could be a duplicate.
	Failed []ItemError
	// Throttled says the backend pushed back on this call (the items in
	// Retry were throttled): the dispatcher lowers its send rate. Leave it
	// false for retries that are not a sign of overload.
	Throttled bool
	// Retried is Retry with a cause for each item: the backend's own answer
	// for it (a throttled Kinesis record's error code). The dispatcher keeps
	// the last cause of each item, and if its retry policy gives up, the
	// item fails with ErrUnprocessed and that cause. A cause made with
	// MaybeWritten says the backend may have taken the item all the same
	// (the answer did not mention it): it is sent again, but if it is
	// never confirmed it fails with ErrOutcomeUnknown. An index may be in
	// Retry or Retried, not both.
	Retried []ItemError
}

// ItemError is one item of a call that the backend refused.
type ItemError struct {
	Index int   // into the batch passed to Write
	Err   error // the item's own cause, as the backend gave it
}

// Defaults used where a Config field is zero.
const (
	// DefaultMaxInFlight is the number of concurrent Write calls when
	// Config.MaxInFlight is 0.
	DefaultMaxInFlight = 4
	// DefaultMaxBuffered is the number of items accepted but not yet
	// written (pending, in flight or waiting for a retry) past which Submit
	// blocks, when Config.MaxBuffered is 0 and the batches are small: at
	// least twice what the writers hold at once (2 * MaxInFlight * batch
	// size) is allowed. A larger buffer costs CPU (the garbage collector
	// marks every buffered item again and again) and gains nothing once the
	// writers are kept busy: see docs/performance.md.
	DefaultMaxBuffered = 1_000
	// DefaultMaxBufferedBytes is the sum of the sizes of the items accepted
	// but not yet written past which Submit blocks, when
	// Config.MaxBufferedBytes is 0.
	DefaultMaxBufferedBytes = 128 << 20
	// DefaultCloseGrace is how long Close, once its context has ended,
	// waits for the answers of the calls under way, when Config.CloseGrace
	// is 0.
	DefaultCloseGrace = 100 * time.Millisecond
)

// Config tunes a Dispatcher. The zero value is valid: every zero field means
// the default named in its comment.
type Config struct {
	// MaxBatchItems caps the items in one batch. 0: Limits().MaxItems; more
	// than that is a configuration error.
	MaxBatchItems int
	// FlushInterval is the longest an item waits in the buffer before it is
	// sent in a batch that is not full, measured from the oldest pending
	// item. 0: no timed flush; items wait for a full batch, Flush or Close.
	FlushInterval time.Duration
	// MaxInFlight is the most concurrent Write calls. 0:
	// DefaultMaxInFlight. A backend whose Limits().Ahead is set gets that
	// many more Write calls, which prepare their requests but wait for one
	// of MaxInFlight turns to send them: the AWS backends hold the calls
	// that reach the service to MaxInFlight so. While the Write calls of a
	// Sink take under 5 µs on average (a Sink in memory, not over a
	// network), they go one at a time, unless one has taken over a
	// millisecond: one writer keeps up with such a Sink, and more would
	// only wait for each other.
	MaxInFlight int
	// MaxBuffered is the number of items accepted but not yet written
	// (pending, in flight or waiting for a retry) at which Submit blocks
	// until there is room or its context ends. 0: DefaultMaxBuffered, or
	// 2 * MaxInFlight * the batch size if that is more.
	MaxBuffered int
	// MaxBufferedBytes bounds the sum of the sizes of the items accepted but
	// not yet written in the same way. An item is always accepted when
	// nothing else is buffered, whatever its size. 0:
	// DefaultMaxBufferedBytes.
	MaxBufferedBytes int
	// Duplicates says what Submit does with an item whose key is already
	// pending. The zero value is RejectDuplicates.
	Duplicates DuplicatePolicy
	// BackOff returns a fresh policy for each item, the first time it is
	// left to retry: an item's waits and its give-up follow its own policy,
	// whatever calls carry it. One exception: an item the backend throttled,
	// while the dispatcher holds itself to a lowered send rate, goes again
	// the first time at that rate's pace instead of after its first wait
	// (the retry still counts as one of the policy's). nil: DefaultBackOff.
	BackOff func() backoff.BackOff
	// ItemTTL is the longest an item may wait from Submit to being sent:
	// an item still pending or waiting for a retry past it fails with
	// ErrExpired and is never sent again (one already in a call is not
	// recalled). For data that is worth less than nothing when late. 0: no
	// limit.
	ItemTTL time.Duration
	// CloseGrace is how long Close, once its context has ended, still
	// waits for the answers of the calls under way: an answer that comes in
	// time says what became of their items. Past it the calls are
	// cancelled and their items fail with ErrOutcomeUnknown. 0:
	// DefaultCloseGrace; there is no way to wait for nothing but a
	// negligible grace (a nanosecond).
	CloseGrace time.Duration
	// MeterProvider gives the OpenTelemetry meter of the dispatcher's
	// metrics (docs/metrics.md): batchutils.items, batchutils.calls,
	// batchutils.call.duration, batchutils.batch.size, batchutils.buffered
	// and batchutils.rate.limit, each with the attributes
	// batchutils.backend and batchutils.target. nil: the global
	// MeterProvider (otel.GetMeterProvider), which records nothing until
	// the application sets one.
	MeterProvider metric.MeterProvider
	// Logger receives failures at warn level, with counts and error codes
	// only, and retries and error messages at debug level (a backend may
	// quote item contents in its messages). Item contents themselves are
	// never logged. nil: discard.
	Logger *slog.Logger
}

// DuplicatePolicy says what happens when an item is submitted while another
// item with the same key is pending (buffered and not yet sent).
type DuplicatePolicy int

const (
	// RejectDuplicates keeps the pending item: Submit returns ErrDuplicate.
	RejectDuplicates DuplicatePolicy = iota
	// ReplaceDuplicates puts the new item in the place of the pending one,
	// which is counted in Stats.Replaced: the last write wins.
	ReplaceDuplicates
	// KeepDuplicates keeps every item: items of one key are written one
	// after another, in the order they were submitted, and none is refused
	// or replaced. It is the policy of an SQS FIFO message group or a Kinesis
	// partition key: order without de-duplication.
	KeepDuplicates
)

// String returns the policy's name.
func (p DuplicatePolicy) String() string {
	switch p {
	case RejectDuplicates:
		return "RejectDuplicates"
	case ReplaceDuplicates:
		return "ReplaceDuplicates"
	case KeepDuplicates:
		return "KeepDuplicates"
	}
	return fmt.Sprintf("DuplicatePolicy(%d)", int(p))
}

// DefaultBackOff returns the retry policy used when Config.BackOff is nil:
// jittered exponential waits from 50ms, doubling up to 5s, giving up after 10
// retries or two minutes, whichever comes first.
func DefaultBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(50*time.Millisecond),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMaxInterval(5*time.Second),
		backoff.WithMaxElapsedTime(2*time.Minute),
	)
	return backoff.WithMaxRetries(b, 10)
}

// Errors that callers branch on with errors.Is.
var (
	// ErrClosed is returned by Submit after Close, and wrapped in the
	// failures of the items that Close had to give up on when its context
	// ended.
	ErrClosed = errors.New("batch: dispatcher closed")
	// ErrDuplicate is returned by Submit, under RejectDuplicates, for an item
	// whose key is already pending.
	ErrDuplicate = errors.New("batch: an item with the same key is already pending")
	// ErrItemTooLarge is returned by Submit for an item larger than the
	// backend accepts.
	ErrItemTooLarge = errors.New("batch: item too large")
	// ErrUnprocessed is the cause of the failure of an item that the backend
	// still left unprocessed when the retry policy gave up.
	ErrUnprocessed = errors.New("batch: the backend left the item unprocessed")
	// ErrOutcomeUnknown is the cause of the failure of an item whose call
	// may have been applied when the dispatcher stopped trying: the call was
	// under way when Close gave up, or its last try ended after the request
	// was sent, without an answer (see MaybeWritten). Such an item may be
	// in the backend: resending it may write it twice. It does not match
	// ErrClosed, and Stats counts such items in Unknown, not in Failed.
	ErrOutcomeUnknown = errors.New("batch: the outcome of the item is unknown: its call may have been applied")
	// ErrExpired is the cause of the failure of an item that waited longer
	// than Config.ItemTTL to be sent.
	ErrExpired = errors.New("batch: the item expired before it was written")
	// ErrBadOutcome is the cause of the failure of an item that a Sink's
	// Outcome named wrongly (an index out of range, or named twice): a bug
	// in the sink. The item may or may not have been written.
	ErrBadOutcome = errors.New("batch: the sink's outcome is invalid")
)

// ThrottleError marks an error by which the backend said it is overloaded.
// See Throttle.
type ThrottleError struct{ Err error }

// Throttle wraps err, a retryable error, to say that the backend pushed
// back (ProvisionedThroughputExceededException, ThrottlingException, HTTP
// 503 SlowDown): the call is retried after a backoff, and the dispatcher
// lowers its send rate. Throttle(nil) is nil.
func Throttle(err error) error {
	if err == nil {
		return nil
	}
	return &ThrottleError{Err: err}
}

// Error returns the wrapped error's message.
func (e *ThrottleError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *ThrottleError) Unwrap() error { return e.Err }

// IsThrottle reports whether err, or an error it wraps, was made by
// Throttle.
func IsThrottle(err error) bool {
	var t *ThrottleError
	return errors.As(err, &t)
}

// MaybeWrittenError marks the error of a call that may have been applied:
// the request was sent and no answer came (a dropped connection, a timeout).
// See MaybeWritten.
type MaybeWrittenError struct{ Err error }

// MaybeWritten wraps err, a retryable error, to say that the call may have
// been applied by the backend before it failed. The call is retried as any
// other; but if the retry policy gives up on an item whose call was ever
// ambiguous, or Close gives up on it, the item fails with ErrOutcomeUnknown
// rather than as not written. MaybeWritten(nil) is nil.
func MaybeWritten(err error) error {
	if err == nil {
		return nil
	}
	return &MaybeWrittenError{Err: err}
}

// Error returns the wrapped error's message.
func (e *MaybeWrittenError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *MaybeWrittenError) Unwrap() error { return e.Err }

// IsMaybeWritten reports whether err, or an error it wraps, was made by
// MaybeWritten.
func IsMaybeWritten(err error) bool {
	var m *MaybeWrittenError
	return errors.As(err, &m)
}

// PermanentError marks an error that no retry can fix. See Permanent and
// PermanentForAll.
type PermanentError struct {
	Err error
	// All says the error is the request's, not any item's (an unknown
	// table, denied access): splitting the batch cannot isolate anything,
	// so every item of the call fails with it.
	All bool
}

// Permanent wraps err so that the dispatcher does not retry the call that
// returned it. A Sink returns it from Write when the backend refused the
// request itself (a validation error, an unknown table). Permanent(nil) is
// nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// PermanentForAll wraps err so that the dispatcher neither retries the call
// that returned it nor splits its batch: every item of the call fails with
// err. A Sink returns it for refusals of the request as a whole, such as an
// unknown table or denied access. PermanentForAll(nil) is nil.
func PermanentForAll(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err, All: true}
}

// Error returns the wrapped error's message.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err, or an error it wraps, was made by
// Permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Failure is an item that could not be written, and why.
type Failure[T any] struct {
	Item T
	Err  error
}

// FailedError reports the items that could not be written. Flush and Close
// return it; match it with errors.As. Each failure is reported once.
type FailedError[T any] struct {
	Failures []Failure[T]
}

// Error summarises the failures: their number and the first cause.
func (e *FailedError[T]) Error() string {
	switch len(e.Failures) {
	case 0:
		return "batch: no items failed"
	case 1:
		return "batch: 1 item failed: " + e.Failures[0].Err.Error()
	}
	return fmt.Sprintf("batch: %d items failed; first: %v", len(e.Failures), e.Failures[0].Err)
}

// Unwrap returns the cause of each failure, so that errors.Is and errors.As
// look through all of them.
func (e *FailedError[T]) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f.Err
	}
	return errs
}

// MapFailures returns err with its failures mapped by fn when it is a
// *FailedError[From], as a *FailedError[To]; any other error, nil included,
// it returns as it is. A backend whose Sink carries a request type of its own
// uses it to hand the caller's items back from Flush and Close.
func MapFailures[From, To any](err error, fn func(Failure[From]) Failure[To]) error {
	var fe *FailedError[From]
	if !errors.As(err, &fe) {
		return err
	}
	out := &FailedError[To]{Failures: make([]Failure[To], len(fe.Failures))}
	for i, f := range fe.Failures {
		out.Failures[i] = fn(f)
	}
	return out
}

// Stats counts what a Dispatcher did. At rest (after Flush returns),
// Submitted == Written + Failed + Unknown + Replaced.
type Stats struct {
	Submitted int64 // items accepted by Submit
	Written   int64 // items the backend confirmed
	Failed    int64 // items reported as failures, but those in Unknown
	Unknown   int64 // items reported as failures with ErrOutcomeUnknown: they may have been written
	Replaced  int64 // pending items displaced by a newer one with the same key (ReplaceDuplicates)
	Rejected  int64 // items Submit refused (duplicate, too large, invalid)
	Retries   int64 // items sent again
	Batches   int64 // Write calls
	Throttled int64 // Write calls on which the backend pushed back (see Throttle)
	// Rate is the send rate, in items per second, that the dispatcher holds
	// itself to after the backend pushed back; 0 while it is unlimited.
	Rate     float64
	Pending  int // items buffered and not yet sent, now
	InFlight int // items sent and not yet written or failed (including those waiting for a retry), now
	// Unreported is the number of failures kept for the next Flush or
	// Close, now. A failure handler (Dispatcher.HandleFailures) takes them
	// as they happen instead: then it stays 0.
	Unreported int
}
