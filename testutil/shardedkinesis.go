package testutil

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Kinesis's throughput limits on one shard, which ShardedKinesis enforces by
// default.
const (
	ShardRecordsPerSecond = 1_000
	ShardBytesPerSecond   = 1 << 20
)

// ShardedKinesis is an in-memory Kinesis stream of several shards, for unit
// tests and benchmarks that meet the service's per-shard behaviour: its
// PutRecords puts each record on the open shard whose hash key range holds
// the record's explicit hash key, or else the MD5 of its partition key, and
// refuses it with ProvisionedThroughputExceededException when that shard is
// over its limits (records/s and bytes/s of data plus partition key, each
// a token bucket); its ListShards lists the shards, page by page; Split
// reshards. Calls are checked as FakeKinesis checks them. Set its fields
// before use; its methods are safe for concurrent use.
type ShardedKinesis struct {
	// RecordsPerSecond and BytesPerSecond are each shard's limits. 0:
	// ShardRecordsPerSecond and ShardBytesPerSecond; negative: no limit.
	RecordsPerSecond, BytesPerSecond float64
	// Burst is how long a shard may run at its limits from full buckets:
	// the buckets hold Burst times the limits, and start full. 0: one
	// second.
	Burst time.Duration
	// PageSize is the most shards one ListShards answer holds (less if
	// MaxResults says so). 0: 100.
	PageSize int
	// Now is the buckets' clock. nil: time.Now.
	Now func() time.Time

	mu        sync.Mutex
	shards    []*fakeShard // every shard, closed ones included, in creation order
	seq       int
	calls     int
	listCalls int
}

// fakeShard is one shard of a ShardedKinesis.
type fakeShard struct {
	id         string
	start, end hash128t
	parent     string
	closed     bool
	records    []ShardRecord
	throttled  int
	bytes      int

	tokRecords, tokBytes float64
	at                   time.Time
}

// ShardRecord is a record a ShardedKinesis took, in the order of its shard.
type ShardRecord struct {
	Shard           string
	SequenceNumber  string
	PartitionKey    string
	ExplicitHashKey string
	Data            []byte
}

// ShardStats is what one shard of a ShardedKinesis took and refused.
type ShardStats struct {
	Shard     string
	Closed    bool
	Records   int // records taken
	Bytes     int // data plus partition key of the records taken
	Throttled int // records refused with ProvisionedThroughputExceededException
}

// hash128t is a 128-bit hash key.
type hash128t struct{ hi, lo uint64 }

func (h hash128t) cmp(o hash128t) int {
	switch {
	case h.hi < o.hi || h.hi == o.hi && h.lo < o.lo:
		return -1
	case h == o:
		return 0
	}
	return 1
}

func hashFromBig(b *big.Int) hash128t {
	var buf [16]byte
	b.FillBytes(buf[:])
	return hash128t{binary.BigEndian.Uint64(buf[:8]), binary.BigEndian.Uint64(buf[8:])}
}

func (h hash128t) big() *big.Int {
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], h.hi)
	binary.BigEndian.PutUint64(buf[8:], h.lo)
	return new(big.Int).SetBytes(buf[:])
}

// KinesisHashKey returns where Kinesis puts a record: its explicit hash key
// if it has one (a decimal integer), else the MD5 digest of its partition
// key, as a 128-bit big-endian integer. ok is false for an explicit hash key
// that is not an integer from 0 to 2^128-1.
func KinesisHashKey(partitionKey, explicitHashKey string) (h *big.Int, ok bool) {
	if explicitHashKey != "" {
		h, ok := new(big.Int).SetString(explicitHashKey, 10)
		if !ok || h.Sign() < 0 || h.BitLen() > 128 {
			return nil, false
		}
		return h, true
	}
	sum := md5.Sum([]byte(partitionKey))
	return new(big.Int).SetBytes(sum[:]), true
}

