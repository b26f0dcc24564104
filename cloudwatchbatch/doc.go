// Package cloudwatchbatch puts CloudWatch metric data in PutMetricData calls
// of up to 1,000 data, so that callers hand it one datum at a time and never
// lose one to a batch limit, a throttled call or a datum that gets a whole
// call refused.
//
// It is the Go successor of boto3_batch_utils' CloudWatchBatchDispatcher (20
// metrics a call, dropped after five failed tries). Each datum is checked at
// Put against CloudWatch's rules and measured as the largest encoding the SDK
// may give it; a call that CloudWatch refuses for what a datum holds is split
// until that datum alone fails; throttled calls slow the send rate; every
// datum not written comes back from Flush, Close or PutWait with its cause.
// docs/cloudwatch.md is the guide.
package cloudwatchbatch
