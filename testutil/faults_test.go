package testutil_test

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/batchutils/batchutils/testutil"
)

// faultBackend is where a FaultProxy under test forwards: the in-process
// fake, or the local dynalite.
type faultBackend struct {
	name  string
	setup func(t *testing.T) (cfg testutil.FaultProxyConfig, table string, keys func() []string)
}

var faultBackends = []faultBackend{
	{"fake", func(t *testing.T) (testutil.FaultProxyConfig, string, func() []string) {
		f := testutil.NewFakeDynamoDB()
		f.CreateTable("items", testutil.KeySchema{PartitionKey: "id"})
		return testutil.FaultProxyConfig{Handler: testutil.FakeDynamoDBHandler(f)}, "items", func() []string {
			return faultIDs(f.Items("items"))
		}
	}},
	{"dynalite", func(t *testing.T) (testutil.FaultProxyConfig, string, func() []string) {
		endpoint := testutil.DynamoDBEndpoint(t)
		direct := testutil.NewDynamoDBClient(t, endpoint)
		table := testutil.CreateTable(t, direct, testutil.KeySchema{PartitionKey: "id"})
		return testutil.FaultProxyConfig{Upstream: endpoint}, table, func() []string {
			return faultIDs(testutil.ScanAll(t, direct, table))
		}
	}},
}

func faultIDs(items []map[string]types.AttributeValue) []string {
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it["id"].(*types.AttributeValueMemberS).Value)
	}
	sort.Strings(ids)
	return ids
}

func faultPuts(prefix string, n int) ([]types.WriteRequest, []string) {
	reqs := make([]types.WriteRequest, n)
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%s%03d", prefix, i)
		reqs[i].PutRequest = &types.PutRequest{Item: map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: ids[i]},
			"v":  &types.AttributeValueMemberN{Value: fmt.Sprint(i)},
		}}
	}
	sort.Strings(ids)
	return reqs, ids
}

func TestFaultProxyEachFault(t *testing.T) {
	type check func(t *testing.T, err error)
	apiCode := func(code string, status int) check {
		return func(t *testing.T, err error) {
			t.Helper()
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != code {
				t.Fatalf("error %v, want API error %s", err, code)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != status {
				t.Errorf("error %v, want HTTP status %d", err, status)
			}
		}
	}
	network := func(t *testing.T, err error) {
		t.Helper()
		var ae smithy.APIError
		if err == nil || errors.As(err, &ae) {
			t.Fatalf("error %v, want a network error, not an API error", err)
		}
	}
	timeout := func(t *testing.T, err error) {
		t.Helper()
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("error %v, want a timeout", err)
		}
	}
	garbled := func(t *testing.T, err error) {
		t.Helper()
		var de *smithy.DeserializationError
		if !errors.As(err, &de) {
			t.Fatalf("error %v, want a *smithy.DeserializationError", err)
		}
	}
	tests := []struct {
		fault   testutil.Fault
		check   check // nil: no error
		applied bool
	}{
		{testutil.FaultNone, nil, true},
		{testutil.FaultProvisionedThroughputExceeded, apiCode("ProvisionedThroughputExceededException", 400), false},
		{testutil.FaultThrottling, apiCode("ThrottlingException", 400), false},
		{testutil.FaultInternalServerError, apiCode("InternalServerError", 500), false},
		{testutil.FaultServiceUnavailable, apiCode("ServiceUnavailableException", 503), false},
		{testutil.FaultDropConnection, network, false},
		{testutil.FaultDropAfterWrite, network, true},
		{testutil.FaultSlow, timeout, true},
		{testutil.FaultGarbled, garbled, false},
		{testutil.FaultGarbledAfterWrite, garbled, true},
	}
	// Every fault but the per-entry ones (FaultUnprocessed,
	// FaultEntryThrottled, FaultEntryFailed: UnprocessedItems in DynamoDB;
	// FaultEntryRefused, FaultChecksumMismatch: none), which have tests of
	// their own.
	if got, want := len(tests)-1, len(testutil.Faults())-5; got != want {
		t.Fatalf("%d faults tested here, want %d", got, want)
	}
	for _, be := range faultBackends {
		t.Run(be.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.fault.String(), func(t *testing.T) {
					cfg, table, stored := be.setup(t)
					cfg.Seed = 1
					p := testutil.NewFaultProxy(t, cfg)
					p.Next(tc.fault)
					c := testutil.NewDynamoDBClientWith(t, p.URL, testutil.ClientOptions{Timeout: 300 * time.Millisecond, RetryMaxAttempts: 1})
					reqs, ids := faultPuts("k", 5)
					start := time.Now()
					out, err := c.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{
						RequestItems: map[string][]types.WriteRequest{table: reqs},
					})
					if took := time.Since(start); took > 5*time.Second {
						t.Errorf("the call took %v", took)
					}
					if tc.check == nil {
						if err != nil {
							t.Fatalf("BatchWriteItem: %v", err)
						}
						if n := len(out.UnprocessedItems[table]); n != 0 {
							t.Errorf("%d unprocessed, want 0", n)
						}
					} else {
						tc.check(t, err)
					}
					var want []string
					if tc.applied {
						want = ids
					}
					if diff := cmp.Diff(want, stored(), cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("stored items mismatch (-want +got):\n%s", diff)
					}
					st := p.Stats()
					if st.Calls != 1 || st.Injected[tc.fault] != 1 || st.Requests != 5 {
						t.Errorf("Stats = %v, want 1 call of 5 requests with %v", st, tc.fault)
					}
				})
			}
		})
	}
}

