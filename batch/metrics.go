package batch

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// This file holds the OpenTelemetry metrics of a Dispatcher. The counters
// are the Stats counters: what changed since the last report is added to
// the instruments after each call, at Submit for a rejected item, and when
// Flush and Close return, so that after Flush or Close they agree with
// Stats exactly. Nothing is allocated for it on the hot path: the attribute
// sets and the options that carry them are made once, in New.

// Labeled is implemented by a Sink or Backend that names what it writes to,
// for the attributes of its metrics: the backend ("dynamodb", "sqs",
// "kinesis", ...) and the target (the table, queue or stream).
type Labeled interface {
	MetricLabels() (backend, target string)
}

// The names of the instruments and attributes.
const (
	metricItems    = "batchutils.items"
	metricCalls    = "batchutils.calls"
	metricDuration = "batchutils.call.duration"
	metricSize     = "batchutils.batch.size"
	metricBuffered = "batchutils.buffered"
	metricRate     = "batchutils.rate.limit"
	attrBackend    = "batchutils.backend"
	attrTarget     = "batchutils.target"
)

// The outcomes of batchutils.items and the results of batchutils.calls.
var (
	itemOutcomes = [...]string{"written", "failed", "unknown", "retried", "rejected", "replaced"}
	callResults  = [...]string{"ok", "throttled", "error"}
)

// outRejected is the index of "rejected" in itemOutcomes.
const outRejected = 4

// meters are a Dispatcher's instruments.
type meters struct {
	items    metric.Int64Counter
	calls    metric.Int64Counter
	duration metric.Float64Histogram
	size     metric.Int64Histogram
	reg      metric.Registration // of the gauges

	itemOpts [len(itemOutcomes)][]metric.AddOption
	callOpts [len(callResults)][]metric.AddOption
	recOpts  []metric.RecordOption
}

// reported is what the instruments have been given so far: the counters
// as they were at the last report.
type reported struct {
	items [len(itemOutcomes)]int64
	calls [len(callResults)]int64
}

// newMeters makes the instruments of a Dispatcher of sink, from mp (nil:
// the global MeterProvider). The gauges observe d.
func newMeters[T any](mp metric.MeterProvider, sink any, d *Dispatcher[T]) (*meters, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	backend, target := "", ""
	if l, ok := sink.(Labeled); ok {
		backend, target = l.MetricLabels()
	}
	base := []attribute.KeyValue{attribute.String(attrBackend, backend), attribute.String(attrTarget, target)}
	meter := mp.Meter("github.com/batchutils/batchutils/batch")
	m := &meters{}
	var err error
	if m.items, err = meter.Int64Counter(metricItems, metric.WithUnit("{item}"),
		metric.WithDescription("Items by outcome: written, failed, unknown (may have been written), retried (sent again), rejected (at Submit), replaced (by a newer item of their key).")); err != nil {
		return nil, err
	}
	if m.calls, err = meter.Int64Counter(metricCalls, metric.WithUnit("{call}"),
		metric.WithDescription("Batch calls by result: ok, throttled (the backend pushed back), error (the call failed as a whole).")); err != nil {
		return nil, err
	}
	if m.duration, err = meter.Float64Histogram(metricDuration, metric.WithUnit("s"),
		metric.WithDescription("How long a batch call took.")); err != nil {
		return nil, err
	}
	if m.size, err = meter.Int64Histogram(metricSize, metric.WithUnit("{item}"),
		metric.WithDescription("The items of a batch call.")); err != nil {
		return nil, err
	}
	buffered, err := meter.Int64ObservableGauge(metricBuffered, metric.WithUnit("{item}"),
		metric.WithDescription("Items accepted and not yet written or failed."))
	if err != nil {
		return nil, err
	}
	rate, err := meter.Float64ObservableGauge(metricRate, metric.WithUnit("{item}/s"),
		metric.WithDescription("The send rate the dispatcher holds itself to after the backend pushed back; 0 while unlimited."))
	if err != nil {
		return nil, err
	}
	set := attribute.NewSet(base...)
	obsOpts := []metric.ObserveOption{metric.WithAttributeSet(set)}
	m.reg, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		d.mu.Lock()
		n := d.bufItems
		d.mu.Unlock()
		o.ObserveInt64(buffered, int64(n), obsOpts...)
		o.ObserveFloat64(rate, d.rate.current(time.Now()), obsOpts...)
		return nil
	}, buffered, rate)
	if err != nil {
		return nil, err
	}
	for i, name := range itemOutcomes {
		s := attribute.NewSet(append(base[:2:2], attribute.String("outcome", name))...)
		m.itemOpts[i] = []metric.AddOption{metric.WithAttributeSet(s)}
	}
	for i, name := range callResults {
		s := attribute.NewSet(append(base[:2:2], attribute.String("result", name))...)
		m.callOpts[i] = []metric.AddOption{metric.WithAttributeSet(s)}
	}
	m.recOpts = []metric.RecordOption{metric.WithAttributeSet(set)}
	return m, nil
}

// deltaLocked returns what changed in the counters since the last report,
// and takes it as reported.
func (d *Dispatcher[T]) deltaLocked() reported {
	now := reported{
		items: [...]int64{d.written, d.failed, d.unknown, d.retries, 0, d.replaced},
		calls: [...]int64{d.batches - d.throttled - d.callErrors, d.throttled, d.callErrors},
	}
	var delta reported
	for i := range now.items {
		delta.items[i] = now.items[i] - d.reported.items[i]
	}
	for i := range now.calls {
		delta.calls[i] = now.calls[i] - d.reported.calls[i]
	}
	d.reported = now
	return delta
}

// report adds a delta to the counters; called without the lock.
func (m *meters) report(delta reported) {
	ctx := context.Background()
	for i, n := range delta.items {
		if n != 0 {
			m.items.Add(ctx, n, m.itemOpts[i]...)
		}
	}
	for i, n := range delta.calls {
		if n != 0 {
			m.calls.Add(ctx, n, m.callOpts[i]...)
		}
	}
}

// reportCall records one call's duration and size, and what changed.
func (m *meters) reportCall(took time.Duration, items int, delta reported) {
	ctx := context.Background()
	m.duration.Record(ctx, took.Seconds(), m.recOpts...)
	m.size.Record(ctx, int64(items), m.recOpts...)
	m.report(delta)
}

// reportRejected counts one item refused at Submit.
func (m *meters) reportRejected() {
	m.items.Add(context.Background(), 1, m.itemOpts[outRejected]...)
}

// publish reports what changed since the last report; called without the
// lock.
func (d *Dispatcher[T]) publish() {
	d.mu.Lock()
	delta := d.deltaLocked()
	d.mu.Unlock()
	d.meters.report(delta)
}
