package kinesisbatch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
)

// writer is the batch.Backend of a Dispatcher: it makes records of the
// caller's items and writes them with PutRecords.
type writer[T any] struct {
	client  Client
	stream  string
	arn     bool
	ordered bool
	limits  batch.Limits
	agg     *aggregator // with Config.Aggregate, else nil
	gate    *awscall.Gate
}

func newWriter[T any](client Client, cfg Config) *writer[T] {
	w := &writer[T]{
		client:  client,
		stream:  cfg.Stream,
		arn:     strings.HasPrefix(cfg.Stream, "arn:"),
		ordered: cfg.Ordered,
		limits: batch.Limits{
			MaxItems:      MaxBatchItems,
			MaxItemBytes:  cfg.MaxRecordBytes,
			MaxBatchBytes: cfg.MaxRequestBytes,
			InOrder:       false, // PutRecords does not keep order within a call
		},
	}
	if cfg.Aggregate {
		w.agg, w.limits = newAggregator(client, cfg)
	}
	w.gate = awscall.NewGate[*kinesis.Client](client, cfg.Batch.MaxInFlight)
	w.limits.Ahead = w.gate.Ahead()
	return w
}

// Encode makes item's record and checks it.
func (w *writer[T]) Encode(item T) (batch.Entry[types.PutRecordsRequestEntry], error) {
	var r batch.Entry[types.PutRecordsRequestEntry]
	data, pk, hk, err := encode(item)
	if err != nil {
		return r, err
	}
	random := pk == ""
	if random {
		pk = RandomPartitionKey()
	} else if err := checkPartitionKey(pk); err != nil {
		return r, err
	}
	if hk != "" {
		if err := checkExplicitHashKey(hk); err != nil {
			return r, err
		}
		r.Value.ExplicitHashKey = aws.String(hk)
	}
	r.Size = len(data) + len(pk)
	if r.Size > w.limits.MaxItemBytes {
		return r, fmt.Errorf("%w: %d bytes of data and partition key, the most is %d (Config.MaxRecordBytes)",
			batch.ErrItemTooLarge, r.Size, w.limits.MaxItemBytes)
	}
	if data == nil {
		data = []byte{} // the SDK refuses a nil Data
	}
	r.Value.Data = data
	r.Value.PartitionKey = aws.String(pk)
	if w.ordered && !random {
		r.Key = pk
	}
	return r, nil
}

// encode returns an item's data, partition key ("" for a random one) and
// explicit hash key: a Record's own, else the data awscall.Payload makes of
// the item (a []byte or string as it is, anything else as JSON; a nil
// pointer is refused) and the key its PartitionKeyer gives.
func encode[T any](item T) (data []byte, pk, hk string, err error) {
	// A T of Record is read through a pointer to item, which does not
	// escape: boxing item would copy it to the heap, once per record.
	if r, ok := any(&item).(*Record); ok {
		return r.Data, r.PartitionKey, r.ExplicitHashKey, nil
	}
	v := any(item) // boxed once
	switch r := v.(type) {
	case Record: // T is an interface type
		return r.Data, r.PartitionKey, r.ExplicitHashKey, nil
	case *Record:
		if r == nil {
			return nil, "", "", fmt.Errorf("%w: nil *Record", ErrInvalidRecord)
		}
		return r.Data, r.PartitionKey, r.ExplicitHashKey, nil
	}
	if data, err = awscall.Payload[[]byte](v); err != nil {
		return nil, "", "", fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	if k, ok := v.(PartitionKeyer); ok {
		if pk = k.KinesisPartitionKey(); pk == "" {
			return nil, "", "", fmt.Errorf("%w: %T.KinesisPartitionKey returned \"\"", ErrInvalidPartitionKey, v)
		}
	}
	return data, pk, "", nil
}

// RandomPartitionKey returns the key given to a record without one: 16
// hexadecimal digits from math/rand/v2's generator, so that such records
// spread evenly over the shards (Kinesis hashes keys with MD5). It is not a
// secret and not unique: it only picks a shard. It counts in the record's
// size (16 bytes) and stays with the record through its retries.
func RandomPartitionKey() string {
	var b [16]byte
	const hexDigits = "0123456789abcdef"
	x := rand.Uint64()
	for i := range b {
		b[i] = hexDigits[x&0xf]
		x >>= 4
	}
	return string(b[:])
}

// checkPartitionKey checks a given partition key: valid UTF-8, and 1 to 256
// characters as Kinesis counts them (UTF-16 code units).
func checkPartitionKey(pk string) error {
	n := 0
	for i := 0; i < len(pk); {
		if pk[i] < utf8.RuneSelf {
			i++
			n++
			continue
		}
		c, size := utf8.DecodeRuneInString(pk[i:])
		if c == utf8.RuneError && size == 1 {
			return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidPartitionKey, pk)
		}
		i += size
		n++
		if c >= 0x10000 {
			n++ // a surrogate pair
		}
	}
	if n > MaxPartitionKeyLength {
		return fmt.Errorf("%w: %d characters (UTF-16 code units), the most is %d", ErrInvalidPartitionKey, n, MaxPartitionKeyLength)
	}
	return nil
}

