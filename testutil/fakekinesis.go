package testutil

import (
	"context"
	"fmt"
	"sync"
	"unicode/utf16"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// KinesisRecord is a record a FakeKinesis took.
type KinesisRecord struct {
	Stream          string // the StreamName or StreamARN it was put with
	Data            string
	PartitionKey    string
	ExplicitHashKey string
}

// FakeKinesis is an in-memory Kinesis PutRecords for unit tests: it records
// every call, and refuses what Kinesis refuses in a call (no stream, no
// records or more than 500, a partition key of 0 or over 256 UTF-16 code
// units, nil data, a record or a call over 10 MiB) with the service's error
// types. Its behaviour is scripted through its fields, set before use.
// Its methods are safe for concurrent use.
type FakeKinesis struct {
	// Answer, if set, is asked about every record of a call that is not
	// refused, with the number of the call from 1: a non-empty code leaves
	// the record out, with that ErrorCode and message, as Kinesis does for
	// a throttled (ProvisionedThroughputExceededException) or failed
	// (InternalFailure) record. It is called with the fake's lock held.
	Answer func(call int, rec KinesisRecord) (code, message string)
	// Err, if set, is asked at the start of every call, with its number
	// from 1: an error fails the whole call, and nothing is taken.
	Err func(call int) error

	mu      sync.Mutex
	calls   [][]KinesisRecord
	records []KinesisRecord
}

var _ interface {
	PutRecords(context.Context, *kinesis.PutRecordsInput, ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
} = (*FakeKinesis)(nil)

// PutRecords takes the records of in, as Kinesis would, and returns a result
// per record.
func (f *FakeKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	call := len(f.calls) + 1
	recs := make([]KinesisRecord, len(in.Records))
	stream := aws.ToString(in.StreamName)
	if stream == "" {
		stream = aws.ToString(in.StreamARN)
	}
	for i, e := range in.Records {
		recs[i] = KinesisRecord{Stream: stream, Data: string(e.Data), PartitionKey: aws.ToString(e.PartitionKey), ExplicitHashKey: aws.ToString(e.ExplicitHashKey)}
	}
	f.calls = append(f.calls, recs)
	if f.Err != nil {
		if err := f.Err(call); err != nil {
			return nil, err
		}
	}
	if err := fakeKinesisCheck(in); err != nil {
		return nil, err
	}
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(recs))}
	failed := int32(0)
	for i, r := range recs {
		if f.Answer != nil {
			if code, msg := f.Answer(call, r); code != "" {
				out.Records[i] = types.PutRecordsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String(msg)}
				failed++
				continue
			}
		}
		f.records = append(f.records, r)
		out.Records[i] = types.PutRecordsResultEntry{
			ShardId:        aws.String("shardId-000000000000"),
			SequenceNumber: aws.String(fmt.Sprintf("%056d", len(f.records))),
		}
	}
	out.FailedRecordCount = aws.Int32(failed)
	return out, nil
}

// fakeKinesisCheck refuses a call as Kinesis would.
func fakeKinesisCheck(in *kinesis.PutRecordsInput) error {
	invalid := func(format string, args ...any) error {
		return &types.InvalidArgumentException{Message: aws.String(fmt.Sprintf(format, args...))}
	}
	if aws.ToString(in.StreamName) == "" && aws.ToString(in.StreamARN) == "" {
		return invalid("neither StreamName nor StreamARN is set")
	}
	if n := len(in.Records); n < 1 || n > 500 {
		return &types.ValidationException{Message: aws.String(fmt.Sprintf("%d records: want 1 to 500", n))}
	}
	total := 0
	for i, e := range in.Records {
		if e.Data == nil {
			return &types.ValidationException{Message: aws.String(fmt.Sprintf("Records[%d].Data is null", i))}
		}
		pk := aws.ToString(e.PartitionKey)
		if n := len(utf16.Encode([]rune(pk))); n < 1 || n > 256 {
			return &types.ValidationException{Message: aws.String(fmt.Sprintf("Records[%d].PartitionKey has length %d: want 1 to 256", i, n))}
		}
		size := len(e.Data) + len(pk)
		if size > 10<<20 {
			return invalid("Records[%d] is %d bytes: the most is 10 MiB", i, size)
		}
		total += size
	}
	if total > 10<<20 {
		return invalid("the records are %d bytes: the most in one call is 10 MiB", total)
	}
	return nil
}

// Calls returns the records of every call, in the order the calls came.
func (f *FakeKinesis) Calls() [][]KinesisRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([][]KinesisRecord, len(f.calls))
	copy(out, f.calls)
	return out
}

// Records returns the records taken, in the order they were taken.
func (f *FakeKinesis) Records() []KinesisRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]KinesisRecord(nil), f.records...)
}
