package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/testutil"
)

// Harness is what a backend's tests give Run: how to make the backend's
// items, how to build a dispatcher behind a fault proxy, and what the
// backend promises. T is the backend's item type.
type Harness[T any] struct {
	// Item returns the backend's item for id, with key as its ordering key
	// ("" for none: the backend may make one up). What lands must carry id,
	// so that Env.Landed can find it. The suite's ids and keys are short
	// strings of letters, digits and '-'.
	Item func(id, key string) T
	// ID returns the id of an item that Item made.
	ID func(item T) string
	// New makes a fresh destination (a table, a stream, a queue), a
	// testutil.FaultProxy in front of it, made from opts.Proxy (the harness
	// adds Upstream or Handler, and Codec), and a dispatcher that writes to
	// the destination through the proxy: opts.Batch is its batch.Config
	// (as the backend's Config.Batch), and its SDK client is made with
	// opts.Client. Whatever New starts must stop when t ends.
	New func(t *testing.T, opts Options) Env[T]
	// Ordered says that the backend promises that the items of one key land
	// in the order they were submitted.
	Ordered bool
	// Idempotent says that an item written again lands once all the same
	// (DynamoDB puts; an SQS FIFO queue, by deduplication id). The suite
	// then mixes the faults that apply a call before they fail it
	// (testutil.Fault.Applied) with the others, and counts any duplicate
	// as a failure. Otherwise they have a test of their own, where an item
	// may land twice, but never zero times if it is reported written.
	Idempotent bool
	// Bad are inputs that Submit must refuse, at least one.
	Bad []Bad[T]
}

// Options are what the suite asks of the dispatcher that Harness.New
// builds.
type Options struct {
	// Batch is the dispatcher's batch.Config.
	Batch batch.Config
	// Client tunes the SDK client that writes through the proxy: the
	// suite's timeouts, and one attempt per call (the dispatcher retries).
	Client testutil.ClientOptions
	// Proxy is the proxy's configuration, with the suite's seed; the
	// harness sets Upstream or Handler, and Codec.
	Proxy testutil.FaultProxyConfig
}

// Env is what Harness.New built for one test.
type Env[T any] struct {
	// Dispatcher writes to the destination through Proxy.
	Dispatcher Dispatcher[T]
	// Proxy stands between the dispatcher's client and the destination.
	Proxy *testutil.FaultProxy
	// Landed returns the ids of the items that landed in the destination,
	// each as many times as it landed; where Harness.Ordered, those of one
	// key in the order they landed. written is how many ids are known to
	// have landed: a reader that polls (a queue) reads until it has that
	// many, then waits a little for more (duplicates). It is called once
	// per test, after the dispatcher is closed.
	Landed func(t *testing.T, written int) []string
}

// Dispatcher is a backend's dispatcher as the suite drives it: its verbs
// (Put, Send) and its Front's methods.
type Dispatcher[T any] struct {
	// Put is the backend's Submit: Put, Send.
	Put func(ctx context.Context, item T) error
	// PutWait is the backend's wait path: PutWait, SendWait.
	PutWait func(ctx context.Context, item T) error
	// Flush is the Front's Flush.
	Flush func(ctx context.Context) error
	// Close is the Front's Close.
	Close func(ctx context.Context) error
	// Stats is the Front's Stats.
	Stats func() batch.Stats
}

// Bad is an input that Submit must refuse with a typed error, leaving every
// other item as it is.
type Bad[T any] struct {
	// Name names the case in the suite's messages.
	Name string
	// Item is the input.
	Item T
	// Err is the error Submit must return for Item, matched with
	// errors.Is.
	Err error
	// As, if not nil, is a pointer to a variable of an error type that
	// Submit's error must match with errors.As as well, such as
	// new(*sqsbatch.CharacterError).
	As any
}

