package cloudwatchbatch

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/batchutils/batchutils/testutil"
)

// The benchmarks of the backend's own cost per datum, with no server:
//
//	go test -run '^$' -bench . -benchmem -count 3 ./cloudwatchbatch/
//
// BenchmarkEncode is the work Put adds to the core for each datum (checks,
// the time of Put, measuring); BenchmarkPut is the whole of Put, the core's
// share and the calls to a client that takes everything at once included.

// The client is fuzz_test.go's nopClient, which takes every call at once.

// benchData are the kinds of datum the benchmarks put, 1<<10 of each: a
// single value, a histogram (Values and Counts) and a statistic set, each
// with a unit and one dimension, without a Timestamp (Put gives the time).
var benchData = func() map[string][]types.MetricDatum {
	kinds := map[string][]types.MetricDatum{}
	for i := range 1 << 10 {
		m := types.MetricDatum{
			MetricName: aws.String("latency"),
			Dimensions: []types.Dimension{{Name: aws.String("host"), Value: aws.String("host-" + strconv.Itoa(i%16))}},
			Unit:       types.StandardUnitMilliseconds,
		}
		v := float64(i) / 8
		value, values, stats := m, m, m
		value.Value = aws.Float64(v)
		values.Values, values.Counts = []float64{v, v + 1, v + 2, v + 3}, []float64{1, 2, 1, 4}
		stats.StatisticValues = &types.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(4 * v), Minimum: aws.Float64(v - 1), Maximum: aws.Float64(v + 1)}
		kinds["value"] = append(kinds["value"], value)
		kinds["values"] = append(kinds["values"], values)
		kinds["statistics"] = append(kinds["statistics"], stats)
	}
	return kinds
}()

var benchKinds = []string{"value", "values", "statistics"}

func BenchmarkEncode(b *testing.B) {
	for _, kind := range benchKinds {
		b.Run(kind, func(b *testing.B) {
			data := benchData[kind]
			w := newWriter(nopClient{}, "batchutils/bench", 0)
			testutil.LoopOver(b, data, func(it types.MetricDatum) error {
				_, err := w.Encode(it)
				return err
			})
		})
	}
}

func BenchmarkPut(b *testing.B) {
	for _, kind := range benchKinds {
		b.Run(kind, func(b *testing.B) {
			data := benchData[kind]
			d, err := New(nopClient{}, Config{Namespace: "batchutils/bench"})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			testutil.LoopOver(b, data, func(it types.MetricDatum) error {
				return d.Put(ctx, it)
			})
			if err := d.Close(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}
