// Package kinesisbatch puts records into a Kinesis data stream in PutRecords
// calls, so that callers hand it records one at a time and never deal with
// batch limits, throttled records, ordering or lost writes.
//
// It is the Kinesis Data Streams backend of package batch, and the Go
// successor of boto3_batch_utils' KinesisBatchDispatcher: each record is
// encoded and measured once, at Put, the way Kinesis counts it (data plus
// partition key bytes); a record too large, an empty or over-long partition
// key and a bad explicit hash key are refused there, with typed errors,
// before one of them can get a whole call refused; calls hold at most 500
// records and stay under a request size every server accepts; records that
// PutRecords answers with ProvisionedThroughputExceededException or
// InternalFailure are sent again after a backoff, and the first of
// those lowers the send rate; with Config.Ordered, the records of one
// partition key reach the stream in the order they were put; and every record
// that cannot be written comes back, with the service's error code and
// message, in a *batch.FailedError from Flush or Close, or from PutWait.
//
// With Config.Aggregate, small records are packed into aggregated records
// in the Kinesis Producer Library's format, shard by shard, so that each
// still lands on the shard its own key maps to and still has its own
// outcome; Deaggregate unpacks them for consumers.
//
// docs/kinesis.md in the repository is the guide: limits, partition keys,
// ordering and what it costs, retries, and what comes back.
package kinesisbatch