// SeedEnv is the environment variable whose value, a number, is added to
// the fixed seed of each test's fault proxy: set it to draw other mixes of
// faults than CI does, as in a soak.
const SeedEnv = "BATCHUTILS_CONFORMANCE_SEED"

// Run runs the suite against the backend h describes, one subtest per
// promise. Call it from a test that is not parallel with others of its
// package: it checks that no goroutine outlives it.
func Run[T any](t *testing.T, h Harness[T]) {
	t.Helper()
	if h.Item == nil || h.ID == nil || h.New == nil {
		t.Fatal("conformance.Run: Harness.Item, ID and New are required")
	}
	if len(h.Bad) == 0 {
		t.Fatal("conformance.Run: Harness.Bad is empty: give at least one input that Submit refuses")
	}
	ignore := goleak.IgnoreCurrent()
	s := &suite[T]{h: h}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Faults", s.testFaults},
		{"AppliedFaults", s.testAppliedFaults},
		{"GiveUp", s.testGiveUp},
		{"RefusedAlone", s.testRefusedAlone},
		{"Order", s.testOrder},
		{"Wait", s.testWait},
		{"WaitContextEnds", s.testWaitContextEnds},
		{"CloseExpired", s.testCloseExpired},
		{"BadInputs", s.testBadInputs},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
	goleak.VerifyNone(t, ignore)
}

// suite is one Run.
type suite[T any] struct {
	h Harness[T]
}

// item is one item of a test: its id and key.
type item struct{ id, key string }

// quickBackOff retries at once and often, never for long: 1ms to 20ms
// between tries, 100 tries at most.
func quickBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(time.Millisecond),
		backoff.WithMaxInterval(20*time.Millisecond),
		backoff.WithMaxElapsedTime(0),
	)
	return backoff.WithMaxRetries(b, 100)
}

// env builds a dispatcher with cfg (the suite's backoff if it has none)
// behind a proxy seeded with seed.
func (s *suite[T]) env(t *testing.T, cfg batch.Config, client testutil.ClientOptions, seed uint64) Env[T] {
	t.Helper()
	if off := os.Getenv(SeedEnv); off != "" {
		n, err := strconv.ParseUint(off, 10, 64)
		if err != nil {
			t.Fatalf("$%s: %v", SeedEnv, err)
		}
		seed += n
	}
	t.Logf("seed %d (the proxy's; $%s adds to it)", seed, SeedEnv)
	if cfg.BackOff == nil {
		cfg.BackOff = quickBackOff
	}
	if client.Timeout == 0 {
		// Long: a call that times out may have been applied, and sent
		// again it lands twice where the backend is not idempotent.
		client.Timeout = 15 * time.Second
	}
	client.RetryMaxAttempts = 1
	e := s.h.New(t, Options{Batch: cfg, Client: client, Proxy: testutil.FaultProxyConfig{Seed: seed, SlowLimit: time.Minute}})
	if e.Proxy == nil || e.Landed == nil || e.Dispatcher.Put == nil || e.Dispatcher.PutWait == nil ||
		e.Dispatcher.Flush == nil || e.Dispatcher.Close == nil || e.Dispatcher.Stats == nil {
		t.Fatal("conformance: Harness.New returned an Env without its Proxy, Landed or a Dispatcher method")
	}
	t.Cleanup(func() { // a no-op once the test closed it
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.Dispatcher.Close(ctx)
	})
	return e
}

// items returns n items named prefix-NNN; every third has no key, the others
// one of keys keys, round robin.
func items(prefix string, n, keys int) []item {
	its := make([]item, n)
	for i := range its {
		its[i].id = fmt.Sprintf("%s-%03d", prefix, i)
		if i%3 != 0 {
			its[i].key = fmt.Sprintf("%s-key-%02d", prefix, i%keys)
		}
	}
	return its
}

// put submits its in order, failing the test on any error.
func (s *suite[T]) put(t *testing.T, e Env[T], its []item) {
	t.Helper()
	for _, it := range its {
		if err := e.Dispatcher.Put(t.Context(), s.h.Item(it.id, it.key)); err != nil {
			t.Fatalf("Put(%s): %v", it.id, err)
		}
	}
}

