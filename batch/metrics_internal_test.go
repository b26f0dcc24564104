package batch

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

type nopSink struct{}

func (nopSink) Limits() Limits                                { return Limits{MaxItems: 10} }
func (nopSink) Measure(int) (string, int, error)              { return "", 1, nil }
func (nopSink) Write(context.Context, []int) (Outcome, error) { return Outcome{}, nil }
func (nopSink) MetricLabels() (backend, target string)        { return "test", "t" }

// Reporting a call to a real OpenTelemetry SDK allocates nothing: the
// attribute sets and options are made once, in New.
func TestMetricsReportAllocatesNothing(t *testing.T) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())
	d, err := New[int](nopSink{}, Config{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(context.Background())
	delta := reported{items: [len(itemOutcomes)]int64{3, 1, 0, 2, 0, 1}, calls: [len(callResults)]int64{1, 0, 0}}
	d.meters.reportCall(time.Millisecond, 5, delta) // the first report makes the streams
	if n := testing.AllocsPerRun(100, func() { d.meters.reportCall(time.Millisecond, 5, delta) }); n != 0 {
		t.Errorf("reportCall allocates %v times, want 0", n)
	}
}

// BenchmarkMetricsReportCall is the cost of the metrics of one call.
func BenchmarkMetricsReportCall(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())
	d, err := New[int](nopSink{}, Config{MeterProvider: mp})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close(context.Background())
	delta := reported{items: [len(itemOutcomes)]int64{25}, calls: [len(callResults)]int64{1}}
	b.ReportAllocs()
	for b.Loop() {
		d.meters.reportCall(time.Millisecond, 25, delta)
	}
}
