package kinesisbatch_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
)

// printStream prints the records the in-memory fake that stands in for
// Kinesis in these examples took. With a real stream, pass a *kinesis.Client
// made by kinesis.NewFromConfig instead.
func printStream(f *testutil.FakeKinesis) {
	for _, r := range f.Records() {
		key := r.PartitionKey
		if randomKey.MatchString(key) {
			key = "(random)"
		}
		fmt.Printf("%-8s %s\n", key, r.Data)
	}
}

// Records, with a partition key or without one, and plain data.
func Example() {
	client := &testutil.FakeKinesis{}
	ctx := context.Background()
	d, err := kinesisbatch.New[kinesisbatch.Record](client, kinesisbatch.Config{Stream: "clicks"})
	if err != nil {
		panic(err)
	}
	d.Put(ctx, kinesisbatch.Record{Data: []byte(`{"page":"/"}`), PartitionKey: "user-1"})
	d.Put(ctx, kinesisbatch.Record{Data: []byte(`{"page":"/about"}`), PartitionKey: "user-2"})
	d.Put(ctx, kinesisbatch.Record{Data: []byte(`{"page":"/help"}`)}) // a random key
	// A partition key over 256 characters is refused at Put.
	err = d.Put(ctx, kinesisbatch.Record{Data: []byte("x"), PartitionKey: string(make([]byte, 300))})
	fmt.Println(errors.Is(err, kinesisbatch.ErrInvalidPartitionKey))
	if err := d.Close(ctx); err != nil { // Close flushes
		panic(err)
	}
	printStream(client)
	// Output:
	// true
	// user-1   {"page":"/"}
	// user-2   {"page":"/about"}
	// (random) {"page":"/help"}
}

// Click is a user's type that names its partition key: it is sent as JSON,
// under that key.
type Click struct {
	User string `json:"user"`
	Page string `json:"page"`
}

// KinesisPartitionKey makes Click a kinesisbatch.PartitionKeyer.
func (c Click) KinesisPartitionKey() string { return c.User }

// Any type is sent as its JSON; a PartitionKeyer gives the key.
func Example_partitionKeyer() {
	client := &testutil.FakeKinesis{}
	ctx := context.Background()
	d, _ := kinesisbatch.New[Click](client, kinesisbatch.Config{Stream: "clicks"})
	d.Put(ctx, Click{User: "ann", Page: "/"})
	d.Put(ctx, Click{User: "bob", Page: "/cart"})
	d.Close(ctx)
	printStream(client)
	// Output:
	// ann      {"user":"ann","page":"/"}
	// bob      {"user":"bob","page":"/cart"}
}

// Records that PutRecords throttles are sent again; those it refuses come
// back with the service's error code and message.
func Example_failures() {
	calls := 0
	client := &testutil.FakeKinesis{Answer: func(call int, r testutil.KinesisRecord) (string, string) {
		calls = call
		switch {
		case r.Data == "poison":
			return "KMSAccessDeniedException", "no access to the key"
		case call == 1 && r.Data == "hot":
			return "ProvisionedThroughputExceededException", "Rate exceeded for shard shardId-000000000001"
		}
		return "", ""
	}}
	ctx := context.Background()
	d, _ := kinesisbatch.New[string](client, kinesisbatch.Config{Stream: "clicks"})
	d.Put(ctx, "hot")
	d.Put(ctx, "poison")
	d.Put(ctx, "fine")
	err := d.Close(ctx)

	var failed *batch.FailedError[string]
	if errors.As(err, &failed) {
		for _, f := range failed.Failures {
			var re *kinesisbatch.EntryError
			if errors.As(f.Err, &re) {
				fmt.Printf("%s: %s: %s\n", f.Item, re.Code, re.Message)
			}
		}
	}
	fmt.Println("calls:", calls, "written:", d.Stats().Written)
	// Output:
	// poison: KMSAccessDeniedException: no access to the key
	// calls: 2 written: 2
}

// PutWait returns each record's own outcome; concurrent callers share
// calls. With Ordered, each partition key's records reach the stream in the
// order they were put.
func ExampleDispatcher_PutWait() {
	client := &testutil.FakeKinesis{}
	ctx := context.Background()
	d, _ := kinesisbatch.New[Click](client, kinesisbatch.Config{Stream: "clicks", Ordered: true})
	defer d.Close(ctx)
	for _, page := range []string{"/", "/cart", "/pay"} {
		if err := d.PutWait(ctx, Click{User: "ann", Page: page}); err != nil {
			panic(err)
		}
	}
	printStream(client)
	// Output:
	// ann      {"user":"ann","page":"/"}
	// ann      {"user":"ann","page":"/cart"}
	// ann      {"user":"ann","page":"/pay"}
}