// failures returns the failures err reports, by id. Any error but a
// *batch.FailedError[T] fails the test.
func (s *suite[T]) failures(t *testing.T, what string, err error) map[string]error {
	t.Helper()
	failed := map[string]error{}
	if err == nil {
		return failed
	}
	var fe *batch.FailedError[T]
	if !errors.As(err, &fe) {
		t.Fatalf("%s: %v, want nil or a *batch.FailedError", what, err)
	}
	for _, f := range fe.Failures {
		id := s.h.ID(f.Item)
		if _, dup := failed[id]; dup {
			t.Errorf("%s: %s reported failed twice", what, id)
		}
		failed[id] = f.Err
	}
	return failed
}

// refusal reports whether cause is an item's own refusal by the service:
// none of the core's causes.
func refusal(cause error) bool {
	if cause == nil || errors.Is(cause, batch.ErrClosed) || errors.Is(cause, batch.ErrUnprocessed) ||
		errors.Is(cause, batch.ErrBadOutcome) || errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(cause, batch.ErrOutcomeUnknown) {
		// Refused after a call that may have been applied (a connection
		// dropped before the proxy forwarded it, for all the client
		// knows): a refusal all the same, reported as unknown.
		var ee *awscall.EntryError
		return errors.As(cause, &ee)
	}
	return true
}

// landed reads what landed and checks it against what the dispatcher
// reported of its: an item reported written landed (once, unless dupsOK); one
// reported failed with a cause other than batch.ErrOutcomeUnknown did not;
// nothing else landed; and, if inOrder and the backend promises it, the
// items of one key landed in the order of its (their submission order).
func (s *suite[T]) landed(t *testing.T, e Env[T], its []item, failed map[string]error, dupsOK, inOrder bool) map[string]int {
	t.Helper()
	written := 0
	for _, it := range its {
		if _, ok := failed[it.id]; !ok {
			written++
		}
	}
	got := e.Landed(t, written)
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	submitted := map[string]bool{}
	for _, it := range its {
		submitted[it.id] = true
		n := count[it.id]
		cause, isFailed := failed[it.id]
		switch {
		case !isFailed && n == 0:
			t.Errorf("%s lost: reported written, not landed", it.id)
		case isFailed && !errors.Is(cause, batch.ErrOutcomeUnknown) && cause != errNotAccepted && n > 0:
			t.Errorf("%s landed %d times, but was reported failed with %v (a call sent and not answered must be marked batch.MaybeWritten)", it.id, n, cause)
		case n > 1 && !dupsOK:
			t.Errorf("%s landed %d times, want once", it.id, n)
		}
	}
	for id, n := range count {
		if !submitted[id] {
			t.Errorf("%s landed %d times, but was never submitted", id, n)
		}
	}
	if !s.h.Ordered || !inOrder {
		return count
	}
	// The first time each id landed, key by key.
	keyOf := map[string]string{}
	want := map[string][]string{}
	for _, it := range its {
		keyOf[it.id] = it.key
		if it.key != "" && count[it.id] > 0 {
			want[it.key] = append(want[it.key], it.id)
		}
	}
	seen := map[string]bool{}
	order := map[string][]string{}
	for _, id := range got {
		if k := keyOf[id]; k != "" && !seen[id] {
			seen[id] = true
			order[k] = append(order[k], id)
		}
	}
	for k, ids := range want {
		if diff := cmp.Diff(ids, order[k]); diff != "" {
			t.Errorf("key %s: landing order mismatch (-want +got):\n%s", k, diff)
		}
	}
	return count
}

