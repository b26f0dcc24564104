package snsbatch

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/internal/msgattr"
)

// Client is the part of *sns.Client the dispatcher uses. Any wrapper or
// test double with this method plugs in.
type Client interface {
	PublishBatch(ctx context.Context, params *sns.PublishBatchInput, optFns ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
}

var _ Client = (*sns.Client)(nil)

// SNS's limits on PublishBatch and on a message (docs/sns.md).
const (
	MaxBatchItems = 10 // entries in one PublishBatch call
	// DefaultMaxMessageBytes is a topic's MaximumMessageSize unless raised:
	// it bounds a message, and the messages of a call, each counted as its
	// body plus every attribute's name, data type and value.
	DefaultMaxMessageBytes = 256 << 10
	MaxMessageBytes        = 1 << 20 // the most a MaximumMessageSize can be
	MaxSubjectLength       = 99      // characters of a Subject ("less than 100")
)

// Message is one message with everything PublishBatch lets a publisher set
// but MessageStructure. A Message item (or non-nil *Message) goes as it is.
type Message struct {
	// Body is the message: 1 byte or more of UTF-8.
	Body string
	// Subject, if set, is UTF-8 text of at most MaxSubjectLength
	// characters, without line breaks or other control characters.
	Subject string
	// Attributes are the message attributes, checked as SQS checks them.
	Attributes map[string]types.MessageAttributeValue
	// GroupID is the MessageGroupId: required on a FIFO topic, where it
	// orders messages; optional elsewhere (passed on to fair queues).
	GroupID string
	// DeduplicationID is the MessageDeduplicationId: required on a FIFO
	// topic unless Config.ContentBasedDeduplication, refused elsewhere.
	DeduplicationID string
}

// GroupIDer is implemented by an item type, other than Message, that
// carries its message group id: Publish takes it from MessageGroupID. An
// item type of sqsbatch's with this method works here too.
type GroupIDer = msgattr.GroupIDer

// DeduplicationIDer is implemented by an item type, other than Message,
// that carries its message deduplication id, taken at Publish.
type DeduplicationIDer = msgattr.DeduplicationIDer

// Attributer is implemented by an item type, other than Message, that
// carries SNS message attributes, taken at Publish.
type Attributer interface {
	MessageAttributes() map[string]types.MessageAttributeValue
}

// Config says where and how a Dispatcher publishes.
type Config struct {
	// TopicARN is the topic's ARN. Required. A topic whose name ends in
	// ".fifo" is a FIFO topic: the messages of a group keep their order.
	TopicARN string
	// ContentBasedDeduplication says that the FIFO topic deduplicates by
	// content: a message needs no deduplication id. Set it as the topic is.
	ContentBasedDeduplication bool
	// MaxMessageBytes is the topic's MaximumMessageSize, the most bytes of
	// a message and of a call. 0: DefaultMaxMessageBytes.
	MaxMessageBytes int
	// Batch tunes the batching core (at most 10 entries a call). On a FIFO
	// topic its Duplicates policy is batch.KeepDuplicates.
	Batch batch.Config
}

// Errors that Publish returns, wrapped, for a message SNS would refuse;
// match them with errors.Is.
var (
	// ErrInvalidMessage: a body empty or not UTF-8, a bad Subject, an item
	// that cannot be encoded.
	ErrInvalidMessage = errors.New("snsbatch: invalid message")
	// ErrInvalidAttribute: a bad message attribute (see *CharacterError,
	// *NumberError), or more than 10.
	ErrInvalidAttribute = errors.New("snsbatch: invalid message attribute")
	// ErrInvalidGroupID: none on a FIFO topic, or not 1 to 128 of a-z A-Z
	// 0-9 and ASCII punctuation.
	ErrInvalidGroupID = errors.New("snsbatch: invalid message group id")
	// ErrInvalidDeduplicationID: none on a FIFO topic without content-based
	// deduplication, one on a standard topic, or a malformed one.
	ErrInvalidDeduplicationID = errors.New("snsbatch: invalid message deduplication id")
)

// CharacterError reports a character not allowed in an attribute's value or
// data type. It wraps ErrInvalidAttribute.
type CharacterError = msgattr.CharacterError

// NumberError reports a Number attribute SNS would refuse for its precision
// or magnitude, as SQS would. It wraps ErrInvalidAttribute.
type NumberError = msgattr.NumberError

// EntryError is the cause of the failure of a message that SNS refused on
// its own, or kept failing until the retry policy gave up, as its Failed
// entry said: SNS's Code and Message, and its SenderFault. Flush and Close
// report it; match it with errors.As; it is a smithy.APIError.
type EntryError = awscall.EntryError

// Dispatcher publishes items of type T to one SNS topic in PublishBatch
// calls. A Message item is published as it is; a string or []byte is the
// body; any other T is encoded to a JSON body, with its ids and attributes
// from the GroupIDer, DeduplicationIDer and Attributer methods it has. All
// its methods are safe for concurrent use. Do not modify an item after
// passing it to Publish.
type Dispatcher[T any] struct {
	// Front gives Flush, Close, Stats, and Submit and SubmitWait, which
	// are Publish and PublishWait.
	*batch.Front[T, types.PublishBatchRequestEntry]
}

// topicPattern is a topic ARN: arn:PARTITION:sns:REGION:ACCOUNT:NAME.
var topicPattern = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:([A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo)$`)

// New returns a Dispatcher that publishes through client as cfg says. It
// validates cfg once and returns a clear error for a bad one.
func New[T any](client Client, cfg Config) (*Dispatcher[T], error) {
	fifo := strings.HasSuffix(cfg.TopicARN, ".fifo")
	switch {
	case client == nil:
		return nil, errors.New("snsbatch: New needs a Client, got nil")
	case !topicPattern.MatchString(cfg.TopicARN):
		return nil, fmt.Errorf("snsbatch: Config.TopicARN %q is not a topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", cfg.TopicARN)
	case cfg.MaxMessageBytes < 0 || cfg.MaxMessageBytes > MaxMessageBytes:
		return nil, fmt.Errorf("snsbatch: Config.MaxMessageBytes %d is not between 1 and %d", cfg.MaxMessageBytes, MaxMessageBytes)
	case cfg.ContentBasedDeduplication && !fifo:
		return nil, fmt.Errorf("snsbatch: Config.ContentBasedDeduplication is set for %q, a standard topic: it is for FIFO topics only", cfg.TopicARN)
	case fifo && cfg.Batch.Duplicates != batch.RejectDuplicates && cfg.Batch.Duplicates != batch.KeepDuplicates:
		return nil, fmt.Errorf("snsbatch: Config.Batch.Duplicates is %v for a FIFO topic: its message groups keep every message in order (batch.KeepDuplicates)", cfg.Batch.Duplicates)
	}
	w := &writer[T]{client: client, topic: cfg.TopicARN, fifo: fifo, cbd: cfg.ContentBasedDeduplication, maxBytes: cfg.MaxMessageBytes,
		gate: awscall.NewGate[*sns.Client](client, cfg.Batch.MaxInFlight)}
	if w.maxBytes == 0 {
		w.maxBytes = DefaultMaxMessageBytes
	}
	if fifo {
		cfg.Batch.Duplicates = batch.KeepDuplicates
	}
	f, err := batch.NewFront(w, cfg.Batch)
	if err != nil {
		return nil, err
	}
	return &Dispatcher[T]{f}, nil
}

// Publish queues item to be published. It returns once the item is
// buffered: Flush and Close report the outcome. Errors match
// batch.ErrItemTooLarge (over Config.MaxMessageBytes), ErrInvalidMessage,
// ErrInvalidAttribute, ErrInvalidGroupID, ErrInvalidDeduplicationID or
// batch.ErrClosed with errors.Is; if the buffer is full and ctx ends first,
// ctx's error.
func (d *Dispatcher[T]) Publish(ctx context.Context, item T) error {
	return d.Submit(ctx, item)
}

// PublishWait publishes item and waits for its own outcome: nil once SNS
// took it, or its cause, which Flush and Close then do not report again. It
// never waits for a batch to fill. If ctx ends first, it returns ctx's error
// and the message is still published (or reported by Flush).
func (d *Dispatcher[T]) PublishWait(ctx context.Context, item T) error {
	return d.SubmitWait(ctx, item)
}
