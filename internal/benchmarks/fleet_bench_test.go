package benchmarks

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cenkalti/backoff/v4"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
)

// The fleet of BenchmarkFleet: fleetK writers, each with its own client and
// fleetInFlight calls in flight, on one table of fleetCapacity items/s.
const (
	fleetK        = 8
	fleetInFlight = 4
	fleetCapacity = 20_000
	fleetBurst    = fleetCapacity / 4

	// The timeline of one run: the fleetK start at 0; the steady state is
	// measured from fleetSteadyFrom to fleetJoinAt; a ninth joins at
	// fleetJoinAt, and its rate is measured over the fleetWindow that ends
	// fleetJoinBy later; it leaves at fleetRejoinAt, the fleetK share the
	// table alone again, and at fleetLeaveAt all of them but the first
	// stop; the first's rate is measured over the fleetWindow that ends
	// fleetLeaveBy later.
	fleetSteadyFrom = 1500 * time.Millisecond
	fleetJoinAt     = 4500 * time.Millisecond
	fleetJoinBy     = 2 * time.Second
	fleetRejoinAt   = 7 * time.Second
	fleetLeaveAt    = 8 * time.Second
	fleetLeaveBy    = 1500 * time.Millisecond
	fleetWindow     = 250 * time.Millisecond
	fleetEnd        = fleetLeaveAt + fleetLeaveBy
	fleetSample     = 50 * time.Millisecond
)

// A fleetMember writes items of its own, from when it is started to when
// it is stopped, and counts those written.
type fleetMember interface {
	start(ctx context.Context)
	stop()
	written() int64
}

// oursMember is a dynamo.Dispatcher with every setting at its default but
// MaxInFlight, fed by one goroutine that Puts as fast as the dispatcher
// takes items.
type oursMember struct {
	client *dynamodb.Client
	prefix string
	d      *dynamo.Dispatcher[Item]
	cancel context.CancelFunc
	done   chan struct{}
}

func (m *oursMember) start(ctx context.Context) {
	d, err := dynamo.New[Item](m.client, dynamo.Config{
		Table: "bench", PartitionKey: "id",
		Batch: batch.Config{MaxInFlight: fleetInFlight},
	})
	if err != nil {
		panic(err)
	}
	m.d = d
	ctx, m.cancel = context.WithCancel(ctx)
	m.done = make(chan struct{})
	go func() {
		defer close(m.done)
		for i := 0; ; i++ {
			it := makeItem(i)
			it.ID = m.prefix + it.ID
			if d.Put(ctx, it) != nil {
				return
			}
		}
	}()
}

// stop ends the member as a process that is killed: nothing more is put,
// and Close gives up at once on what is pending.
func (m *oursMember) stop() {
	m.cancel()
	<-m.done
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = m.d.Close(ctx)
}

func (m *oursMember) written() int64 {
	if m.d == nil {
		return 0
	}
	return m.d.Stats().Written
}

