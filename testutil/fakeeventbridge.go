package testutil

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// FakeEventBridge is an in-memory EventBridge with PutEvents only, for unit
// tests and examples: it enforces EventBridge's rules on a call (1 to 10
// entries whose sizes, by EventBridge's count, add up to less than 1 MiB, on
// buses that exist) and on each entry (a Source, a DetailType of at most 128
// characters, a Detail that is a JSON object), stores the events it takes in
// order, and records every call. Its methods are safe for concurrent use.
type FakeEventBridge struct {
	// FailCall, if set, is called with each call's number (from 1) before
	// the fake applies it; a non-nil error is returned instead, and nothing
	// is stored.
	FailCall func(call int, in *eventbridge.PutEventsInput) error
	// FailEntry, if set, is called for each entry of a call the fake
	// applies, in order; a non-nil answer is the entry's result (set its
	// ErrorCode and ErrorMessage) and the event is not stored.
	FailEntry func(call int, e types.PutEventsRequestEntry) *types.PutEventsResultEntry

	mu     sync.Mutex
	buses  map[string][]FakeEvent
	calls  int
	sizes  []int // entries of each call
	nextID int
}

// FakeEvent is an event a FakeEventBridge stored.
type FakeEvent struct {
	Source, DetailType, Detail string
	Resources                  []string
	Time                       string // RFC 3339, or "" when the entry had none
}

// NewFakeEventBridge returns a FakeEventBridge with the default bus only.
func NewFakeEventBridge() *FakeEventBridge {
	return &FakeEventBridge{buses: map[string][]FakeEvent{"default": nil}}
}

// CreateEventBus adds a bus named name and returns its ARN.
func (f *FakeEventBridge) CreateEventBus(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buses[name] = nil
	return "arn:aws:events:us-east-1:123456789012:event-bus/" + name
}

// Events returns the events stored on the bus named bus ("" or "default":
// the default bus), in the order the fake took them.
func (f *FakeEventBridge) Events(bus string) []FakeEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeEvent(nil), f.buses[busName(bus)]...)
}

// Calls returns the number of entries of each PutEvents call so far.
func (f *FakeEventBridge) Calls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.sizes...)
}

func busName(bus string) string {
	if bus == "" {
		return "default"
	}
	return bus[strings.LastIndex(bus, "/")+1:]
}

// PutEvents applies the call as EventBridge would.
func (f *FakeEventBridge) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.sizes = append(f.sizes, len(in.Entries))
	f.mu.Unlock()
	if f.FailCall != nil {
		if err := f.FailCall(call, in); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(in.Entries); n == 0 || n > 10 {
		return nil, fmt.Errorf("FakeEventBridge: ValidationException: %d entries, want 1 to 10", n)
	}
	total := 0
	for _, e := range in.Entries {
		total += len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
		for _, r := range e.Resources {
			total += len(r)
		}
		if e.Time != nil {
			total += 14
		}
		if _, ok := f.buses[busName(aws.ToString(e.EventBusName))]; !ok {
			return nil, &types.ResourceNotFoundException{Message: aws.String("Event bus " + aws.ToString(e.EventBusName) + " does not exist.")}
		}
	}
	if total >= 1<<20 {
		return nil, fmt.Errorf("FakeEventBridge: ValidationException: %d bytes of entries, want less than 1 MiB", total)
	}
	out := &eventbridge.PutEventsOutput{Entries: make([]types.PutEventsResultEntry, len(in.Entries))}
	for i, e := range in.Entries {
		res := &out.Entries[i]
		if f.FailEntry != nil {
			if r := f.FailEntry(call, e); r != nil {
				*res = *r
				out.FailedEntryCount++
				continue
			}
		}
		var detail map[string]any
		switch {
		case aws.ToString(e.Source) == "" || aws.ToString(e.DetailType) == "" || len([]rune(aws.ToString(e.DetailType))) > 128:
			res.ErrorCode, res.ErrorMessage = aws.String("InvalidArgument"), aws.String("Parameter Source or DetailType is not valid.")
		case json.Unmarshal([]byte(aws.ToString(e.Detail)), &detail) != nil || detail == nil:
			res.ErrorCode, res.ErrorMessage = aws.String("MalformedDetail"), aws.String("Detail is malformed.")
		}
		if res.ErrorCode != nil {
			out.FailedEntryCount++
			continue
		}
		f.nextID++
		res.EventId = aws.String(fmt.Sprintf("fake-%d", f.nextID))
		ev := FakeEvent{Source: *e.Source, DetailType: *e.DetailType, Detail: *e.Detail, Resources: e.Resources}
		if e.Time != nil {
			ev.Time = e.Time.UTC().Format("2006-01-02T15:04:05Z07:00")
		}
		bus := busName(aws.ToString(e.EventBusName))
		f.buses[bus] = append(f.buses[bus], ev)
	}
	return out, nil
}
