// Package snsbatch publishes messages to an Amazon SNS topic in
// PublishBatch calls, so that callers hand it messages one at a time and
// never deal with the ten-entry limit, the size of a call, failed entries,
// throttling or FIFO order.
//
// It is the SNS backend of package batch. Each message is measured as SNS
// counts it (body plus every attribute's name, data type and value) and
// checked once, at Publish; entries SNS failed through no fault of the
// sender, or throttled, are retried after a backoff; every message that
// could not be published comes back, with its cause, in a
// *batch.FailedError from Flush or Close, or from PublishWait. On a FIFO
// topic the messages of one group are published in order. docs/sns.md in
// the repository is the guide.
package snsbatch
