package sqsbatch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/internal/idbatch"
)

// writer is the batch.Backend of a Dispatcher: it makes messages of the
// caller's items and sends them with SendMessageBatch.
type writer[T any] struct {
	client   Client
	queue    string // the queue's name
	queueURL string
	fifo     bool
	cbd      bool // content-based deduplication
	maxBytes int
	limits   batch.Limits
	checkMD5 bool // compare each message's MD5 in the answer with its body's
	gate     *awscall.Gate
}

// Limits returns SendMessageBatch's limits: 10 entries, each message at
// most Config.MaxMessageBytes and the call at most MaxBatchBytes, by SQS's
// count. On a FIFO queue, a call applies its entries in order.
func (w *writer[T]) Limits() batch.Limits { return w.limits }

// Name names the package in the errors of Config.Batch.
func (w *writer[T]) Name() string { return "sqsbatch" }

// Write sends one SendMessageBatch call and maps SQS's answer to an
// Outcome: an entry Failed with SenderFault is refused on its own, one
// Failed otherwise or throttled is retried, and so is one SQS did not
// mention; one taken whose MD5 in the answer is not that of its body fails
// with ErrChecksum, made batch.MaybeWritten. On a FIFO queue, the entries
// of a group that follow a retried entry in the call are retried after it
// too, even those SQS took: SQS drops the repeats by their deduplication
// ids, so order holds.
func (w *writer[T]) Write(ctx context.Context, entries []types.SendMessageBatchRequestEntry) (batch.Outcome, error) {
	if len(entries) > MaxBatchItems {
		return batch.Outcome{}, batch.Permanent(fmt.Errorf("sqsbatch: %d messages in one call, the most is %d", len(entries), MaxBatchItems))
	}
	for i := range entries {
		entries[i].Id = &idbatch.IDs[i] // entries is the call's own copy
	}
	call := awscall.SQS.NewCall().Gated(w.gate)
	out, err := w.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
		QueueUrl: &w.queueURL,
		Entries:  entries,
	}, func(o *sqs.Options) {
		awscall.Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
		o.Protocol = awscall.FastAnswer(awscall.FastBody(o.Protocol, sendMessageBatchBody), sendMessageBatchAnswer)
		// The MD5s are checked per message by outcome: the SDK's check
		// fails the whole call, which would send again what SQS took.
		o.DisableMessageChecksumValidation = true
	})
	if err != nil {
		return batch.Outcome{}, call.Classify(ctx, err)
	}
	return w.outcome(entries, out)
}

// outcome maps SQS's Successful and Failed entries to an Outcome, as
// idbatch does for every call whose entries carry ids.
func (w *writer[T]) outcome(entries []types.SendMessageBatchRequestEntry, out *sqs.SendMessageBatchOutput) (batch.Outcome, error) {
	a := idbatch.Read(len(entries), out.Successful, out.Failed, func(s types.SendMessageBatchResultEntry) *string { return s.Id },
		func(f types.BatchResultErrorEntry) idbatch.Failure {
			return idbatch.Failure{ID: aws.ToString(f.Id), Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault}
		})
	a.Service = awscall.SQS
	if w.checkMD5 {
		a.Unconfirmed = func(i, k int) error { return unconfirmed(&entries[i], &out.Successful[k]) }
	}
	if w.fifo {
		a.Group = func(i int) string { return aws.ToString(entries[i].MessageGroupId) }
	}
	o, err := a.Outcome()
	if err != nil {
		return o, fmt.Errorf("sqsbatch: %w", err)
	}
	return o, nil
}

// MetricLabels names the backend and the queue in the metrics.
func (w *writer[T]) MetricLabels() (backend, target string) { return "sqs", w.queue }