// checkStats checks the dispatcher's counters at rest against the items
// it was given and the failures it reported.
func checkStats(t *testing.T, st batch.Stats, n int, failed map[string]error) {
	t.Helper()
	var unknown, other int64
	for _, cause := range failed {
		if errors.Is(cause, batch.ErrOutcomeUnknown) {
			unknown++
		} else {
			other++
		}
	}
	want := statCounts{Submitted: int64(n), Written: int64(n) - unknown - other, Failed: other, Unknown: unknown}
	got := statCounts{Submitted: st.Submitted, Written: st.Written, Failed: st.Failed, Unknown: st.Unknown}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
	if st.Pending != 0 || st.InFlight != 0 {
		t.Errorf("Stats: %d pending and %d in flight after Close, want 0", st.Pending, st.InFlight)
	}
}

// statCounts are the counters of batch.Stats that the suite checks.
type statCounts struct {
	Submitted, Written, Failed, Unknown int64
}

// mix returns the faults of the proxy's codec that a mix may hold: the
// per-entry and whole-call faults, FaultSlow left out (it costs a client
// timeout) and FaultChecksumMismatch too (SQS's alone: sqsbatch tests it),
// and those that apply a call before they fail it only if applied.
func mix(p *testutil.FaultProxy, applied bool) []testutil.Fault {
	var fs []testutil.Fault
	for _, f := range testutil.Faults() {
		if f == testutil.FaultSlow || f == testutil.FaultChecksumMismatch || !p.Supports(f) || f.Applied() && !applied {
			continue
		}
		fs = append(fs, f)
	}
	return fs
}

// inject scripts each fault once, then draws them at rate each.
func inject(t *testing.T, p *testutil.FaultProxy, faults []testutil.Fault, rate float64) {
	t.Helper()
	rates := make(map[testutil.Fault]float64, len(faults))
	for _, f := range faults {
		rates[f] = rate
	}
	if err := p.SetRates(rates); err != nil {
		t.Fatal(err)
	}
	p.Next(faults...)
}

// checkInjected checks that each fault was injected at least once: a test
// that injects nothing tests nothing.
func checkInjected(t *testing.T, p *testutil.FaultProxy, faults []testutil.Fault) {
	t.Helper()
	ps := p.Stats()
	t.Logf("proxy: %v", ps)
	for _, f := range faults {
		if ps.Injected[f] == 0 {
			t.Errorf("fault %v was never injected", f)
		}
	}
}

// checkRefusals checks that every failure is a refusal by the service, as
// many as the proxy made.
func checkRefusals(t *testing.T, p *testutil.FaultProxy, failed map[string]error) {
	t.Helper()
	for id, cause := range failed {
		if !refusal(cause) {
			t.Errorf("%s failed with %v, want only the proxy's refusals", id, cause)
		}
	}
	if ps := p.Stats(); int64(len(failed)) != ps.Refused {
		t.Errorf("%d items reported failed, the proxy refused %d", len(failed), ps.Refused)
	}
}

// testFaults puts items through every fault of the backend's protocol (the
// applied ones too, an answer withheld among them, if the backend is
// idempotent): nothing is lost, nothing duplicated, refused items only
// fail, and keys keep their order.
func (s *suite[T]) testFaults(t *testing.T) {
	s.runMix(t, 1, "faults", 120, s.h.Idempotent, false)
}

// testAppliedFaults puts items through every fault, those that apply a call
// and then fail it (a dropped connection, a garbled or withheld answer)
// included, for a backend that is not idempotent: an item may then land
// twice, but every item reported written landed, and none reported refused
// did.
func (s *suite[T]) testAppliedFaults(t *testing.T) {
	if s.h.Idempotent {
		t.Skip("idempotent: the applied faults are in Faults")
	}
	s.runMix(t, 2, "applied", 100, true, true)
}

