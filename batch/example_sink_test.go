package batch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/batchutils/batchutils/batch"
)

// eventAPI stands for a service with a batch call that answers per entry,
// as Kinesis PutRecords or EventBridge PutEvents do: "" for an entry
// taken, or an error code.
type eventAPI struct {
	throttleOnce map[string]bool // entries throttled on their first try
	stored       []string
}

func (api *eventAPI) PutEvents(_ context.Context, entries []string) ([]string, error) {
	codes := make([]string, len(entries))
	for i, e := range entries {
		switch {
		case !strings.HasPrefix(e, "{"):
			codes[i] = "MalformedDetail"
		case api.throttleOnce[e]:
			delete(api.throttleOnce, e)
			codes[i] = "ThrottlingException"
		default:
			api.stored = append(api.stored, e)
		}
	}
	return codes, nil
}

// eventSink is the whole of a backend: its limits, its measure of an item,
// and the mapping of the service's answer to an Outcome.
type eventSink struct{ api *eventAPI }

// errMalformed is the cause of an event the service refused.
var errMalformed = errors.New("event refused: MalformedDetail")

func (s eventSink) Limits() batch.Limits {
	return batch.Limits{MaxItems: 10, MaxItemBytes: 256 << 10, MaxBatchBytes: 256 << 10}
}

func (s eventSink) Measure(e string) (key string, size int, err error) {
	if !utf8.ValidString(e) {
		return "", 0, errors.New("event is not valid UTF-8")
	}
	return "", len(e), nil // no key: events are neither ordered nor de-duplicated
}

func (s eventSink) Write(ctx context.Context, events []string) (batch.Outcome, error) {
	codes, err := s.api.PutEvents(ctx, events)
	if err != nil {
		return batch.Outcome{}, err // the call failed as a whole: retried
	}
	var out batch.Outcome
	for i, code := range codes {
		switch code {
		case "":
		case "ThrottlingException":
			out.Retry = append(out.Retry, i)
			out.Throttled = true
		default:
			out.Failed = append(out.Failed, batch.ItemError{Index: i, Err: errMalformed})
		}
	}
	return out, nil
}

// A small backend, written as docs/backends.md describes: the sink says what
// became of each event, and the dispatcher retries, reports and paces.
func Example_sink() {
	api := &eventAPI{throttleOnce: map[string]bool{`{"n":2}`: true}}
	ctx := context.Background()
	d, err := batch.New[string](eventSink{api}, batch.Config{MaxInFlight: 1})
	if err != nil {
		panic(err)
	}
	for _, e := range []string{`{"n":1}`, `{"n":2}`, `not json`, `{"n":3}`} {
		if err := d.Submit(ctx, e); err != nil {
			panic(err)
		}
	}
	err = d.Close(ctx)
	var fe *batch.FailedError[string]
	if errors.As(err, &fe) {
		for _, f := range fe.Failures {
			fmt.Printf("%q: %v\n", f.Item, f.Err)
		}
	}
	fmt.Println(api.stored)
	st := d.Stats()
	fmt.Println("written", st.Written, "failed", st.Failed, "calls", st.Batches, "throttled", st.Throttled)
	// Output:
	// "not json": event refused: MalformedDetail
	// [{"n":1} {"n":3} {"n":2}]
	// written 3 failed 1 calls 2 throttled 1
}
