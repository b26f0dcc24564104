package batch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/batchutils/batchutils/batch"
)

// printSink writes batches of words to standard output, and refuses the
// word "bad" as a backend refuses an invalid record.
type printSink struct{}

func (printSink) Limits() batch.Limits { return batch.Limits{MaxItems: 3, MaxItemBytes: 10} }

func (printSink) Measure(w string) (key string, size int, err error) {
	return w, len(w), nil // the word is its own key
}

func (printSink) Write(_ context.Context, words []string) (batch.Outcome, error) {
	var out batch.Outcome
	var sent []string
	for i, w := range words {
		if w == "bad" {
			// Refused on its own: the other words of the call go through.
			out.Failed = append(out.Failed, batch.ItemError{Index: i, Err: errors.New("bad word")})
			continue
		}
		sent = append(sent, w)
	}
	if len(sent) > 0 {
		fmt.Println("batch:", strings.Join(sent, " "))
	}
	return out, nil
}

func Example() {
	ctx := context.Background()
	d, err := batch.New[string](printSink{}, batch.Config{MaxInFlight: 1})
	if err != nil {
		panic(err)
	}
	for _, w := range []string{"one", "two", "three", "four", "five"} {
		if err := d.Submit(ctx, w); err != nil {
			panic(err)
		}
	}
	if err := d.Close(ctx); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", d.Stats())
	// Output:
	// batch: one two three
	// batch: four five
	// {Submitted:5 Written:5 Failed:0 Unknown:0 Replaced:0 Rejected:0 Retries:0 Batches:2 Throttled:0 Rate:0 Pending:0 InFlight:0 Unreported:0}
}

func ExampleDispatcher_Submit_refused() {
	ctx := context.Background()
	d, _ := batch.New[string](printSink{}, batch.Config{})

	fmt.Println(d.Submit(ctx, "word"))
	fmt.Println(errors.Is(d.Submit(ctx, "word"), batch.ErrDuplicate))
	fmt.Println(errors.Is(d.Submit(ctx, "far too long a word"), batch.ErrItemTooLarge))
	d.Close(ctx)
	fmt.Println(errors.Is(d.Submit(ctx, "late"), batch.ErrClosed))
	// Output:
	// <nil>
	// true
	// true
	// batch: word
	// true
}

func ExampleFailedError() {
	ctx := context.Background()
	d, _ := batch.New[string](printSink{}, batch.Config{MaxInFlight: 1})
	for _, w := range []string{"good", "bad", "fine"} {
		d.Submit(ctx, w)
	}
	// The sink refuses "bad" on its own; the others of its call are written
	// and never sent again.
	err := d.Close(ctx)
	var fe *batch.FailedError[string]
	if errors.As(err, &fe) {
		for _, f := range fe.Failures {
			fmt.Printf("%q failed: %v\n", f.Item, f.Err)
		}
	}
	// Output:
	// batch: good fine
	// "bad" failed: bad word
}

func ExampleDispatcher_Flush() {
	ctx := context.Background()
	d, _ := batch.New[string](printSink{}, batch.Config{})
	defer d.Close(ctx)

	d.Submit(ctx, "a")
	d.Submit(ctx, "b")
	// Two items do not fill a batch of three: Flush sends them and waits.
	if err := d.Flush(ctx); err != nil {
		fmt.Println(err)
	}
	fmt.Println("pending:", d.Stats().Pending)
	// Output:
	// batch: a b
	// pending: 0
}

func ExampleDispatcher_SubmitWait() {
	ctx := context.Background()
	d, _ := batch.New[string](printSink{}, batch.Config{MaxInFlight: 1})
	defer d.Close(ctx)

	// A waiting caller does not wait for a batch to fill: its item goes
	// at once, and it learns its own outcome.
	fmt.Println(d.SubmitWait(ctx, "hello"))
	fmt.Println(d.SubmitWait(ctx, "bad"))
	// Output:
	// batch: hello
	// <nil>
	// bad word
}