// Write requests withheld as unprocessed come back exactly: resending what
// is returned until nothing is writes every item once, and none is lost or
// made up.
func TestFaultProxyUnprocessedLosesNothing(t *testing.T) {
	for _, be := range faultBackends {
		t.Run(be.name, func(t *testing.T) {
			cfg, table, stored := be.setup(t)
			cfg.Seed = 7
			cfg.Rates = map[testutil.Fault]float64{testutil.FaultUnprocessed: 1}
			p := testutil.NewFaultProxy(t, cfg)
			c := testutil.NewDynamoDBClientWith(t, p.URL, testutil.ClientOptions{RetryMaxAttempts: 1})
			var all []string
			returned := 0
			for b := range 20 {
				reqs, ids := faultPuts(fmt.Sprintf("b%02d-", b), 25)
				// A delete of a key never written rides along: it must come
				// back or be applied like the puts.
				reqs = append(reqs[:24], types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{
					"id": &types.AttributeValueMemberS{Value: fmt.Sprintf("gone-%02d", b)},
				}}})
				all = append(all, ids[:24]...)
				for round := 0; len(reqs) > 0; round++ {
					faulty := round < 4 // then let the batch finish
					if !faulty {
						if err := p.SetRates(nil); err != nil {
							t.Fatal(err)
						}
					}
					out, err := c.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{
						RequestItems: map[string][]types.WriteRequest{table: reqs},
					})
					if err != nil {
						t.Fatalf("BatchWriteItem: %v", err)
					}
					left := out.UnprocessedItems[table]
					if (faulty && len(left) == 0) || len(left) > len(reqs) || (!faulty && len(left) > 0) {
						t.Fatalf("round %d: %d of %d requests unprocessed: the fault withholds at least one, never more than sent", round, len(left), len(reqs))
					}
					returned += len(left)
					reqs = left
				}
				if err := p.SetRates(cfg.Rates); err != nil {
					t.Fatal(err)
				}
			}
			sort.Strings(all)
			if diff := cmp.Diff(all, stored()); diff != "" {
				t.Errorf("stored items mismatch (-want +got):\n%s", diff)
			}
			if st := p.Stats(); st.Withheld != int64(returned) {
				t.Errorf("Stats.Withheld = %d, but %d requests came back", st.Withheld, returned)
			}
			t.Logf("%v", p.Stats())
		})
	}
}

