package kinesisbatch

import (
	"context"
	"crypto/md5"
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/testutil"
)

// TestParseHash128 checks parseHash128 and String against math/big.
func TestParseHash128(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	inputs := []string{"0", "1", "18446744073709551615", "18446744073709551616", maxHashKey,
		"340282366920938463463374607431768211456", "999999999999999999999999999999999999999", "1000000000000000000000000000000000000000",
		"", "-1", "1x", "+1"}
	for range 200 {
		x := new(big.Int).SetUint64(r.Uint64())
		x.Lsh(x, 64).Or(x, new(big.Int).SetUint64(r.Uint64()))
		x.Rsh(x, r.UintN(64)) // short ones too
		x.Lsh(x, r.UintN(2))  // and some over 2^128-1
		inputs = append(inputs, x.String())
	}
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for _, s := range inputs {
		want, ok := new(big.Int).SetString(s, 10)
		valid := ok && want.Sign() >= 0 && want.Cmp(limit) < 0 && s[0] != '+' && s[0] != '-'
		h, err := parseHash128(s)
		if (err == nil) != valid {
			t.Errorf("parseHash128(%q) error %v, want valid=%v", s, err, valid)
			continue
		}
		if valid && h.String() != want.String() {
			t.Errorf("parseHash128(%q).String() = %s", s, h.String())
		}
	}
}

// TestPartitionHash checks the hash of a key against the MD5 digest as a
// big-endian number.
func TestPartitionHash(t *testing.T) {
	t.Parallel()
	for _, pk := range []string{"", "a", "user-1", "é\U0001F600"} {
		sum := md5.Sum([]byte(pk))
		if got, want := partitionHash(pk).String(), new(big.Int).SetBytes(sum[:]).String(); got != want {
			t.Errorf("partitionHash(%q) = %s, want %s", pk, got, want)
		}
	}
}

// TestShardMap lists the shards of a fake stream page by page, skips the
// closed ones, finds each key's shard as the stream does, and lists again
// only when marked stale.
func TestShardMap(t *testing.T) {
	t.Parallel()
	f := testutil.NewShardedKinesis(5)
	f.PageSize = 2
	if _, _, err := f.Split("shardId-000000000002"); err != nil {
		t.Fatal(err)
	}
	m := &shardMap{lister: f, stream: "s"}
	ctx := context.Background()
	table, err := m.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range table.shards {
		ids = append(ids, s.id)
	}
	want := []string{"shardId-000000000000", "shardId-000000000001", "shardId-000000000005", "shardId-000000000006",
		"shardId-000000000003", "shardId-000000000004"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("open shards mismatch (-want +got):\n%s", diff)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		pk := "k" + string(rune(r.IntN(1<<16)))
		h := partitionHash(pk)
		big, _ := testutil.KinesisHashKey(pk, "")
		if i := table.find(h); i < 0 || table.shards[i].id != f.ShardOf(big) {
			t.Fatalf("key %q: shard %d of the table, the stream says %s", pk, i, f.ShardOf(big))
		}
	}
	for _, hk := range []string{"0", maxHashKey} {
		h, _ := parseHash128(hk)
		big, _ := testutil.KinesisHashKey("", hk)
		if i := table.find(h); i < 0 || table.shards[i].id != f.ShardOf(big) {
			t.Errorf("hash key %s: shard %d, want %s", hk, i, f.ShardOf(big))
		}
	}
	_, lists := f.Calls()
	if again, _ := m.get(ctx); again != table {
		t.Error("get made a new table while the old one was fresh")
	}
	m.markStale(table)
	if again, _ := m.get(ctx); again == table {
		t.Error("get kept a stale table")
	}
	if _, l := f.Calls(); l != lists+4 { // 8 shards, 2 a page
		t.Errorf("ListShards calls: %d, want %d", l, lists+4)
	}
}

// TestShardTableGap checks that a hash key no open shard owns is found in
// none.
func TestShardTableGap(t *testing.T) {
	t.Parallel()
	table := &shardTable{shards: []shardRange{
		{id: "a", start: hash128{0, 0}, end: hash128{0, 99}},
		{id: "b", start: hash128{0, 200}, end: hash128{^uint64(0), ^uint64(0)}},
	}}
	for _, tc := range []struct {
		h    hash128
		want int
	}{{hash128{0, 0}, 0}, {hash128{0, 99}, 0}, {hash128{0, 100}, -1}, {hash128{0, 199}, -1}, {hash128{0, 200}, 1}, {hash128{1, 0}, 1}} {
		if got := table.find(tc.h); got != tc.want {
			t.Errorf("find(%v) = %d, want %d", tc.h, got, tc.want)
		}
	}
}

// listerFunc is a ShardLister made of a function.
type listerFunc func(context.Context, *kinesis.ListShardsInput) (*kinesis.ListShardsOutput, error)

func (f listerFunc) ListShards(ctx context.Context, in *kinesis.ListShardsInput, _ ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	return f(ctx, in)
}

// TestShardMapErrors checks what a bad answer of ListShards gives.
func TestShardMapErrors(t *testing.T) {
	t.Parallel()
	notFound := &types.ResourceNotFoundException{Message: aws.String("no stream")}
	open := func(start, end string) types.Shard {
		return types.Shard{ShardId: aws.String("s"), HashKeyRange: &types.HashKeyRange{StartingHashKey: aws.String(start), EndingHashKey: aws.String(end)}}
	}
	tests := []struct {
		name   string
		out    *kinesis.ListShardsOutput
		err    error
		wantIs error
	}{
		{name: "error", err: notFound, wantIs: notFound},
		{name: "no shards", out: &kinesis.ListShardsOutput{}, wantIs: errNoShards},
		{name: "bad range", out: &kinesis.ListShardsOutput{Shards: []types.Shard{open("0", "x")}}},
		{name: "no range", out: &kinesis.ListShardsOutput{Shards: []types.Shard{{ShardId: aws.String("s")}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &shardMap{stream: "s", lister: listerFunc(func(context.Context, *kinesis.ListShardsInput) (*kinesis.ListShardsOutput, error) {
				return tc.out, tc.err
			})}
			_, err := m.get(context.Background())
			if err == nil || tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("get: %v, want an error matching %v", err, tc.wantIs)
			}
		})
	}
}
