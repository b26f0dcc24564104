package dynamo_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v4"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

// relRecord is the item of the scenarios: a key, the version of the key it
// carries, and a payload derived from both.
type relRecord struct {
	ID      string `dynamodbav:"id"`
	Version int    `dynamodbav:"version"`
	Writer  int    `dynamodbav:"writer"`
	Payload string `dynamodbav:"payload"`
}

// relBackOff retries quickly and long enough that no fault mix here can
// exhaust it: exponential waits from 1ms to 20ms, 200 retries.
func relBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(time.Millisecond),
		backoff.WithMaxInterval(20*time.Millisecond),
		backoff.WithMaxElapsedTime(0),
	)
	return backoff.WithMaxRetries(b, 200)
}

// relForever retries until Close gives up.
func relForever() backoff.BackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(time.Millisecond),
		backoff.WithMaxInterval(20*time.Millisecond),
		backoff.WithMaxElapsedTime(0),
	)
}

// relBackend is a DynamoDB endpoint behind a FaultProxy.
type relBackend struct {
	name string
	// timeout bounds each HTTP attempt of the client: short, for the slow
	// fault, and far above a normal call's latency.
	timeout time.Duration
	// setup creates a table with partition key "id" (S) and returns the
	// proxy configuration that reaches it, its name and a function that
	// reads all its items.
	setup func(t *testing.T) (testutil.FaultProxyConfig, string, func() []map[string]types.AttributeValue)
}

var (
	relFake = relBackend{"fake", 500 * time.Millisecond, func(t *testing.T) (testutil.FaultProxyConfig, string, func() []map[string]types.AttributeValue) {
		f := testutil.NewFakeDynamoDB()
		f.CreateTable(table, testutil.KeySchema{PartitionKey: "id"})
		return testutil.FaultProxyConfig{Handler: testutil.FakeDynamoDBHandler(f)}, table, func() []map[string]types.AttributeValue {
			return f.Items(table)
		}
	}}
	relDynalite = relBackend{"dynalite", time.Second, func(t *testing.T) (testutil.FaultProxyConfig, string, func() []map[string]types.AttributeValue) {
		endpoint := testutil.DynamoDBEndpoint(t)
		direct := testutil.NewDynamoDBClient(t, endpoint)
		name := testutil.CreateTable(t, direct, testutil.KeySchema{PartitionKey: "id"})
		return testutil.FaultProxyConfig{Upstream: endpoint}, name, func() []map[string]types.AttributeValue {
			return testutil.ScanAll(t, direct, name)
		}
	}}
)

// relMixes are the fault mixes of the scenarios: the rate of each fault
// per BatchWriteItem call.
var relMixes = []struct {
	name  string
	rates map[testutil.Fault]float64
}{
	{"throttling", map[testutil.Fault]float64{testutil.FaultProvisionedThroughputExceeded: 0.15, testutil.FaultThrottling: 0.15}},
	{"server errors", map[testutil.Fault]float64{testutil.FaultInternalServerError: 0.15, testutil.FaultServiceUnavailable: 0.15}},
	{"dropped connections", map[testutil.Fault]float64{testutil.FaultDropConnection: 0.1, testutil.FaultDropAfterWrite: 0.1}},
	{"slow answers", map[testutil.Fault]float64{testutil.FaultSlow: 0.03}},
	{"unprocessed items", map[testutil.Fault]float64{testutil.FaultUnprocessed: 0.5}},
	{"garbled bodies", map[testutil.Fault]float64{testutil.FaultGarbled: 0.1, testutil.FaultGarbledAfterWrite: 0.1}},
	{"all at once", relAllFaults},
}

// relAllFaults injects every fault: 3% each, the slow one 1%; 28% of calls
// in all.
var relAllFaults = map[testutil.Fault]float64{
	testutil.FaultProvisionedThroughputExceeded: 0.03,
	testutil.FaultThrottling:                    0.03,
	testutil.FaultInternalServerError:           0.03,
	testutil.FaultServiceUnavailable:            0.03,
	testutil.FaultDropConnection:                0.03,
	testutil.FaultDropAfterWrite:                0.03,
	testutil.FaultSlow:                          0.01,
	testutil.FaultUnprocessed:                   0.03,
	testutil.FaultGarbled:                       0.03,
	testutil.FaultGarbledAfterWrite:             0.03,
}

// relScenario is one run: items writes (puts, and deletes at the rate
// deletes) of keys keys, from 8 goroutines, through faults at rates.
type relScenario struct {
	items, keys int
	deletes     float64
	rates       map[testutil.Fault]float64
}

// relResult is what a run did.
type relResult struct {
	stats    batch.Stats
	faults   testutil.FaultStats
	failures int
	lost     int // keys whose table state is not their last write, which was not reported failed
	took     time.Duration
}

func (r relResult) String() string {
	return fmt.Sprintf("in %v: written %d, replaced %d, failed %d, lost %d; %d retries in %d calls; %v",
		r.took.Round(time.Millisecond), r.stats.Written, r.stats.Replaced, r.failures, r.lost,
		r.stats.Retries, r.stats.Batches, r.faults)
}

// relOp is the last write of a key: its version, and whether it deletes.
type relOp struct {
	version int
	del     bool
}

