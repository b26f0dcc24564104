package batch_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/batchutils/batchutils/batch"
)

// labeledSink names its backend and target for the metrics.
type labeledSink struct{ batch.Sink[item] }

func (labeledSink) MetricLabels() (string, string) { return "test", "things" }

// collect reads every data point of rm into "name/attr=value" -> value.
func collect(t *testing.T, r *sdkmetric.ManualReader) (sums map[string]int64, counts map[string]uint64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	sums, counts = map[string]int64{}, map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range data.DataPoints {
					sums[m.Name+"/"+label(t, dp.Attributes)] = dp.Value
				}
			case metricdata.Histogram[float64]:
				for _, dp := range data.DataPoints {
					counts[m.Name+"/"+label(t, dp.Attributes)] = dp.Count
				}
			case metricdata.Histogram[int64]:
				for _, dp := range data.DataPoints {
					counts[m.Name+"/"+label(t, dp.Attributes)] = dp.Count
				}
			}
		}
	}
	return sums, counts
}

// label checks the backend and target attributes and returns the outcome
// or result.
func label(t *testing.T, set attribute.Set) string {
	t.Helper()
	if v, _ := set.Value("batchutils.backend"); v.AsString() != "test" {
		t.Errorf("batchutils.backend = %q, want test", v.AsString())
	}
	if v, _ := set.Value("batchutils.target"); v.AsString() != "things" {
		t.Errorf("batchutils.target = %q, want things", v.AsString())
	}
	if v, ok := set.Value("outcome"); ok {
		return "outcome=" + v.AsString()
	}
	if v, ok := set.Value("result"); ok {
		return "result=" + v.AsString()
	}
	return ""
}

// After a run with known outcomes, the counters read through the OTel
// SDK's manual reader agree with Stats.
func TestMetricsAgreeWithStats(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	s := newSink(5, 10, 0)
	refused := errors.New("refused")
	s.Fail = func(it item) error {
		if it.Version == 2 {
			return refused
		}
		return nil
	}
	calls := 0
	s.Unprocessed = func(item) bool { calls++; return calls%7 == 0 } // under the sink's lock
	d := mustNew(t, labeledSink{s}, batch.Config{
		MeterProvider: mp, Duplicates: batch.ReplaceDuplicates, BackOff: fastBackOff(20),
	})
	ctx := context.Background()
	// One replacement whatever the timing: a lone item is not a full
	// batch, so it is still pending when the next version of its key comes.
	submitAll(t, d, item{Key: "replaced", Size: 1}, item{Key: "replaced", Size: 1, Version: 1})
	for i := range 100 {
		it := item{Key: string(rune('a' + i%26)), Size: 1, Version: i % 3}
		if i%10 == 0 {
			it.Size = 11 // rejected: too large
		}
		_ = d.Submit(ctx, it)
	}
	err := d.Close(ctx)
	if !errors.As(err, new(*batch.FailedError[item])) {
		t.Fatalf("Close = %v, want failures", err)
	}
	st := d.Stats()
	if st.Written == 0 || st.Failed == 0 || st.Retries == 0 || st.Rejected == 0 || st.Replaced == 0 {
		t.Fatalf("Stats %+v: the run should have every outcome", st)
	}
	sums, counts := collect(t, reader)
	want := map[string]int64{
		"batchutils.items/outcome=written":  st.Written,
		"batchutils.items/outcome=failed":   st.Failed,
		"batchutils.items/outcome=retried":  st.Retries,
		"batchutils.items/outcome=rejected": st.Rejected,
		"batchutils.items/outcome=replaced": st.Replaced,
		"batchutils.calls/result=ok":        st.Batches - st.Throttled,
		"batchutils.calls/result=throttled": st.Throttled,
	}
	for k, v := range want {
		if v == 0 {
			delete(want, k) // never reported
		}
	}
	if diff := cmp.Diff(want, sums); diff != "" {
		t.Errorf("counters mismatch (-want +got):\n%s", diff)
	}
	wantCounts := map[string]uint64{
		"batchutils.call.duration/": uint64(st.Batches),
		"batchutils.batch.size/":    uint64(st.Batches),
	}
	if diff := cmp.Diff(wantCounts, counts); diff != "" {
		t.Errorf("histogram counts mismatch (-want +got):\n%s", diff)
	}
}
