// Package benchmarks measures batchutils against the honest limit (a
// hand-written loop on aws-sdk-go-v2) and against its peers (guregu/dynamo,
// google's support/bundler), so that its cost in time, CPU and memory is a
// number, not a guess.
//
// It is a module of its own, so that the peers never enter the library's
// go.mod. FakeDynamoDB, an in-process DynamoDB endpoint that answers at once,
// keeps the server's cost out of what is measured, and can push back the ways
// a real table does (Throttling: a random fraction, a capacity, hot keys);
// FakeSQS and FakeKinesis answer SendMessageBatch and PutRecords at once in
// the same way, failing every n-th entry if asked;
// the benchmarks are in the _test.go files, bench.sh runs them for benchstat
// (make bench), cmd/perftable turns the output into the tables of
// docs/performance.md, and cmd/rateplot draws a throttled run's rate over
// time.
package benchmarks