// rawMember is the hand-written loop of runRaw on a client in the SDK's
// adaptive retry mode (retry.NewAdaptiveMode: a client-side token bucket
// that slows down on throttling errors): fleetInFlight goroutines each send
// batches of 25 fresh items, and retry what comes back unprocessed, and a
// batch refused with a throttling error after the SDK's own attempts, after
// the waits of one backoff per batch (batch.DefaultBackOff), holding it.
type rawMember struct {
	client *dynamodb.Client
	prefix string
	n      atomic.Int64
	next   atomic.Int64
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (m *rawMember) start(ctx context.Context) {
	ctx, m.cancel = context.WithCancel(ctx)
	for range fleetInFlight {
		m.wg.Go(func() { m.loop(ctx) })
	}
}

func (m *rawMember) loop(ctx context.Context) {
	for ctx.Err() == nil {
		wrs := make([]types.WriteRequest, 0, 25)
		for range 25 {
			it := makeItem(int(m.next.Add(1)))
			it.ID = m.prefix + it.ID
			av, err := attributevalue.MarshalMap(it)
			if err != nil {
				panic(err)
			}
			wrs = append(wrs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
		bo := batch.DefaultBackOff()
		for len(wrs) > 0 && ctx.Err() == nil {
			out, err := m.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{"bench": wrs},
			})
			switch {
			case err == nil:
				m.n.Add(int64(len(wrs) - len(out.UnprocessedItems["bench"])))
				wrs = out.UnprocessedItems["bench"]
				if len(wrs) == 0 {
					continue
				}
			case ctx.Err() != nil:
				return
			}
			// Throttled after the SDK's attempts, or another error: wait
			// and send it again.
			wait := bo.NextBackOff()
			if wait == backoff.Stop {
				break // given up: on to a new batch
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
	}
}

func (m *rawMember) stop() {
	m.cancel()
	m.wg.Wait()
}

func (m *rawMember) written() int64 { return m.n.Load() }

// fleetFigures are one run's figures.
type fleetFigures struct {
	share    float64 // the fleetK's items/s over the capacity, steady state
	jain     float64 // Jain's index of their items/s
	calls25  float64 // calls per 25 items accepted, steady state
	joiner   float64 // the ninth's items/s over its fair share, fleetJoinBy after it joined
	survivor float64 // the one left's items/s over the capacity, fleetLeaveBy after the others stopped
	min, max float64 // the lowest and highest member's items/s, steady state
}

// fleetRun runs the timeline once with members made by newMember, and
// returns its figures and each member's written items at each sample.
func fleetRun(fake *FakeDynamoDB, newMember func(i int) fleetMember) (fleetFigures, [][]int64) {
	ctx := context.Background()
	members := make([]fleetMember, fleetK+1)
	for i := range members {
		members[i] = newMember(i)
	}
	nSamples := int(fleetEnd/fleetSample) + 1
	samples := make([][]int64, len(members)) // [member][sample]
	for i := range samples {
		samples[i] = make([]int64, nSamples)
	}
	var steadyFrom, steadyTo FakeStats
	t0 := time.Now()
	at := func(d time.Duration) { time.Sleep(time.Until(t0.Add(d))) }
	for _, m := range members[:fleetK] {
		m.start(ctx)
	}
	events := []struct {
		at time.Duration
		do func()
	}{
		{fleetSteadyFrom, func() { steadyFrom = fake.Stats() }},
		{fleetJoinAt, func() { steadyTo = fake.Stats(); members[fleetK].start(ctx) }},
		{fleetRejoinAt, func() { members[fleetK].stop() }},
		{fleetLeaveAt, func() {
			var wg sync.WaitGroup
			for _, m := range members[1:fleetK] {
				wg.Go(m.stop)
			}
			wg.Wait()
		}},
	}
	times := make([]time.Duration, nSamples) // when each sample was taken
	for s := 0; s < nSamples; s++ {
		at(time.Duration(s) * fleetSample)
		times[s] = time.Since(t0)
		for len(events) > 0 && time.Duration(s)*fleetSample >= events[0].at {
			events[0].do()
			events = events[1:]
		}
		for i, m := range members {
			samples[i][s] = m.written()
		}
	}
	members[0].stop()

	rate := func(m int, from, to time.Duration) float64 {
		a, b := int(from/fleetSample), int(to/fleetSample)
		return float64(samples[m][b]-samples[m][a]) / (times[b] - times[a]).Seconds()
	}
	var f fleetFigures
	var rates []float64
	for m := range fleetK {
		rates = append(rates, rate(m, fleetSteadyFrom, fleetJoinAt))
	}
	f.min, f.max = slices.Min(rates), slices.Max(rates)
	for _, r := range rates {
		f.share += r / fleetCapacity
	}
	f.jain = jain(rates)
	f.calls25 = 25 * float64(steadyTo.Calls-steadyFrom.Calls) / float64(max(steadyTo.Accepted-steadyFrom.Accepted, 1))
	by := fleetJoinAt + fleetJoinBy
	f.joiner = rate(fleetK, by-fleetWindow, by) / (fleetCapacity / (fleetK + 1))
	by = fleetLeaveAt + fleetLeaveBy
	f.survivor = rate(0, by-fleetWindow, by) / fleetCapacity
	return f, samples
}

// jain returns Jain's fairness index of xs: 1 when all are equal, 1/n when
// one takes everything.
func jain(xs []float64) float64 {
	var sum, sq float64
	for _, x := range xs {
		sum += x
		sq += x * x
	}
	if sq == 0 {
		return 0
	}
	return sum * sum / (float64(len(xs)) * sq)
}

// BenchmarkFleet runs a fleet of fleetK = 8 writers, each with its own
// client and 4 calls in flight, and nothing shared but the fake endpoint, a
// table with a capacity of 20,000 items/s (a token bucket holding a quarter
// second's worth), its excess left unprocessed or the call refused whole
// (ProvisionedThroughputExceededException). Each writer writes items of its
// own as fast as it is let: ours, a dynamo.Dispatcher at its defaults; and
// raw-adaptive, the hand-written loop on a client in the SDK's adaptive
// retry mode. One run (one op; run it with -benchtime=1x) takes 9.5 s:
//
//	0 s      the eight start
//	1.5-4.5 s  the steady state is measured
//	4.5 s    a ninth joins; its rate is measured over the 250 ms to 6.5 s
//	7 s      the ninth stops
//	8 s      seven of the eight stop (abruptly: Close with a context that has
//	         ended, or the loop's context cancelled); the one left's rate is
//	         measured over the 250 ms to 9.5 s
//
// The rates are of the items each writer saw written, sampled every 50 ms.
// It reports:
//
//	cap-share  the eight's items/s together over the capacity, steady state
//	jain       Jain's fairness index of the eight's items/s, steady state
//	calls/25   BatchWriteItem calls per 25 items the endpoint accepted,
//	           steady state (refused calls and the SDK's retries included)
//	joiner     the ninth's items/s over its fair share (capacity/9), 2 s
//	           after it joined
//	survivor   the one left's items/s over the capacity, 1.5 s after the
//	           others stopped
//	min/s, max/s  the slowest and fastest of the eight, items/s
//
// With BENCH_TIMELINE_DIR set, each run writes each writer's items/s per
// 50 ms to a CSV file there, for cmd/rateplot.
func BenchmarkFleet(b *testing.B) {
	for _, mode := range []struct {
		name   string
		refuse bool
	}{{"unprocessed", false}, {"refused", true}} {
		for _, impl := range []string{"ours", "raw-adaptive"} {
			b.Run("mode="+mode.name+"/impl="+impl, func(b *testing.B) {
				fake := &FakeDynamoDB{Throttling: Throttling{Capacity: fleetCapacity, Burst: fleetBurst, RefuseOverCapacity: mode.refuse}}
				srv := fake.Start()
				defer srv.Close()
				var closers []func()
				defer func() {
					for _, c := range closers {
						c()
					}
				}()
				newMember := func(i int) fleetMember {
					prefix := "m" + strconv.Itoa(i) + "-"
					if impl == "ours" {
						client, closeIdle := newClient(srv.URL)
						closers = append(closers, closeIdle)
						return &oursMember{client: client, prefix: prefix}
					}
					client, closeIdle := newClient(srv.URL, func(o *dynamodb.Options) { o.Retryer = retry.NewAdaptiveMode() })
					closers = append(closers, closeIdle)
					return &rawMember{client: client, prefix: prefix}
				}
				var sum fleetFigures
				var samples [][]int64
				n := 0
				for b.Loop() {
					fake.Reset()
					var f fleetFigures
					f, samples = fleetRun(fake, newMember)
					b.Logf("share %.3f, Jain %.3f (%.0f to %.0f items/s), %.3f calls/25, joiner %.2f of its fair share, survivor %.2f of the capacity",
						f.share, f.jain, f.min, f.max, f.calls25, f.joiner, f.survivor)
					sum.share += f.share
					sum.jain += f.jain
					sum.calls25 += f.calls25
					sum.joiner += f.joiner
					sum.survivor += f.survivor
					sum.min += f.min
					sum.max += f.max
					n++
				}
				k := float64(n)
				b.ReportMetric(sum.share/k, "cap-share")
				b.ReportMetric(sum.jain/k, "jain")
				b.ReportMetric(sum.calls25/k, "calls/25")
				b.ReportMetric(sum.joiner/k, "joiner")
				b.ReportMetric(sum.survivor/k, "survivor")
				b.ReportMetric(sum.min/k, "min/s")
				b.ReportMetric(sum.max/k, "max/s")
				if dir := os.Getenv("BENCH_TIMELINE_DIR"); dir != "" {
					if err := writeFleetTimelines(dir, timelineFile(b.Name()), samples); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// writeFleetTimelines writes one CSV file per member, named after name with
// _m<i> before its extension: the items it saw written per second in each
// sample, from the start of the run.
func writeFleetTimelines(dir, name string, samples [][]int64) error {
	for i, s := range samples {
		var sb strings.Builder
		sb.WriteString("ms,items_per_s\n")
		for j := 1; j < len(s); j++ {
			r := float64(s[j]-s[j-1]) / fleetSample.Seconds()
			if math.IsNaN(r) {
				r = 0
			}
			fmt.Fprintf(&sb, "%d,%.0f\n", (time.Duration(j-1) * fleetSample).Milliseconds(), r)
		}
		file := strings.TrimSuffix(name, ".csv") + "_m" + strconv.Itoa(i) + ".csv"
		if err := os.WriteFile(filepath.Join(dir, file), []byte(sb.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