// runMix puts n items through the faults of the backend's protocol, those that
// apply a call first if applied (then one answer withheld too, until the
// client's timeout), and checks what landed.
func (s *suite[T]) runMix(t *testing.T, seed uint64, prefix string, n int, applied, dupsOK bool) {
	client := testutil.ClientOptions{}
	if applied {
		client.Timeout = 3 * time.Second // a withheld answer costs this
	}
	e := s.env(t, batch.Config{MaxInFlight: 4, MaxBatchItems: 10}, client, seed)
	faults := mix(e.Proxy, applied)
	inject(t, e.Proxy, faults, 0.04)
	if applied {
		e.Proxy.Next(testutil.FaultSlow)
		faults = append(faults, testutil.FaultSlow)
	}
	its := items(prefix, n, 8)
	s.put(t, e, its)
	failed := s.failures(t, "Close", e.Dispatcher.Close(t.Context()))
	checkInjected(t, e.Proxy, faults)
	checkRefusals(t, e.Proxy, failed)
	checkStats(t, e.Dispatcher.Stats(), len(its), failed)
	s.landed(t, e, its, failed, dupsOK, true)
}

// testGiveUp fails every call, some after applying them, until the retry
// policy gives up: every item fails, and one that landed fails with
// batch.ErrOutcomeUnknown, never with a cause that says it was not written.
func (s *suite[T]) testGiveUp(t *testing.T) {
	twice := func() backoff.BackOff { return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, 2) }
	e := s.env(t, batch.Config{MaxInFlight: 2, MaxBatchItems: 10, BackOff: twice}, testutil.ClientOptions{}, 9)
	var faults []testutil.Fault
	for _, f := range []testutil.Fault{testutil.FaultDropAfterWrite, testutil.FaultGarbledAfterWrite,
		testutil.FaultInternalServerError, testutil.FaultDropConnection, testutil.FaultGarbled} {
		if e.Proxy.Supports(f) { // an unsupported fault lets its call through
			faults = append(faults, f)
		}
	}
	inject(t, e.Proxy, faults, 1.0/float64(len(faults)))
	its := items("giveup", 40, 10)
	s.put(t, e, its)
	failed := s.failures(t, "Close", e.Dispatcher.Close(t.Context()))
	checkInjected(t, e.Proxy, faults)
	for _, it := range its {
		if cause, ok := failed[it.id]; !ok {
			t.Errorf("%s reported written; every call failed", it.id)
		} else if errors.Is(cause, batch.ErrClosed) {
			t.Errorf("%s failed with %v, want the last error of its call", it.id, cause)
		}
	}
	checkStats(t, e.Dispatcher.Stats(), len(its), failed)
	s.landed(t, e, its, failed, !s.h.Idempotent, true)
}

// testRefusedAlone sends one call in which the service refuses some
// entries: they fail with the service's own error, the others are written
// by that call, and nothing is sent again.
func (s *suite[T]) testRefusedAlone(t *testing.T) {
	e := s.env(t, batch.Config{MaxInFlight: 1, MaxBatchItems: 10}, testutil.ClientOptions{}, 3)
	if !e.Proxy.Supports(testutil.FaultEntryRefused) {
		t.Skip("the service has no per-entry refusal")
	}
	e.Proxy.Next(testutil.FaultEntryRefused)
	its := make([]item, 10)
	for i := range its {
		its[i] = item{fmt.Sprintf("alone-%02d", i), fmt.Sprintf("alone-key-%02d", i)}
	}
	s.put(t, e, its)
	failed := s.failures(t, "Flush", e.Dispatcher.Flush(t.Context()))
	if len(failed) == 0 {
		t.Fatal("Flush reported no failure; the proxy refused some entries")
	}
	checkRefusals(t, e.Proxy, failed)
	if err := e.Dispatcher.Close(t.Context()); err != nil {
		t.Errorf("Close: %v, want nil: Flush reported the failures", err)
	}
	ps, st := e.Proxy.Stats(), e.Dispatcher.Stats()
	got := [4]int64{ps.Calls, ps.Requests, st.Batches, st.Retries}
	if want := [4]int64{1, 10, 1, 0}; got != want {
		t.Errorf("calls, entries sent, batches, retries = %v, want %v: the neighbours of a refused entry are not sent again", got, want)
	}
	checkStats(t, st, len(its), failed)
	s.landed(t, e, its, failed, false, true)
}

