package sqsbatch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/internal/msgattr"
)

// Client is the part of *sqs.Client the dispatcher uses. Any wrapper or test
// double with this method plugs in.
type Client interface {
	SendMessageBatch(ctx context.Context, params *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var _ Client = (*sqs.Client)(nil)

// SQS's limits on SendMessageBatch and on a message.
const (
	// MaxBatchItems is the most entries in one SendMessageBatch call.
	MaxBatchItems = 10
	// MaxMessageBytes is the largest message SQS accepts, and the default of
	// Config.MaxMessageBytes: 1 MiB, SQS's limit. A message's size is its
	// body plus, for every attribute, the bytes of its name, its data type
	// and its value.
	MaxMessageBytes = 1 << 20
	// MinMessageBytes is the smallest Config.MaxMessageBytes, as for a
	// queue's MaximumMessageSize.
	MinMessageBytes = 1024
	// MaxBatchBytes bounds the sum of the sizes of the messages of one call.
	MaxBatchBytes = 1 << 20
	// MaxAttributes is the most message attributes on one message.
	MaxAttributes = msgattr.MaxAttributes
	// MaxAttributeNameLength bounds an attribute's name and its data type.
	MaxAttributeNameLength = msgattr.MaxAttributeNameLength
	// MaxNumberDigits is the most significant digits of a Number
	// attribute's value; leading and trailing zeros do not count.
	MaxNumberDigits = msgattr.MaxNumberDigits
	// MinNumberExponent and MaxNumberExponent bound the magnitude of a
	// Number attribute's value other than zero: from 10^MinNumberExponent
	// to 10^MaxNumberExponent, both included.
	MinNumberExponent = msgattr.MinNumberExponent
	MaxNumberExponent = msgattr.MaxNumberExponent
	// MaxIDLength bounds a message group id and a deduplication id.
	MaxIDLength = msgattr.MaxIDLength
	// MaxDelay is the longest Message.Delay.
	MaxDelay = 15 * time.Minute
)

// Message is one message with everything SQS lets a sender set. An item of
// type Message (or a non-nil *Message) is sent as it is.
type Message struct {
	// Body is the message body: 1 byte or more of UTF-8 text in the
	// characters SQS allows (#x9, #xA, #xD, #x20 to #xD7FF, #xE000 to
	// #xFFFD, #x10000 to #x10FFFF).
	Body string
	// Attributes are the message attributes, at most MaxAttributes. Each
	// has a DataType of String, Number or Binary, optionally with a custom
	// label ("Number.int", "Binary.gif"), and a non-empty StringValue
	// (String, Number) or BinaryValue (Binary). The data type, label
	// included, is up to MaxAttributeNameLength characters of those a
	// Body allows.
	Attributes map[string]types.MessageAttributeValue
	// GroupID is the MessageGroupId: required on a FIFO queue, where it
	// orders messages; optional on a standard queue (fair queues), where it
	// orders nothing.
	GroupID string
	// DeduplicationID is the MessageDeduplicationId: required on a FIFO
	// queue unless Config.ContentBasedDeduplication is set, refused on a
	// standard queue.
	DeduplicationID string
	// Delay is DelaySeconds, a whole number of seconds from 0 to
	// MaxDelay, on standard queues only. 0 leaves the queue's own delay.
	Delay time.Duration
}

// GroupIDer is implemented by an item type, other than Message, that
// carries its message group id: Send takes it from MessageGroupID instead of
// the caller building a Message.
type GroupIDer = msgattr.GroupIDer

// DeduplicationIDer is implemented by an item type, other than Message,
// that carries its message deduplication id, taken from
// MessageDeduplicationID at Send.
type DeduplicationIDer = msgattr.DeduplicationIDer

// Attributer is implemented by an item type, other than Message, that
// carries message attributes, taken from MessageAttributes at Send.
type Attributer interface {
	MessageAttributes() map[string]types.MessageAttributeValue
}

// Config says where and how a Dispatcher sends.
type Config struct {
	// QueueURL is the queue's URL, as GetQueueUrl or CreateQueue return
	// it. Required. A URL whose queue name ends in ".fifo" is a FIFO queue.
	QueueURL string
	// ContentBasedDeduplication says that the FIFO queue has content-based
	// deduplication on, so that a message may come without a
	// deduplication id (SQS then uses a SHA-256 hash of the body). Only for
	// FIFO queues: it is not read from the queue, so set it as the queue is.
	ContentBasedDeduplication bool
	// MaxMessageBytes is the largest message accepted at Send, for a queue
	// whose MaximumMessageSize is set lower than SQS's limit. 0:
	// MaxMessageBytes; otherwise from MinMessageBytes to MaxMessageBytes.
	MaxMessageBytes int
	// Batch tunes the batching core: batch size (at most 10), concurrency,
	// timed flush, buffer, retries and logging. On a FIFO queue its
	// Duplicates policy is batch.KeepDuplicates, whatever the zero value
	// says; another explicit policy is a configuration error.
	Batch batch.Config
}

// Errors that callers branch on with errors.Is, besides
// batch.ErrItemTooLarge and batch.ErrClosed. Send returns them, wrapped with
// the detail, for a message that SQS would refuse.
var (
	// ErrInvalidMessage is returned for a message whose body is empty,
	// cannot be encoded (a nil pointer, or a value encoding/json refuses),
	// or holds a character SQS does not allow (as a *CharacterError), or
	// whose Delay is out of range or set on a FIFO queue.
	ErrInvalidMessage = errors.New("sqsbatch: invalid message")
	// ErrInvalidAttribute is returned for a message attribute with a bad
	// name, data type or value (a Number out of range as a *NumberError),
	// or for more than MaxAttributes of them.
	ErrInvalidAttribute = errors.New("sqsbatch: invalid message attribute")
	// ErrInvalidGroupID is returned for a FIFO message without a group id,
	// and for a group id that is not 1 to 128 characters of a-z, A-Z, 0-9
	// and ASCII punctuation.
	ErrInvalidGroupID = errors.New("sqsbatch: invalid message group id")
	// ErrInvalidDeduplicationID is returned for a FIFO message without a
	// deduplication id (unless Config.ContentBasedDeduplication), for one
	// that is not 1 to 128 characters of a-z, A-Z, 0-9 and ASCII
	// punctuation, and for one on a standard queue.
	ErrInvalidDeduplicationID = errors.New("sqsbatch: invalid message deduplication id")
	// ErrChecksum is the cause, with batch.ErrOutcomeUnknown, of the
	// failure of a message that SQS took but whose MD5 in SQS's answer is
	// not that of the body sent: SQS holds a message, maybe not the one
	// sent. It is not sent again, which could make a duplicate.
	ErrChecksum = errors.New("sqsbatch: SQS's MD5 of the message body is not that of the body sent")
)

// CharacterError reports a character that SQS does not allow in a message
// body, a String attribute value or an attribute's data type, or bytes that
// are not UTF-8. It wraps ErrInvalidMessage (in a body) or
// ErrInvalidAttribute (in an attribute). It is the type snsbatch reports
// too.
type CharacterError = msgattr.CharacterError

// NumberError reports a Number attribute's value that SQS would refuse for
// its precision or its magnitude: more than MaxNumberDigits significant
// digits, or a magnitude, other than zero, below 10^MinNumberExponent or
// above 10^MaxNumberExponent. It wraps ErrInvalidAttribute.
type NumberError = msgattr.NumberError

// EntryError is the cause of the failure of a message that SQS refused on
// its own (an entry of SendMessageBatch's Failed list with SenderFault), or
// kept failing until the retries ran out: SQS's code and message. Match it
// with errors.As; it is a smithy.APIError.
type EntryError = awscall.EntryError

// Dispatcher sends items of type T to one SQS queue in SendMessageBatch
// calls. A Message item is sent as it is; a string or []byte is the body;
// any other T (named string types included) is encoded to a JSON body, with
// its group id, deduplication id and attributes taken from the GroupIDer,
// DeduplicationIDer and Attributer methods it has. All its methods are safe
// for concurrent use. Do not modify an item after passing it to Send.
type Dispatcher[T any] struct {
	// Front gives Flush, Close, Stats, and Submit and SubmitWait, which
	// are Send and SendWait.
	*batch.Front[T, types.SendMessageBatchRequestEntry]
	fifo bool
}

// New returns a Dispatcher that sends through client as cfg says. It
// validates cfg once and returns a clear error for a bad one.
func New[T any](client Client, cfg Config) (*Dispatcher[T], error) {
	if client == nil {
		return nil, errors.New("sqsbatch: New needs a Client, got nil")
	}
	name, err := queueName(cfg.QueueURL)
	if err != nil {
		return nil, err
	}
	fifo := strings.HasSuffix(name, ".fifo")
	switch {
	case cfg.MaxMessageBytes != 0 && (cfg.MaxMessageBytes < MinMessageBytes || cfg.MaxMessageBytes > MaxMessageBytes):
		return nil, fmt.Errorf("sqsbatch: Config.MaxMessageBytes %d is not between %d and %d", cfg.MaxMessageBytes, MinMessageBytes, MaxMessageBytes)
	case cfg.ContentBasedDeduplication && !fifo:
		return nil, fmt.Errorf("sqsbatch: Config.ContentBasedDeduplication is set for %q, a standard queue: it is for FIFO queues only", name)
	case fifo && cfg.Batch.Duplicates != batch.RejectDuplicates && cfg.Batch.Duplicates != batch.KeepDuplicates:
		return nil, fmt.Errorf("sqsbatch: Config.Batch.Duplicates is %v for %q, a FIFO queue: its message groups keep every message in order (batch.KeepDuplicates)", cfg.Batch.Duplicates, name)
	}
	w := &writer[T]{
		client:   client,
		queue:    name,
		queueURL: cfg.QueueURL,
		fifo:     fifo,
		cbd:      cfg.ContentBasedDeduplication,
		maxBytes: cfg.MaxMessageBytes,
		checkMD5: !checksumsDisabled(client),
	}
	if w.maxBytes == 0 {
		w.maxBytes = MaxMessageBytes
	}
	w.gate = awscall.NewGate[*sqs.Client](client, cfg.Batch.MaxInFlight)
	w.limits = batch.Limits{
		MaxItems:      MaxBatchItems,
		MaxItemBytes:  w.maxBytes,
		MaxBatchBytes: MaxBatchBytes,
		InOrder:       fifo,
		Ahead:         w.gate.Ahead(),
	}
	bc := cfg.Batch
	if fifo {
		bc.Duplicates = batch.KeepDuplicates
	}
	f, err := batch.NewFront(w, bc)
	if err != nil {
		return nil, err
	}
	return &Dispatcher[T]{Front: f, fifo: fifo}, nil
}

// queueName returns the name of the queue at rawURL, checked as SQS names
// queues: 1 to 80 characters of a-z, A-Z, 0-9, '-' and '_', with ".fifo" at
// the end of a FIFO queue's.
func queueName(rawURL string) (string, error) {
	if rawURL == "" {
		return "", errors.New("sqsbatch: Config.QueueURL is empty")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("sqsbatch: Config.QueueURL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("sqsbatch: Config.QueueURL %q is not an http or https URL", rawURL)
	}
	name := path.Base(u.Path)
	base := strings.TrimSuffix(name, ".fifo")
	if base == "" || len(name) > 80 || strings.IndexFunc(base, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		return "", fmt.Errorf("sqsbatch: Config.QueueURL %q does not end in a queue name (1 to 80 of a-z A-Z 0-9 - _, and .fifo for a FIFO queue)", rawURL)
	}
	return name, nil
}

// FIFO reports whether the queue is a FIFO queue.
func (d *Dispatcher[T]) FIFO() bool { return d.fifo }

// Send queues item to be sent. It returns once the item is buffered: Flush
// and Close report the outcome. Errors match batch.ErrItemTooLarge (over
// Config.MaxMessageBytes), ErrInvalidMessage, ErrInvalidAttribute,
// ErrInvalidGroupID, ErrInvalidDeduplicationID or batch.ErrClosed with
// errors.Is; if the buffer is full and ctx ends first, ctx's error.
func (d *Dispatcher[T]) Send(ctx context.Context, item T) error {
	return d.Submit(ctx, item)
}

// SendWait sends item and waits for this message's own outcome: nil once
// SQS has taken it, or its error (an *EntryError where SQS refused it, the
// API error where it refused the call, or the error a retry gave up on;
// that failure is then not reported again by Flush or Close). It refuses a
// message as Send does. It never waits for a batch to fill: the message
// goes as soon as a call can take it, with what else is pending, so that
// concurrent SendWait callers share calls. If ctx ends first, SendWait
// returns ctx's error and the message is still sent; a failure of it is then
// reported by Flush or Close.
func (d *Dispatcher[T]) SendWait(ctx context.Context, item T) error {
	return d.SubmitWait(ctx, item)
}