// relRun runs sc against be through a FaultProxy and checks the outcome:
// the table holds exactly the last version written of every key (nothing
// for a key last deleted), Stats add up, and every failure carries its item
// and an error a program can branch on. Failures are counted, and are an
// error unless allowFailures.
func relRun(t *testing.T, be relBackend, sc relScenario, seed uint64, allowFailures bool) relResult {
	t.Helper()
	start := time.Now()
	cfg, tableName, scan := be.setup(t)
	cfg.Seed = seed
	cfg.Rates = sc.rates
	cfg.SlowLimit = 5 * time.Second
	p := testutil.NewFaultProxy(t, cfg)
	client := testutil.NewDynamoDBClientWith(t, p.URL, testutil.ClientOptions{
		Timeout: be.timeout, RetryMaxAttempts: 2, RetryMaxBackoff: 2 * time.Millisecond,
	})
	d, err := dynamo.New[relRecord](client, dynamo.Config{Table: tableName, PartitionKey: "id", Batch: batch.Config{
		MaxInFlight: 8, MaxBuffered: 500, Duplicates: batch.ReplaceDuplicates, BackOff: relBackOff,
	}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	// Versions of one key are written under a lock, so that "the last
	// version submitted" is well defined while 8 goroutines write the same
	// keys.
	var (
		last     = make([]relOp, sc.keys)
		seen     = make([]bool, sc.keys)
		keyLocks [256]sync.Mutex
		wg       sync.WaitGroup
		ctx      = context.Background()
	)
	const writers = 8
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)+1))
			for i := w; i < sc.items; i += writers {
				k := rng.IntN(sc.keys)
				del := rng.Float64() < sc.deletes
				l := &keyLocks[k%len(keyLocks)]
				l.Lock()
				version := last[k].version + 1
				rec := relRecord{ID: relID(k), Version: version, Writer: w, Payload: relPayload(k, version, rng.IntN(200))}
				var err error
				if del {
					err = d.Delete(ctx, rec)
				} else {
					err = d.Put(ctx, rec)
				}
				if err != nil {
					t.Errorf("writing %s v%d: %v", rec.ID, version, err)
				} else {
					last[k], seen[k] = relOp{version: version, del: del}, true
				}
				l.Unlock()
			}
		})
	}
	wg.Wait()
	closeCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	closeErr := d.Close(closeCtx)

	res := relResult{stats: d.Stats(), faults: p.Stats()}
	failed := make(map[string]int) // key -> version reported failed, the latest
	if closeErr != nil {
		var fe *batch.FailedError[relRecord]
		if !errors.As(closeErr, &fe) {
			t.Fatalf("Close = %v, want nil or a *batch.FailedError", closeErr)
		}
		res.failures = len(fe.Failures)
		for i, f := range fe.Failures {
			if f.Item.ID == "" || f.Item.Version == 0 {
				t.Errorf("failure %d carries no item: %+v", i, f.Item)
			}
			if !relBranchable(f.Err) {
				t.Errorf("failure of %s v%d: %v is not an error a program can branch on", f.Item.ID, f.Item.Version, f.Err)
			}
			failed[f.Item.ID] = max(failed[f.Item.ID], f.Item.Version)
		}
		if !allowFailures {
			t.Errorf("%d items failed; first: %v", len(fe.Failures), fe.Failures[0].Err)
		}
	}

	st := res.stats
	if st.Submitted != int64(sc.items) || st.Rejected != 0 {
		t.Errorf("Stats: Submitted %d, Rejected %d, want %d and 0", st.Submitted, st.Rejected, sc.items)
	}
	if st.Submitted != st.Written+st.Failed+st.Unknown+st.Replaced {
		t.Errorf("Stats: Submitted %d != Written %d + Failed %d + Replaced %d", st.Submitted, st.Written, st.Failed, st.Replaced)
	}
	if st.Failed+st.Unknown != int64(res.failures) || st.Pending != 0 || st.InFlight != 0 {
		t.Errorf("Stats: Failed %d, Pending %d, InFlight %d; want %d failures returned and nothing left", st.Failed, st.Pending, st.InFlight, res.failures)
	}

	got := make(map[string]relRecord)
	for _, av := range scan() {
		var rec relRecord
		if err := attributevalue.UnmarshalMap(av, &rec); err != nil {
			t.Fatalf("reading back %v: %v", av, err)
		}
		got[rec.ID] = rec
	}
	for k := range sc.keys {
		id := relID(k)
		rec, ok := got[id]
		delete(got, id)
		want := last[k]
		var bad string
		switch {
		case !seen[k] && ok:
			bad = fmt.Sprintf("never written, but the table holds v%d", rec.Version)
		case !seen[k]:
		case want.del && ok:
			bad = fmt.Sprintf("last deleted (v%d), but the table holds v%d", want.version, rec.Version)
		case !want.del && !ok:
			bad = fmt.Sprintf("last written v%d, but it is not in the table", want.version)
		case !want.del && (rec.Version != want.version || !strings.HasPrefix(rec.Payload, relPayload(k, want.version, 0))):
			bad = fmt.Sprintf("last written v%d, but the table holds v%d", want.version, rec.Version)
		}
		if bad == "" {
			continue
		}
		if failed[id] == want.version {
			continue // its last write was reported failed: not lost
		}
		res.lost++
		if res.lost <= 10 {
			t.Errorf("key %s: %s", id, bad)
		}
	}
	for id := range got {
		t.Errorf("the table holds %s, which was never written", id)
	}
	if res.lost > 0 {
		t.Errorf("%d keys lost their last write", res.lost)
	}
	res.took = time.Since(start)
	return res
}

func relID(k int) string { return fmt.Sprintf("key-%06d", k) }

// relPayload is the payload of version v of key k, padded by n bytes.
func relPayload(k, v, n int) string {
	return fmt.Sprintf("payload of %d v%d;", k, v) + strings.Repeat("p", max(n, 0))
}

// relBranchable reports whether err is one a program can branch on: one of
// the documented sentinels, an AWS API error with its code, a decoding
// error, a network error or a context's error.
func relBranchable(err error) bool {
	var ae smithy.APIError
	var de *smithy.DeserializationError
	var ne net.Error
	return err != nil && (errors.Is(err, batch.ErrUnprocessed) || errors.Is(err, batch.ErrClosed) ||
		errors.As(err, &ae) || errors.As(err, &de) || errors.As(err, &ne) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled))
}

// TestReliabilityFaultMixes writes several versions of the same keys from 8
// goroutines through each fault mix, against the in-process fake and the
// local dynalite, with 8 batches in flight, and checks that nothing is lost
// and the last write of every key wins.
func TestReliabilityFaultMixes(t *testing.T) {
	seed := testutil.Seed(t)
	for _, be := range []struct {
		relBackend
		items, all int // writes per mix, and for all faults at once
	}{{relFake, 6000, 12_000}, {relDynalite, 5000, 50_000}} {
		t.Run(be.name, func(t *testing.T) {
			for i, mix := range relMixes {
				t.Run(mix.name, func(t *testing.T) {
					items := be.items
					if mix.name == "all at once" {
						items = be.all
					}
					sc := relScenario{items: items, keys: items / 5, deletes: 0.1, rates: mix.rates}
					res := relRun(t, be.relBackend, sc, seed+uint64(i), false)
					t.Logf("%d items, %d keys: %v", sc.items, sc.keys, res)
				})
			}
		})
	}
}