// testOrder puts few keys with many items each through per-entry and
// whole-call faults, many calls at once: each key's items land in order.
func (s *suite[T]) testOrder(t *testing.T) {
	if !s.h.Ordered {
		t.Skip("the backend does not promise order")
	}
	e := s.env(t, batch.Config{MaxInFlight: 4, MaxBatchItems: 10}, testutil.ClientOptions{}, 4)
	var faults []testutil.Fault
	for _, f := range []testutil.Fault{testutil.FaultUnprocessed, testutil.FaultEntryFailed, testutil.FaultEntryRefused,
		testutil.FaultInternalServerError, testutil.FaultDropConnection, testutil.FaultGarbled} {
		if e.Proxy.Supports(f) {
			faults = append(faults, f)
		}
	}
	inject(t, e.Proxy, faults, 0.06)
	const keys, perKey = 4, 20
	its := make([]item, 0, keys*perKey)
	for i := range perKey {
		for k := range keys {
			its = append(its, item{fmt.Sprintf("order-%d-%02d", k, i), fmt.Sprintf("order-key-%d", k)})
		}
	}
	s.put(t, e, its)
	failed := s.failures(t, "Close", e.Dispatcher.Close(t.Context()))
	checkInjected(t, e.Proxy, faults)
	checkRefusals(t, e.Proxy, failed)
	checkStats(t, e.Dispatcher.Stats(), len(its), failed)
	s.landed(t, e, its, failed, false, true)
}

// testWait has many callers wait for their own items through faults: each
// gets its own item's outcome (nil for an item that landed, the refusal for
// one that did not), and Close reports nothing again.
func (s *suite[T]) testWait(t *testing.T) {
	e := s.env(t, batch.Config{MaxInFlight: 4, MaxBatchItems: 10}, testutil.ClientOptions{}, 5)
	faults := mix(e.Proxy, s.h.Idempotent)
	inject(t, e.Proxy, faults, 0.05)
	const callers, each = 20, 3
	its := make([]item, callers*each)
	errs := make([]error, len(its))
	done := make(chan struct{})
	for c := range callers {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range each {
				i := c*each + j
				its[i] = item{fmt.Sprintf("wait-%02d-%d", c, j), fmt.Sprintf("wait-key-%02d", c)}
				errs[i] = e.Dispatcher.PutWait(t.Context(), s.h.Item(its[i].id, its[i].key))
			}
		}()
	}
	for range callers {
		<-done
	}
	failed := map[string]error{}
	for i, err := range errs {
		if err != nil {
			failed[its[i].id] = err
		}
	}
	if err := e.Dispatcher.Close(t.Context()); err != nil {
		t.Errorf("Close: %v, want nil: every failure was its caller's", err)
	}
	checkInjected(t, e.Proxy, faults)
	checkRefusals(t, e.Proxy, failed)
	checkStats(t, e.Dispatcher.Stats(), len(its), failed)
	s.landed(t, e, its, failed, false, true)
}