// NewShardedKinesis returns a stream of n shards (at least 1) that split
// the hash keys evenly, as CreateStream does, named shardId-000000000000
// and on.
func NewShardedKinesis(n int) *ShardedKinesis {
	f := &ShardedKinesis{}
	space := new(big.Int).Lsh(big.NewInt(1), 128)
	n = max(n, 1)
	for i := range n {
		start := new(big.Int).Div(new(big.Int).Mul(space, big.NewInt(int64(i))), big.NewInt(int64(n)))
		end := new(big.Int).Div(new(big.Int).Mul(space, big.NewInt(int64(i+1))), big.NewInt(int64(n)))
		end.Sub(end, big.NewInt(1))
		f.shards = append(f.shards, &fakeShard{id: fmt.Sprintf("shardId-%012d", i), start: hashFromBig(start), end: hashFromBig(end)})
	}
	return f
}

func (f *ShardedKinesis) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func limitOr(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0 // no limit
	}
	return v
}

// take reports whether s takes a record of size bytes at now, and if so
// takes it from the buckets.
func (f *ShardedKinesis) take(s *fakeShard, size int, now time.Time) bool {
	recRate, byteRate := limitOr(f.RecordsPerSecond, ShardRecordsPerSecond), limitOr(f.BytesPerSecond, ShardBytesPerSecond)
	burst := f.Burst
	if burst <= 0 {
		burst = time.Second
	}
	capRec, capBytes := recRate*burst.Seconds(), byteRate*burst.Seconds()
	if s.at.IsZero() {
		s.tokRecords, s.tokBytes, s.at = capRec, capBytes, now
	}
	if dt := now.Sub(s.at).Seconds(); dt > 0 {
		s.tokRecords = min(capRec, s.tokRecords+dt*recRate)
		s.tokBytes = min(capBytes, s.tokBytes+dt*byteRate)
		s.at = now
	}
	if recRate > 0 && s.tokRecords < 1 || byteRate > 0 && s.tokBytes < float64(size) {
		return false
	}
	if recRate > 0 {
		s.tokRecords--
	}
	if byteRate > 0 {
		s.tokBytes -= float64(size)
	}
	return true
}

// shardFor returns the open shard that owns h.
func (f *ShardedKinesis) shardFor(h hash128t) *fakeShard {
	for _, s := range f.shards {
		if !s.closed && s.start.cmp(h) <= 0 && h.cmp(s.end) <= 0 {
			return s
		}
	}
	return nil // the open shards always cover every hash key
}

// PutRecords takes the records of in, each on its shard, as Kinesis does.
func (f *ShardedKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := fakeKinesisCheck(in); err != nil {
		return nil, err
	}
	hashes := make([]hash128t, len(in.Records))
	for i, e := range in.Records {
		h, ok := KinesisHashKey(aws.ToString(e.PartitionKey), aws.ToString(e.ExplicitHashKey))
		if !ok {
			return nil, &types.InvalidArgumentException{Message: aws.String(fmt.Sprintf("Records[%d].ExplicitHashKey %q is not valid", i, aws.ToString(e.ExplicitHashKey)))}
		}
		hashes[i] = hashFromBig(h)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	now := f.now()
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	failed := int32(0)
	for i, e := range in.Records {
		s := f.shardFor(hashes[i])
		pk := aws.ToString(e.PartitionKey)
		size := len(e.Data) + len(pk)
		if !f.take(s, size, now) {
			s.throttled++
			failed++
			out.Records[i] = types.PutRecordsResultEntry{
				ErrorCode:    aws.String("ProvisionedThroughputExceededException"),
				ErrorMessage: aws.String("Rate exceeded for shard " + s.id + " in stream fake under account 000000000000."),
			}
			continue
		}
		f.seq++
		seq := fmt.Sprintf("%056d", f.seq)
		s.records = append(s.records, ShardRecord{
			Shard: s.id, SequenceNumber: seq, PartitionKey: pk, ExplicitHashKey: aws.ToString(e.ExplicitHashKey),
			Data: append([]byte(nil), e.Data...),
		})
		s.bytes += size
		out.Records[i] = types.PutRecordsResultEntry{ShardId: aws.String(s.id), SequenceNumber: aws.String(seq)}
	}
	out.FailedRecordCount = aws.Int32(failed)
	return out, nil
}

// ListShards lists every shard, closed ones included (with an ending
// sequence number), PageSize at a time, as Kinesis does.
func (f *ShardedKinesis) ListShards(ctx context.Context, in *kinesis.ListShardsInput, _ ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listCalls++
	from := 0
	switch {
	case in.NextToken != nil:
		if in.StreamName != nil || in.StreamARN != nil {
			return nil, &types.InvalidArgumentException{Message: aws.String("NextToken and StreamName cannot be provided together.")}
		}
		n, err := strconv.Atoi(*in.NextToken)
		if err != nil || n < 0 || n > len(f.shards) {
			return nil, &types.InvalidArgumentException{Message: aws.String("invalid NextToken")}
		}
		from = n
	case aws.ToString(in.StreamName) == "" && aws.ToString(in.StreamARN) == "":
		return nil, &types.InvalidArgumentException{Message: aws.String("neither StreamName nor StreamARN is set")}
	}
	page := f.PageSize
	if page <= 0 {
		page = 100
	}
	if in.MaxResults != nil && int(*in.MaxResults) < page {
		page = max(int(*in.MaxResults), 1)
	}
	to := min(from+page, len(f.shards))
	out := &kinesis.ListShardsOutput{}
	for _, s := range f.shards[from:to] {
		sh := types.Shard{
			ShardId:             aws.String(s.id),
			HashKeyRange:        &types.HashKeyRange{StartingHashKey: aws.String(s.start.big().String()), EndingHashKey: aws.String(s.end.big().String())},
			SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String("0")},
		}
		if s.parent != "" {
			sh.ParentShardId = aws.String(s.parent)
		}
		if s.closed {
			sh.SequenceNumberRange.EndingSequenceNumber = aws.String(fmt.Sprintf("%056d", f.seq))
		}
		out.Shards = append(out.Shards, sh)
	}
	if to < len(f.shards) {
		out.NextToken = aws.String(strconv.Itoa(to))
	}
	return out, nil
}

