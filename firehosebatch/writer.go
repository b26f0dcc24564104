package firehosebatch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
)

// writer is the batch.Backend of a Dispatcher: it makes records of the
// caller's items and writes them with PutRecordBatch.
type writer[T any] struct {
	client Client
	stream string
	gate   *awscall.Gate
}

// newWriter returns the writer of a Dispatcher with cfg.
func newWriter[T any](client Client, cfg Config) *writer[T] {
	return &writer[T]{client: client, stream: cfg.DeliveryStream,
		gate: awscall.NewGate[*firehose.Client](client, cfg.Batch.MaxInFlight)}
}

// Limits returns PutRecordBatch's limits: 500 records, each of at most
// 1,000 KiB, 4 MiB in all.
func (w *writer[T]) Limits() batch.Limits {
	return batch.Limits{MaxItems: MaxBatchItems, MaxItemBytes: MaxRecordBytes, MaxBatchBytes: MaxBatchBytes, Ahead: w.gate.Ahead()}
}

// Name names the package in the errors of Config.Batch.
func (w *writer[T]) Name() string { return "firehosebatch" }

// MetricLabels names the backend and the delivery stream in the metrics.
func (w *writer[T]) MetricLabels() (backend, target string) { return "firehose", w.stream }

// Encode makes item's record and measures it as Firehose does: its data's
// bytes.
func (w *writer[T]) Encode(item T) (batch.Entry[types.Record], error) {
	// What Payload does, without boxing a []byte or a string first.
	var data []byte
	var err error
	switch v := any(item).(type) {
	case []byte:
		data = v
	case string:
		data = []byte(v)
	default:
		data, err = awscall.Payload[[]byte](any(item))
	}
	if data == nil {
		data = []byte{} // the SDK refuses a nil Data
	}
	if err != nil {
		return batch.Entry[types.Record]{}, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	if len(data) > MaxRecordBytes {
		return batch.Entry[types.Record]{}, fmt.Errorf("%w: %d bytes of data, the most is %d",
			batch.ErrItemTooLarge, len(data), MaxRecordBytes)
	}
	return batch.Entry[types.Record]{Value: types.Record{Data: data}, Size: len(data)}, nil
}

// Write sends one PutRecordBatch call and maps its answer, record by record,
// to an Outcome: a record answered ServiceUnavailableException is throttled
// and retried, one answered InternalFailure is retried, one with another
// code fails with an *EntryError. An error of the whole call is classified
// by internal/awscall.
func (w *writer[T]) Write(ctx context.Context, records []types.Record) (batch.Outcome, error) {
	in := &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(w.stream), Records: records}
	call := awscall.Firehose.NewCall().Gated(w.gate)
	out, err := w.client.PutRecordBatch(ctx, in, func(o *firehose.Options) {
		awscall.Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
		o.Protocol = awscall.FastAnswer(awscall.FastBody(o.Protocol, putRecordBatchBody), putRecordBatchAnswer)
	})
	if err != nil {
		return batch.Outcome{}, call.Classify(ctx, err)
	}
	if len(out.RequestResponses) != len(records) {
		// Which records went in is unknown: sending all again may
		// duplicate some, losing none.
		return batch.Outcome{}, batch.MaybeWritten(fmt.Errorf("firehosebatch: PutRecordBatch answered %d results for %d records",
			len(out.RequestResponses), len(records)))
	}
	var o batch.Outcome
	for i, r := range out.RequestResponses {
		// ServiceUnavailableException is the stream's throughput: a throttle.
		awscall.Firehose.AddAnswer(&o, i, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
	}
	return o, nil
}