// testWaitContextEnds has callers wait for their items while the writers
// retry, and half of them give up (their context ends) while calls fail: a
// caller that gave up gets its context's error, and its item's outcome
// comes from Close instead; the others get their own outcome. Run it with
// -race.
func (s *suite[T]) testWaitContextEnds(t *testing.T) {
	e := s.env(t, batch.Config{MaxInFlight: 4, MaxBatchItems: 5}, testutil.ClientOptions{}, 6)
	// The first calls fail as wholes; then entries fail on their own.
	for range 6 {
		e.Proxy.Next(testutil.FaultServiceUnavailable, testutil.FaultInternalServerError)
	}
	var rates = map[testutil.Fault]float64{testutil.FaultInternalServerError: 0.1}
	for _, f := range []testutil.Fault{testutil.FaultUnprocessed, testutil.FaultEntryRefused} {
		if e.Proxy.Supports(f) {
			rates[f] = 0.1
		}
	}
	if err := e.Proxy.SetRates(rates); err != nil {
		t.Fatal(err)
	}
	const callers = 40
	its := make([]item, callers)
	errs := make([]error, callers)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		select {
		case <-e.Proxy.Arrived(3): // while the first calls fail
		case <-ctx.Done():
		}
		cancel()
	}()
	done := make(chan struct{})
	for c := range callers {
		its[c] = item{fmt.Sprintf("ctx-%02d", c), fmt.Sprintf("ctx-key-%02d", c%8)}
		wctx := t.Context()
		if c%2 == 0 {
			wctx = ctx
		}
		go func() {
			defer func() { done <- struct{}{} }()
			errs[c] = e.Dispatcher.PutWait(wctx, s.h.Item(its[c].id, its[c].key))
		}()
	}
	for range callers {
		<-done
	}
	closed := s.failures(t, "Close", e.Dispatcher.Close(t.Context()))
	// A caller that gave up may have done so before its item was accepted:
	// such an item is neither written nor reported, and must not land. One
	// accepted is written (landed, not reported) or reported by Close.
	failed := map[string]error{}
	maybe := map[string]bool{} // gave up, not reported
	for c, err := range errs {
		id := its[c].id
		cause, reported := closed[id]
		switch {
		case errors.Is(err, context.Canceled):
			if c%2 != 0 {
				t.Errorf("%s: PutWait = %v, but its context did not end", id, err)
			}
			if reported {
				failed[id] = cause
			} else {
				maybe[id] = true
				failed[id] = errNotAccepted
			}
		case reported:
			t.Errorf("%s: PutWait = %v, and Close reported it again with %v", id, err, cause)
		case err != nil:
			failed[id] = err
		}
	}
	for id := range closed {
		if _, ok := failed[id]; !ok {
			t.Errorf("%s: Close reported it, but its caller had its outcome", id)
		}
	}
	st := e.Dispatcher.Stats()
	var refused, unknown int64
	for id, cause := range failed {
		if !maybe[id] && !refusal(cause) {
			t.Errorf("%s failed with %v, want only the proxy's refusals", id, cause)
		}
		switch {
		case maybe[id]:
		case errors.Is(cause, batch.ErrOutcomeUnknown):
			unknown++
		default:
			refused++
		}
	}
	if ps := e.Proxy.Stats(); refused+unknown != ps.Refused {
		t.Errorf("%d items reported failed, the proxy refused %d", refused+unknown, ps.Refused)
	}
	count := s.landed(t, e, its, failed, false, false) // submitted concurrently
	accepted := int64(len(its) - len(maybe))
	for id := range maybe {
		if count[id] > 0 {
			accepted++ // accepted, written, and not reported: right
		}
	}
	t.Logf("%d callers of %d gave up before their outcome; %d of their items were written after, %d were never accepted",
		len(maybe), callers, int64(len(maybe))-(int64(len(its))-accepted), int64(len(its))-accepted)
	want := statCounts{Submitted: accepted, Written: accepted - refused - unknown, Failed: refused, Unknown: unknown}
	got := statCounts{Submitted: st.Submitted, Written: st.Written, Failed: st.Failed, Unknown: st.Unknown}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
}

// errNotAccepted marks, for landed, an item whose caller gave up and which
// nothing reported: it landed only if it was accepted.
var errNotAccepted = errors.New("conformance: the caller gave up; the item may not have been accepted")

