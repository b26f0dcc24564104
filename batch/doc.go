// Package batch turns records submitted one at a time into batch calls to a
// backend, without losing any: batching amortizes a call's fixed cost over
// many records, and the Dispatcher does it within the backend's limits.
//
// A backend plugs in as a Sink: it states its Limits, measures and
// validates each item (its de-duplication key and its size), and writes one
// batch, returning what the backend left unprocessed. The Dispatcher owns
// everything else:
//
//   - buffering, with full batches by count and by bytes sent at once, and a
//     timed flush (Config.FlushInterval) for the rest;
//   - up to Config.MaxInFlight concurrent Write calls;
//   - backpressure: Submit blocks when Config.MaxBuffered items (or
//     Config.MaxBufferedBytes) are accepted and not yet written;
//   - de-duplication of pending keys (Config.Duplicates: refuse, or last
//     write wins), and per-key order: an item is never sent while an
//     earlier item of its key is in flight;
//   - retries with jittered exponential backoff of unprocessed items and of
//     failed calls, and the isolation, by splitting the batch, of the items
//     a backend refuses outright (see Permanent);
//   - the reporting of every item that could not be written, with its cause,
//     in a *FailedError from Flush or Close: each failure once, never a log
//     line only.
//
// At rest (after Flush), Stats satisfy Submitted == Written + Failed +
// Replaced: every accepted item is accounted for.
package batch
