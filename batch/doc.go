// Package batch turns records submitted one at a time into batch calls to a
// backend, without losing any: batching amortizes a call's fixed cost over
// many records, and the Dispatcher does it within the backend's limits.
//
// A backend plugs in as a Sink: it states its Limits, measures and
// validates each item (its key and its size), and writes one batch, saying
// in an Outcome what became of each item: written, to retry, or refused on
// its own. docs/backends.md is the guide to writing one. The Dispatcher owns
// everything else:
//
//   - buffering, with full batches by count and by bytes sent at once, and a
//     timed flush (Config.FlushInterval) for the rest;
//   - up to Config.MaxInFlight concurrent Write calls;
//   - backpressure: Submit blocks when Config.MaxBuffered items (or
//     Config.MaxBufferedBytes) are accepted and not yet written;
//   - keys: an item is never sent while an earlier item of its key is in
//     flight or waiting for a retry, so items of a key arrive in order; and
//     pending items of one key are refused, replaced, or all kept
//     (Config.Duplicates);
//   - retries with a jittered exponential backoff per item: an item left to
//     retry goes back to the front of the queue when its backoff ends and is
//     merged with others into full batches; the isolation, by splitting the
//     batch, of the items a backend refuses outright (see Permanent);
//   - a send rate that follows the backend: on throttling (Outcome.Throttled,
//     Throttle) the rate of items is cut and grows back, shared by every
//     writer;
//   - the reporting of every item that could not be written, with its cause,
//     in a *FailedError from Flush or Close, or to its own SubmitWait caller:
//     each failure once, never a log line only.
//
// Submit returns once an item is buffered; SubmitWait waits for the item's
// own outcome, and callers that wait at once share calls.
//
// At rest (after Flush), Stats satisfy Submitted == Written + Failed +
// Unknown + Replaced: every accepted item is accounted for.
//
// # Outcomes
//
// Every accepted item ends in exactly one of three ways: written (the
// backend confirmed it); failed with its cause (the backend refused it, the
// retry policy gave up on it, or Close gave up before it was ever sent:
// ErrClosed), and then it is not in the backend; or failed with
// ErrOutcomeUnknown, when the dispatcher stopped while a call that carried it
// may have been applied (Close gave up while the call was under way, or the
// connection dropped after the request was sent: see MaybeWritten). Resending
// an item of the last kind may write it twice.
//
// # Backends
//
// A backend package implements Backend (Limits, Encode, Write) and embeds a
// Front, which gives its users Submit, SubmitWait, Flush, Close and Stats on
// their own item type: Encode runs once per item, at Submit, and failures
// hand back the caller's items. A Sink is the same contract without the
// encoding step, for items that need none. docs/backends.md is the guide.
//
// # Concurrency
//
// Every method of a Dispatcher and a Front is safe for concurrent use.
//
// One mutex (Dispatcher.mu) guards the queue, the buffer counts, the
// counters, the waiting Flush and SubmitWait callers, the scheduler's state
// and the state of Close. The rate control has its own mutex; it is taken
// with mu held (a call's outcome is observed under mu) or alone (a writer
// reserves its call's items before it sends), never the other way round. No
// lock is held while a Sink's Measure or Write runs, and callers are told
// their outcomes through buffered channels, so no user code runs under mu.
//
// The goroutines a Dispatcher starts are the writers, up to
// Config.MaxInFlight, each sending batches until none is due, and one
// scheduler, started by the first retry or by a FlushInterval, which returns
// retried items to the queue when their backoff ends and sends what has
// waited FlushInterval. All of them are counted in one WaitGroup, which Close
// waits for: Close must be called once a Dispatcher is no longer needed, or
// the scheduler stays.
package batch
