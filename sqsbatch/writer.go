package sqsbatch

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
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
}

// entryIDs are the entry ids of a call: an entry's index in the batch, so
// that they are unique in the call, short, and map back without a lookup.
var entryIDs = func() (ids [MaxBatchItems]string) {
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	return ids
}()

// Limits returns SendMessageBatch's limits: 10 entries, each message at
// most Config.MaxMessageBytes and the call at most MaxBatchBytes, by SQS's
// count. On a FIFO queue, a call applies its entries in order.
func (w *writer[T]) Limits() batch.Limits { return w.limits }

// Name names the package in the errors of Config.Batch.
func (w *writer[T]) Name() string { return "sqsbatch" }

// Write sends one SendMessageBatch call and maps SQS's answer to an
// Outcome: an entry Failed with SenderFault is refused on its own, one
// Failed otherwise or throttled is retried, and so is one SQS did not
// mention. On a FIFO queue, the entries of a group that follow a retried
// entry in the call are retried after it too, even those SQS took: SQS
// drops the repeats by their deduplication ids, so order holds.
func (w *writer[T]) Write(ctx context.Context, entries []types.SendMessageBatchRequestEntry) (batch.Outcome, error) {
	if len(entries) > MaxBatchItems {
		return batch.Outcome{}, batch.Permanent(fmt.Errorf("sqsbatch: %d messages in one call, the most is %d", len(entries), MaxBatchItems))
	}
	for i := range entries {
		entries[i].Id = &entryIDs[i] // entries is the call's own copy
	}
	call := awscall.SQS.NewCall()
	out, err := w.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
		QueueUrl: &w.queueURL,
		Entries:  entries,
	}, func(o *sqs.Options) { awscall.Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions) })
	if err != nil {
		return batch.Outcome{}, call.Classify(ctx, err)
	}
	return w.outcome(entries, out)
}

// What SQS said of each entry of a call.
const (
	entryUnseen = iota // neither Successful nor Failed: retried
	entryOK
	entryRetry
	entryFailed
)

// outcome maps SQS's Successful and Failed entries to an Outcome.
func (w *writer[T]) outcome(entries []types.SendMessageBatchRequestEntry, out *sqs.SendMessageBatchOutput) (batch.Outcome, error) {
	var buf [MaxBatchItems]uint8
	state := buf[:len(entries)]
	var o batch.Outcome
	index := func(id *string) (int, error) {
		i, err := strconv.Atoi(aws.ToString(id))
		if err != nil || i < 0 || i >= len(entries) || entryIDs[i] != aws.ToString(id) {
			return 0, fmt.Errorf("sqsbatch: SQS answered for an entry id %q that was not sent", aws.ToString(id))
		}
		if state[i] != entryUnseen {
			return 0, fmt.Errorf("sqsbatch: SQS answered twice for entry id %q", aws.ToString(id))
		}
		return i, nil
	}
	// An answer that names entries not sent, or one twice, is not
	// trusted: the whole call is retried.
	for _, s := range out.Successful {
		i, err := index(s.Id)
		if err != nil {
			return batch.Outcome{}, err
		}
		state[i] = entryOK
	}
	var failed []batch.ItemError
	for _, f := range out.Failed {
		i, err := index(f.Id)
		if err != nil {
			return batch.Outcome{}, err
		}
		code := aws.ToString(f.Code)
		switch {
		case awscall.SQS.Throttle(code):
			state[i] = entryRetry
			o.Throttled = true
		case f.SenderFault:
			state[i] = entryFailed
			failed = append(failed, batch.ItemError{Index: i, Err: awscall.SQS.EntryError(code, aws.ToString(f.Message), true)})
		default:
			state[i] = entryRetry
		}
	}
	if w.fifo {
		// A group's entries after one that is retried go again after it.
		var retrying map[string]bool
		for i, m := range entries {
			group := aws.ToString(m.MessageGroupId)
			switch state[i] {
			case entryRetry, entryUnseen:
				if retrying == nil {
					retrying = make(map[string]bool)
				}
				retrying[group] = true
			case entryOK:
				if retrying[group] {
					state[i] = entryRetry
				}
			}
		}
	}
	for i, s := range state {
		if s == entryRetry || s == entryUnseen {
			o.Retry = append(o.Retry, i)
		}
	}
	o.Failed = failed
	return o, nil
}

// MetricLabels names the backend and the queue in the metrics.
func (w *writer[T]) MetricLabels() (backend, target string) { return "sqs", w.queue }