// TestReliability50000AllFaults is the full-size run: 50,000 writes of
// 10,000 keys from 8 goroutines through every fault at once, the real SDK
// client over HTTP to the in-process fake.
func TestReliability50000AllFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the 50,000-item run takes a while")
	}
	seed := testutil.Seed(t)
	sc := relScenario{items: 50_000, keys: 10_000, deletes: 0.1, rates: relAllFaults}
	res := relRun(t, relFake, sc, seed, false)
	t.Logf("%d items, %d keys: %v", sc.items, sc.keys, res)
}

// TestReliabilitySoak is the longer mixed-fault run of `make soak`: rounds
// of 20,000 writes through every fault against the local dynalite, started
// until $BATCHUTILS_SOAK (a duration up to 1h, such as 3m) has passed. Not
// part of `make test`.
func TestReliabilitySoak(t *testing.T) {
	v := os.Getenv("BATCHUTILS_SOAK")
	if v == "" {
		t.Skip("BATCHUTILS_SOAK is not set: run `make soak`")
	}
	dur, err := time.ParseDuration(v)
	if err != nil || dur <= 0 || dur > time.Hour {
		t.Fatalf("BATCHUTILS_SOAK=%q: want a duration up to 1h, such as 3m", v)
	}
	testutil.DynamoDBEndpoint(t)
	seed := testutil.Seed(t)
	// Rounds alternate between every fault at the rates of the tests (28%
	// of calls) and at twice those rates.
	heavy := make(map[testutil.Fault]float64, len(relAllFaults))
	for f, r := range relAllFaults {
		heavy[f] = 2 * r
	}
	start := time.Now()
	deadline := start.Add(dur)
	var total relResult
	total.faults.Injected = make(map[testutil.Fault]int64)
	items := 0
	for round := 0; time.Now().Before(deadline); round++ {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			sc := relScenario{items: 20_000, keys: 4_000, deletes: 0.1, rates: relAllFaults}
			if round%2 == 1 {
				sc.rates = heavy
			}
			res := relRun(t, relDynalite, sc, seed+uint64(round), false)
			t.Logf("%v", res)
			items += sc.items
			total.stats.Written += res.stats.Written
			total.stats.Replaced += res.stats.Replaced
			total.stats.Retries += res.stats.Retries
			total.stats.Batches += res.stats.Batches
			total.failures += res.failures
			total.lost += res.lost
			total.faults.Calls += res.faults.Calls
			total.faults.Requests += res.faults.Requests
			total.faults.Withheld += res.faults.Withheld
			for f, n := range res.faults.Injected {
				total.faults.Injected[f] += n
			}
		})
		if t.Failed() {
			break
		}
	}
	total.took = time.Since(start)
	t.Logf("soak: %d items: %v", items, total)
}

// TestReliabilityCloseDeadline closes with a deadline that passes while
// batches are retried or in flight through the proxy: every item not
// written comes back as a failure matching the deadline and either
// batch.ErrClosed (never applied: not in the table) or
// batch.ErrOutcomeUnknown (its call was under way), written + failed +
// unknown == submitted, and no item is missing from both the table and the
// failures.
func TestReliabilityCloseDeadline(t *testing.T) {
	tests := []struct {
		name    string
		rates   map[testutil.Fault]float64
		odd     bool          // the fake leaves the odd keys unprocessed, always
		timeout time.Duration // of the client's HTTP attempts
	}{
		{"throttled forever", map[testutil.Fault]float64{testutil.FaultProvisionedThroughputExceeded: 1}, false, time.Second},
		{"odd keys never processed", nil, true, time.Second},
		{"answers withheld", map[testutil.Fault]float64{testutil.FaultSlow: 1}, false, time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFakeDynamoDB()
			f.CreateTable(table, testutil.KeySchema{PartitionKey: "id"})
			if tc.odd {
				f.Unprocessed = func(_ string, wr types.WriteRequest) bool {
					id := wr.PutRequest.Item["id"].(*types.AttributeValueMemberS).Value
					return (id[len(id)-1]-'0')%2 == 1
				}
			}
			p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Handler: testutil.FakeDynamoDBHandler(f), Rates: tc.rates, SlowLimit: time.Minute})
			client := testutil.NewDynamoDBClientWith(t, p.URL, testutil.ClientOptions{Timeout: tc.timeout, RetryMaxAttempts: 2, RetryMaxBackoff: 2 * time.Millisecond})
			d, err := dynamo.New[relRecord](client, dynamo.Config{Table: table, PartitionKey: "id", Batch: batch.Config{MaxInFlight: 8, BackOff: relForever}})
			if err != nil {
				t.Fatal(err)
			}
			const n = 1000
			for k := range n {
				if err := d.Put(context.Background(), relRecord{ID: relID(k), Version: 1}); err != nil {
					t.Fatalf("Put: %v", err)
				}
			}
			const deadline = 300 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			start := time.Now()
			closeErr := d.Close(ctx)
			if took := time.Since(start); took > deadline+2*time.Second {
				t.Errorf("Close took %v with a deadline of %v", took, deadline)
			}
			var fe *batch.FailedError[relRecord]
			if !errors.As(closeErr, &fe) {
				t.Fatalf("Close = %v, want a *batch.FailedError", closeErr)
			}
			failed := make(map[string]bool)
			closed := make(map[string]bool) // failed as never written
			for _, fl := range fe.Failures {
				isClosed, isUnknown := errors.Is(fl.Err, batch.ErrClosed), errors.Is(fl.Err, batch.ErrOutcomeUnknown)
				if isClosed == isUnknown || !errors.Is(fl.Err, context.DeadlineExceeded) {
					t.Fatalf("failure of %s: %v, want batch.ErrClosed or batch.ErrOutcomeUnknown, and context.DeadlineExceeded", fl.Item.ID, fl.Err)
				}
				closed[fl.Item.ID] = isClosed
				if failed[fl.Item.ID] {
					t.Errorf("%s reported failed twice", fl.Item.ID)
				}
				failed[fl.Item.ID] = true
			}
			st := d.Stats()
			if st.Submitted != n || st.Written+st.Failed+st.Unknown != n || st.Failed+st.Unknown != int64(len(fe.Failures)) {
				t.Errorf("Stats %+v with %d failures returned: want written + failed == submitted == %d", st, len(fe.Failures), n)
			}
			stored := make(map[string]bool)
			for _, it := range f.Items(table) {
				stored[it["id"].(*types.AttributeValueMemberS).Value] = true
			}
			if int64(len(stored)) < st.Written {
				t.Errorf("%d items in the table, but %d were confirmed written", len(stored), st.Written)
			}
			for k := range n {
				id := relID(k)
				if !stored[id] && !failed[id] {
					t.Errorf("%s is neither in the table nor reported failed", id)
				}
				if stored[id] && closed[id] {
					t.Errorf("%s is in the table, but failed as never written (ErrClosed)", id)
				}
				if tc.odd && k%2 == 1 && stored[id] {
					t.Errorf("%s is in the table, but the fake never processes it", id)
				}
			}
			t.Logf("%d submitted: %d written, %d failed (%d of them in the table all the same); %v",
				n, st.Written, st.Failed, len(stored)-int(st.Written), p.Stats())
		})
	}
}

