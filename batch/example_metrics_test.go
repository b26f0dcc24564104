package batch_test

import (
	"context"
	"fmt"
	"sort"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/batchutils/batchutils/batch"
)

// quietSink is printSink without the printing.
type quietSink struct{ printSink }

func (quietSink) Write(_ context.Context, words []string) (batch.Outcome, error) {
	var out batch.Outcome
	for i, w := range words {
		if w == "bad" {
			out.Failed = append(out.Failed, batch.ItemError{Index: i, Err: fmt.Errorf("bad word")})
		}
	}
	return out, nil
}

// The dispatcher's metrics, read through the OpenTelemetry SDK's manual
// reader. An application would rather set a MeterProvider with its exporter
// (or set it globally, with otel.SetMeterProvider, and leave
// Config.MeterProvider nil).
func ExampleConfig_meterProvider() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)

	d, err := batch.New[string](quietSink{}, batch.Config{MaxInFlight: 1, MeterProvider: mp})
	if err != nil {
		panic(err)
	}
	for _, w := range []string{"one", "bad", "three", "four", "bad", "four"} {
		if err := d.Submit(ctx, w); err != nil {
			fmt.Println("refused:", w, err)
		}
	}
	_ = d.Close(ctx) // "bad" failed: the error lists it

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range sum.DataPoints {
					for _, kv := range dp.Attributes.ToSlice() {
						if kv.Key == "outcome" || kv.Key == "result" {
							lines = append(lines, fmt.Sprintf("%s{%s=%s} %d", m.Name, kv.Key, kv.Value.AsString(), dp.Value))
						}
					}
				}
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// refused: four batch: an item with the same key is already pending
	// batchutils.calls{result=ok} 2
	// batchutils.items{outcome=failed} 2
	// batchutils.items{outcome=rejected} 1
	// batchutils.items{outcome=written} 3
}