// maxHashKey is 2^128-1, the largest explicit hash key.
const maxHashKey = "340282366920938463463374607431768211455"

// checkExplicitHashKey checks that hk is a decimal integer from 0 to
// 2^128-1 without leading zeros, as Kinesis wants it.
func checkExplicitHashKey(hk string) error {
	for i := 0; i < len(hk); i++ {
		if hk[i] < '0' || hk[i] > '9' {
			return fmt.Errorf("%w: %q is not a decimal integer", ErrInvalidExplicitHashKey, hk)
		}
	}
	switch {
	case len(hk) > 1 && hk[0] == '0':
		return fmt.Errorf("%w: %q has a leading zero", ErrInvalidExplicitHashKey, hk)
	case len(hk) > len(maxHashKey) || len(hk) == len(maxHashKey) && hk > maxHashKey:
		return fmt.Errorf("%w: %q is more than 2^128-1", ErrInvalidExplicitHashKey, hk)
	}
	return nil
}

// Limits returns PutRecords' limits: 500 records, each of at most
// Config.MaxRecordBytes, at most Config.MaxRequestBytes in all, and no
// order within a call.
func (w *writer[T]) Limits() batch.Limits { return w.limits }

// Write sends one PutRecords call and maps its answer, record by record, to
// an Outcome: a throttled record (ProvisionedThroughputExceededException) or
// one that failed inside Kinesis (InternalFailure) is retried, one with
// another code fails with a *EntryError. An error of the whole call is
// classified by internal/awscall.
func (w *writer[T]) Write(ctx context.Context, entries []types.PutRecordsRequestEntry) (batch.Outcome, error) {
	if w.agg != nil {
		return writeAggregated(ctx, w, entries)
	}
	out, err := w.put(ctx, entries)
	if err != nil {
		return batch.Outcome{}, err
	}
	var o batch.Outcome
	for i, res := range out.Records {
		awscall.Kinesis.AddAnswer(&o, i, aws.ToString(res.ErrorCode), aws.ToString(res.ErrorMessage))
	}
	return o, nil
}

// put sends entries in one PutRecords call and returns its answer, with a
// result per entry, or the call's error classified for the core.
func (w *writer[T]) put(ctx context.Context, entries []types.PutRecordsRequestEntry) (*kinesis.PutRecordsOutput, error) {
	in := &kinesis.PutRecordsInput{Records: entries}
	if w.arn {
		in.StreamARN = aws.String(w.stream)
	} else {
		in.StreamName = aws.String(w.stream)
	}
	call := awscall.Kinesis.NewCall().Gated(w.gate)
	out, err := w.client.PutRecords(ctx, in, func(o *kinesis.Options) {
		awscall.Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
		o.Protocol = awscall.FastAnswer(awscall.FastBody(o.Protocol, putRecordsBody), putRecordsAnswer)
	})
	if err != nil {
		return nil, call.Classify(ctx, err)
	}
	if len(out.Records) != len(entries) {
		// Which records went in is unknown: sending all again may
		// duplicate some, losing none.
		return nil, batch.MaybeWritten(fmt.Errorf("kinesisbatch: PutRecords answered %d results for %d records", len(out.Records), len(entries)))
	}
	return out, nil
}

// Name names the package in the errors of Config.Batch.
func (w *writer[T]) Name() string { return "kinesisbatch" }

// MetricLabels names the backend and the stream in the metrics.
func (w *writer[T]) MetricLabels() (backend, target string) { return "kinesis", w.stream }
