package firehosebatch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/firehosebatch"
	"github.com/batchutils/batchutils/testutil"
)

// printStream prints the records the in-memory fake that stands in for
// Firehose in these examples took. With a real stream, pass a
// *firehose.Client made by firehose.NewFromConfig instead.
func printStream(f *testutil.FakeFirehose) {
	for _, r := range f.Records() {
		fmt.Printf("%q\n", r)
	}
}

// Lines of text, each ending with the newline that tells records apart at
// the destination.
func Example() {
	client := &testutil.FakeFirehose{}
	ctx := context.Background()
	d, err := firehosebatch.New[string](client, firehosebatch.Config{DeliveryStream: "logs"})
	if err != nil {
		panic(err)
	}
	d.Put(ctx, "GET / 200\n")
	d.Put(ctx, "GET /cart 302\n")
	// Firehose takes records of up to 1,000 KiB: Put refuses a larger one.
	err = d.Put(ctx, strings.Repeat("x", 1<<20))
	fmt.Println(errors.Is(err, batch.ErrItemTooLarge))
	if err := d.Close(ctx); err != nil { // Close flushes
		panic(err)
	}
	printStream(client)
	// Output:
	// true
	// "GET / 200\n"
	// "GET /cart 302\n"
}

// Order is a user's type: it is sent as its JSON.
type Order struct {
	ID    string  `json:"id"`
	Total float64 `json:"total"`
}

// Any type but []byte and string is sent as its JSON.
func Example_json() {
	client := &testutil.FakeFirehose{}
	ctx := context.Background()
	d, _ := firehosebatch.New[Order](client, firehosebatch.Config{DeliveryStream: "orders"})
	d.Put(ctx, Order{ID: "o-1", Total: 9.5})
	d.Put(ctx, Order{ID: "o-2", Total: 20})
	d.Close(ctx)
	printStream(client)
	// Output:
	// "{\"id\":\"o-1\",\"total\":9.5}"
	// "{\"id\":\"o-2\",\"total\":20}"
}

// Records that Firehose answers ServiceUnavailableException are sent again;
// those it refuses come back with the service's error code and message.
func Example_failures() {
	client := &testutil.FakeFirehose{Answer: func(call int, data string) (string, string) {
		switch {
		case data == "poison":
			return "KMS.AccessDeniedException", "no access to the key"
		case call == 1 && data == "hot":
			return "ServiceUnavailableException", "Slow down."
		}
		return "", ""
	}}
	ctx := context.Background()
	d, _ := firehosebatch.New[string](client, firehosebatch.Config{DeliveryStream: "logs"})
	d.Put(ctx, "hot")
	d.Put(ctx, "poison")
	d.Put(ctx, "fine")
	err := d.Close(ctx)

	var failed *batch.FailedError[string]
	if errors.As(err, &failed) {
		for _, f := range failed.Failures {
			var re *firehosebatch.EntryError
			if errors.As(f.Err, &re) {
				fmt.Printf("%s: %s: %s\n", f.Item, re.Code, re.Message)
			}
		}
	}
	fmt.Println("calls:", len(client.Calls()), "written:", d.Stats().Written)
	// Output:
	// poison: KMS.AccessDeniedException: no access to the key
	// calls: 2 written: 2
}

// PutWait returns each record's own outcome; concurrent callers share calls.
func ExampleDispatcher_PutWait() {
	client := &testutil.FakeFirehose{}
	ctx := context.Background()
	d, _ := firehosebatch.New[[]byte](client, firehosebatch.Config{DeliveryStream: "logs"})
	defer d.Close(ctx)
	fmt.Println(d.PutWait(ctx, []byte("done\n")))
	printStream(client)
	// Output:
	// <nil>
	// "done\n"
}
