package cloudwatchbatch_test

// Integration tests: the real aws-sdk-go-v2 client, through
// cloudwatchbatch.Dispatcher, against the moto_server that `make test`
// starts. Without $BATCHUTILS_MOTO_ENDPOINT they skip, or fail when $CI is
// set. moto 5.2.1 reads CloudWatch's query protocol only: the test client
// speaks it (testutil.CloudWatchQueryProtocol).

import (
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/cloudwatchbatch"
	"github.com/batchutils/batchutils/testutil"
)

// stat is what GetMetricStatistics says of one metric.
type stat struct {
	Count, Sum, Min, Max float64
}

// TestIntegrationReadBack puts a few thousand data, as single values, as
// Values/Counts and as statistic sets, over metrics of several names and dimensions, from several
// goroutines, and reads them back with ListMetrics and GetMetricStatistics:
// every metric is there, and its statistics are those of the data put, none
// lost, none twice.
func TestIntegrationReadBack(t *testing.T) {
	t.Parallel()
	client := testutil.NewCloudWatchClient(t, testutil.MotoEndpoint(t), testutil.ClientOptions{})
	ns := testutil.MetricNamespace(t)
	// moto takes time quadratic in the data of a call (400 take a second,
	// 1,000 several): calls of 100 keep the test short.
	d := newDispatcher(t, client, cloudwatchbatch.Config{Namespace: ns, Batch: batch.Config{MaxBatchItems: 100, MaxInFlight: 4, BackOff: quick(3)}})

	const n, writers = 4000, 4
	at := time.Now().Add(-5 * time.Minute).Truncate(time.Minute)
	// datum i: metric "m<i%7>" with host "h<i%5>", in the same minute.
	// Every 10th is a histogram of Values {i, i+1} with Counts {1, 2};
	// some others a statistic set of i twice.
	datum := func(i int) types.MetricDatum {
		m := types.MetricDatum{
			MetricName: aws.String("m" + strconv.Itoa(i%7)),
			Dimensions: []types.Dimension{{Name: aws.String("host"), Value: aws.String("h" + strconv.Itoa(i%5))}},
			Timestamp:  aws.Time(at.Add(time.Duration(i%50) * time.Second)),
			Unit:       types.StandardUnitCount,
		}
		switch {
		case i%10 == 0:
			m.Values, m.Counts = []float64{float64(i), float64(i + 1)}, []float64{1, 2}
		case i%15 == 1:
			m.StatisticValues = &types.StatisticSet{SampleCount: aws.Float64(2), Sum: aws.Float64(float64(2 * i)),
				Minimum: aws.Float64(float64(i)), Maximum: aws.Float64(float64(i))}
		default:
			m.Value = aws.Float64(float64(i))
		}
		return m
	}
	want := map[string]stat{}
	for i := range n {
		m := datum(i)
		key := *m.MetricName + "/" + *m.Dimensions[0].Value
		s, ok := want[key]
		if !ok {
			s = stat{Min: float64(i), Max: float64(i)}
		}
		vals, counts := m.Values, m.Counts
		switch {
		case m.Value != nil:
			vals, counts = []float64{*m.Value}, []float64{1}
		case m.StatisticValues != nil:
			vals, counts = []float64{float64(i)}, []float64{2}
		}
		for j, v := range vals {
			s.Count += counts[j]
			s.Sum += v * counts[j]
			s.Min, s.Max = min(s.Min, v), max(s.Max, v)
		}
		want[key] = s
	}

	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				if err := d.Put(t.Context(), datum(i)); err != nil {
					t.Errorf("Put %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := d.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st := d.Stats()
	t.Logf("%d data in %v, %d calls", st.Written, time.Since(start).Round(time.Millisecond), st.Batches)
	if diff := cmp.Diff(batch.Stats{Submitted: n, Written: n, Batches: st.Batches}, st); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}

	got := map[string]stat{}
	metrics := testutil.ListMetrics(t, client, ns)
	for _, m := range metrics {
		if len(m.Dimensions) != 1 {
			t.Fatalf("metric %s has dimensions %v, want one", aws.ToString(m.MetricName), m.Dimensions)
		}
		key := aws.ToString(m.MetricName) + "/" + aws.ToString(m.Dimensions[0].Value)
		if _, dup := got[key]; dup {
			continue // a metric listed twice is read once
		}
		for _, p := range testutil.MetricStatistics(t, client, ns, m, at.Add(-time.Minute), at.Add(2*time.Minute), 300) {
			s := got[key]
			s.Count += aws.ToFloat64(p.SampleCount)
			s.Sum += aws.ToFloat64(p.Sum)
			s.Min, s.Max = aws.ToFloat64(p.Minimum), aws.ToFloat64(p.Maximum)
			got[key] = s
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Errorf("statistics mismatch (-want +got), metrics read %v:\n%s", keys, diff)
	}
	t.Logf("%d metrics listed, %d read back", len(metrics), len(got))
}
