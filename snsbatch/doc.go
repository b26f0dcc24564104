// Package snsbatch publishes messages to an Amazon SNS topic in
// PublishBatch calls, so that callers hand it messages one at a time and
// never deal with the ten-entry limit, the size of a call, failed entries,
// throttling or FIFO order. It is the SNS backend of package batch: each
// message is checked and measured once, at Publish; what a retry can fix is
// retried; every message not published comes back with its cause. The
// guide is docs/sns.md in the repository.
package snsbatch
