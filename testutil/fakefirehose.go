package testutil

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// FakeFirehose is an in-memory Firehose PutRecordBatch for unit tests and
// examples: it records every call, refuses what Firehose refuses in a call
// (no stream name, no records or more than 500, a record over 1,000 KiB, more
// than 4 MiB in all) with the service's error types, and answers each record
// in RequestResponses. Its behaviour is scripted through its fields, set
// before use. Its methods are safe for concurrent use.
type FakeFirehose struct {
	// Answer, if set, is asked about every record of a call that is not
	// refused, with the number of the call from 1: a non-empty code leaves
	// the record out, with that ErrorCode and message, as Firehose does for
	// ServiceUnavailableException or InternalFailure. It is called with
	// the fake's lock held.
	Answer func(call int, data string) (code, message string)
	// Err, if set, is asked at the start of every call, with its number
	// from 1: an error fails the whole call, and nothing is taken.
	Err func(call int) error

	mu      sync.Mutex
	calls   [][]string
	records []string
}

var _ interface {
	PutRecordBatch(context.Context, *firehose.PutRecordBatchInput, ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error)
} = (*FakeFirehose)(nil)

// PutRecordBatch takes the records of in, as Firehose would, and returns a
// response per record.
func (f *FakeFirehose) PutRecordBatch(ctx context.Context, in *firehose.PutRecordBatchInput, _ ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := make([]string, len(in.Records))
	total := 0
	for i, r := range in.Records {
		recs[i] = string(r.Data)
		total += len(r.Data)
	}
	f.calls = append(f.calls, recs)
	call := len(f.calls)
	if f.Err != nil {
		if err := f.Err(call); err != nil {
			return nil, err
		}
	}
	invalid := func(format string, args ...any) error {
		return &types.InvalidArgumentException{Message: aws.String(fmt.Sprintf(format, args...))}
	}
	switch {
	case aws.ToString(in.DeliveryStreamName) == "":
		return nil, invalid("DeliveryStreamName is empty")
	case len(recs) < 1 || len(recs) > 500:
		return nil, invalid("%d records: want 1 to 500", len(recs))
	case total > 4<<20:
		return nil, invalid("%d bytes of records: the most is 4 MiB", total)
	}
	out := &firehose.PutRecordBatchOutput{RequestResponses: make([]types.PutRecordBatchResponseEntry, len(recs))}
	failed := int32(0)
	for i, r := range recs {
		if len(r) > 1000<<10 {
			return nil, invalid("Records[%d] is %d bytes: the most is 1,000 KiB", i, len(r))
		}
	}
	for i, r := range recs {
		if f.Answer != nil {
			if code, msg := f.Answer(call, r); code != "" {
				out.RequestResponses[i] = types.PutRecordBatchResponseEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String(msg)}
				failed++
				continue
			}
		}
		f.records = append(f.records, r)
		out.RequestResponses[i] = types.PutRecordBatchResponseEntry{RecordId: aws.String(fmt.Sprintf("%016d", len(f.records)))}
	}
	out.FailedPutCount = aws.Int32(failed)
	return out, nil
}

// Records returns the data of the records taken so far, in the order they
// were taken.
func (f *FakeFirehose) Records() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.records...)
}

// Calls returns the records of every call so far, taken or not.
func (f *FakeFirehose) Calls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.calls...)
}