// The same seed draws the same faults, for calls made one at a time.
func TestFaultProxySeedReproducesFaults(t *testing.T) {
	rates := map[testutil.Fault]float64{}
	for _, f := range testutil.Faults() {
		if f != testutil.FaultSlow && testutil.DynamoDBCodec.Supports(f) {
			rates[f] = 0.08
		}
	}
	run := func(seed uint64) testutil.FaultStats {
		f := testutil.NewFakeDynamoDB()
		f.CreateTable("items", testutil.KeySchema{PartitionKey: "id"})
		p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Handler: testutil.FakeDynamoDBHandler(f), Seed: seed, Rates: rates})
		c := testutil.NewDynamoDBClientWith(t, p.URL, testutil.ClientOptions{RetryMaxAttempts: 1, Timeout: time.Second})
		for i := range 60 {
			reqs, _ := faultPuts(fmt.Sprint(i), 3)
			c.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"items": reqs}})
		}
		return p.Stats()
	}
	a, b := run(42), run(42)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two runs with seed 42 differ (-first +second):\n%s", diff)
	}
	if a.Faults() == 0 || a.Injected[testutil.FaultNone] == 0 {
		t.Errorf("Stats = %v, want faults and clean calls", a)
	}
}

func TestFaultProxyNextComesFirst(t *testing.T) {
	f := testutil.NewFakeDynamoDB()
	f.CreateTable("items", testutil.KeySchema{PartitionKey: "id"})
	p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{
		Handler: testutil.FakeDynamoDBHandler(f),
		Rates:   map[testutil.Fault]float64{testutil.FaultThrottling: 1},
	})
	p.Next(testutil.FaultNone, testutil.FaultInternalServerError)
	c := testutil.NewDynamoDBClientWith(t, p.URL, testutil.ClientOptions{RetryMaxAttempts: 1})
	var codes []string
	for i := range 3 {
		reqs, _ := faultPuts(fmt.Sprint(i), 1)
		_, err := c.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"items": reqs}})
		code := "ok"
		var ae smithy.APIError
		if errors.As(err, &ae) {
			code = ae.ErrorCode()
		}
		codes = append(codes, code)
	}
	if diff := cmp.Diff([]string{"ok", "InternalServerError", "ThrottlingException"}, codes); diff != "" {
		t.Errorf("answers mismatch (-want +got):\n%s", diff)
	}
}

func TestFaultProxySetRatesRefuses(t *testing.T) {
	f := testutil.NewFakeDynamoDB()
	p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Handler: testutil.FakeDynamoDBHandler(f)})
	for _, rates := range []map[testutil.Fault]float64{
		{testutil.FaultThrottling: 0.7, testutil.FaultGarbled: 0.7},
		{testutil.FaultThrottling: -0.1},
		{testutil.FaultNone: 0.5},
		{testutil.Fault(99): 0.1},
	} {
		if err := p.SetRates(rates); err == nil {
			t.Errorf("SetRates(%v) = nil, want an error", rates)
		}
	}
}

// Operations other than BatchWriteItem pass through untouched, and the fake's
// handler refuses them as DynamoDB refuses an unknown operation.
func TestFaultProxyPassesOtherOperations(t *testing.T) {
	f := testutil.NewFakeDynamoDB()
	p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{
		Handler: testutil.FakeDynamoDBHandler(f),
		Rates:   map[testutil.Fault]float64{testutil.FaultDropConnection: 1},
	})
	c := testutil.NewDynamoDBClientWith(t, p.URL, testutil.ClientOptions{RetryMaxAttempts: 1})
	_, err := c.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String("items")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnknownOperationException" {
		t.Errorf("DescribeTable = %v, want UnknownOperationException", err)
	}
	if st := p.Stats(); st.Other != 1 || st.Calls != 0 {
		t.Errorf("Stats = %+v, want 1 other call and no BatchWriteItem", st)
	}
}

