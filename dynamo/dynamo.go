package dynamo

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/internal/ddbsize"
)

// Client is the part of *dynamodb.Client that the dispatcher uses. Any
// wrapper or test double with this method plugs in.
type Client interface {
	BatchWriteItem(ctx context.Context, params *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

var _ Client = (*dynamodb.Client)(nil)

// DynamoDB's limits on BatchWriteItem.
const (
	// MaxBatchItems is the most write requests in one BatchWriteItem call.
	MaxBatchItems = 25
	// MaxItemBytes is the largest item accepted, by DynamoDB's own size
	// rules (attribute names plus values).
	MaxItemBytes = ddbsize.MaxItemSize
	// MaxBatchBytes bounds the JSON body of one BatchWriteItem call.
	MaxBatchBytes = 16_000_000
	// MaxPartitionKeyBytes and MaxSortKeyBytes are the longest key values.
	MaxPartitionKeyBytes = 2048
	MaxSortKeyBytes      = 1024
)

// KeyType is the data type of a key attribute, as declared in the table's
// key schema.
type KeyType int

const (
	String KeyType = iota // S (the default, as partition_key_data_type=str in boto3_batch_utils)
	Number                // N
	Binary                // B
)

// String returns the DynamoDB type descriptor: "S", "N" or "B".
func (k KeyType) String() string {
	switch k {
	case String:
		return "S"
	case Number:
		return "N"
	case Binary:
		return "B"
	}
	return fmt.Sprintf("KeyType(%d)", int(k))
}

// Config says where and how a Dispatcher writes.
type Config struct {
	// Table is the name of the table. Required.
	Table string
	// PartitionKey is the name of the table's partition key attribute.
	// Required.
	PartitionKey string
	// PartitionKeyType is its type in the table's key schema. The zero
	// value is String.
	PartitionKeyType KeyType
	// PartitionKeyLocation, if set, names the attribute of each item that
	// holds the partition key's value. The value is copied to PartitionKey,
	// converted to PartitionKeyType (a string of digits to a number, a
	// number to its decimal string), overriding any value already there.
	// The source attribute stays; the caller's item is never modified.
	PartitionKeyLocation string
	// SortKey is the name of the table's sort key attribute; "" for a table
	// without one.
	SortKey string
	// SortKeyType is its type. The zero value is String.
	SortKeyType KeyType
	// Batch tunes the batching core: batch size (at most 25), timed flush,
	// concurrency, buffer, duplicates policy, retries and logging.
	Batch batch.Config
	// EncoderOptions, if set, adjusts how items other than
	// map[string]types.AttributeValue are marshalled (struct tag name,
	// empty sets, ...). New's and Put's checks of an item's fields read the
	// struct tags its TagKey names, as the encoder does.
	EncoderOptions func(*attributevalue.EncoderOptions)
}

// Errors that callers branch on with errors.Is, besides batch.ErrDuplicate,
// batch.ErrItemTooLarge and batch.ErrClosed.
var (
	// ErrInvalidKey is returned by Put and Delete for an item whose key
	// attribute is missing, empty, of the wrong type, too long or (a string)
	// not valid UTF-8, or whose PartitionKeyLocation attribute is missing or
	// cannot be converted.
	ErrInvalidKey = errors.New("dynamo: invalid key")
	// ErrInvalidItem is returned by Put and Delete for an item that cannot
	// be marshalled, holds a value DynamoDB refuses (a number that is NaN
	// or infinite, an empty or duplicated set, nesting deeper than 32, an
	// attribute name that is empty (at any depth) or over 65,535 bytes),
	// holds what the SDK would change on the way (a string or name that is
	// not valid UTF-8, a nil []byte) or what attributevalue would leave out
	// (a channel or function in an interface-typed value), or contains
	// itself.
	ErrInvalidItem = errors.New("dynamo: invalid item")
)

// Dispatcher writes items of type T to one DynamoDB table in
// BatchWriteItem calls. T is a struct (with dynamodbav tags), a
// map[string]any, a map[string]types.AttributeValue (passed through as it
// is), or anything attributevalue.MarshalMap accepts. All its methods are safe
// for concurrent use. Do not modify an item after passing it to Put or
// Delete.
type Dispatcher[T any] struct {
	// Front gives Flush, Close, Stats, and Submit and SubmitWait, which
	// are Put and PutWait.
	*batch.Front[T, types.WriteRequest]
	w *writer[T]
}

// New returns a Dispatcher that writes through client as cfg says. It
// validates cfg once and returns a clear error for a bad one.
func New[T any](client Client, cfg Config) (*Dispatcher[T], error) {
	if client == nil {
		return nil, errors.New("dynamo: New needs a Client, got nil")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	tagKey := tagKeyOf(cfg.EncoderOptions)
	if err := checkItemType(reflect.TypeFor[T](), tagKey); err != nil {
		return nil, err
	}
	w := &writer[T]{client: client, cfg: cfg, walk: typeInfoOf(reflect.TypeFor[T](), tagKey).walk, tagKey: tagKey,
		plan: planOf(reflect.TypeFor[T](), cfg.EncoderOptions)}
	w.enc = attributevalue.NewEncoder(func(o *attributevalue.EncoderOptions) {
		if cfg.EncoderOptions != nil {
			cfg.EncoderOptions(o)
		}
	})
	w.gate = awscall.NewGate[*dynamodb.Client](client, cfg.Batch.MaxInFlight)
	w.limits = batch.Limits{
		MaxItems:      MaxBatchItems,
		MaxBatchBytes: MaxBatchBytes - envelopeBytes(cfg.Table),
		Ahead:         w.gate.Ahead(),
	}
	f, err := batch.NewFront(w, cfg.Batch)
	if err != nil {
		return nil, err
	}
	return &Dispatcher[T]{Front: f, w: w}, nil
}

// validate checks the table and key fields of cfg; batch.New checks Batch.
func (cfg Config) validate() error {
	switch {
	case cfg.Table == "":
		return errors.New("dynamo: Config.Table is empty")
	case len(cfg.Table) < 3 || len(cfg.Table) > 255 || !validTableName(cfg.Table):
		return fmt.Errorf("dynamo: Config.Table %q is not a valid table name (3 to 255 of a-z A-Z 0-9 _ - .)", cfg.Table)
	case cfg.PartitionKey == "":
		return errors.New("dynamo: Config.PartitionKey is empty")
	case cfg.PartitionKeyType < String || cfg.PartitionKeyType > Binary:
		return fmt.Errorf("dynamo: Config.PartitionKeyType %v is not String, Number or Binary", cfg.PartitionKeyType)
	case cfg.SortKeyType < String || cfg.SortKeyType > Binary:
		return fmt.Errorf("dynamo: Config.SortKeyType %v is not String, Number or Binary", cfg.SortKeyType)
	case cfg.SortKey != "" && cfg.SortKey == cfg.PartitionKey:
		return fmt.Errorf("dynamo: Config.SortKey %q is also the partition key", cfg.SortKey)
	case cfg.SortKey == "" && cfg.SortKeyType != String:
		return fmt.Errorf("dynamo: Config.SortKeyType %v is set without a SortKey", cfg.SortKeyType)
	case cfg.PartitionKeyLocation != "" && cfg.PartitionKeyLocation == cfg.PartitionKey:
		return fmt.Errorf("dynamo: Config.PartitionKeyLocation %q is the partition key itself", cfg.PartitionKeyLocation)
	}
	return nil
}

func validTableName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// envelopeBytes is the size of a BatchWriteItem body around its write
// requests: {"RequestItems":{"table":[...]}}, with room to spare.
func envelopeBytes(table string) int {
	return len(`{"RequestItems":{"":[]}}`) + len(table) + 64
}

// Put queues item to be written with a PutRequest, replacing any item with
// its key in the table. It returns once the item is buffered: Flush and Close
// report the outcome. Errors match batch.ErrDuplicate (its key is pending,
// under batch.RejectDuplicates), batch.ErrItemTooLarge (over 400,000 bytes),
// ErrInvalidKey, ErrInvalidItem or batch.ErrClosed with errors.Is; if the
// buffer is full and ctx ends first, ctx's error.
func (d *Dispatcher[T]) Put(ctx context.Context, item T) error {
	return d.Submit(ctx, item)
}

// Delete queues the deletion of the item with item's key: only the key
// attributes of item are sent, in a DeleteRequest. A put and a delete of one
// key count as the same key for de-duplication. Errors are as for Put.
func (d *Dispatcher[T]) Delete(ctx context.Context, item T) error {
	return d.SubmitWith(ctx, item, d.w.encodeDelete)
}

// PutWait is Put that waits for the item's own outcome: nil once DynamoDB
// has confirmed the write, or its error (then not reported again by Flush or
// Close). It never waits for a batch to fill: concurrent callers share
// calls. If ctx ends first it returns ctx's error; the item is still
// written, and a failure of it is reported by Flush or Close. See
// batch.Dispatcher.SubmitWait.
func (d *Dispatcher[T]) PutWait(ctx context.Context, item T) error {
	return d.SubmitWait(ctx, item)
}

// DeleteWait is Delete that waits for the deletion's own outcome, as
// PutWait does.
func (d *Dispatcher[T]) DeleteWait(ctx context.Context, item T) error {
	return d.SubmitWaitWith(ctx, item, d.w.encodeDelete)
}
