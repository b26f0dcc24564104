package kinesisbatch_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
)

// With Aggregate, small records share Kinesis records, each on the shard of
// its own key; a consumer unpacks them with Deaggregate. The in-memory
// stream of 2 shards stands in for Kinesis: a *kinesis.Client, which also
// has ListShards, takes its place for a real stream.
func Example_aggregate() {
	stream := testutil.NewShardedKinesis(2)
	ctx := context.Background()
	d, err := kinesisbatch.New[kinesisbatch.Record](stream, kinesisbatch.Config{Stream: "clicks", Aggregate: true})
	if err != nil {
		panic(err)
	}
	for i, user := range []string{"ann", "bob", "cid", "dan", "ann", "bob"} {
		d.Put(ctx, kinesisbatch.Record{Data: []byte(fmt.Sprintf("click %d", i)), PartitionKey: user})
	}
	if err := d.Close(ctx); err != nil {
		panic(err)
	}
	for _, r := range stream.Records() {
		users, err := kinesisbatch.Deaggregate(types.Record{Data: r.Data, PartitionKey: aws.String(r.PartitionKey)})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: a Kinesis record of %d user records\n", r.Shard, len(users))
		for _, u := range users {
			fmt.Printf("  %s %s\n", u.PartitionKey, u.Data)
		}
	}
	// Output:
	// shardId-000000000000: a Kinesis record of 3 user records
	//   ann click 0
	//   cid click 2
	//   ann click 4
	// shardId-000000000001: a Kinesis record of 3 user records
	//   bob click 1
	//   dan click 3
	//   bob click 5
}
