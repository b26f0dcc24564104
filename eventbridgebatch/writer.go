package eventbridgebatch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
)

// writer is the batch.Backend of a Dispatcher: it makes entries of the
// caller's items and puts them with PutEvents.
type writer[T any] struct {
	client             Client
	bus                *string // nil: the default bus
	source, detailType string
	// sourcePtr and detailTypePtr point to source and detailType: the
	// entries of the events that take Config's share them (nil if unset).
	sourcePtr, detailTypePtr *string
	gate                     *awscall.Gate
}

// newWriter returns the writer of a Dispatcher; bus "" is the default bus.
func newWriter[T any](client Client, bus, source, detailType string, maxInFlight int) *writer[T] {
	w := &writer[T]{client: client, source: source, detailType: detailType,
		gate: awscall.NewGate[*eventbridge.Client](client, maxInFlight)}
	if bus != "" {
		w.bus = &bus
	}
	if source != "" {
		w.sourcePtr = &w.source
	}
	if detailType != "" {
		w.detailTypePtr = &w.detailType
	}
	return w
}

// Limits returns PutEvents' limits: 10 entries, whose sizes add up to less
// than MaxBatchBytes. Events have no key, and no order.
func (w *writer[T]) Limits() batch.Limits {
	return batch.Limits{MaxItems: MaxBatchItems, MaxItemBytes: MaxBatchBytes - 1, MaxBatchBytes: MaxBatchBytes - 1, Ahead: w.gate.Ahead()}
}

// Name names the package in the errors of Config.Batch.
func (w *writer[T]) Name() string { return "eventbridgebatch" }

// Encode makes item's entry, checks it and measures it as EventBridge
// does.
func (w *writer[T]) Encode(item T) (batch.Entry[types.PutEventsRequestEntry], error) {
	var e batch.Entry[types.PutEventsRequestEntry]
	var ev Event
	switch v := any(item).(type) {
	case Event:
		ev = v
	case *Event:
		if v == nil {
			return e, fmt.Errorf("%w: nil *Event", ErrInvalidEvent)
		}
		ev = *v
	default:
		ev = Event{Detail: any(item)} // not v: the switch's would then be boxed for an Event too
	}
	if ev.Source == "" {
		ev.Source = w.source
	}
	if ev.DetailType == "" {
		ev.DetailType = w.detailType
	}
	if err := checkNames(ev.Source, ev.DetailType, false); err != nil {
		return e, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	detail, err := detailOf(ev.Detail)
	if err != nil {
		return e, err
	}
	e.Size = len(ev.Source) + len(ev.DetailType) + len(detail)
	for _, r := range ev.Resources {
		e.Size += len(r)
	}
	e.Value = types.PutEventsRequestEntry{
		Source:       w.sourcePtr,
		DetailType:   w.detailTypePtr,
		Detail:       aws.String(detail),
		Resources:    ev.Resources,
		EventBusName: w.bus,
	}
	if ev.Source != w.source {
		e.Value.Source = aws.String(ev.Source)
	}
	if ev.DetailType != w.detailType {
		e.Value.DetailType = aws.String(ev.DetailType)
	}
	if !ev.Time.IsZero() {
		e.Size += TimeBytes
		e.Value.Time = aws.Time(ev.Time)
	}
	if e.Size >= MaxBatchBytes {
		return e, fmt.Errorf("%w: %d bytes by EventBridge's count, the most is %d", batch.ErrItemTooLarge, e.Size, MaxBatchBytes-1)
	}
	return e, nil
}

// checkNames checks an event's Source and DetailType: UTF-8, DetailType
// at most MaxDetailTypeLength characters, and not empty unless empty is.
func checkNames(source, detailType string, empty bool) error {
	switch n := utf8.RuneCountInString(detailType); {
	case !empty && (source == "" || detailType == ""):
		return fmt.Errorf("the Source %q or the DetailType %q is empty", source, detailType)
	case !utf8.ValidString(source) || !utf8.ValidString(detailType):
		return fmt.Errorf("the Source %q or the DetailType %q is not UTF-8", source, detailType)
	case n > MaxDetailTypeLength:
		return fmt.Errorf("the DetailType is %d characters long, the most is %d", n, MaxDetailTypeLength)
	}
	return nil
}

// detailOf returns the JSON text of an event's Detail, checked to be one
// JSON object.
func detailOf(d any) (string, error) {
	var text []byte
	// encoded says that encoding/json wrote text: then it is valid UTF-8
	// and valid JSON, and only its first byte is left to check.
	encoded := false
	switch v := d.(type) {
	case json.RawMessage:
		text = v // as it is, not compacted
	case []byte:
		text = v
	case string:
		text = []byte(v)
	default:
		var err error
		if text, err = awscall.Payload[[]byte](d); err != nil {
			return "", fmt.Errorf("%w: %w", ErrInvalidDetail, err)
		}
		encoded = true
	}
	trimmed := bytes.TrimLeft(text, " \t\r\n")
	switch {
	case !encoded && !utf8.Valid(text):
		return "", fmt.Errorf("%w: it is not UTF-8", ErrInvalidDetail)
	case len(trimmed) == 0 || trimmed[0] != '{' || !encoded && !json.Valid(text):
		return "", fmt.Errorf("%w: %.40q", ErrInvalidDetail, text)
	}
	return string(text), nil
}

// Write sends one PutEvents call and maps its answer, entry by entry, to
// an Outcome: an entry with ThrottlingException or InternalFailure is
// retried (the first is a throttle), one with another code fails with an
// *EntryError. An error of the whole call is classified by internal/awscall.
func (w *writer[T]) Write(ctx context.Context, entries []types.PutEventsRequestEntry) (batch.Outcome, error) {
	call := awscall.EventBridge.NewCall().Gated(w.gate)
	out, err := w.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries}, func(o *eventbridge.Options) {
		awscall.Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
	})
	if err != nil {
		return batch.Outcome{}, call.Classify(ctx, err)
	}
	if len(out.Entries) != len(entries) {
		// Which events went in is unknown: sending all again may
		// duplicate some, losing none.
		return batch.Outcome{}, batch.MaybeWritten(fmt.Errorf("eventbridgebatch: PutEvents answered %d entries for %d events", len(out.Entries), len(entries)))
	}
	var o batch.Outcome
	for i, res := range out.Entries {
		awscall.EventBridge.AddAnswer(&o, i, aws.ToString(res.ErrorCode), aws.ToString(res.ErrorMessage))
	}
	return o, nil
}

// MetricLabels names the backend and the event bus in the metrics.
func (w *writer[T]) MetricLabels() (backend, target string) {
	if w.bus == nil {
		return "eventbridge", "default"
	}
	return "eventbridge", *w.bus
}
