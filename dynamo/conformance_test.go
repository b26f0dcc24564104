package dynamo_test

import (
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
	"github.com/batchutils/batchutils/testutil/conformance"
)

// item is the conformance suite's item: its id is the partition key. The
// suite's ordering key rides along as an attribute: DynamoDB orders nothing
// between items of different primary keys.
type item = map[string]any

// harness runs the suite against the table that upstream makes: it
// returns the proxy configuration that reaches the table, the table's name,
// and a function that reads its items.
func harness(upstream func(t *testing.T) (testutil.FaultProxyConfig, string, func() []map[string]types.AttributeValue)) conformance.Harness[item] {
	return conformance.Harness[item]{
		Item: func(id, key string) item { return item{"id": id, "key": key} },
		ID:   func(it item) string { s, _ := it["id"].(string); return s },
		New: func(t *testing.T, opts conformance.Options) conformance.Env[item] {
			up, name, scan := upstream(t)
			opts.Proxy.Upstream, opts.Proxy.Handler, opts.Proxy.Codec = up.Upstream, up.Handler, testutil.DynamoDBCodec
			p := testutil.NewFaultProxy(t, opts.Proxy)
			client := testutil.NewDynamoDBClientWith(t, p.URL, opts.Client)
			d, err := dynamo.New[item](client, dynamo.Config{Table: name, PartitionKey: "id", Batch: opts.Batch})
			if err != nil {
				t.Fatal(err)
			}
			return conformance.Env[item]{
				Dispatcher: conformance.Dispatcher[item]{Put: d.Put, PutWait: d.PutWait, Flush: d.Flush, Close: d.Close, Stats: d.Stats},
				Proxy:      p,
				Landed: func(t *testing.T, _ int) []string {
					var ids []string
					for _, it := range scan() {
						ids = append(ids, it["id"].(*types.AttributeValueMemberS).Value)
					}
					return ids
				},
			}
		},
		Idempotent: true, // a put written again leaves one item
		Bad: []conformance.Bad[item]{
			{Name: "no key", Item: item{"key": "k"}, Err: dynamo.ErrInvalidKey},
			{Name: "empty key", Item: item{"id": ""}, Err: dynamo.ErrInvalidKey},
			{Name: "NaN", Item: item{"id": "bad-nan", "n": math.NaN()}, Err: dynamo.ErrInvalidItem},
			{Name: "too large", Item: item{"id": "bad-large", "blob": strings.Repeat("x", 400<<10)}, Err: batch.ErrItemTooLarge},
		},
	}
}

// TestConformanceFake runs the suite through the proxy against the
// in-process fake, which refuses what DynamoDB refuses.
func TestConformanceFake(t *testing.T) {
	conformance.Run(t, harness(relFake.setup))
}

// TestConformanceDynalite runs the suite through the proxy against the
// local dynalite.
func TestConformanceDynalite(t *testing.T) {
	conformance.Run(t, harness(relDynalite.setup))
}
