package kinesisbatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
)

// This file holds the aggregating writer of Config.Aggregate: each call's
// user records are packed, shard by shard, into aggregated records (see
// aggregate.go for the format and shardmap.go for the shards).

// Defaults and limits of Config.Aggregate.
const (
	// DefaultMaxAggregatedRecords is the most user records in one
	// aggregated record when Config.MaxAggregatedRecords is 0.
	DefaultMaxAggregatedRecords = 1_000
	// DefaultMaxAggregatedBytes is the largest aggregated record (its data
	// plus its partition key) when Config.MaxAggregatedBytes is 0: 50 KiB,
	// the Kinesis Producer Library's default. Smaller records than the
	// 1 MiB a record may be let a shard's throughput limit (1 MiB/s) refuse
	// a small part of a call instead of a large one.
	DefaultMaxAggregatedBytes = 50 << 10
	// DefaultAggregatedBatchItems is the most user records in one
	// PutRecords call with Config.Aggregate when Config.Batch.MaxBatchItems
	// is 0.
	DefaultAggregatedBatchItems = 4_000
	// MaxAggregatedBatchItems is the most Config.Batch.MaxBatchItems may be
	// with Config.Aggregate.
	MaxAggregatedBatchItems = 50_000
)

// aggregator is the part of a writer that aggregates.
type aggregator struct {
	shards   shardMap
	maxRecs  int // user records in one aggregated record
	maxBytes int // data plus partition key of one aggregated record
	maxCall  int // data plus partition keys of one call
	// free keeps emptied *openAgg, whose builders' tables and slices are
	// used again: a call of thousands of records fills a few of them.
	free sync.Pool
}

// checkAggregate validates the aggregation fields of cfg, whose other
// fields are checked and defaulted, and fills in their defaults.
func checkAggregate(client Client, cfg *Config) error {
	if !cfg.Aggregate {
		if cfg.MaxAggregatedRecords != 0 || cfg.MaxAggregatedBytes != 0 {
			return errors.New("kinesisbatch: Config.MaxAggregatedRecords or MaxAggregatedBytes is set without Config.Aggregate")
		}
		return nil
	}
	if _, ok := client.(ShardLister); !ok {
		return fmt.Errorf("kinesisbatch: Config.Aggregate needs a client that also implements ShardLister (ListShards), as *kinesis.Client does; %T does not", client)
	}
	switch {
	case cfg.MaxAggregatedRecords < 0:
		return fmt.Errorf("kinesisbatch: Config.MaxAggregatedRecords %d is negative", cfg.MaxAggregatedRecords)
	case cfg.MaxAggregatedBytes < 0 || cfg.MaxAggregatedBytes > cfg.MaxRecordBytes:
		return fmt.Errorf("kinesisbatch: Config.MaxAggregatedBytes %d is not in [0, %d] (Config.MaxRecordBytes)", cfg.MaxAggregatedBytes, cfg.MaxRecordBytes)
	case cfg.Batch.MaxBatchItems > MaxAggregatedBatchItems:
		return fmt.Errorf("kinesisbatch: Config.Batch.MaxBatchItems %d is more than %d (MaxAggregatedBatchItems)", cfg.Batch.MaxBatchItems, MaxAggregatedBatchItems)
	}
	if cfg.MaxAggregatedRecords == 0 {
		cfg.MaxAggregatedRecords = DefaultMaxAggregatedRecords
	}
	if cfg.MaxAggregatedBytes == 0 {
		cfg.MaxAggregatedBytes = min(DefaultMaxAggregatedBytes, cfg.MaxRecordBytes)
	}
	if cfg.Batch.MaxBatchItems == 0 {
		cfg.Batch.MaxBatchItems = DefaultAggregatedBatchItems
	}
	return nil
}

// newAggregator returns the aggregator of a writer for cfg, checked by
// checkAggregate, and the limits of its calls: up to
// MaxAggregatedBatchItems user records, which Write packs into at most 500
// Kinesis records.
func newAggregator(client Client, cfg Config) (*aggregator, batch.Limits) {
	a := &aggregator{
		shards:   shardMap{lister: client.(ShardLister), stream: cfg.Stream, arn: strings.HasPrefix(cfg.Stream, "arn:")},
		maxRecs:  cfg.MaxAggregatedRecords,
		maxBytes: cfg.MaxAggregatedBytes,
		maxCall:  cfg.MaxRequestBytes,
	}
	return a, batch.Limits{
		MaxItems:     MaxAggregatedBatchItems,
		MaxItemBytes: cfg.MaxRecordBytes,
		// The user records of a call, less an allowance for what
		// aggregation adds: Write sends what does not fit back to the
		// core (see pack).
		MaxBatchBytes: cfg.MaxRequestBytes - cfg.MaxRequestBytes/8,
		InOrder:       false, // PutRecords does not keep order within a call
	}
}

