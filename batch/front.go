package batch

import (
	"context"
	"sync"
)

// Entry is what a Backend makes of one item at Submit: the value Write
// sends, the item's key and its size.
type Entry[E any] struct {
	// Value is what Write sends for the item: a wire entry of the
	// backend's request (a DynamoDB WriteRequest, a Kinesis
	// PutRecordsRequestEntry).
	Value E
	// Key orders and de-duplicates the item (see Config.Duplicates); ""
	// means none: never de-duplicated, never held back.
	Key string
	// Size is the item's size in bytes as the backend counts it against
	// Limits.MaxItemBytes and Limits.MaxBatchBytes.
	Size int
}

// Backend is a backend as a Front drives it: a Sink whose Write takes the
// wire entries it made of the caller's items, once each, at Submit. A backend
// package supplies what only it knows (its limits, its encoding, its call)
// and the Front does the rest: buffering, batching, retries, results per
// item, and the caller's own items handed back in failures.
//
// Encode is called from the goroutine that calls Submit, possibly from many
// at once; Write as a Sink's Write is (see Sink).
type Backend[T, E any] interface {
	// Limits returns the backend's limits on one batch.
	Limits() Limits
	// Encode validates item and makes its wire entry. An error rejects the
	// item at Submit, and is returned to the caller as it is: make it a
	// typed error or wrap a sentinel.
	Encode(item T) (Entry[E], error)
	// Write sends one batch of entries, as Sink.Write does: the indexes
	// of the Outcome are into entries.
	Write(ctx context.Context, entries []E) (Outcome, error)
}

// Named is implemented by a Backend that names itself in the errors of its
// configuration: NewFront's errors then read "NAME: Config.Batch.Field ..."
// (the field as the user of the backend set it) instead of
// "batch: Config.Field ...".
type Named interface {
	Name() string
}

// Front is a Dispatcher of the caller's items of type T for a Backend that
// writes wire entries of type E. It is the whole public face of a backend's
// dispatcher: a backend package embeds it and adds only the verbs of its
// service (Put, Send, Publish) as Submit under another name.
//
// All its methods are safe for concurrent use. Do not modify an item after
// passing it to Submit.
type Front[T, E any] struct {
	b    Backend[T, E]
	core *Dispatcher[pair[T, E]]
}

// pair is an item on its way: the caller's item and what its backend made
// of it.
type pair[T, E any] struct {
	item  T
	entry Entry[E]
	err   error // why the item is refused, from Encode
}

// NewFront returns a Front that writes through b. It validates cfg against
// b's limits once, as New does.
func NewFront[T, E any](b Backend[T, E], cfg Config) (*Front[T, E], error) {
	prefix := ""
	if n, ok := b.(Named); ok {
		prefix = n.Name() + ": Config.Batch."
	}
	core, err := newDispatcher[pair[T, E]](frontSink[T, E]{b: b, bufs: new(sync.Pool)}, cfg, prefix)
	if err != nil {
		return nil, err
	}
	return &Front[T, E]{b: b, core: core}, nil
}

// Submit accepts item for writing, as Dispatcher.Submit does: it returns
// once the item is buffered, or the error for which the item is refused.
func (f *Front[T, E]) Submit(ctx context.Context, item T) error {
	return f.core.Submit(ctx, f.encode(item, f.b.Encode))
}

// SubmitWait submits item and waits for its own outcome, as
// Dispatcher.SubmitWait does: nil once the backend confirmed it, or its
// error, which is then not reported again by Flush or Close.
func (f *Front[T, E]) SubmitWait(ctx context.Context, item T) error {
	return f.core.SubmitWait(ctx, f.encode(item, f.b.Encode))
}

// SubmitWith is Submit with encode in the place of the Backend's Encode:
// for a backend with more than one kind of request (a DynamoDB delete sends
// only the item's key). The failures of the item carry item itself.
func (f *Front[T, E]) SubmitWith(ctx context.Context, item T, encode func(T) (Entry[E], error)) error {
	return f.core.Submit(ctx, f.encode(item, encode))
}

// SubmitWaitWith is SubmitWait with encode in the place of the Backend's
// Encode, as SubmitWith.
func (f *Front[T, E]) SubmitWaitWith(ctx context.Context, item T, encode func(T) (Entry[E], error)) error {
	return f.core.SubmitWait(ctx, f.encode(item, encode))
}

func (f *Front[T, E]) encode(item T, encode func(T) (Entry[E], error)) pair[T, E] {
	e, err := encode(item)
	return pair[T, E]{item: item, entry: e, err: err}
}

// Flush sends every pending item and waits until each item accepted before
// the call is written or has failed. It returns nil, or a *FailedError[T]
// with the caller's items that failed since the last report, each with its
// cause: the backend's error for an item it refused, ErrUnprocessed with
// the backend's last answer for one it kept leaving unprocessed, the error
// of the call. If ctx ends first, Flush returns ctx's error; nothing is lost,
// and a later Flush or Close reports the failures.
func (f *Front[T, E]) Flush(ctx context.Context) error {
	return unpair[T, E](f.core.Flush(ctx))
}

// Close refuses further items, flushes, stops every goroutine the Front
// started and returns like Flush. If ctx ends first, every item not written
// comes back as a failure: one never sent matches ErrClosed; one whose call
// was under way matches ErrOutcomeUnknown (it may have been written). Close
// is idempotent; call it once a Front is no longer needed, or its goroutines
// stay.
func (f *Front[T, E]) Close(ctx context.Context) error {
	return unpair[T, E](f.core.Close(ctx))
}

// Stats returns the counters as they are now.
func (f *Front[T, E]) Stats() Stats { return f.core.Stats() }

// unpair hands the caller's items back in a *FailedError.
func unpair[T, E any](err error) error {
	return MapFailures(err, func(f Failure[pair[T, E]]) Failure[T] {
		return Failure[T]{Item: f.Item.item, Err: f.Err}
	})
}

// frontSink is the Sink a Front's Dispatcher writes to: it measures what
// Encode made, and hands the wire entries to the Backend's Write.
type frontSink[T, E any] struct {
	b    Backend[T, E]
	bufs *sync.Pool // of *[]E, one per Write call at a time
}

func (s frontSink[T, E]) Limits() Limits { return s.b.Limits() }

// MetricLabels are the Backend's, if it is Labeled.
func (s frontSink[T, E]) MetricLabels() (backend, target string) {
	if l, ok := s.b.(Labeled); ok {
		return l.MetricLabels()
	}
	return "", ""
}

func (s frontSink[T, E]) Measure(p pair[T, E]) (string, int, error) {
	return p.entry.Key, p.entry.Size, p.err
}

func (s frontSink[T, E]) Write(ctx context.Context, ps []pair[T, E]) (Outcome, error) {
	buf, _ := s.bufs.Get().(*[]E)
	if buf == nil {
		buf = new([]E)
	}
	for _, p := range ps {
		*buf = append(*buf, p.entry.Value)
	}
	out, err := s.b.Write(ctx, *buf)
	clear(*buf)
	*buf = (*buf)[:0]
	s.bufs.Put(buf)
	return out, err
}

// HandleFailures makes h receive each failure with the caller's item as it
// happens, instead of keeping it for Flush or Close: see
// Dispatcher.HandleFailures.
func (f *Front[T, E]) HandleFailures(h func(Failure[T])) {
	if h == nil {
		return
	}
	f.core.HandleFailures(func(fl Failure[pair[T, E]]) {
		h(Failure[T]{Item: fl.Item.item, Err: fl.Err})
	})
}
