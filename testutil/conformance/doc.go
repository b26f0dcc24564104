// Package conformance is the test suite every backend must pass: what it
// checks is what "a backend" means, so a new one is done when it passes, not
// when it looks like the others (gocloud.dev's pubsub/drivertest is the
// model).
//
// A backend's tests call Run with a small Harness: how to make the backend's
// item for an id and an ordering key, how to build a dispatcher that writes
// through a testutil.FaultProxy to a fresh destination (a local server, or
// an in-process fake), and how to read back the ids that landed. Run then
// drives the dispatcher through the faults its service can answer with and
// checks the promises of package batch, item by item:
//
//   - an item reported written has landed, and once unless the backend
//     may write it twice (see Harness.Idempotent); an item reported failed
//     with a cause other than batch.ErrOutcomeUnknown has not landed;
//     every item is accounted for, and Stats agree, also when the retry
//     policy gives up on calls that may have been applied;
//   - an entry the service refuses on its own fails alone, and its
//     neighbours are not sent again;
//   - the items of one key land in the order they were submitted, where
//     the backend promises it (Harness.Ordered);
//   - each caller of the wait path gets its own item's outcome, also when
//     its context ends while the writers retry;
//   - Close with an expired context returns every unwritten item: those
//     never sent with batch.ErrClosed, those whose call was sent and not
//     answered with batch.ErrOutcomeUnknown;
//   - bad inputs are typed errors at Submit and affect nothing else;
//   - no goroutine is left behind.
//
// The suite uses fixed seeds (each subtest logs its own; SeedEnv shifts
// them), a quick retry policy and small volumes: it takes seconds per
// backend against a local server, less against an in-process fake.
//
// A harness, for a backend whose items are strings, with an in-process
// upstream (see dynamo, kinesisbatch and sqsbatch's conformance_test.go for
// real ones):
//
//	conformance.Run(t, conformance.Harness[string]{
//		Item: func(id, key string) string { return id },
//		ID:   func(s string) string { return s },
//		New: func(t *testing.T, o conformance.Options) conformance.Env[string] {
//			o.Proxy.Handler, o.Proxy.Codec = upstream, testutil.FirehoseCodec
//			p := testutil.NewFaultProxy(t, o.Proxy)
//			d := newDispatcher(t, p.URL, o.Client, o.Batch)
//			return conformance.Env[string]{
//				Dispatcher: conformance.Dispatcher[string]{Put: d.Put, PutWait: d.PutWait,
//					Flush: d.Flush, Close: d.Close, Stats: d.Stats},
//				Proxy:  p,
//				Landed: func(t *testing.T, _ int) []string { return stored() },
//			}
//		},
//		Bad: []conformance.Bad[string]{{Name: "empty", Item: "", Err: ErrEmpty}},
//	})
package conformance
