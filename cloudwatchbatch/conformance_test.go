package cloudwatchbatch_test

import (
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/batchutils/batchutils/cloudwatchbatch"
	"github.com/batchutils/batchutils/testutil"
	"github.com/batchutils/batchutils/testutil/conformance"
)

// TestConformance runs the suite through the proxy against moto, in the query
// protocol: a datum's metric name is the suite's id, and what landed is read
// back with ListMetrics and GetMetricStatistics, each metric as many times as
// its sample count. CloudWatch keeps every datum it is sent: a retried call
// that was applied counts its data twice.
func TestConformance(t *testing.T) {
	start := time.Now().Add(-time.Minute)
	conformance.Run(t, conformance.Harness[types.MetricDatum]{
		Item: func(id, _ string) types.MetricDatum {
			return types.MetricDatum{MetricName: aws.String(id), Value: aws.Float64(1)}
		},
		ID: func(m types.MetricDatum) string { return aws.ToString(m.MetricName) },
		New: func(t *testing.T, opts conformance.Options) conformance.Env[types.MetricDatum] {
			endpoint := testutil.MotoEndpoint(t)
			direct := testutil.NewCloudWatchClient(t, endpoint, testutil.ClientOptions{})
			ns := testutil.MetricNamespace(t)
			opts.Proxy.Upstream, opts.Proxy.Codec = endpoint, testutil.CloudWatchCodec
			p := testutil.NewFaultProxy(t, opts.Proxy)
			d, err := cloudwatchbatch.New(testutil.NewCloudWatchClient(t, p.URL, opts.Client),
				cloudwatchbatch.Config{Namespace: ns, Batch: opts.Batch})
			if err != nil {
				t.Fatal(err)
			}
			return conformance.Env[types.MetricDatum]{
				Dispatcher: conformance.Dispatcher[types.MetricDatum]{Put: d.Put, PutWait: d.PutWait, Flush: d.Flush, Close: d.Close, Stats: d.Stats},
				Proxy:      p,
				Landed: func(t *testing.T, _ int) []string {
					var ids []string
					for _, m := range testutil.ListMetrics(t, direct, ns) {
						for _, dp := range testutil.MetricStatistics(t, direct, ns, m, start, time.Now().Add(time.Hour), 3600) {
							for range int(aws.ToFloat64(dp.SampleCount)) {
								ids = append(ids, aws.ToString(m.MetricName))
							}
						}
					}
					return ids
				},
			}
		},
		Bad: []conformance.Bad[types.MetricDatum]{
			{Name: "NaN", Item: types.MetricDatum{MetricName: aws.String("bad-nan"), Value: aws.Float64(math.NaN())}, Err: cloudwatchbatch.ErrInvalidValue},
			{Name: "no value", Item: types.MetricDatum{MetricName: aws.String("bad-none")}, Err: cloudwatchbatch.ErrInvalidValue},
			{Name: "old", Item: types.MetricDatum{MetricName: aws.String("bad-old"), Value: aws.Float64(1),
				Timestamp: aws.Time(time.Now().Add(-15 * 24 * time.Hour))}, Err: cloudwatchbatch.ErrInvalidTimestamp},
			{Name: "unit", Item: types.MetricDatum{MetricName: aws.String("bad-unit"), Value: aws.Float64(1), Unit: "Parsecs"}, Err: cloudwatchbatch.ErrInvalidUnit},
		},
	})
}
