package testutil

import (
	"context"
	"errors"
	"math/big"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/google/go-cmp/cmp"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func entry(pk string, size int) types.PutRecordsRequestEntry {
	return types.PutRecordsRequestEntry{PartitionKey: aws.String(pk), Data: make([]byte, size-len(pk))}
}

// codes returns the error code of each result ("" for a written record).
func codes(out *kinesis.PutRecordsOutput) []string {
	c := make([]string, len(out.Records))
	for i, r := range out.Records {
		c[i] = aws.ToString(r.ErrorCode)
	}
	return c
}

// TestShardedKinesisLimits checks each shard's token buckets against a
// clock that moves only when told: records/s and bytes/s, refilled with
// time, one shard's throttles leaving the other's records alone.
func TestShardedKinesisLimits(t *testing.T) {
	t.Parallel()
	const pte = "ProvisionedThroughputExceededException"
	clock := &fakeClock{t: time.Unix(1000, 0)}
	f := NewShardedKinesis(2)
	f.RecordsPerSecond, f.BytesPerSecond, f.Now = 3, 1000, clock.now
	// Keys of each shard.
	var k0, k1 string
	for i := 0; k0 == "" || k1 == ""; i++ {
		k := "k" + strconv.Itoa(i)
		h, _ := KinesisHashKey(k, "")
		if f.ShardOf(h) == "shardId-000000000000" {
			k0 = k
		} else {
			k1 = k
		}
	}
	put := func(entries ...types.PutRecordsRequestEntry) []string {
		out, err := f.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries})
		if err != nil {
			t.Fatal(err)
		}
		return codes(out)
	}
	// 3 records/s: the 4th on shard 0 is throttled, shard 1 takes its own.
	got := put(entry(k0, 10), entry(k0, 10), entry(k0, 10), entry(k0, 10), entry(k1, 10))
	if diff := cmp.Diff([]string{"", "", "", pte, ""}, got); diff != "" {
		t.Errorf("records/s mismatch (-want +got):\n%s", diff)
	}
	// A third of a second refills one record (and a little more).
	clock.add(time.Second/3 + time.Millisecond)
	if diff := cmp.Diff([]string{"", pte}, put(entry(k0, 10), entry(k0, 10))); diff != "" {
		t.Errorf("refill mismatch (-want +got):\n%s", diff)
	}
	// 1000 bytes/s: shard 1's bucket is full again (1000); 1001 is too
	// many, 1000 fits, and then 10 do not.
	if diff := cmp.Diff([]string{pte, "", pte}, put(entry(k1, 1001), entry(k1, 1000), entry(k1, 10))); diff != "" {
		t.Errorf("bytes/s mismatch (-want +got):\n%s", diff)
	}
	// Drain empties the buckets; a second refills them, not more.
	f.Drain()
	small := len(k1) // a record of its key alone
	if diff := cmp.Diff([]string{pte}, put(entry(k1, small))); diff != "" {
		t.Errorf("after Drain mismatch (-want +got):\n%s", diff)
	}
	clock.add(10 * time.Second)
	if diff := cmp.Diff([]string{"", "", "", pte}, put(entry(k1, small), entry(k1, small), entry(k1, small), entry(k1, small))); diff != "" {
		t.Errorf("burst mismatch (-want +got):\n%s", diff)
	}
	stats := f.Stats()
	want := []ShardStats{{Shard: "shardId-000000000000", Records: 4, Bytes: 40, Throttled: 2}, {Shard: "shardId-000000000001", Records: 5, Bytes: 1010 + 3*small, Throttled: 4}}
	if diff := cmp.Diff(want, stats); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
}

