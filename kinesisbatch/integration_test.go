package kinesisbatch_test

// Integration tests: the real aws-sdk-go-v2 client, through
// kinesisbatch.Dispatcher, against the Kinesis-compatible server (kinesalite)
// that `make test` starts. Without $BATCHUTILS_KINESIS_ENDPOINT they skip, or
// fail when $CI is set.
//
// kinesalite never fails a record on its own (reliability_test.go puts a
// fault proxy in front of it for that), so every test here expects no retry.
// It takes StreamName only, not StreamARN.

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
)

// liveStream creates a stream of shards shards on the local server and
// returns a client for it and its name.
func liveStream(t *testing.T, shards int) (*kinesis.Client, string) {
	t.Helper()
	client := testutil.NewKinesisClient(t, testutil.KinesisEndpoint(t), testutil.ClientOptions{})
	return client, testutil.CreateStream(t, client, shards)
}

// event is the record type of the integration tests: a user's n-th event.
type event struct {
	User string `json:"user"`
	N    int    `json:"n"`
}

func (e event) KinesisPartitionKey() string { return e.User }

// putConcurrently puts events 0 to n-1, event i for user i%users, from
// writers goroutines: goroutine w puts the events i with i%writers == w. As
// users is a multiple of writers, each user's events are all put by one
// goroutine, in order.
func putConcurrently(t *testing.T, d *kinesisbatch.Dispatcher[event], n, users, writers int) {
	t.Helper()
	if users%writers != 0 {
		t.Fatalf("putConcurrently: %d users is not a multiple of %d writers", users, writers)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				if err := d.Put(t.Context(), event{User: "user-" + strconv.Itoa(i%users), N: i}); err != nil {
					errs <- fmt.Errorf("Put %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// checkReadBack reads the stream back and checks that it holds each of the n
// events exactly once, under its user's key; with ordered, that each user's
// events are in the order they were put (increasing N).
func checkReadBack(t *testing.T, client *kinesis.Client, stream string, n int, ordered bool) {
	t.Helper()
	recs := testutil.ReadStream(t, client, stream)
	seen := make([]int, n)
	last := map[string]int{}       // user -> last N read
	shardOf := map[string]string{} // user -> shard
	outOfOrder := 0
	for _, r := range recs {
		var e event
		if _, err := fmt.Sscanf(r.Data, `{"user":%q,"n":%d}`, &e.User, &e.N); err != nil || e.N < 0 || e.N >= n {
			t.Fatalf("unexpected record %v", r)
		}
		seen[e.N]++
		if r.PartitionKey != e.User {
			t.Errorf("record %v: partition key %q, want %q", r, r.PartitionKey, e.User)
		}
		if s, ok := shardOf[e.User]; ok && s != r.Shard {
			t.Errorf("user %s in shards %s and %s", e.User, s, r.Shard)
		}
		shardOf[e.User] = r.Shard
		if prev, ok := last[e.User]; ok && prev > e.N {
			outOfOrder++
		}
		last[e.User] = e.N
	}
	var lost, dup []int
	for i, c := range seen {
		switch {
		case c == 0:
			lost = append(lost, i)
		case c > 1:
			dup = append(dup, i)
		}
	}
	if len(lost) > 0 || len(dup) > 0 {
		t.Errorf("read back %d records: %d lost (first %v), %d duplicated (first %v)",
			len(recs), len(lost), lost[:min(5, len(lost))], len(dup), dup[:min(5, len(dup))])
	}
	if ordered && outOfOrder > 0 {
		t.Errorf("%d records read after a later record of their key", outOfOrder)
	}
	shards := map[string]bool{}
	for _, s := range shardOf {
		shards[s] = true
	}
	t.Logf("read back %d records from %d shards; %d out of order", len(recs), len(shards), outOfOrder)
}

// TestIntegrationReadBack puts 20,000 records into a stream of 4 shards,
// with and without Ordered, and reads every shard back.
func TestIntegrationReadBack(t *testing.T) {
	t.Parallel()
	const n, users = 20_000, 300
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			t.Parallel()
			client, stream := liveStream(t, 4)
			d := newDispatcher[event](t, client, kinesisbatch.Config{
				Stream:  stream,
				Ordered: ordered,
				Batch:   batch.Config{MaxInFlight: 8, BackOff: quick(3)},
			})
			start := time.Now()
			putConcurrently(t, d, n, users, 4)
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			st := d.Stats()
			t.Logf("%d records in %v, %d calls", st.Written, time.Since(start).Round(time.Millisecond), st.Batches)
			want := batch.Stats{Submitted: n, Written: n, Batches: st.Batches}
			if diff := cmp.Diff(want, st); diff != "" {
				t.Errorf("Stats mismatch (-want +got):\n%s", diff)
			}
			checkReadBack(t, client, stream, n, ordered)
		})
	}
}

// TestIntegrationRecords puts records at the limits kinesalite shares with
// Kinesis, and reads them back as they were sent.
func TestIntegrationRecords(t *testing.T) {
	t.Parallel()
	client, stream := liveStream(t, 2)
	d := newDispatcher[kinesisbatch.Record](t, client, kinesisbatch.Config{Stream: stream})
	emoji := "\U0001F600"
	recs := []kinesisbatch.Record{
		{Data: []byte("a"), PartitionKey: strings.Repeat("k", 256)},
		{Data: []byte("b"), PartitionKey: strings.Repeat(emoji, 128)},
		{Data: []byte("c"), PartitionKey: "é"},
		{Data: []byte("d"), PartitionKey: "x", ExplicitHashKey: "340282366920938463463374607431768211455"},
		{Data: []byte("e"), PartitionKey: "x", ExplicitHashKey: "0"},
		{Data: nil, PartitionKey: "empty"},
		{Data: []byte(strings.Repeat("z", 1<<20-1)), PartitionKey: "z"}, // exactly 1 MiB
	}
	for _, r := range recs {
		if err := d.Put(t.Context(), r); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	// Refused at Put, as kinesalite would refuse them.
	for _, r := range []kinesisbatch.Record{
		{Data: []byte("x"), PartitionKey: strings.Repeat(emoji, 129)},
		{Data: []byte("x"), PartitionKey: "x", ExplicitHashKey: "340282366920938463463374607431768211456"},
		{Data: []byte(strings.Repeat("z", 1<<20)), PartitionKey: "z"},
	} {
		if err := d.Put(t.Context(), r); err == nil {
			t.Errorf("Put of %.40q (key of %d bytes): accepted, want an error", r.Data, len(r.PartitionKey))
		}
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	type kd struct{ Key, Data string }
	var want, got []kd
	for _, r := range recs {
		want = append(want, kd{r.PartitionKey, string(r.Data)})
	}
	shards := map[string]string{}
	for _, r := range testutil.ReadStream(t, client, stream) {
		got = append(got, kd{r.PartitionKey, r.Data})
		shards[r.Data] = r.Shard
	}
	less := func(a, b kd) int { return strings.Compare(a.Data+a.Key, b.Data+b.Key) }
	slices.SortFunc(want, less)
	slices.SortFunc(got, less)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stream mismatch (-want +got):\n%.2000s", diff)
	}
	// The explicit hash keys pick the last and the first shard.
	if shards["d"] == shards["e"] {
		t.Errorf("records with hash keys 2^128-1 and 0 are both in %s", shards["d"])
	}
}

// TestIntegrationUnknownStream checks that a stream that does not exist fails
// every record at once, with the service's error.
func TestIntegrationUnknownStream(t *testing.T) {
	t.Parallel()
	client := testutil.NewKinesisClient(t, testutil.KinesisEndpoint(t), testutil.ClientOptions{})
	d := newDispatcher[string](t, client, kinesisbatch.Config{Stream: "no-such-stream"})
	for i := range 3 {
		if err := d.Put(t.Context(), strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Close(t.Context())
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) || len(fe.Failures) != 3 {
		t.Fatalf("Close: %v, want 3 failures", err)
	}
	var nf *types.ResourceNotFoundException
	if !errors.As(fe.Failures[0].Err, &nf) {
		t.Errorf("cause %v, want a *types.ResourceNotFoundException", fe.Failures[0].Err)
	}
	if st := d.Stats(); st.Batches != 1 || st.Retries != 0 {
		t.Errorf("Stats: %+v, want 1 call and no retry", st)
	}
}