// testCloseExpired closes with an expired context while one call is under
// way (its answer withheld) and more items wait behind it: those never sent
// fail with batch.ErrClosed, those of the call with
// batch.ErrOutcomeUnknown, and no item is left out.
func (s *suite[T]) testCloseExpired(t *testing.T) {
	e := s.env(t, batch.Config{MaxInFlight: 1, MaxBatchItems: 5, CloseGrace: 10 * time.Millisecond},
		testutil.ClientOptions{Timeout: time.Minute}, 7)
	e.Proxy.Next(testutil.FaultSlow)
	var sent, waiting []item
	for i := range 5 {
		sent = append(sent, item{fmt.Sprintf("close-sent-%d", i), fmt.Sprintf("close-sent-key-%d", i)})
	}
	for i := range 7 {
		waiting = append(waiting, item{fmt.Sprintf("close-waiting-%d", i), fmt.Sprintf("close-waiting-key-%d", i)})
	}
	s.put(t, e, sent) // a full batch: sent at once
	// A guard, not a wait: the call comes at once.
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	select {
	case <-e.Proxy.Arrived(1):
	case <-timeout.C:
		t.Fatal("the first call never reached the proxy")
	}
	s.put(t, e, waiting) // behind the call under way
	expired, cancel := context.WithCancel(t.Context())
	cancel()
	failed := s.failures(t, "Close", e.Dispatcher.Close(expired))
	for _, it := range sent {
		if cause := failed[it.id]; !errors.Is(cause, batch.ErrOutcomeUnknown) || errors.Is(cause, batch.ErrClosed) {
			t.Errorf("%s (sent, unanswered): %v, want batch.ErrOutcomeUnknown", it.id, cause)
		}
	}
	for _, it := range waiting {
		if cause := failed[it.id]; !errors.Is(cause, batch.ErrClosed) || errors.Is(cause, batch.ErrOutcomeUnknown) {
			t.Errorf("%s (never sent): %v, want batch.ErrClosed", it.id, cause)
		}
	}
	if ps := e.Proxy.Stats(); ps.Calls != 1 {
		t.Errorf("the proxy got %d calls, want 1", ps.Calls)
	}
	its := append(sent, waiting...)
	checkStats(t, e.Dispatcher.Stats(), len(its), failed)
	s.landed(t, e, its, failed, false, true)
}

// testBadInputs submits each bad input among good items: Submit and the
// wait path refuse it with its typed error, and every good item is written
// once.
func (s *suite[T]) testBadInputs(t *testing.T) {
	e := s.env(t, batch.Config{MaxInFlight: 2, MaxBatchItems: 10}, testutil.ClientOptions{}, 8)
	var good []item
	for b, bad := range s.h.Bad {
		for j := range 4 {
			it := item{fmt.Sprintf("good-%02d-%d", b, j), fmt.Sprintf("good-key-%d", j)}
			good = append(good, it)
			if err := e.Dispatcher.Put(t.Context(), s.h.Item(it.id, it.key)); err != nil {
				t.Fatalf("Put(%s): %v", it.id, err)
			}
			if j != 1 {
				continue
			}
			for _, verb := range []struct {
				name string
				put  func(context.Context, T) error
			}{{"Put", e.Dispatcher.Put}, {"PutWait", e.Dispatcher.PutWait}} {
				err := verb.put(t.Context(), bad.Item)
				if err == nil || !errors.Is(err, bad.Err) {
					t.Errorf("%s(%s) = %v, want %v", verb.name, bad.Name, err, bad.Err)
				} else if bad.As != nil && !errors.As(err, bad.As) {
					t.Errorf("%s(%s) = %v, want an error of type %T", verb.name, bad.Name, err, bad.As)
				}
			}
		}
	}
	if err := e.Dispatcher.Close(t.Context()); err != nil {
		t.Errorf("Close: %v, want nil", err)
	}
	st := e.Dispatcher.Stats()
	if want := int64(2 * len(s.h.Bad)); st.Rejected != want {
		t.Errorf("Stats.Rejected = %d, want %d", st.Rejected, want)
	}
	checkStats(t, st, len(good), nil)
	s.landed(t, e, good, nil, false, true)
}