// TestShardedKinesisShards checks routing by hash key, ListShards' pages,
// and Split.
func TestShardedKinesisShards(t *testing.T) {
	t.Parallel()
	f := NewShardedKinesis(3)
	f.RecordsPerSecond, f.BytesPerSecond, f.PageSize = -1, -1, 2
	ctx := context.Background()
	list := func() []types.Shard {
		var shards []types.Shard
		in := &kinesis.ListShardsInput{StreamName: aws.String("s")}
		for {
			out, err := f.ListShards(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			shards = append(shards, out.Shards...)
			if out.NextToken == nil {
				return shards
			}
			in = &kinesis.ListShardsInput{NextToken: out.NextToken}
		}
	}
	shards := list()
	if len(shards) != 3 || aws.ToString(shards[0].HashKeyRange.StartingHashKey) != "0" ||
		aws.ToString(shards[2].HashKeyRange.EndingHashKey) != "340282366920938463463374607431768211455" {
		t.Fatalf("shards %+v", shards)
	}
	// Contiguous ranges.
	for i := 1; i < len(shards); i++ {
		end, _ := new(big.Int).SetString(aws.ToString(shards[i-1].HashKeyRange.EndingHashKey), 10)
		start, _ := new(big.Int).SetString(aws.ToString(shards[i].HashKeyRange.StartingHashKey), 10)
		if end.Add(end, big.NewInt(1)).Cmp(start) != 0 {
			t.Errorf("shard %d starts at %s after %s", i, start, aws.ToString(shards[i-1].HashKeyRange.EndingHashKey))
		}
	}
	// An explicit hash key picks the shard; the answer names it.
	out, err := f.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{
		{PartitionKey: aws.String("a"), Data: []byte("x"), ExplicitHashKey: aws.String("0")},
		{PartitionKey: aws.String("a"), Data: []byte("y"), ExplicitHashKey: aws.String("340282366920938463463374607431768211455")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := aws.ToString(out.Records[0].ShardId), aws.ToString(out.Records[1].ShardId); a != "shardId-000000000000" || b != "shardId-000000000002" {
		t.Errorf("hash keys 0 and 2^128-1 on %s and %s", a, b)
	}
	_, err = f.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{
		{PartitionKey: aws.String("a"), Data: []byte("x"), ExplicitHashKey: aws.String("340282366920938463463374607431768211456")},
	}})
	var inv *types.InvalidArgumentException
	if !errors.As(err, &inv) {
		t.Errorf("hash key 2^128: %v, want an InvalidArgumentException", err)
	}
	// Split: the parent is listed closed, the children open, and take its keys.
	lo, hi, err := f.Split("shardId-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	shards = list()
	var open []string
	for _, s := range shards {
		closed := s.SequenceNumberRange.EndingSequenceNumber != nil
		if aws.ToString(s.ShardId) == "shardId-000000000000" != closed {
			t.Errorf("shard %s closed=%v", aws.ToString(s.ShardId), closed)
		}
		if !closed {
			open = append(open, aws.ToString(s.ShardId))
		}
	}
	if diff := cmp.Diff([]string{"shardId-000000000001", "shardId-000000000002", lo, hi}, open); diff != "" {
		t.Errorf("open shards mismatch (-want +got):\n%s", diff)
	}
	if got := f.ShardOf(big.NewInt(0)); got != lo {
		t.Errorf("hash key 0 on %s, want %s", got, lo)
	}
	if _, _, err := f.Split("shardId-000000000000"); err == nil || !strings.Contains(err.Error(), "no open shard") {
		t.Errorf("Split of a closed shard: %v", err)
	}
	if recs := f.Records(); len(recs) != 2 || string(recs[0].Data) != "x" || recs[0].ExplicitHashKey != "0" {
		t.Errorf("Records: %+v", recs)
	}
}

// TestShardedKinesisHandler talks to the fake through the real SDK client
// over HTTP: records written and throttled, a bad hash key refused with
// the service's error type, shards listed page by page.
func TestShardedKinesisHandler(t *testing.T) {
	t.Parallel()
	f := NewShardedKinesis(3)
	f.RecordsPerSecond, f.PageSize = 2, 2
	srv := httptest.NewServer(ShardedKinesisHandler(f))
	t.Cleanup(srv.Close)
	client := NewKinesisClient(t, srv.URL, ClientOptions{RetryMaxAttempts: 1})
	ctx := t.Context()
	rec := func(data, hk string) types.PutRecordsRequestEntry {
		return types.PutRecordsRequestEntry{Data: []byte(data), PartitionKey: aws.String("k"), ExplicitHashKey: aws.String(hk)}
	}
	out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{
		rec("\x00\xffa", "0"), rec("b", "1"), rec("c", "2"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"", "", "ProvisionedThroughputExceededException"}, codes(out)); diff != "" {
		t.Errorf("codes mismatch (-want +got):\n%s", diff)
	}
	if got := aws.ToString(out.Records[0].ShardId); got != "shardId-000000000000" || aws.ToInt32(out.FailedRecordCount) != 1 {
		t.Errorf("answer %+v", out)
	}
	if recs := f.Records(); len(recs) != 2 || string(recs[0].Data) != "\x00\xffa" {
		t.Errorf("Records: %+v", recs)
	}
	_, err = client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{rec("x", "-1")}})
	var inv *types.InvalidArgumentException
	if !errors.As(err, &inv) {
		t.Errorf("PutRecords with hash key -1: %v, want an InvalidArgumentException", err)
	}
	var ids []string
	in := &kinesis.ListShardsInput{StreamName: aws.String("s")}
	for {
		out, err := client.ListShards(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Shards {
			ids = append(ids, aws.ToString(s.ShardId)+" "+aws.ToString(s.HashKeyRange.StartingHashKey)[:1])
		}
		if out.NextToken == nil {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	if diff := cmp.Diff([]string{"shardId-000000000000 0", "shardId-000000000001 1", "shardId-000000000002 2"}, ids); diff != "" {
		t.Errorf("ListShards mismatch (-want +got):\n%s", diff)
	}
}