// Split closes the open shard id and makes two children that split its
// hash keys in halves, as SplitShard does; it returns their ids. The
// children start with full buckets.
func (f *ShardedKinesis) Split(id string) (lower, upper string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.shards {
		if s.id != id || s.closed {
			continue
		}
		mid := new(big.Int).Add(s.start.big(), s.end.big())
		mid.Rsh(mid, 1)
		midH := hashFromBig(mid)
		next := hashFromBig(new(big.Int).Add(mid, big.NewInt(1)))
		s.closed = true
		a := &fakeShard{id: fmt.Sprintf("shardId-%012d", len(f.shards)), start: s.start, end: midH, parent: id}
		b := &fakeShard{id: fmt.Sprintf("shardId-%012d", len(f.shards)+1), start: next, end: s.end, parent: id}
		f.shards = append(f.shards, a, b)
		return a.id, b.id, nil
	}
	return "", "", fmt.Errorf("testutil: no open shard %s", id)
}

// Drain empties every shard's buckets, as if each had just taken all it
// can: from now on, the shards take only what their limits refill. A
// benchmark calls it before it starts timing, so that the burst of the
// buckets is not counted in its rate.
func (f *ShardedKinesis) Drain() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for _, s := range f.shards {
		s.tokRecords, s.tokBytes, s.at = 0, 0, now
	}
}

// Records returns the records taken, shard by shard in creation order, each
// shard's in its order.
func (f *ShardedKinesis) Records() []ShardRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ShardRecord
	for _, s := range f.shards {
		out = append(out, s.records...)
	}
	return out
}

// Stats returns what each shard took and refused, in creation order.
func (f *ShardedKinesis) Stats() []ShardStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ShardStats, len(f.shards))
	for i, s := range f.shards {
		out[i] = ShardStats{Shard: s.id, Closed: s.closed, Records: len(s.records), Bytes: s.bytes, Throttled: s.throttled}
	}
	return out
}

// ShardOf returns the id of the open shard that owns hash key h now.
func (f *ShardedKinesis) ShardOf(h *big.Int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.shardFor(hashFromBig(h)); s != nil {
		return s.id
	}
	return ""
}

// Calls returns the number of PutRecords and ListShards calls so far.
func (f *ShardedKinesis) Calls() (putRecords, listShards int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.listCalls
}