// Every attribute type goes through the handler and back unchanged, and
// the fake's errors come out of the real client as they do from the fake.
func TestFaultProxyFakeDynamoDBHandler(t *testing.T) {
	f := testutil.NewFakeDynamoDB()
	f.CreateTable("items", testutil.KeySchema{PartitionKey: "id", SortKey: "n", SortKeyType: types.ScalarAttributeTypeN})
	p := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Handler: testutil.FakeDynamoDBHandler(f)})
	c := testutil.NewDynamoDBClientWith(t, p.URL, testutil.ClientOptions{RetryMaxAttempts: 1})
	item := map[string]types.AttributeValue{
		"id":    &types.AttributeValueMemberS{Value: "quote\" \\ \n \x01 é €"},
		"n":     &types.AttributeValueMemberN{Value: "-12.5"},
		"b":     &types.AttributeValueMemberB{Value: []byte{0, 1, 255}},
		"empty": &types.AttributeValueMemberB{Value: []byte{}},
		"t":     &types.AttributeValueMemberBOOL{Value: true},
		"z":     &types.AttributeValueMemberNULL{Value: true},
		"ss":    &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns":    &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"bs":    &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		"l":     &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberL{Value: []types.AttributeValue{}}}},
		"m":     &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: "1"}, "e": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}},
	}
	out, err := c.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"items": {{PutRequest: &types.PutRequest{Item: item}}},
	}})
	if err != nil {
		t.Fatalf("BatchWriteItem: %v", err)
	}
	if out.UnprocessedItems == nil || len(out.UnprocessedItems) != 0 {
		t.Errorf("UnprocessedItems = %v, want an empty map", out.UnprocessedItems)
	}
	opts := cmpopts.IgnoreUnexported(types.AttributeValueMemberS{}, types.AttributeValueMemberN{}, types.AttributeValueMemberB{},
		types.AttributeValueMemberBOOL{}, types.AttributeValueMemberNULL{}, types.AttributeValueMemberSS{}, types.AttributeValueMemberNS{},
		types.AttributeValueMemberBS{}, types.AttributeValueMemberL{}, types.AttributeValueMemberM{})
	if diff := cmp.Diff([]map[string]types.AttributeValue{item}, f.Items("items"), opts); diff != "" {
		t.Errorf("stored item mismatch (-want +got):\n%s", diff)
	}

	// Refused: a duplicate key, and an unknown table.
	dup := map[string][]types.WriteRequest{"items": {
		{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "a"}, "n": &types.AttributeValueMemberN{Value: "1"}}}},
		{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "a"}, "n": &types.AttributeValueMemberN{Value: "1.0"}}}},
	}}
	missing := map[string][]types.WriteRequest{"nope": dup["items"][:1]}
	for _, in := range []map[string][]types.WriteRequest{dup, missing} {
		_, want := f.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: in})
		_, got := c.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: in})
		var wa, ga smithy.APIError
		if !errors.As(want, &wa) || !errors.As(got, &ga) {
			t.Fatalf("errors %v and %v, want API errors", want, got)
		}
		if wa.ErrorCode() != ga.ErrorCode() || wa.ErrorMessage() != ga.ErrorMessage() {
			t.Errorf("through HTTP: %s %q, from the fake: %s %q", ga.ErrorCode(), ga.ErrorMessage(), wa.ErrorCode(), wa.ErrorMessage())
		}
	}
	var rnf *types.ResourceNotFoundException
	if _, err := c.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: missing}); !errors.As(err, &rnf) {
		t.Errorf("unknown table: %v, want a *types.ResourceNotFoundException", err)
	}

	// Unprocessed requests come back as they were sent.
	f2 := testutil.NewFakeDynamoDB()
	f2.CreateTable("items", testutil.KeySchema{PartitionKey: "id", SortKey: "n", SortKeyType: types.ScalarAttributeTypeN})
	f2.Unprocessed = func(string, types.WriteRequest) bool { return true }
	p2 := testutil.NewFaultProxy(t, testutil.FaultProxyConfig{Handler: testutil.FakeDynamoDBHandler(f2)})
	c2 := testutil.NewDynamoDBClientWith(t, p2.URL, testutil.ClientOptions{RetryMaxAttempts: 1})
	in := map[string][]types.WriteRequest{"items": {{PutRequest: &types.PutRequest{Item: item}}}}
	out, err = c2.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: in})
	if err != nil {
		t.Fatalf("BatchWriteItem: %v", err)
	}
	if diff := cmp.Diff(in, out.UnprocessedItems, opts, cmpopts.IgnoreUnexported(types.WriteRequest{}, types.PutRequest{})); diff != "" {
		t.Errorf("unprocessed mismatch (-want +got):\n%s", diff)
	}
}
