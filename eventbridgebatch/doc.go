// Package eventbridgebatch puts events on an Amazon EventBridge event bus in
// PutEvents calls, so that callers hand it events one at a time and never
// deal with the ten-entry limit, entry sizes, failed entries or throttling.
//
// It is the EventBridge backend of package batch. Each event is measured as
// EventBridge counts it and checked once, at Put; entries that EventBridge
// throttled or failed internally are retried after a backoff; every event
// that could not be put comes back, with its cause, in a *batch.FailedError
// from Flush or Close, or from PutWait. docs/eventbridge.md in the
// repository is the guide.
package eventbridgebatch
