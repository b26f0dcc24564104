package kinesisbatch_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
)

// unlimited returns a fake stream of n shards without throughput limits.
func unlimited(n int) *testutil.ShardedKinesis {
	f := testutil.NewShardedKinesis(n)
	f.RecordsPerSecond, f.BytesPerSecond = -1, -1
	return f
}

// userRecord is a user record of the tests: user u's n-th, "u/n" padded to
// size bytes.
func userRecord(u, n, size int) kinesisbatch.Record {
	data := fmt.Sprintf("user-%d/%d/", u, n)
	if len(data) < size {
		data += strings.Repeat("x", size-len(data))
	}
	return kinesisbatch.Record{Data: []byte(data), PartitionKey: "user-" + strconv.Itoa(u)}
}

// readBack unpacks every record the fake stream took and checks that it
// holds each of want exactly once, on the shard its own key maps to
// (misrouted may be that many), and with ordered, each key's records in
// the order of want. It returns the number of Kinesis records.
func readBack(t *testing.T, f *testutil.ShardedKinesis, want []kinesisbatch.Record, ordered bool, misrouted int) int {
	t.Helper()
	idx := make(map[string]int, len(want))
	for i, r := range want {
		idx[string(r.Data)] = i
	}
	seen := make([]int, len(want))
	last := map[string]int{}
	stored := f.Records()
	wrong, outOfOrder := 0, 0
	for _, s := range stored {
		users, err := kinesisbatch.Deaggregate(types.Record{Data: s.Data, PartitionKey: aws.String(s.PartitionKey)})
		if err != nil {
			t.Fatalf("Deaggregate %s/%s: %v", s.Shard, s.SequenceNumber, err)
		}
		for _, u := range users {
			i, ok := idx[string(u.Data)]
			if !ok {
				t.Fatalf("unexpected user record %q in %s", u.Data, s.Shard)
			}
			seen[i]++
			if u.PartitionKey != want[i].PartitionKey || u.ExplicitHashKey != want[i].ExplicitHashKey {
				t.Errorf("user record %q: keys %q %q, want %q %q", u.Data, u.PartitionKey, u.ExplicitHashKey, want[i].PartitionKey, want[i].ExplicitHashKey)
			}
			h, _ := testutil.KinesisHashKey(u.PartitionKey, u.ExplicitHashKey)
			if shard := f.ShardOf(h); shard != s.Shard {
				wrong++
			}
			// Order is per key within a shard (a record with a hash key
			// of its own may be on another shard than its key's).
			k := u.PartitionKey + "\x00" + s.Shard
			if prev, ok := last[k]; ok && prev > i {
				outOfOrder++
			}
			last[k] = i
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("user record %q read %d times", want[i].Data, n)
		}
	}
	if wrong > misrouted {
		t.Errorf("%d user records on another shard than their key's, want at most %d", wrong, misrouted)
	}
	if ordered && outOfOrder > 0 {
		t.Errorf("%d user records read after a later one of their key", outOfOrder)
	}
	return len(stored)
}

// TestAggregateReadBack puts records of many keys, with and without
// Ordered, and reads every shard back through Deaggregate.
func TestAggregateReadBack(t *testing.T) {
	t.Parallel()
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			t.Parallel()
			f := unlimited(4)
			d := newDispatcher[kinesisbatch.Record](t, f, kinesisbatch.Config{Aggregate: true, Ordered: ordered})
			const n, users = 20_000, 300
			want := make([]kinesisbatch.Record, n)
			for i := range want {
				want[i] = userRecord(i%users, i, 100)
				if i%7 == 0 { // some with a hash key of their own
					want[i].ExplicitHashKey = strconv.Itoa(i+1) + "000000000000000000000000000000"
				}
				if err := d.Put(t.Context(), want[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			st := d.Stats()
			if diff := cmp.Diff(batch.Stats{Submitted: n, Written: n, Batches: st.Batches}, st); diff != "" {
				t.Errorf("Stats mismatch (-want +got):\n%s", diff)
			}
			stored := readBack(t, f, want, ordered, 0)
			if stored*10 > n {
				t.Errorf("%d user records in %d Kinesis records: hardly aggregated", n, stored)
			}
			t.Logf("%d user records in %d Kinesis records, %d calls", n, stored, st.Batches)
		})
	}
}