// A Put whose context ends while it waits for room is not accepted, and
// its item is never written; the items around it are.
func TestReliabilityCancelledPut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := testutil.NewFakeDynamoDB()
		f.CreateTable(table, testutil.KeySchema{PartitionKey: "id"})
		f.Latency = time.Second
		d, err := dynamo.New[relRecord](f, dynamo.Config{Table: table, PartitionKey: "id", Batch: batch.Config{MaxInFlight: 1, MaxBuffered: 30}})
		if err != nil {
			t.Fatal(err)
		}
		for k := range 30 {
			if err := d.Put(context.Background(), relRecord{ID: relID(k), Version: 1}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if err := d.Put(ctx, relRecord{ID: "cancelled", Version: 1}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Put on a full buffer = %v, want context.DeadlineExceeded", err)
		}
		cctx, ccancel := context.WithCancel(context.Background())
		ccancel()
		if err := d.Delete(cctx, relRecord{ID: relID(0)}); !errors.Is(err, context.Canceled) {
			t.Errorf("Delete with a cancelled context = %v, want context.Canceled", err)
		}
		if err := d.Put(context.Background(), relRecord{ID: "after", Version: 1}); err != nil {
			t.Errorf("Put after: %v", err)
		}
		if err := d.Close(context.Background()); err != nil {
			t.Fatalf("Close: %v", err)
		}
		items := f.Items(table)
		if len(items) != 31 {
			t.Errorf("%d items in the table, want 31", len(items))
		}
		for _, it := range items {
			if id := it["id"].(*types.AttributeValueMemberS).Value; id == "cancelled" {
				t.Error("the item of the cancelled Put was written")
			}
		}
		if st := d.Stats(); st.Submitted != 31 || st.Written != 31 || st.Rejected != 0 {
			t.Errorf("Stats %+v: want 31 submitted and written", st)
		}
	})
}

