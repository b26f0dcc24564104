package benchmarks

import (
	"fmt"
	"os"
	"testing"

	"github.com/batchutils/batchutils/testutil"
)

// dynaliteItems is the size of a run against the local server, which
// stores every item and so is much slower than the fake.
const dynaliteItems = 20_000

// BenchmarkDynalite writes small typed items through each contender to the
// local DynamoDB-compatible server (dynalite) that internal/dynalite/run.sh
// starts and names in BATCHUTILS_DYNAMODB_ENDPOINT, at 1, 4 and 16 calls in
// flight (guregu: 1). It is skipped when that variable is not set. The
// server is another process: the CPU figures are the client's alone.
func BenchmarkDynalite(b *testing.B) {
	if os.Getenv(testutil.EndpointEnv) == "" {
		b.Skip(testutil.EndpointEnv + " is not set: run under internal/dynalite/run.sh (make bench does)")
	}
	endpoint := testutil.DynamoDBEndpoint(b)
	// testutil's client refuses an endpoint that is not on a loopback
	// address, and makes the table; ours, the same as on the fake, writes.
	table := testutil.CreateTable(b, testutil.NewDynamoDBClient(b, endpoint), testutil.KeySchema{PartitionKey: "id"})
	client, closeIdle := newClient(endpoint)
	defer closeIdle()
	items := makeItems(dynaliteItems)
	for _, n := range inFlights {
		for _, c := range contenders {
			if c.serial && n != 1 {
				continue
			}
			b.Run(fmt.Sprintf("inflight=%d/impl=%s", n, c.name), func(b *testing.B) {
				runContender(b, c, nil, client, table, items, n, false)
			})
		}
	}
}
