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
// Replaced: every accepted item is accounted for.
package batch