// No goroutine of a dynamo.Dispatcher outlives Close, also when Close gives
// up mid-retry with a timed flush running.
func TestReliabilityNoGoroutineOutlivesClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := testutil.NewFakeDynamoDB()
	f.CreateTable(table, testutil.KeySchema{PartitionKey: "id"})
	f.Unprocessed = func(_ string, wr types.WriteRequest) bool {
		return strings.HasSuffix(wr.PutRequest.Item["id"].(*types.AttributeValueMemberS).Value, "7")
	}
	f.Latency = time.Millisecond
	d, err := dynamo.New[relRecord](f, dynamo.Config{Table: table, PartitionKey: "id", Batch: batch.Config{
		MaxInFlight: 8, FlushInterval: time.Millisecond, BackOff: relForever,
	}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for k := w; k < 2000; k += 8 {
				if err := d.Put(context.Background(), relRecord{ID: relID(k), Version: 1}); err != nil {
					t.Errorf("Put: %v", err)
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var fe *batch.FailedError[relRecord]
	if err := d.Close(ctx); !errors.As(err, &fe) || len(fe.Failures) < 200 {
		t.Fatalf("Close = %v, want the 200 keys ending in 7 (at least) as failures", err)
	}
	if st := d.Stats(); st.Written+st.Failed != 2000 {
		t.Errorf("Stats %+v: written + failed != 2000", st)
	}
}

// relBadItem is an item type with a float and a string set, for the bad
// input table.
type relBadItem struct {
	ID  string   `dynamodbav:"id"`
	SK  string   `dynamodbav:"sk"`
	F   float64  `dynamodbav:"f"`
	Set []string `dynamodbav:"set,stringset"`
}

type relChanItem struct {
	ID string `dynamodbav:"id"`
	C  chan int
}

// relBadOutcome is what a bad input case did.
type relBadOutcome struct {
	putErr   error    // of the item under test
	land     []string // keys that must be in the table: the good items', and the item's if accepted
	closeErr error
}

// relBadCase puts a good item, then item, then another good item, each
// under a key made from name, with a Dispatcher of T for a table with
// partition key "id" and sort key "sk", and closes it. If item is accepted
// it must land too, under key badKey.
func relBadCase[T any](good func(id string) T, item T, badKey string) func(t *testing.T, c dynamo.Client, table, name string) relBadOutcome {
	return func(t *testing.T, c dynamo.Client, table, name string) relBadOutcome {
		t.Helper()
		d, err := dynamo.New[T](c, dynamo.Config{Table: table, PartitionKey: "id", SortKey: "sk", Batch: batch.Config{BackOff: relBackOff}})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		ctx := context.Background()
		before, after := name+"/before", name+"/after"
		if err := d.Put(ctx, good(before)); err != nil {
			t.Fatalf("Put before: %v", err)
		}
		out := relBadOutcome{putErr: d.Put(ctx, item), land: []string{before, after}}
		if err := d.Put(ctx, good(after)); err != nil {
			t.Fatalf("Put after: %v", err)
		}
		out.closeErr = d.Close(ctx)
		if out.putErr == nil {
			out.land = append(out.land, badKey)
		}
		return out
	}
}

func relSelfMap() map[string]any {
	m := map[string]any{"id": "self", "sk": "s"}
	m["m"] = m
	return m
}

func relGoodAV(id string) AV { return AV{"id": &S{Value: id}, "sk": &S{Value: "s"}} }
func relGoodAny(id string) map[string]any {
	return map[string]any{"id": id, "sk": "s", "n": 1.5, "l": []any{"x", true}}
}
func relGoodStruct(id string) relBadItem {
	return relBadItem{ID: id, SK: "s", F: 2.5, Set: []string{"a", "b"}}
}
func relGoodPtr(id string) *relBadItem { r := relGoodStruct(id); return &r }

// relItemOfSize returns an item with key id and sort key "s" whose DynamoDB size
// is exactly size bytes: "id" + id + "sk" + "s" + "d" + the padding.
func relItemOfSize(id string, size int) AV {
	item := relGoodAV(id)
	item["d"] = &S{Value: strings.Repeat("x", size-len("id")-len(id)-len("sk")-len("s")-len("d"))}
	return item
}

// relNestedLists returns a string inside n nested lists.
func relNestedLists(n int) types.AttributeValue {
	var v types.AttributeValue = &S{Value: "leaf"}
	for range n {
		v = &types.AttributeValueMemberL{Value: []types.AttributeValue{v}}
	}
	return v
}

// TestReliabilityBadInput puts each kind of bad item between two good
// ones, against the fake and the local dynalite: Put refuses it with an
// error that errors.Is the documented sentinel and names the problem, and
// the items around it land. Items at the limits are accepted and land.
func TestReliabilityBadInput(t *testing.T) {
	long := func(n int) string { return strings.Repeat("k", n) }
	type run = func(t *testing.T, c dynamo.Client, table, name string) relBadOutcome
	tests := []struct {
		name string
		run  run
		want error  // nil: accepted, and it lands
		msg  string // what the error must say
	}{
		{"nil attribute value map", relBadCase(relGoodAV, AV(nil), ""), dynamo.ErrInvalidItem, "nil map"},
		{"empty attribute value map", relBadCase(relGoodAV, AV{}, ""), dynamo.ErrInvalidKey, `partition key "id" is missing`},
		{"nil map[string]any", relBadCase(relGoodAny, map[string]any(nil), ""), dynamo.ErrInvalidItem, "does not marshal to a map"},
		{"empty map[string]any", relBadCase(relGoodAny, map[string]any{}, ""), dynamo.ErrInvalidKey, `partition key "id" is missing`},
		{"zero struct", relBadCase(relGoodStruct, relBadItem{}, ""), dynamo.ErrInvalidKey, `partition key "id" is empty`},
		{"nil pointer to struct", relBadCase(relGoodPtr, (*relBadItem)(nil), ""), dynamo.ErrInvalidItem, "does not marshal to a map"},
		{"channel in map[string]any", relBadCase(relGoodAny, map[string]any{"id": "c", "sk": "s", "c": make(chan int)}, ""), dynamo.ErrInvalidItem, "attribute c is a chan"},
		{"func nested in map[string]any", relBadCase(relGoodAny, map[string]any{"id": "c", "sk": "s", "m": map[string]any{"f": func() {}}}, ""), dynamo.ErrInvalidItem, "attribute m.f is a func"},
		{"slice of channels in map[string]any", relBadCase(relGoodAny, map[string]any{"id": "c", "sk": "s", "c": []chan int{nil}}, ""), dynamo.ErrInvalidItem, "attribute c[] is a chan"},
		{"NaN float64", relBadCase(relGoodAny, map[string]any{"id": "n", "sk": "s", "x": relNaN()}, ""), dynamo.ErrInvalidItem, `"NaN"`},
		{"+Inf float64 in a struct", relBadCase(relGoodStruct, relBadItem{ID: "n", SK: "s", F: relInf(1)}, ""), dynamo.ErrInvalidItem, `"+Inf"`},
		{"-Inf float32", relBadCase(relGoodAny, map[string]any{"id": "n", "sk": "s", "x": float32(relInf(-1))}, ""), dynamo.ErrInvalidItem, `"-Inf"`},
		{"NaN number", relBadCase(relGoodAV, AV{"id": &S{Value: "n"}, "sk": &S{Value: "s"}, "x": &N{Value: "NaN"}}, ""), dynamo.ErrInvalidItem, `attribute "x"`},
		{"Infinity number in a list", relBadCase(relGoodAV, AV{"id": &S{Value: "n"}, "sk": &S{Value: "s"}, "x": &types.AttributeValueMemberL{Value: []types.AttributeValue{&N{Value: "Infinity"}}}}, ""), dynamo.ErrInvalidItem, `"Infinity"`},
		{"number too large", relBadCase(relGoodAV, AV{"id": &S{Value: "n"}, "sk": &S{Value: "s"}, "x": &N{Value: "1e126"}}, ""), dynamo.ErrInvalidItem, "magnitude"},
		{"number too small", relBadCase(relGoodAV, AV{"id": &S{Value: "n"}, "sk": &S{Value: "s"}, "x": &N{Value: "1e-131"}}, ""), dynamo.ErrInvalidItem, "magnitude"},
		{"39 significant digits", relBadCase(relGoodAV, AV{"id": &S{Value: "n"}, "sk": &S{Value: "s"}, "x": &N{Value: "1" + strings.Repeat("2", 38)}}, ""), dynamo.ErrInvalidItem, "39 significant digits"},
		{"38 significant digits", relBadCase(relGoodAV, AV{"id": &S{Value: "digits38"}, "sk": &S{Value: "s"}, "x": &N{Value: "1" + strings.Repeat("2", 37)}}, "digits38"), nil, ""},
		{"empty partition key", relBadCase(relGoodAV, AV{"id": &S{Value: ""}, "sk": &S{Value: "s"}}, ""), dynamo.ErrInvalidKey, `partition key "id" is empty`},
		{"empty sort key", relBadCase(relGoodAV, AV{"id": &S{Value: "e"}, "sk": &S{Value: ""}}, ""), dynamo.ErrInvalidKey, `sort key "sk" is empty`},
		{"partition key of 2048 bytes", relBadCase(relGoodAV, AV{"id": &S{Value: long(2048)}, "sk": &S{Value: "s"}}, long(2048)), nil, ""},
		{"partition key of 2049 bytes", relBadCase(relGoodAV, AV{"id": &S{Value: long(2049)}, "sk": &S{Value: "s"}}, ""), dynamo.ErrInvalidKey, "2049 bytes long, the most is 2048"},
		{"sort key of 1024 bytes", relBadCase(relGoodAV, AV{"id": &S{Value: "sk1024"}, "sk": &S{Value: long(1024)}}, "sk1024"), nil, ""},
		{"sort key of 1025 bytes", relBadCase(relGoodAV, AV{"id": &S{Value: "sk1025"}, "sk": &S{Value: long(1025)}}, ""), dynamo.ErrInvalidKey, "1025 bytes long, the most is 1024"},
		{"partition key a number", relBadCase(relGoodAV, AV{"id": &N{Value: "1"}, "sk": &S{Value: "s"}}, ""), dynamo.ErrInvalidKey, "is N, the table wants S"},
		{"partition key an int in map[string]any", relBadCase(relGoodAny, map[string]any{"id": 7, "sk": "s"}, ""), dynamo.ErrInvalidKey, "is N, the table wants S"},
		{"partition key a bool", relBadCase(relGoodAV, AV{"id": &types.AttributeValueMemberBOOL{Value: true}, "sk": &S{Value: "s"}}, ""), dynamo.ErrInvalidKey, "is BOOL, the table wants S"},
		{"partition key a list", relBadCase(relGoodAV, AV{"id": &types.AttributeValueMemberL{Value: []types.AttributeValue{&S{Value: "a"}}}, "sk": &S{Value: "s"}}, ""), dynamo.ErrInvalidKey, "is L, the table wants S"},
		{"sort key binary", relBadCase(relGoodAV, AV{"id": &S{Value: "b"}, "sk": &B{Value: []byte("s")}}, ""), dynamo.ErrInvalidKey, `sort key "sk" is B, the table wants S`},
		{"item of exactly 400,000 bytes", relBadCase(relGoodAV, relItemOfSize("at-limit", 400_000), "at-limit"), nil, ""},
		{"item of 400,001 bytes", relBadCase(relGoodAV, relItemOfSize("over-limit", 400_001), ""), batch.ErrItemTooLarge, "400001 bytes"},
		{"empty string set", relBadCase(relGoodAV, AV{"id": &S{Value: "e"}, "sk": &S{Value: "s"}, "x": &types.AttributeValueMemberSS{}}, ""), dynamo.ErrInvalidItem, "empty set"},
		{"empty number set", relBadCase(relGoodAV, AV{"id": &S{Value: "e"}, "sk": &S{Value: "s"}, "x": &types.AttributeValueMemberNS{Value: []string{}}}, ""), dynamo.ErrInvalidItem, "empty set"},
		{"empty binary set in a map", relBadCase(relGoodAV, AV{"id": &S{Value: "e"}, "sk": &S{Value: "s"}, "x": &types.AttributeValueMemberM{Value: AV{"y": &types.AttributeValueMemberBS{}}}}, ""), dynamo.ErrInvalidItem, "empty set"},
		{"empty Go slice tagged stringset (written as NULL)", relBadCase(relGoodStruct, relBadItem{ID: "null-set", SK: "s", Set: []string{}}, "null-set"), nil, ""},
		{"set with duplicates", relBadCase(relGoodStruct, relBadItem{ID: "d", SK: "s", Set: []string{"a", "a"}}, ""), dynamo.ErrInvalidItem, "duplicate"},
		{"number set with one value twice", relBadCase(relGoodAV, AV{"id": &S{Value: "d"}, "sk": &S{Value: "s"}, "x": &types.AttributeValueMemberNS{Value: []string{"10", "1e1"}}}, ""), dynamo.ErrInvalidItem, "duplicate"},
		{"32 nested lists", relBadCase(relGoodAV, AV{"id": &S{Value: "deep32"}, "sk": &S{Value: "s"}, "x": relNestedLists(32)}, "deep32"), nil, ""},
		{"33 nested lists", relBadCase(relGoodAV, AV{"id": &S{Value: "deep"}, "sk": &S{Value: "s"}, "x": relNestedLists(33)}, ""), dynamo.ErrInvalidItem, "nested deeper than 32"},
		{"nil attribute value", relBadCase(relGoodAV, AV{"id": &S{Value: "z"}, "sk": &S{Value: "s"}, "x": nil}, ""), dynamo.ErrInvalidItem, "has no value"},
		{"NULL false", relBadCase(relGoodAV, AV{"id": &S{Value: "null-false"}, "sk": &S{Value: "s"}, "x": &types.AttributeValueMemberNULL{Value: false}}, ""), dynamo.ErrInvalidItem, "NULL"},
		// Issue 11: what a cross-check against two other servers found.
		{"invalid UTF-8 in a string", relBadCase(relGoodAV, AV{"id": &S{Value: "u"}, "sk": &S{Value: "s"}, "x": &S{Value: "k\xff"}}, ""), dynamo.ErrInvalidItem, "not valid UTF-8"},
		{"invalid UTF-8 in a key", relBadCase(relGoodAV, AV{"id": &S{Value: "k\xfe"}, "sk": &S{Value: "s"}}, ""), dynamo.ErrInvalidKey, "not valid UTF-8"},
		{"invalid UTF-8 in a name", relBadCase(relGoodAny, map[string]any{"id": "u", "sk": "s", "n\xff": 1}, ""), dynamo.ErrInvalidItem, "not valid UTF-8"},
		{"invalid UTF-8 in a string set", relBadCase(relGoodAV, AV{"id": &S{Value: "u"}, "sk": &S{Value: "s"}, "x": &types.AttributeValueMemberSS{Value: []string{"a", "\xff"}}}, ""), dynamo.ErrInvalidItem, "not valid UTF-8"},
		{"nil binary value", relBadCase(relGoodAV, AV{"id": &S{Value: "b"}, "sk": &S{Value: "s"}, "x": &B{}}, ""), dynamo.ErrInvalidItem, "nil []byte"},
		{"nil binary set element", relBadCase(relGoodAV, AV{"id": &S{Value: "b"}, "sk": &S{Value: "s"}, "x": &types.AttributeValueMemberBS{Value: [][]byte{nil}}}, ""), dynamo.ErrInvalidItem, "nil []byte"},
		{"func behind a pointer in map[string]any", relBadCase(relGoodAny, map[string]any{"id": "f", "sk": "s", "p": &map[string]any{"f": func() {}}}, ""), dynamo.ErrInvalidItem, "attribute p.f is a func"},
		{"map[string]any that contains itself", relBadCase(relGoodAny, relSelfMap(), ""), dynamo.ErrInvalidItem, "contains itself"},
		{"empty attribute name", relBadCase(relGoodAV, AV{"id": &S{Value: "e"}, "sk": &S{Value: "s"}, "": &S{Value: "v"}}, ""), dynamo.ErrInvalidItem, "is empty"},
		{"number set 1000000 and 1e6", relBadCase(relGoodAV, AV{"id": &S{Value: "d"}, "sk": &S{Value: "s"}, "x": &types.AttributeValueMemberNS{Value: []string{"1000000", "1e6"}}}, ""), dynamo.ErrInvalidItem, "duplicate"},
		{"valid UTF-8 and an empty binary", relBadCase(relGoodAV, AV{"id": &S{Value: "utf8 ✓"}, "sk": &S{Value: "s"}, "x": &S{Value: "日本語"}, "b": &B{Value: []byte{}}}, "utf8 ✓"), nil, ""},
	}
	backends := []struct {
		name  string
		setup func(t *testing.T) (dynamo.Client, string, func() []map[string]types.AttributeValue)
	}{
		{"fake", func(t *testing.T) (dynamo.Client, string, func() []map[string]types.AttributeValue) {
			f := testutil.NewFakeDynamoDB()
			f.CreateTable(table, testutil.KeySchema{PartitionKey: "id", SortKey: "sk"})
			return f, table, func() []map[string]types.AttributeValue { return f.Items(table) }
		}},
		{"dynalite", func(t *testing.T) (dynamo.Client, string, func() []map[string]types.AttributeValue) {
			c := testutil.NewDynamoDBClient(t, testutil.DynamoDBEndpoint(t))
			name := testutil.CreateTable(t, c, testutil.KeySchema{PartitionKey: "id", SortKey: "sk"})
			return c, name, func() []map[string]types.AttributeValue { return testutil.ScanAll(t, c, name) }
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			c, tableName, scan := be.setup(t)
			var want []string
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					out := tc.run(t, c, tableName, tc.name)
					err := out.putErr
					want = append(want, out.land...)
					if out.closeErr != nil {
						t.Errorf("Close = %v, want nil", out.closeErr)
					}
					if !errors.Is(err, tc.want) {
						t.Fatalf("Put = %v, want %v", err, tc.want)
					}
					if err == nil {
						return
					}
					if !strings.Contains(err.Error(), tc.msg) {
						t.Errorf("Put = %q, want it to say %q", err, tc.msg)
					}
					if !strings.HasPrefix(err.Error(), "dynamo: ") && !strings.HasPrefix(err.Error(), "batch: ") {
						t.Errorf("Put = %q, want it to say where it comes from", err)
					}
				})
			}

			t.Run("channel field in a struct type", func(t *testing.T) {
				if _, err := dynamo.New[relChanItem](c, dynamo.Config{Table: tableName, PartitionKey: "id", SortKey: "sk"}); err == nil || !strings.Contains(err.Error(), "field C is a chan") {
					t.Errorf("New = %v, want an error naming field C", err)
				}
			})

			// Items whose JSON is six times their size: 6 of them fill a
			// 16 MB body, so 14 need at least 3 calls.
			t.Run("batches that would cross 16 MB on the wire", func(t *testing.T) {
				d, err := dynamo.New[AV](c, dynamo.Config{Table: tableName, PartitionKey: "id", SortKey: "sk", Batch: batch.Config{BackOff: relBackOff}})
				if err != nil {
					t.Fatal(err)
				}
				ctl := strings.Repeat("\x01", 399_000)
				for i := range 14 {
					id := fmt.Sprintf("wide-%02d", i)
					if err := d.Put(context.Background(), AV{"id": &S{Value: id}, "sk": &S{Value: "s"}, "d": &S{Value: ctl}}); err != nil {
						t.Fatalf("Put: %v", err)
					}
					want = append(want, id)
				}
				if err := d.Close(context.Background()); err != nil {
					t.Fatalf("Close: %v", err)
				}
				if st := d.Stats(); st.Batches < 3 {
					t.Errorf("%d calls for 14 items of 2.4 MB of JSON each, want at least 3", st.Batches)
				}
			})

			var got []string
			for _, it := range scan() {
				got = append(got, it["id"].(*S).Value)
			}
			sort.Strings(got)
			sort.Strings(want)
			if diff := relDiffKeys(want, got); diff != "" {
				t.Errorf("table keys mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func relNaN() float64         { return math.NaN() }
func relInf(sign int) float64 { return math.Inf(sign) }

func relDiffKeys(want, got []string) string {
	w := make(map[string]bool)
	for _, s := range want {
		w[s] = true
	}
	g := make(map[string]bool)
	for _, s := range got {
		g[s] = true
	}
	var b strings.Builder
	for _, s := range want {
		if !g[s] {
			fmt.Fprintf(&b, "-%.60q\n", s)
		}
	}
	for _, s := range got {
		if !w[s] {
			fmt.Fprintf(&b, "+%.60q\n", s)
		}
	}
	return b.String()
}

// TestReliabilityLogsHoldNoSecrets writes through faults, unprocessed items
// and retries that run out, logging to a slog JSON handler at Info (the
// default) and at Debug, and checks that the log holds neither the
// client's credentials nor anything of the items. At Info, the backend
// also quotes item contents in the messages of the errors it returns, which
// must stay out of the log too; at Debug those messages are logged as they
// are, by design (batch.Config.Logger), so that case is left out there.
func TestReliabilityLogsHoldNoSecrets(t *testing.T) {
	const (
		keyID   = "AKIARELIABILITY0KEY1"
		secret  = "reliabilitySecret/0123456789+abcdefghij"
		idMark  = "ITEMKEYMARKER"
		payMark = "PAYLOADMARKER"
	)
	seed := testutil.Seed(t)
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			f := testutil.NewFakeDynamoDB()
			f.CreateTable(table, testutil.KeySchema{PartitionKey: "id"})
			if level == slog.LevelInfo {
				// Items whose key ends in 7 are refused with a message
				// that quotes the key.
				f.BatchWriteItemFn = func(ctx context.Context, in *dynamodb.BatchWriteItemInput, next func(context.Context, *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error)) (*dynamodb.BatchWriteItemOutput, error) {
					for _, wr := range in.RequestItems[table] {
						if id := wr.PutRequest.Item["id"].(*S).Value; strings.HasSuffix(id, "7") {
							return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "One or more parameter values were invalid: " + id}
						}
					}
					return next(ctx, in)
				}
			}
			p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{
				Handler: testutil.FakeDynamoDBHandler(f),
				Seed:    seed,
				Rates: map[testutil.Fault]float64{
					testutil.FaultProvisionedThroughputExceeded: 0.1,
					testutil.FaultThrottling:                    0.1,
					testutil.FaultInternalServerError:           0.1,
					testutil.FaultDropAfterWrite:                0.05,
					testutil.FaultUnprocessed:                   0.3,
					testutil.FaultGarbled:                       0.15, // echoes the items, truncated
					testutil.FaultGarbledAfterWrite:             0.1,
				},
			})
			client := testutil.NewDynamoDBClientWith(t, p.URL, testutil.ClientOptions{
				Timeout: time.Second, RetryMaxAttempts: 1, AccessKeyID: keyID, SecretAccessKey: secret,
			})
			var buf, debugBuf bytes.Buffer
			var mu sync.Mutex
			// The log under test, and a Debug log beside it that shows
			// the backend's quotes do reach the logger: the check at Info
			// is not vacuous.
			logger := slog.New(relTeeHandler{
				slog.NewJSONHandler(&relLockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: level}),
				slog.NewJSONHandler(&relLockedWriter{w: &debugBuf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}),
			})
			d, err := dynamo.New[relRecord](client, dynamo.Config{Table: table, PartitionKey: "id", Batch: batch.Config{
				MaxInFlight: 4, Logger: logger,
				BackOff: func() backoff.BackOff { return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, 2) }, // some give up
			}})
			if err != nil {
				t.Fatal(err)
			}
			for k := range 2000 {
				rec := relRecord{ID: fmt.Sprintf("%s-%d", idMark, k), Version: 1, Payload: payMark + " " + secret}
				if err := d.Put(context.Background(), rec); err != nil {
					t.Fatal(err)
				}
			}
			closeErr := d.Close(context.Background())
			var fe *batch.FailedError[relRecord]
			if !errors.As(closeErr, &fe) {
				t.Fatalf("Close = %v: want some items to run out of retries, so that warnings are logged", closeErr)
			}
			mu.Lock()
			out := buf.String()
			mu.Unlock()
			lines := 0
			sc := bufio.NewScanner(strings.NewReader(out))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				lines++
				if !json.Valid(sc.Bytes()) {
					t.Errorf("log line is not JSON: %s", sc.Text())
				}
			}
			if lines == 0 {
				t.Fatal("nothing was logged: the test proves nothing")
			}
			for _, mark := range []string{keyID, secret, "reliabilitySecret", idMark, payMark} {
				if i := strings.Index(out, mark); i >= 0 {
					t.Errorf("the log holds %q: ...%s...", mark, out[max(0, i-200):min(len(out), i+100)])
				}
			}
			if level == slog.LevelInfo && !strings.Contains(debugBuf.String(), idMark) {
				t.Error("the backend's messages quoting item keys never reached the logger: the test proves nothing")
			}
			t.Logf("%d log lines at %v, %d failures returned; %v", lines, level, len(fe.Failures), p.Stats())
		})
	}
}

type relLockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *relLockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// relTeeHandler sends each record to every handler that takes its level.
type relTeeHandler []slog.Handler

func (h relTeeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, x := range h {
		if x.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (h relTeeHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, x := range h {
		if x.Enabled(ctx, r.Level) {
			if err := x.Handle(ctx, r.Clone()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h relTeeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(relTeeHandler, len(h))
	for i, x := range h {
		out[i] = x.WithAttrs(as)
	}
	return out
}

func (h relTeeHandler) WithGroup(name string) slog.Handler {
	out := make(relTeeHandler, len(h))
	for i, x := range h {
		out[i] = x.WithGroup(name)
	}
	return out
}

// DynamoDB takes N "-0" and "0" for one key (the fake and dynalite refuse
// both in one call as duplicates). A second version of a key, spelled the
// other way, must wait for the first like any other: were it written while
// the first is still in flight, it would land first and then be overwritten
// by the older version.
func TestReliabilityNegativeZeroKey(t *testing.T) {
	var last string // the version of key 0 in the table
	synctest.Test(t, func(t *testing.T) {
		f := testutil.NewFakeDynamoDB()
		f.CreateTable(table, testutil.KeySchema{PartitionKey: "id", PartitionKeyType: types.ScalarAttributeTypeN})
		// The call holding "-0" is slow: its version lands a second late.
		f.BatchWriteItemFn = func(ctx context.Context, in *dynamodb.BatchWriteItemInput, next func(context.Context, *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error)) (*dynamodb.BatchWriteItemOutput, error) {
			for _, wr := range in.RequestItems[table] {
				if wr.PutRequest.Item["id"].(*N).Value == "-0" {
					time.Sleep(time.Second)
				}
			}
			return next(ctx, in)
		}
		d, err := dynamo.New[AV](f, dynamo.Config{Table: table, PartitionKey: "id", PartitionKeyType: dynamo.Number, Batch: batch.Config{
			MaxInFlight: 8, Duplicates: batch.ReplaceDuplicates, BackOff: relBackOff,
		}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// Two full batches, so that each goes at once: "-0" v1 with 24
		// others, then "0" v2 with 24 others.
		for b, zero := range []string{"-0", "0"} {
			if err := d.Put(ctx, AV{"id": &N{Value: zero}, "v": &N{Value: fmt.Sprint(b + 1)}}); err != nil {
				t.Fatal(err)
			}
			for i := range 24 {
				if err := d.Put(ctx, AV{"id": &N{Value: fmt.Sprint(100*(b+1) + i)}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := d.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		got, ok := f.Item(table, AV{"id": &N{Value: "0"}})
		if !ok {
			t.Fatal("key 0 is not in the table")
		}
		last = got["v"].(*N).Value
	})
	if last != "2" {
		t.Errorf("key 0 holds version %s, want the last written, 2", last)
	}
}
