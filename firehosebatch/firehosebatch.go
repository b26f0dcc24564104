package firehosebatch

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
)

// Client is the part of *firehose.Client that the dispatcher uses. Any
// wrapper or test double with this method plugs in.
type Client interface {
	PutRecordBatch(ctx context.Context, params *firehose.PutRecordBatchInput, optFns ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error)
}

var _ Client = (*firehose.Client)(nil)

// Firehose's limits on PutRecordBatch, as the Amazon Data Firehose API
// reference states them ("These limits cannot be changed").
const (
	// MaxBatchItems is the most records in one PutRecordBatch call.
	MaxBatchItems = 500
	// MaxRecordBytes is the largest record: 1,000 KiB of data, before the
	// base64 encoding of the request.
	MaxRecordBytes = 1000 << 10
	// MaxBatchBytes is the most data in one call, summed over its
	// records before base64 (4 MiB), as AWS's own Kinesis Agent counts it.
	MaxBatchBytes = 4 << 20
)

// Config says where and how a Dispatcher puts records.
type Config struct {
	// DeliveryStream is the Firehose stream's name: 1 to 64 of a-z A-Z
	// 0-9 _ . -. Required.
	DeliveryStream string
	// Batch tunes the batching core: batch size (at most 500), timed flush,
	// concurrency, buffer, retries and logging. Records have no key: none
	// is ever de-duplicated or held back.
	Batch batch.Config
}

// ErrInvalidRecord is returned by Put for an item that cannot be made into
// a record: a nil pointer or interface, or a value that encoding/json cannot
// encode. Put also returns batch.ErrItemTooLarge (over MaxRecordBytes) and
// batch.ErrClosed.
var ErrInvalidRecord = errors.New("firehosebatch: invalid record")

// EntryError is the error of a record that PutRecordBatch refused on its
// own, or kept refusing until the retry policy gave up: the code and the
// message of its entry in RequestResponses (ServiceUnavailableException,
// InternalFailure, ...). Match it with errors.As. It implements
// smithy.APIError.
type EntryError = awscall.EntryError

// Dispatcher puts items of type T into one Firehose stream in PutRecordBatch
// calls. A []byte or a string is a record's data as it is; any other type is
// sent as its JSON encoding. Firehose concatenates the records it delivers:
// end each with a delimiter (a newline) if the destination must tell them
// apart. All its methods are safe for concurrent use. Do not modify an item
// after passing it to Put.
type Dispatcher[T any] struct {
	// Front gives Flush, Close, Stats, and Submit and SubmitWait, which
	// are Put and PutWait.
	*batch.Front[T, types.Record]
}

// New returns a Dispatcher that puts records through client as cfg says. It
// validates cfg once and returns a clear error for a bad one.
func New[T any](client Client, cfg Config) (*Dispatcher[T], error) {
	if client == nil {
		return nil, errors.New("firehosebatch: New needs a Client, got nil")
	}
	if !validStreamName(cfg.DeliveryStream) {
		return nil, fmt.Errorf("firehosebatch: Config.DeliveryStream %q is not 1 to 64 of a-z A-Z 0-9 _ . -", cfg.DeliveryStream)
	}
	f, err := batch.NewFront(newWriter[T](client, cfg), cfg.Batch)
	if err != nil {
		return nil, err
	}
	return &Dispatcher[T]{f}, nil
}

func validStreamName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Put queues item to be put into the stream. It returns once the item is
// buffered: Flush and Close report the outcome. Errors match
// batch.ErrItemTooLarge, ErrInvalidRecord or batch.ErrClosed with errors.Is;
// if the buffer is full and ctx ends first, ctx's error.
func (d *Dispatcher[T]) Put(ctx context.Context, item T) error {
	return d.Submit(ctx, item)
}

// PutWait queues item like Put and waits for its own outcome: nil once
// Firehose took the record, or its cause, as Flush would report it (a
// *EntryError, batch.ErrUnprocessed with the last answer, the AWS error of
// the call); that failure is then not reported again by Flush or Close. It
// refuses an item as Put does. The record is not held for a full call: it
// goes as soon as a call can be made, together with whatever other callers
// have pending. If ctx ends first, PutWait returns ctx's error, and the
// record is still written (or reported by Flush).
func (d *Dispatcher[T]) PutWait(ctx context.Context, item T) error {
	return d.SubmitWait(ctx, item)
}
