package kinesisbatch

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
)

// Client is the part of *kinesis.Client that the dispatcher uses. Any
// wrapper or test double with this method plugs in.
type Client interface {
	PutRecords(ctx context.Context, params *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

var _ Client = (*kinesis.Client)(nil)

// Record is one record with everything PutRecords lets a producer set. An
// item of type Record (or *Record) is sent as it is.
type Record struct {
	// Data is the record's payload; nil is sent as empty data.
	Data []byte
	// PartitionKey picks the record's shard (by its MD5 hash) and, with
	// Config.Ordered, its order: 1 to 256 Unicode characters (counted as
	// the service counts them, in UTF-16 code units). "" means a random
	// key, made at Put (see RandomPartitionKey).
	PartitionKey string
	// ExplicitHashKey, if set, picks the shard instead of the partition
	// key's hash: a decimal integer from 0 to 2^128-1, without leading
	// zeros.
	ExplicitHashKey string
}

// PartitionKeyer is implemented by item types that carry their own
// partition key: for an item of any type but Record, []byte and string that
// implements it, the dispatcher sends the JSON encoding of the item with the
// key that KinesisPartitionKey returns. An empty key is refused at Put with
// ErrInvalidPartitionKey: a type that names its keys never gets a random one
// by mistake. Items of types that do not implement it get a random key.
//
// The method is not called PartitionKey so that a struct can have a field of
// that name. If only the pointer type implements it, the item type must be
// the pointer: New refuses the value type.
type PartitionKeyer interface {
	KinesisPartitionKey() string
}

// Kinesis's limits on PutRecords, and the defaults of Config.
const (
	// MaxBatchItems is the most records in one PutRecords call.
	MaxBatchItems = 500
	// MaxPartitionKeyLength is the longest partition key, in UTF-16 code
	// units (a character outside the Basic Multilingual Plane counts 2).
	MaxPartitionKeyLength = 256
	// DefaultMaxRecordBytes is the largest record (data plus partition
	// key, in bytes) when Config.MaxRecordBytes is 0: the limit of a
	// stream that did not raise it.
	DefaultMaxRecordBytes = 1 << 20
	// DefaultMaxRequestBytes bounds the sum of the record sizes in one call
	// when Config.MaxRequestBytes is 0. Kinesis takes 10 MiB today; 5 MiB is
	// its older limit, which every server the tests use accepts (moto
	// enforces it; kinesalite refuses JSON bodies over 7 MiB, and 5 MiB of
	// data is about 6.7 MiB once base64-encoded).
	DefaultMaxRequestBytes = 5 << 20
	// MaxBytes is the most Config.MaxRecordBytes and Config.MaxRequestBytes
	// may be: Kinesis's limit on a record (of a stream that raised its
	// record size limit) and on a PutRecords call.
	MaxBytes = 10 << 20
)

// Config says where and how a Dispatcher puts records.
type Config struct {
	// Stream is the stream's name, or its ARN
	// ("arn:aws:kinesis:REGION:ACCOUNT:stream/NAME"), sent as StreamName or
	// StreamARN accordingly. Required.
	Stream string
	// Ordered makes the records of one partition key reach the stream in
	// the order they were put: a key then has at most one record in
	// flight, and no call holds two records of one key (PutRecords does not
	// keep order within a call). Records with random keys are never held
	// back. It costs throughput when many records share few keys; see
	// docs/kinesis.md. With Ordered, Batch.Duplicates is
	// batch.KeepDuplicates (left zero or set to it): Kinesis keeps every
	// record, so there is nothing to de-duplicate.
	Ordered bool
	// Batch tunes the batching core: batch size (at most 500), timed flush,
	// concurrency, buffer, retries and logging. Its Duplicates policy is
	// the one Ordered sets; batch.ReplaceDuplicates is refused.
	Batch batch.Config
	// MaxRecordBytes is the largest record accepted at Put: data plus
	// partition key, in bytes. 0: DefaultMaxRecordBytes (1 MiB); set it up to
	// MaxBytes (10 MiB) for a stream whose record size limit was raised.
	MaxRecordBytes int
	// MaxRequestBytes bounds the sum of the record sizes in one PutRecords
	// call. 0: DefaultMaxRequestBytes (5 MiB); at most MaxBytes (10 MiB).
	MaxRequestBytes int
	// Aggregate packs the records of each call, shard by shard, into
	// aggregated records in the format of the Kinesis Producer Library,
	// which Deaggregate, the Kinesis Client Library and Lambda's
	// deaggregation libraries unpack: many small records then count as one
	// against a shard's 1,000 records/s. Each record still lands on the
	// shard its own partition (or explicit hash) key maps to, and still has
	// its own outcome. The client must also implement ShardLister. With
	// Aggregate, Batch.MaxBatchItems counts the records of a call before
	// they are packed: 0 means DefaultAggregatedBatchItems, at most
	// MaxAggregatedBatchItems. See docs/kinesis.md.
	Aggregate bool
	// MaxAggregatedRecords caps the records packed into one aggregated
	// record. 0: DefaultMaxAggregatedRecords. Only with Aggregate.
	MaxAggregatedRecords int
	// MaxAggregatedBytes caps the size of an aggregated record (its data
	// plus its partition key); a record too large to share one goes on its
	// own. 0: DefaultMaxAggregatedBytes (50 KiB); at most MaxRecordBytes.
	// Only with Aggregate.
	MaxAggregatedBytes int
}

// Errors that callers branch on with errors.Is, besides
// batch.ErrItemTooLarge (a record over Config.MaxRecordBytes) and
// batch.ErrClosed.
var (
	// ErrInvalidRecord is returned by Put for an item that cannot be made
	// into a record: a nil *Record, or a value that encoding/json cannot
	// encode.
	ErrInvalidRecord = errors.New("kinesisbatch: invalid record")
	// ErrInvalidPartitionKey is returned by Put for a partition key that is
	// too long or not valid UTF-8, or empty where it must be given (from a
	// PartitionKeyer).
	ErrInvalidPartitionKey = errors.New("kinesisbatch: invalid partition key")
	// ErrInvalidExplicitHashKey is returned by Put for an ExplicitHashKey
	// that is not a decimal integer from 0 to 2^128-1 without leading
	// zeros.
	ErrInvalidExplicitHashKey = errors.New("kinesisbatch: invalid explicit hash key")
)

// EntryError is the error of a record that PutRecords refused on its own,
// or kept refusing until the retry policy gave up: the service's error code
// (ProvisionedThroughputExceededException, InternalFailure, ...) and
// message. Match it with errors.As. It implements smithy.APIError.
type EntryError = awscall.EntryError

// Dispatcher puts items of type T into one stream in PutRecords calls. T is
// Record or *Record (sent as it is), []byte or string (the data, with a
// random partition key), or any type that encoding/json encodes (the data is
// its JSON; the key comes from PartitionKeyer, or is random). All its
// methods are safe for concurrent use. Do not modify an item after passing
// it to Put.
type Dispatcher[T any] struct {
	// Front gives Flush, Close, Stats, and Submit and SubmitWait, which
	// are Put and PutWait.
	*batch.Front[T, types.PutRecordsRequestEntry]
}

// New returns a Dispatcher that puts records through client as cfg says. It
// validates cfg once and returns a clear error for a bad one.
func New[T any](client Client, cfg Config) (*Dispatcher[T], error) {
	if err := checkConfig(client, &cfg); err != nil {
		return nil, err
	}
	if err := checkItemType(reflect.TypeFor[T]()); err != nil {
		return nil, err
	}
	f, err := batch.NewFront(newWriter[T](client, cfg), cfg.Batch)
	if err != nil {
		return nil, err
	}
	return &Dispatcher[T]{f}, nil
}

// checkConfig validates cfg and fills in its defaults.
func checkConfig(client Client, cfg *Config) error {
	switch {
	case client == nil:
		return errors.New("kinesisbatch: New needs a Client, got nil")
	case cfg.Stream == "":
		return errors.New("kinesisbatch: Config.Stream is empty")
	case cfg.MaxRecordBytes < 0 || cfg.MaxRecordBytes > MaxBytes:
		return fmt.Errorf("kinesisbatch: Config.MaxRecordBytes %d is not in [0, %d]", cfg.MaxRecordBytes, MaxBytes)
	case cfg.MaxRequestBytes < 0 || cfg.MaxRequestBytes > MaxBytes:
		return fmt.Errorf("kinesisbatch: Config.MaxRequestBytes %d is not in [0, %d]", cfg.MaxRequestBytes, MaxBytes)
	case cfg.Batch.Duplicates == batch.ReplaceDuplicates:
		return errors.New("kinesisbatch: Config.Batch.Duplicates is ReplaceDuplicates: Kinesis keeps every record; leave it zero")
	case cfg.Batch.Duplicates == batch.KeepDuplicates && !cfg.Ordered:
		return errors.New("kinesisbatch: Config.Batch.Duplicates is KeepDuplicates without Config.Ordered: set Ordered to keep the order of each partition key")
	}
	if err := checkStream(cfg.Stream); err != nil {
		return err
	}
	if cfg.MaxRecordBytes == 0 {
		cfg.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.MaxRecordBytes > cfg.MaxRequestBytes {
		return fmt.Errorf("kinesisbatch: Config.MaxRecordBytes %d is more than Config.MaxRequestBytes %d: such a record fits in no call",
			cfg.MaxRecordBytes, cfg.MaxRequestBytes)
	}
	if cfg.Ordered {
		cfg.Batch.Duplicates = batch.KeepDuplicates
	}
	return checkAggregate(client, cfg)
}

// checkStream checks a stream name (1 to 128 of a-z A-Z 0-9 _ . -) or a
// stream ARN (arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME, at most 2048
// characters).
func checkStream(s string) error {
	if !strings.HasPrefix(s, "arn:") {
		if !validStreamName(s) {
			return fmt.Errorf("kinesisbatch: Config.Stream %q is neither a stream ARN nor a valid stream name (1 to 128 of a-z A-Z 0-9 _ . -)", s)
		}
		return nil
	}
	parts := strings.SplitN(s, ":", 6)
	if len(s) > 2048 || len(parts) != 6 || !strings.HasPrefix(parts[1], "aws") || parts[2] != "kinesis" ||
		parts[3] == "" || !validAccount(parts[4]) || !strings.HasPrefix(parts[5], "stream/") ||
		!validStreamName(strings.TrimPrefix(parts[5], "stream/")) {
		return fmt.Errorf("kinesisbatch: Config.Stream %q is not a valid stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)", s)
	}
	return nil
}

func validStreamName(s string) bool {
	if len(s) < 1 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkItemType refuses an item type whose pointer implements PartitionKeyer
// but which does not itself: its keys would silently be random.
func checkItemType(t reflect.Type) error {
	keyer := reflect.TypeFor[PartitionKeyer]()
	if t.Kind() != reflect.Interface && !t.Implements(keyer) && reflect.PointerTo(t).Implements(keyer) {
		return fmt.Errorf("kinesisbatch: *%v implements PartitionKeyer but %v does not: use *%v as the item type, or a value receiver", t, t, t)
	}
	return nil
}

// Put queues item to be put into the stream. It returns once the item is
// buffered: Flush and Close report the outcome. Errors match
// batch.ErrItemTooLarge (over Config.MaxRecordBytes), ErrInvalidRecord,
// ErrInvalidPartitionKey, ErrInvalidExplicitHashKey or batch.ErrClosed with
// errors.Is; if the buffer is full and ctx ends first, ctx's error.
func (d *Dispatcher[T]) Put(ctx context.Context, item T) error {
	return d.Submit(ctx, item)
}

// PutWait queues item like Put and waits for its own outcome: nil once
// Kinesis took the record, or its cause, as Flush would report it (a
// *EntryError with the service's code and message, batch.ErrUnprocessed
// with the last answer, the AWS error of the call); that failure is then not
// reported again by Flush or Close. It refuses an item as Put does. The
// record is not held for a full call: it goes as soon as a call can be made,
// together with whatever other callers have pending. If ctx ends first,
// PutWait returns ctx's error, and the record is still written (or reported
// by Flush).
func (d *Dispatcher[T]) PutWait(ctx context.Context, item T) error {
	return d.SubmitWait(ctx, item)
}
