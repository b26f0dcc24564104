// Package dynamo writes records to a DynamoDB table in BatchWriteItem calls,
// so that callers hand it items one at a time and never deal with batch
// limits, duplicate keys, throttling or lost writes.
//
// It is the DynamoDB backend of package batch, and the Go successor of the
// Python library boto3_batch_utils' DynamoBatchDispatcher: items are
// marshalled once with attributevalue, their keys are read and checked
// (partition key, optional sort key, key location, key types) before
// anything is sent, items with a pending key are refused or replace the
// pending one, batches hold at most 25 requests and stay under DynamoDB's
// request size, unprocessed items are retried with backoff, and every item
// that cannot be written comes back, with its cause, in a
// *batch.FailedError from Flush or Close.
//
// docs/dynamo.md in the repository is the guide: limits, keys, uniqueness,
// deletes and what happens on failure.
package dynamo