// TestAggregateThrottled puts records into shards with low limits: the
// throttled aggregated records are sent again, and each user record is
// written exactly once.
func TestAggregateThrottled(t *testing.T) {
	t.Parallel()
	f := testutil.NewShardedKinesis(2)
	f.RecordsPerSecond, f.BytesPerSecond, f.Burst = 200, 200_000, 50*time.Millisecond
	d := newDispatcher[kinesisbatch.Record](t, f, kinesisbatch.Config{
		Aggregate: true, Ordered: true, MaxAggregatedBytes: 4 << 10,
		Batch: batch.Config{BackOff: func() backoff.BackOff {
			return backoff.NewExponentialBackOff(backoff.WithInitialInterval(time.Millisecond),
				backoff.WithMaxInterval(20*time.Millisecond), backoff.WithMaxElapsedTime(time.Minute))
		}},
	})
	const n = 4000
	want := make([]kinesisbatch.Record, n)
	for i := range want {
		want[i] = userRecord(i%50, i, 100)
		if err := d.Put(t.Context(), want[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	throttled := 0
	for _, s := range f.Stats() {
		throttled += s.Throttled
	}
	if throttled == 0 {
		t.Error("no record was throttled: the test tests nothing")
	}
	readBack(t, f, want, true, 0)
	t.Logf("stats %+v; %d Kinesis records throttled", d.Stats(), throttled)
}

// failShard refuses every record bound for one shard with a code that is
// not retried.
type failShard struct {
	*testutil.ShardedKinesis
	shard string
}

func (c failShard) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	var keep []types.PutRecordsRequestEntry
	var refused []bool
	for _, e := range in.Records {
		h, _ := testutil.KinesisHashKey(aws.ToString(e.PartitionKey), aws.ToString(e.ExplicitHashKey))
		no := c.ShardOf(h) == c.shard
		refused = append(refused, no)
		if !no {
			keep = append(keep, e)
		}
	}
	out := &kinesis.PutRecordsOutput{}
	if len(keep) > 0 {
		var err error
		if out, err = c.ShardedKinesis.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: in.StreamName, Records: keep}, opts...); err != nil {
			return nil, err
		}
	}
	all := make([]types.PutRecordsResultEntry, len(in.Records))
	k := 0
	for i, no := range refused {
		if no {
			all[i] = types.PutRecordsResultEntry{ErrorCode: aws.String("KMSAccessDeniedException"), ErrorMessage: aws.String("denied")}
			continue
		}
		all[i] = out.Records[k]
		k++
	}
	return &kinesis.PutRecordsOutput{Records: all}, nil
}

