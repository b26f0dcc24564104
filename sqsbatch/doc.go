// Package sqsbatch sends messages to an Amazon SQS queue in SendMessageBatch
// calls, so that callers hand it messages one at a time and never deal with
// the ten-entry limit, message sizes, failed entries, throttling or FIFO
// order.
//
// It is the SQS backend of package batch, and the Go successor of the
// Python library boto3_batch_utils' SQS standard and FIFO dispatchers. Each
// message is encoded, measured as SQS counts it (body plus every attribute's
// name, data type and value) and checked once, at Send: a message SQS would
// refuse never gets into a batch. Batches of up to ten entries are sent
// concurrently; an entry SQS failed through no fault of the sender, or
// throttled, is retried with backoff, an entry it refused is reported with
// SQS's code and message, and nothing is dropped silently: every message
// that could not be sent comes back, with its cause, in a
// *batch.FailedError from Flush or Close.
//
// On a FIFO queue (a URL whose name ends in ".fifo") the messages of one
// message group reach the queue in the order they were sent, across batches,
// concurrency and retries, while different groups go in parallel.
//
// docs/sqs.md in the repository is the guide: limits, ids, FIFO rules, what
// is retried and what comes back.
package sqsbatch
