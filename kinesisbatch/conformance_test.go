package kinesisbatch_test

import (
	"strings"
	"testing"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
	"github.com/batchutils/batchutils/testutil/conformance"
)

// harness runs the suite through the proxy against a stream of kinesalite:
// a record's data is the suite's id, its partition key the suite's key (a
// random one for none). Kinesis keeps every record it is sent: a retried
// call that was applied puts its records twice.
func harness(ordered bool) conformance.Harness[kinesisbatch.Record] {
	return conformance.Harness[kinesisbatch.Record]{
		Item: func(id, key string) kinesisbatch.Record {
			return kinesisbatch.Record{Data: []byte(id), PartitionKey: key}
		},
		ID: func(r kinesisbatch.Record) string { return string(r.Data) },
		New: func(t *testing.T, opts conformance.Options) conformance.Env[kinesisbatch.Record] {
			direct, stream := liveStream(t, 2)
			opts.Proxy.Upstream, opts.Proxy.Codec = testutil.KinesisEndpoint(t), testutil.KinesisCodec
			p := testutil.NewFaultProxy(t, opts.Proxy)
			client := testutil.NewKinesisClient(t, p.URL, opts.Client)
			d, err := kinesisbatch.New[kinesisbatch.Record](client, kinesisbatch.Config{Stream: stream, Ordered: ordered, Batch: opts.Batch})
			if err != nil {
				t.Fatal(err)
			}
			return conformance.Env[kinesisbatch.Record]{
				Dispatcher: conformance.Dispatcher[kinesisbatch.Record]{Put: d.Put, PutWait: d.PutWait, Flush: d.Flush, Close: d.Close, Stats: d.Stats},
				Proxy:      p,
				Landed: func(t *testing.T, _ int) []string {
					var ids []string
					for _, r := range testutil.ReadStream(t, direct, stream) { // shard by shard, in order
						ids = append(ids, r.Data)
					}
					return ids
				},
			}
		},
		Ordered: ordered,
		Bad: []conformance.Bad[kinesisbatch.Record]{
			{Name: "long key", Item: kinesisbatch.Record{Data: []byte("bad-key"), PartitionKey: strings.Repeat("k", 257)}, Err: kinesisbatch.ErrInvalidPartitionKey},
			{Name: "key not UTF-8", Item: kinesisbatch.Record{Data: []byte("bad-utf8"), PartitionKey: "\xff"}, Err: kinesisbatch.ErrInvalidPartitionKey},
			{Name: "hash key", Item: kinesisbatch.Record{Data: []byte("bad-hash"), PartitionKey: "k", ExplicitHashKey: "01"}, Err: kinesisbatch.ErrInvalidExplicitHashKey},
			{Name: "too large", Item: kinesisbatch.Record{Data: make([]byte, 1<<20), PartitionKey: "k"}, Err: batch.ErrItemTooLarge},
		},
	}
}

// TestConformance runs the suite with and without Config.Ordered.
func TestConformance(t *testing.T) {
	t.Run("unordered", func(t *testing.T) { conformance.Run(t, harness(false)) })
	t.Run("ordered", func(t *testing.T) { conformance.Run(t, harness(true)) })
}