// TestAggregateResultPerUserRecord checks that PutWait and Flush report each
// user record: those bound for a shard that refuses them fail, each with
// the service's code, and the others are written.
func TestAggregateResultPerUserRecord(t *testing.T) {
	t.Parallel()
	f := unlimited(3)
	c := failShard{f, "shardId-000000000001"}
	d := newDispatcher[kinesisbatch.Record](t, c, kinesisbatch.Config{Aggregate: true})
	bound := func(r kinesisbatch.Record) string {
		h, _ := testutil.KinesisHashKey(r.PartitionKey, "")
		return f.ShardOf(h)
	}
	// PutWait, from many goroutines at once, so that calls carry several.
	var wg sync.WaitGroup
	errs := make([]error, 60)
	for i := range errs {
		wg.Go(func() { errs[i] = d.PutWait(t.Context(), userRecord(i, i, 10)) })
	}
	wg.Wait()
	for i, err := range errs {
		var re *kinesisbatch.EntryError
		if bound(userRecord(i, i, 10)) == c.shard {
			if !errors.As(err, &re) || re.Code != "KMSAccessDeniedException" {
				t.Errorf("PutWait %d: %v, want a *EntryError KMSAccessDeniedException", i, err)
			}
		} else if err != nil {
			t.Errorf("PutWait %d: %v", i, err)
		}
	}
	// Put and Flush.
	var wantFailed []string
	for i := range 500 {
		r := userRecord(i, 1000+i, 10)
		if bound(r) == c.shard {
			wantFailed = append(wantFailed, string(r.Data))
		}
		if err := d.Put(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Flush(t.Context())
	var fe *batch.FailedError[kinesisbatch.Record]
	if !errors.As(err, &fe) {
		t.Fatalf("Flush: %v, want a *batch.FailedError", err)
	}
	var gotFailed []string
	for _, fl := range fe.Failures {
		var re *kinesisbatch.EntryError
		if !errors.As(fl.Err, &re) {
			t.Errorf("failure %q: %v, want a *EntryError", fl.Item.Data, fl.Err)
		}
		gotFailed = append(gotFailed, string(fl.Item.Data))
	}
	if diff := cmp.Diff(wantFailed, gotFailed, cmpSortStrings); diff != "" {
		t.Errorf("failed user records mismatch (-want +got):\n%s", diff)
	}
	if st := d.Stats(); st.Written+st.Failed != 560 || st.Failed != int64(len(wantFailed)+len(wantFailed60(errs))) {
		t.Errorf("Stats: %+v", st)
	}
}

var cmpSortStrings = cmp.Transformer("sort", func(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func wantFailed60(errs []error) []error {
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// TestAggregateReshard splits a shard between two flushes: the first call
// after it answers from a child shard, the map is listed again, and from
// then on every user record lands on its key's shard.
func TestAggregateReshard(t *testing.T) {
	t.Parallel()
	f := unlimited(2)
	d := newDispatcher[kinesisbatch.Record](t, f, kinesisbatch.Config{Aggregate: true, Ordered: true})
	var want []kinesisbatch.Record
	put := func(round int) {
		for u := range 200 {
			r := userRecord(u, round*1000+u, 20)
			want = append(want, r)
			if err := d.Put(t.Context(), r); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Flush(t.Context()); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
	put(0)
	_, lists := f.Calls()
	if _, _, err := f.Split("shardId-000000000000"); err != nil {
		t.Fatal(err)
	}
	put(1) // written with the old map: some may land on the sibling
	_, lists1 := f.Calls()
	if lists1 != lists {
		t.Errorf("ListShards called before the reshard showed: %d calls, then %d", lists, lists1)
	}
	before := len(f.Records())
	put(2)
	put(3)
	if _, lists2 := f.Calls(); lists2 != lists+1 {
		t.Errorf("ListShards calls: %d, want %d (one refresh)", lists2, lists+1)
	}
	// Rounds 2 and 3 are all on their keys' shards; round 1 may not be.
	later := f.Records()[before:]
	for _, s := range later {
		users, err := kinesisbatch.Deaggregate(types.Record{Data: s.Data, PartitionKey: aws.String(s.PartitionKey)})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if h, _ := testutil.KinesisHashKey(u.PartitionKey, ""); f.ShardOf(h) != s.Shard && !strings.Contains(string(u.Data), "/1") {
				t.Errorf("user record %q on %s, its key maps to %s", u.Data, s.Shard, f.ShardOf(h))
			}
		}
	}
	readBack(t, f, want, true, 200)
}

// TestAggregateConfig checks New's checks of the aggregation fields.
func TestAggregateConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		client  kinesisbatch.Client
		cfg     kinesisbatch.Config
		wantErr string
	}{
		{name: "no ShardLister", client: &testutil.FakeKinesis{}, cfg: kinesisbatch.Config{Aggregate: true}, wantErr: "ShardLister"},
		{name: "record cap without Aggregate", client: unlimited(1), cfg: kinesisbatch.Config{MaxAggregatedRecords: 5}, wantErr: "without Config.Aggregate"},
		{name: "byte cap without Aggregate", client: unlimited(1), cfg: kinesisbatch.Config{MaxAggregatedBytes: 5}, wantErr: "without Config.Aggregate"},
		{name: "byte cap over the record limit", client: unlimited(1), cfg: kinesisbatch.Config{Aggregate: true, MaxAggregatedBytes: 1<<20 + 1}, wantErr: "MaxAggregatedBytes"},
		{name: "negative record cap", client: unlimited(1), cfg: kinesisbatch.Config{Aggregate: true, MaxAggregatedRecords: -1}, wantErr: "MaxAggregatedRecords"},
		{name: "batch too large", client: unlimited(1), cfg: kinesisbatch.Config{Aggregate: true, Batch: batch.Config{MaxBatchItems: kinesisbatch.MaxAggregatedBatchItems + 1}}, wantErr: "MaxBatchItems"},
		{name: "batch over 500", client: unlimited(1), cfg: kinesisbatch.Config{Aggregate: true, Batch: batch.Config{MaxBatchItems: 20_000}}},
		{name: "caps", client: unlimited(1), cfg: kinesisbatch.Config{Aggregate: true, MaxAggregatedRecords: 10, MaxAggregatedBytes: 1 << 20}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Stream = "s"
			d, err := kinesisbatch.New[kinesisbatch.Record](tc.client, tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				d.Close(t.Context())
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("New: %v, want an error naming %s", err, tc.wantErr)
			}
		})
	}
}

// TestAggregateLargeRecords checks that records too large to share an
// aggregated record go on their own, and small ones with them are
// aggregated.
func TestAggregateLargeRecords(t *testing.T) {
	t.Parallel()
	f := unlimited(2)
	d := newDispatcher[kinesisbatch.Record](t, f, kinesisbatch.Config{Aggregate: true})
	var want []kinesisbatch.Record
	for i := range 40 {
		size := 10
		if i%4 == 0 {
			size = 1<<20 - 20 // a whole record on its own
		}
		want = append(want, userRecord(i, i, size))
		if err := d.Put(t.Context(), want[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	stored := readBack(t, f, want, false, 0)
	plain := 0
	for _, s := range f.Records() {
		if len(s.Data) > 1<<19 {
			plain++
			if strings.HasPrefix(string(s.Data), "\xF3\x89\x9A\xC2") {
				t.Errorf("a large record was aggregated")
			}
		}
	}
	// At most one aggregated record of small ones per shard and call.
	if calls := int(d.Stats().Batches); plain != 10 || stored > 10+2*calls {
		t.Errorf("%d large records on their own in %d Kinesis records (%d calls), want 10 in at most %d", plain, stored, calls, 10+2*calls)
	}
}

// listErrors is a stream whose ListShards fails with the errors of errs,
// one a call, before it answers.
type listErrors struct {
	*testutil.ShardedKinesis
	mu   sync.Mutex
	errs []error
}

func (c *listErrors) ListShards(ctx context.Context, in *kinesis.ListShardsInput, opts ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	c.mu.Lock()
	var err error
	if len(c.errs) > 0 {
		err, c.errs = c.errs[0], c.errs[1:]
	}
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return c.ShardedKinesis.ListShards(ctx, in, opts...)
}

// TestAggregateListShardsErrors checks what an error of ListShards does to
// the records of the call that needed the shard map: a throttle or a
// server error is retried, a refusal of the request fails them all with it.
func TestAggregateListShardsErrors(t *testing.T) {
	t.Parallel()
	denied := &types.AccessDeniedException{Message: aws.String("not allowed: kinesis:ListShards")}
	tests := []struct {
		name       string
		errs       []error
		wantFailed bool
	}{
		{name: "throttled, then answered", errs: []error{&types.LimitExceededException{Message: aws.String("rate exceeded")}}},
		{name: "denied", errs: []error{denied}, wantFailed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &listErrors{ShardedKinesis: unlimited(2), errs: tc.errs}
			d := newDispatcher[kinesisbatch.Record](t, c, kinesisbatch.Config{Aggregate: true})
			var want []kinesisbatch.Record
			for i := range 20 {
				want = append(want, userRecord(i, i, 10))
				if err := d.Put(t.Context(), want[i]); err != nil {
					t.Fatal(err)
				}
			}
			err := d.Flush(t.Context())
			if !tc.wantFailed {
				if err != nil {
					t.Fatalf("Flush: %v", err)
				}
				readBack(t, c.ShardedKinesis, want, false, 0)
				return
			}
			var fe *batch.FailedError[kinesisbatch.Record]
			if !errors.As(err, &fe) || len(fe.Failures) != len(want) || !errors.Is(fe.Failures[0].Err, denied) {
				t.Fatalf("Flush: %v, want the %d records to fail with %v", err, len(want), denied)
			}
			if puts, _ := c.Calls(); puts != 0 {
				t.Errorf("%d PutRecords calls, want none", puts)
			}
		})
	}
}
