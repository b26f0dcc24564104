// Package firehosebatch puts records into an Amazon Data Firehose stream in
// PutRecordBatch calls, so that callers hand it records one at a time and
// never lose one to a batch limit, a throttled record or a call that fails
// silently.
//
// It is the Firehose backend of package batch. A PutRecordBatch call that
// succeeds may still have left records out: Firehose answers each record in
// RequestResponses, and boto3 users learned that a batch over 4 MB fails
// without a word when nobody reads them. Here each item is encoded once, at
// Put ([]byte and string as they are, any other type as JSON) and measured as
// Firehose counts it (its data's bytes, before base64); a record over 1,000 KiB
// is refused there with batch.ErrItemTooLarge; calls hold at most 500 records
// and 4 MiB; records answered ServiceUnavailableException are sent again after
// a backoff and lower the send rate, those answered InternalFailure are sent
// again; and every record that cannot be written comes back, with the
// service's error code and message, in a *batch.FailedError from Flush or
// Close, or from PutWait.
//
// docs/firehose.md in the repository is the guide: limits and their sources,
// delimiters, failures, and how to run against a local moto_server.
package firehosebatch
