package kinesisbatch

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/batchutils/batchutils/testutil"
)

// TestPack packs random batches and checks the plan against the limits and
// the shards: each user record in exactly one Kinesis record or left out;
// each Kinesis record within the limits, on the shard of all its user
// records, which read back in batch order.
func TestPack(t *testing.T) {
	t.Parallel()
	f := testutil.NewShardedKinesis(3)
	m := &shardMap{lister: f, stream: "s"}
	table, err := m.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	tests := []struct {
		name                     string
		maxRecs, maxBytes, calls int
		records, maxData         int
		magic                    bool
	}{
		{name: "small records", maxRecs: 1000, maxBytes: 50 << 10, calls: 5 << 20, records: 2000, maxData: 100},
		{name: "count cap", maxRecs: 3, maxBytes: 50 << 10, calls: 5 << 20, records: 500, maxData: 100},
		{name: "byte cap, some too large", maxRecs: 1000, maxBytes: 1000, calls: 5 << 20, records: 500, maxData: 1200},
		{name: "call too small", maxRecs: 1000, maxBytes: 2000, calls: 20_000, records: 2000, maxData: 100},
		{name: "500 records a call", maxRecs: 2, maxBytes: 50 << 10, calls: 5 << 20, records: 3000, maxData: 10},
		{name: "data with the magic bytes", maxRecs: 1000, maxBytes: 50 << 10, calls: 5 << 20, records: 50, maxData: 10, magic: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &aggregator{maxRecs: tc.maxRecs, maxBytes: tc.maxBytes, maxCall: tc.calls}
			in := make([]types.PutRecordsRequestEntry, tc.records)
			for i := range in {
				data := []byte(strings.Repeat("d", r.IntN(tc.maxData+1)))
				if tc.magic {
					data = append(aggMagic[:len(aggMagic):len(aggMagic)], data...)
				}
				in[i] = types.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String("key-" + strconv.Itoa(r.IntN(400)))}
				if r.IntN(4) == 0 {
					in[i].ExplicitHashKey = aws.String(strconv.FormatUint(r.Uint64(), 10) + "0000")
				}
			}
			p := a.pack(table, in)
			seen := make([]int, len(in))
			for _, i := range p.left {
				seen[i]++
			}
			total := 0
			if len(p.entries) > MaxBatchItems {
				t.Errorf("%d Kinesis records in a call", len(p.entries))
			}
			for j, e := range p.entries {
				pk := aws.ToString(e.PartitionKey)
				size := len(e.Data) + len(pk)
				total += size
				h, err := recordHash(pk, aws.ToString(e.ExplicitHashKey))
				if err != nil {
					t.Fatalf("entry %d: %v", j, err)
				}
				if s := table.find(h); s != p.shard[j] {
					t.Errorf("entry %d goes to shard %d, planned for %d", j, s, p.shard[j])
				}
				users, err := Deaggregate(types.Record{Data: e.Data, PartitionKey: e.PartitionKey})
				if err != nil {
					t.Fatalf("entry %d: %v", j, err)
				}
				if len(users) != len(p.members[j]) {
					t.Fatalf("entry %d holds %d user records, members %v", j, len(users), p.members[j])
				}
				if len(users) > 1 && size > tc.maxBytes {
					t.Errorf("entry %d: aggregated record of %d bytes, the most is %d", j, size, tc.maxBytes)
				}
				if len(users) > tc.maxRecs {
					t.Errorf("entry %d: %d user records, the most is %d", j, len(users), tc.maxRecs)
				}
				if tc.magic && len(users) == 1 && len(e.Data) == len(in[p.members[j][0]].Data) {
					t.Errorf("entry %d: data with the magic bytes sent plain", j)
				}
				if !slices.IsSorted(p.members[j]) {
					t.Errorf("entry %d: members %v out of batch order", j, p.members[j])
				}
				for k, i := range p.members[j] {
					seen[i]++
					u, want := users[k], in[i]
					if string(u.Data) != string(want.Data) || u.PartitionKey != aws.ToString(want.PartitionKey) ||
						len(users) > 1 && u.ExplicitHashKey != aws.ToString(want.ExplicitHashKey) {
						t.Fatalf("entry %d, user record %d: %+v, want %+v", j, k, u, want)
					}
					uh, _ := recordHash(u.PartitionKey, aws.ToString(want.ExplicitHashKey))
					if table.find(uh) != p.shard[j] {
						t.Errorf("user record %d in a record for shard %d, its key maps to %d", i, p.shard[j], table.find(uh))
					}
				}
			}
			if total != p.bytes || total > tc.calls {
				t.Errorf("call of %d bytes (counted %d), the most is %d", total, p.bytes, tc.calls)
			}
			for i, n := range seen {
				if n != 1 {
					t.Fatalf("user record %d planned %d times", i, n)
				}
			}
			t.Logf("%d user records: %d Kinesis records, %d left out", len(in), len(p.entries), len(p.left))
		})
	}
}
