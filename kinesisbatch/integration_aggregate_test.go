package kinesisbatch_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
)

// TestIntegrationAggregate puts 20,000 records with Config.Aggregate into a
// stream of 4 shards on the local server, with and without Ordered, reads
// every shard back and unpacks what it holds with Deaggregate: each record
// exactly once, on the shard its own key maps to, and with Ordered each
// key's records in the order they were put.
func TestIntegrationAggregate(t *testing.T) {
	t.Parallel()
	const n, users = 20_000, 300
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			t.Parallel()
			client, stream := liveStream(t, 4)
			d := newDispatcher[event](t, client, kinesisbatch.Config{
				Stream:    stream,
				Ordered:   ordered,
				Aggregate: true,
				Batch:     batch.Config{MaxInFlight: 8, BackOff: quick(3)},
			})
			putConcurrently(t, d, n, users, 4)
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			st := d.Stats()
			if diff := cmp.Diff(batch.Stats{Submitted: n, Written: n, Batches: st.Batches}, st); diff != "" {
				t.Errorf("Stats mismatch (-want +got):\n%s", diff)
			}
			stored := checkAggregatedReadBack(t, client, stream, n, ordered)
			if stored*10 > n {
				t.Errorf("%d user records in %d Kinesis records: hardly aggregated", n, stored)
			}
			t.Logf("%d user records in %d Kinesis records, %d calls", n, stored, st.Batches)
		})
	}
}

// checkAggregatedReadBack reads every shard of stream back, unpacks each
// record with Deaggregate, and checks that it holds each of the n events
// exactly once, on the shard whose hash key range holds its own key's hash,
// and with ordered, each user's events in the order they were put. It
// returns the number of Kinesis records.
func checkAggregatedReadBack(t *testing.T, client *kinesis.Client, stream string, n int, ordered bool) int {
	t.Helper()
	ranges := shardRanges(t, client, stream)
	seen := make([]int, n)
	last := map[string]int{}
	wrong, outOfOrder := 0, 0
	stored := testutil.ReadStream(t, client, stream)
	for _, r := range stored {
		recs, err := kinesisbatch.Deaggregate(types.Record{Data: []byte(r.Data), PartitionKey: aws.String(r.PartitionKey)})
		if err != nil {
			t.Fatalf("Deaggregate %v: %v", r, err)
		}
		for _, u := range recs {
			var e event
			if err := json.Unmarshal(u.Data, &e); err != nil || e.N < 0 || e.N >= n {
				t.Fatalf("unexpected user record %q (%v)", u.Data, err)
			}
			seen[e.N]++
			if u.PartitionKey != e.User {
				t.Errorf("user record %q: partition key %q", u.Data, u.PartitionKey)
			}
			h, _ := testutil.KinesisHashKey(u.PartitionKey, u.ExplicitHashKey)
			if rg := ranges[r.Shard]; rg[0].Cmp(h) > 0 || h.Cmp(rg[1]) > 0 {
				wrong++
			}
			if prev, ok := last[e.User]; ok && prev > e.N {
				outOfOrder++
			}
			last[e.User] = e.N
		}
	}
	for i, c := range seen {
		if c != 1 {
			t.Errorf("event %d read %d times", i, c)
		}
	}
	if wrong > 0 {
		t.Errorf("%d user records on another shard than their key's", wrong)
	}
	if ordered && outOfOrder > 0 {
		t.Errorf("%d user records read after a later one of their key", outOfOrder)
	}
	return len(stored)
}

// shardRanges returns the hash key range of each shard of stream.
func shardRanges(t *testing.T, client *kinesis.Client, stream string) map[string][2]*big.Int {
	t.Helper()
	out, err := client.ListShards(t.Context(), &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][2]*big.Int{}
	for _, s := range out.Shards {
		start, _ := new(big.Int).SetString(aws.ToString(s.HashKeyRange.StartingHashKey), 10)
		end, _ := new(big.Int).SetString(aws.ToString(s.HashKeyRange.EndingHashKey), 10)
		m[aws.ToString(s.ShardId)] = [2]*big.Int{start, end}
	}
	if len(m) == 0 || out.NextToken != nil {
		t.Fatalf("ListShards: %d shards, next token %v", len(m), out.NextToken)
	}
	return m
}