// writeAggregated sends recs in one PutRecords call, packed into aggregated
// records by shard, and maps the answer of each Kinesis record to each of
// its user records: a throttled aggregated record is retried as a whole,
// every user record of it named in Outcome.Retried, and the core sends them
// again (packed anew) after their backoff. User records left out of the
// call (see pack) are named in Outcome.Retry: they were not sent.
func writeAggregated[T any](ctx context.Context, w *writer[T], entries []types.PutRecordsRequestEntry) (batch.Outcome, error) {
	a := w.agg
	table, err := a.shards.get(ctx)
	if err != nil {
		return batch.Outcome{}, err // classified by list
	}
	p := a.pack(table, entries)
	o := batch.Outcome{Retry: p.left}
	if len(p.entries) == 0 {
		return o, nil // cannot happen: the first record always fits
	}
	out, err := w.put(ctx, p.entries)
	if err != nil {
		return batch.Outcome{}, err
	}
	stale := false
	for j, res := range out.Records {
		code := aws.ToString(res.ErrorCode)
		if code == "" {
			// Written: on the shard that owns its explicit hash key
			// now. Another shard than the table's means the stream was
			// resharded: the next call lists the shards again.
			if s := p.shard[j]; s < 0 || aws.ToString(res.ShardId) != table.shards[s].id {
				stale = true
			}
			continue
		}
		e, retry, throttled := awscall.Kinesis.Answer(code, aws.ToString(res.ErrorMessage))
		o.Throttled = o.Throttled || throttled
		for _, i := range p.members[j] {
			if retry {
				o.Retried = append(o.Retried, batch.ItemError{Index: i, Err: e})
			} else {
				o.Failed = append(o.Failed, batch.ItemError{Index: i, Err: e})
			}
		}
	}
	if stale {
		a.shards.markStale(table)
	}
	return o, nil
}

// plan is a call made of a batch of user records.
type plan struct {
	entries []types.PutRecordsRequestEntry
	members [][]int // for each entry, its user records (indexes into the batch)
	shard   []int   // for each entry, the index in the table of the shard it should land on; -1: unknown
	left    []int   // user records that did not fit in the call
	bytes   int     // data plus partition keys of the entries
}

// openAgg is an aggregated record being filled.
type openAgg struct {
	b       aggBuilder
	members []int
	pk, hk  string // the first user record's keys
	hash    hash128
	plain   types.PutRecordsRequestEntry // the first user record as it is
}

// pack packs a batch of user records into Kinesis records: each user record
// goes into an aggregated record of the shard that its own hash key maps to
// in t, whose explicit hash key is the first user record's (so inside that
// shard's range). A user record too large to share an aggregated record, or
// whose shard t does not know, goes as it is; so does an aggregated record
// of one user record, unless its data starts with the magic bytes (it would
// then read as an aggregated record). What does not fit in one call (500
// records, a.maxCall bytes) is left out, in p.left.
func (a *aggregator) pack(t *shardTable, in []types.PutRecordsRequestEntry) *plan {
	p := &plan{}
	open := make([]*openAgg, len(t.shards))
	for i, e := range in {
		pk, hk := aws.ToString(e.PartitionKey), aws.ToString(e.ExplicitHashKey)
		h, err := recordHash(pk, hk)
		s := -1
		if err == nil {
			s = t.find(h)
		}
		var empty aggBuilder
		if s < 0 || aggFixed+empty.grow(pk, hk, len(e.Data))+len(pk) > a.maxBytes {
			p.add(a, e, []int{i}, s)
			continue
		}
		o := open[s]
		if o != nil && (len(o.members) >= a.maxRecs || aggFixed+o.b.size+o.b.grow(pk, hk, len(e.Data))+len(o.pk) > a.maxBytes) {
			p.close(a, o, s)
			o = nil
		}
		if o == nil {
			o, _ = a.free.Get().(*openAgg)
			if o == nil {
				o = &openAgg{}
			}
			o.pk, o.hk, o.hash, o.plain = pk, hk, h, e
			open[s] = o
		}
		o.b.add(pk, hk, e.Data)
		o.members = append(o.members, i)
	}
	for s, o := range open {
		if o != nil {
			p.close(a, o, s)
		}
	}
	return p
}

// close adds an aggregated record that is full, or the last of its shard,
// and puts o back in a.free.
func (p *plan) close(a *aggregator, o *openAgg, s int) {
	defer func() {
		o.b.reset()
		*o = openAgg{b: o.b}
		a.free.Put(o)
	}()
	if len(o.members) == 1 && !bytes.HasPrefix(o.plain.Data, aggMagic[:]) {
		p.add(a, o.plain, o.members, s)
		return
	}
	hk := o.hk
	if hk == "" {
		hk = o.hash.String()
	}
	if !p.fits(a, aggFixed+o.b.size+len(o.pk)) {
		p.left = append(p.left, o.members...)
		return
	}
	p.add(a, types.PutRecordsRequestEntry{Data: o.b.encode(), PartitionKey: aws.String(o.pk), ExplicitHashKey: aws.String(hk)}, o.members, s)
}

// fits reports whether a record of size bytes fits in the call.
func (p *plan) fits(a *aggregator, size int) bool {
	return len(p.entries) < MaxBatchItems && p.bytes+size <= a.maxCall
}

// add adds a Kinesis record for the user records members, or leaves them
// out if it does not fit.
func (p *plan) add(a *aggregator, e types.PutRecordsRequestEntry, members []int, s int) {
	size := len(e.Data) + len(aws.ToString(e.PartitionKey))
	if !p.fits(a, size) {
		p.left = append(p.left, members...)
		return
	}
	p.entries = append(p.entries, e)
	p.members = append(p.members, members)
	p.shard = append(p.shard, s)
	p.bytes += size
}
