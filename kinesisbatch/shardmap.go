package kinesisbatch

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/batchutils/batchutils/internal/awscall"
)

// ShardLister is the part of *kinesis.Client that Config.Aggregate needs
// besides Client: ListShards, to learn which shard owns which hash keys. New
// refuses a client without it when Config.Aggregate is set.
type ShardLister interface {
	ListShards(ctx context.Context, params *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
}

var _ ShardLister = (*kinesis.Client)(nil)

// hash128 is a 128-bit hash key: where a record goes in a stream.
type hash128 struct{ hi, lo uint64 }

func (h hash128) less(o hash128) bool { return h.hi < o.hi || h.hi == o.hi && h.lo < o.lo }

// String returns h in decimal, as ExplicitHashKey takes it.
func (h hash128) String() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], h.hi)
	binary.BigEndian.PutUint64(b[8:], h.lo)
	return new(big.Int).SetBytes(b[:]).String()
}

// partitionHash returns the hash key of a partition key as Kinesis computes
// it: its MD5 digest as a 128-bit big-endian number.
func partitionHash(pk string) hash128 {
	sum := md5.Sum([]byte(pk))
	return hash128{binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:])}
}

// parseHash128 parses a decimal hash key from 0 to 2^128-1.
func parseHash128(s string) (hash128, error) {
	if s == "" || len(s) > len(maxHashKey) {
		return hash128{}, fmt.Errorf("hash key %q is not a decimal integer from 0 to 2^128-1", s)
	}
	var h hash128
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return hash128{}, fmt.Errorf("hash key %q is not a decimal integer", s)
		}
		// h = h*10 + c
		hiHi, hiLo := bits.Mul64(h.hi, 10)
		loHi, loLo := bits.Mul64(h.lo, 10)
		lo, carry := bits.Add64(loLo, uint64(c-'0'), 0)
		hi, carry2 := bits.Add64(hiLo, loHi, carry)
		if hiHi != 0 || carry2 != 0 {
			return hash128{}, fmt.Errorf("hash key %q is more than 2^128-1", s)
		}
		h = hash128{hi, lo}
	}
	return h, nil
}

// recordHash returns where a record goes: its explicit hash key if it has
// one, else its partition key's hash.
func recordHash(pk, hk string) (hash128, error) {
	if hk != "" {
		return parseHash128(hk)
	}
	return partitionHash(pk), nil
}

// shardRange is an open shard and the hash keys it owns.
type shardRange struct {
	id         string
	start, end hash128
	startKey   string // start, in decimal
}

// shardTable is the open shards of a stream, by their starting hash key. It
// is never modified once made: a refresh makes a new one.
type shardTable struct {
	shards []shardRange
}

// find returns the index of the open shard that owns h, or -1 if none
// does (the table has a gap, as while a stream is being resharded).
func (t *shardTable) find(h hash128) int {
	// The first shard that starts after h, minus one.
	i, _ := slices.BinarySearchFunc(t.shards, h, func(s shardRange, h hash128) int {
		if h.less(s.start) {
			return 1
		}
		return -1
	})
	i--
	if i < 0 || t.shards[i].end.less(h) {
		return -1
	}
	return i
}

// shardMap keeps the shard table of one stream, and makes it again when
// told it is stale. Its methods are safe for concurrent use.
type shardMap struct {
	lister ShardLister
	stream string
	arn    bool

	mu      sync.Mutex // held while the table is being made, so that one call does it
	table   *shardTable
	stale   bool
	lists   int // tables made, for tests and logs
	refresh int // stale marks that led to a new table
}

// get returns the current table, making it first if there is none or it
// was marked stale.
func (m *shardMap) get(ctx context.Context) (*shardTable, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.table != nil && !m.stale {
		return m.table, nil
	}
	t, err := m.list(ctx)
	if err != nil {
		return nil, err
	}
	if m.table != nil {
		m.refresh++
	}
	m.table, m.stale = t, false
	m.lists++
	return t, nil
}

// markStale says that t no longer matches the stream: the next get makes
// the table again, unless it was made again since t.
func (m *shardMap) markStale(t *shardTable) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.table == t {
		m.stale = true
	}
}

// errNoShards is the error of a stream whose ListShards answer holds no
// open shard.
var errNoShards = errors.New("kinesisbatch: ListShards found no open shard")

// list asks ListShards for every shard of the stream, page by page, and
// returns the open ones (those without an ending sequence number).
func (m *shardMap) list(ctx context.Context) (*shardTable, error) {
	in := &kinesis.ListShardsInput{}
	if m.arn {
		in.StreamARN = aws.String(m.stream)
	} else {
		in.StreamName = aws.String(m.stream)
	}
	var shards []shardRange
	for {
		call := awscall.Kinesis.NewCall()
		out, err := m.lister.ListShards(ctx, in, func(o *kinesis.Options) {
			awscall.Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
		})
		if err != nil {
			return nil, call.Classify(ctx, fmt.Errorf("kinesisbatch: ListShards: %w", err))
		}
		for _, s := range out.Shards {
			if s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil {
				continue // closed: a parent of a reshard
			}
			if s.HashKeyRange == nil {
				return nil, fmt.Errorf("kinesisbatch: ListShards: shard %s has no hash key range", aws.ToString(s.ShardId))
			}
			start, err := parseHash128(aws.ToString(s.HashKeyRange.StartingHashKey))
			if err != nil {
				return nil, fmt.Errorf("kinesisbatch: ListShards: shard %s: %w", aws.ToString(s.ShardId), err)
			}
			end, err := parseHash128(aws.ToString(s.HashKeyRange.EndingHashKey))
			if err != nil {
				return nil, fmt.Errorf("kinesisbatch: ListShards: shard %s: %w", aws.ToString(s.ShardId), err)
			}
			shards = append(shards, shardRange{id: aws.ToString(s.ShardId), start: start, end: end, startKey: start.String()})
		}
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	if len(shards) == 0 {
		return nil, errNoShards
	}
	slices.SortFunc(shards, func(a, b shardRange) int {
		switch {
		case a.start.less(b.start):
			return -1
		case b.start.less(a.start):
			return 1
		}
		return 0
	})
	return &shardTable{shards: shards}, nil
}
