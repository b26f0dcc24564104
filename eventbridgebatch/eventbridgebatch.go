package eventbridgebatch

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
)

// Client is the part of *eventbridge.Client the dispatcher uses. Any
// wrapper or test double with this method plugs in.
type Client interface {
	PutEvents(ctx context.Context, params *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ Client = (*eventbridge.Client)(nil)

// EventBridge's limits on PutEvents (docs/eventbridge.md has the sources).
const (
	MaxBatchItems = 10 // entries in one PutEvents call
	// MaxBatchBytes bounds a call: the sizes of its entries, by EventBridge's
	// count (see Event), add up to less than it.
	MaxBatchBytes       = 1 << 20
	TimeBytes           = 14  // what a set Event.Time counts in an entry's size
	MaxDetailTypeLength = 128 // characters of a DetailType
)

// Event is one event with everything PutEvents lets a sender set but the
// trace header. An item of type Event (or a non-nil *Event) is sent as it
// is. Its size, as EventBridge counts it, is the UTF-8 bytes of Source,
// DetailType, Detail and each of Resources, plus TimeBytes if Time is set.
type Event struct {
	// Source and DetailType say where the event comes from and what it
	// is: both required, UTF-8, DetailType at most MaxDetailTypeLength
	// characters. An empty one takes Config's.
	Source, DetailType string
	// Detail is the event's detail, a JSON object: a json.RawMessage,
	// []byte or string holding one, or any other value, encoded by
	// encoding/json (<, > and & as they are), whose JSON must be an object.
	Detail any
	// Resources are the ARNs of the resources the event concerns, if any.
	Resources []string
	// Time is the event's time; zero: the time of the call.
	Time time.Time
}

// Config says where and how a Dispatcher puts events.
type Config struct {
	// EventBus is the event bus's name or ARN; "": the default bus.
	EventBus string
	// Source and DetailType are those of the items that are not Events
	// (their JSON is the Detail), and of Events that leave theirs empty.
	// New requires both when the item type is neither Event, *Event nor
	// an interface.
	Source, DetailType string
	// Batch tunes the batching core (at most 10 entries a call). Events
	// have no key: its Duplicates policy has no effect.
	Batch batch.Config
}

// Errors that Put returns, wrapped, for an event EventBridge would refuse;
// match them with errors.Is.
var (
	// ErrInvalidEvent: a Source or DetailType missing, too long or not
	// UTF-8, or a nil *Event.
	ErrInvalidEvent = errors.New("eventbridgebatch: invalid event")
	// ErrInvalidDetail: a Detail missing, not a JSON object, not UTF-8, or
	// that cannot be encoded.
	ErrInvalidDetail = errors.New("eventbridgebatch: the detail is not a JSON object")
)

// EntryError is the cause of the failure of an event that PutEvents
// refused, or kept failing until the retry policy gave up: its result
// entry's ErrorCode and ErrorMessage. Match it with errors.As; it is a
// smithy.APIError.
type EntryError = awscall.EntryError

// Dispatcher puts items of type T on one event bus in PutEvents calls. An
// Event item is sent as it is; any other T is the Detail of an event with
// Config's Source and DetailType. All its methods are safe for concurrent
// use. Do not modify an item after passing it to Put.
type Dispatcher[T any] struct {
	// Front gives Flush, Close, Stats, and Submit and SubmitWait, which
	// are Put and PutWait.
	*batch.Front[T, types.PutEventsRequestEntry]
}

// New returns a Dispatcher that puts events through client as cfg says. It
// validates cfg once and returns a clear error for a bad one.
func New[T any](client Client, cfg Config) (*Dispatcher[T], error) {
	if client == nil {
		return nil, errors.New("eventbridgebatch: New needs a Client, got nil")
	}
	if cfg.EventBus != "" && (len(cfg.EventBus) > 1600 || !busPattern.MatchString(cfg.EventBus)) {
		return nil, fmt.Errorf("eventbridgebatch: Config.EventBus %q is neither an event bus name (1 to 1600 of / . - _ a-z A-Z 0-9) nor an event bus ARN", cfg.EventBus)
	}
	t := reflect.TypeFor[T]()
	if t != reflect.TypeFor[Event]() && t != reflect.TypeFor[*Event]() && t.Kind() != reflect.Interface &&
		(cfg.Source == "" || cfg.DetailType == "") {
		return nil, fmt.Errorf("eventbridgebatch: Config.Source and Config.DetailType are required for items of type %v, which are not Events", t)
	}
	if err := checkNames(cfg.Source, cfg.DetailType, true); err != nil {
		return nil, fmt.Errorf("eventbridgebatch: Config: %w", err)
	}
	f, err := batch.NewFront(newWriter[T](client, cfg.EventBus, cfg.Source, cfg.DetailType, cfg.Batch.MaxInFlight), cfg.Batch)
	if err != nil {
		return nil, err
	}
	return &Dispatcher[T]{f}, nil
}

// busPattern is PutEvents' pattern of an EventBusName: a name, or an ARN.
var busPattern = regexp.MustCompile(`^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/)?[/.\-_A-Za-z0-9]+$`)

// Put queues item to be put on the bus. It returns once the item is
// buffered: Flush and Close report the outcome. Errors match
// batch.ErrItemTooLarge, ErrInvalidEvent, ErrInvalidDetail or
// batch.ErrClosed with errors.Is; if the buffer is full and ctx ends first,
// ctx's error.
func (d *Dispatcher[T]) Put(ctx context.Context, item T) error {
	return d.Submit(ctx, item)
}

// PutWait puts item like Put and waits for its own outcome: nil once
// EventBridge took the event, or its cause, which Flush and Close then do
// not report again. It never waits for a batch to fill. If ctx ends first,
// it returns ctx's error, and the event is still put (or reported by Flush).
func (d *Dispatcher[T]) PutWait(ctx context.Context, item T) error {
	return d.SubmitWait(ctx, item)
}
