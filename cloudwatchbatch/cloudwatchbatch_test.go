package cloudwatchbatch_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/cloudwatchbatch"
	"github.com/batchutils/batchutils/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quick retries a few times, 1ms apart.
func quick(n uint64) func() backoff.BackOff {
	return func() backoff.BackOff {
		return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Millisecond), n)
	}
}

// newDispatcher returns a Dispatcher, closed when the test ends, that
// retries 20 times 1ms apart unless cfg says otherwise.
func newDispatcher(t *testing.T, client cloudwatchbatch.Client, cfg cloudwatchbatch.Config) *cloudwatchbatch.Dispatcher {
	t.Helper()
	if cfg.Namespace == "" {
		cfg.Namespace = "app"
	}
	if cfg.Batch.BackOff == nil {
		cfg.Batch.BackOff = quick(20)
	}
	d, err := cloudwatchbatch.New(client, cfg)
	if err != nil {
		t.Fatalf("cloudwatchbatch.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d.Close(ctx)
	})
	return d
}

// datum returns a valid datum of name with value v, at the time of the call.
func datum(name string, v float64) types.MetricDatum {
	return types.MetricDatum{MetricName: aws.String(name), Value: aws.Float64(v), Timestamp: aws.Time(time.Now())}
}

// with returns m changed by fn.
func with(m types.MetricDatum, fn func(*types.MetricDatum)) types.MetricDatum {
	fn(&m)
	return m
}

func dims(n int, name, value string) []types.Dimension {
	out := make([]types.Dimension, n)
	for i := range out {
		out[i] = types.Dimension{Name: aws.String(name + strconv.Itoa(i)), Value: aws.String(value)}
	}
	return out
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeCloudWatch{}
	tests := []struct {
		name    string
		client  cloudwatchbatch.Client
		cfg     cloudwatchbatch.Config
		wantErr string // a part of the error; "" for none
	}{
		{name: "valid", client: fake, cfg: cloudwatchbatch.Config{Namespace: "App/Orders"}},
		{name: "255 characters", client: fake, cfg: cloudwatchbatch.Config{Namespace: strings.Repeat("n", 255)}},
		{name: "nil client", cfg: cloudwatchbatch.Config{Namespace: "app"}, wantErr: "needs a Client"},
		{name: "no namespace", client: fake, wantErr: "Config.Namespace"},
		{name: "256 characters", client: fake, cfg: cloudwatchbatch.Config{Namespace: strings.Repeat("n", 256)}, wantErr: "Config.Namespace"},
		{name: "colon first", client: fake, cfg: cloudwatchbatch.Config{Namespace: ":app"}, wantErr: "Config.Namespace"},
		{name: "AWS/", client: fake, cfg: cloudwatchbatch.Config{Namespace: "AWS/EC2"}, wantErr: "Config.Namespace"},
		{name: "control character", client: fake, cfg: cloudwatchbatch.Config{Namespace: "a\tb"}, wantErr: "Config.Namespace"},
		{name: "not ASCII", client: fake, cfg: cloudwatchbatch.Config{Namespace: "é"}, wantErr: "Config.Namespace"},
		{name: "batch over 1000", client: fake, cfg: cloudwatchbatch.Config{Namespace: "app", Batch: batch.Config{MaxBatchItems: 1001}},
			wantErr: "cloudwatchbatch: Config.Batch.MaxBatchItems"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := cloudwatchbatch.New(tc.client, tc.cfg)
			if err == nil {
				d.Close(t.Context())
			}
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && !strings.Contains(got, tc.wantErr) {
				t.Errorf("New: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestPutRefused(t *testing.T) {
	t.Parallel()
	d := newDispatcher(t, &testutil.FakeCloudWatch{}, cloudwatchbatch.Config{})
	ok := datum("latency", 1)
	tests := []struct {
		name string
		m    types.MetricDatum
		want error
	}{
		{"no name", with(ok, func(m *types.MetricDatum) { m.MetricName = nil }), cloudwatchbatch.ErrInvalidMetricName},
		{"name of 256", with(ok, func(m *types.MetricDatum) { m.MetricName = aws.String(strings.Repeat("é", 256)) }), cloudwatchbatch.ErrInvalidMetricName},
		{"31 dimensions", with(ok, func(m *types.MetricDatum) { m.Dimensions = dims(31, "d", "v") }), cloudwatchbatch.ErrInvalidDimension},
		{"dimension without value", with(ok, func(m *types.MetricDatum) { m.Dimensions = []types.Dimension{{Name: aws.String("d")}} }), cloudwatchbatch.ErrInvalidDimension},
		{"blank dimension value", with(ok, func(m *types.MetricDatum) { m.Dimensions = dims(1, "d", "  ") }), cloudwatchbatch.ErrInvalidDimension},
		{"dimension name with colon", with(ok, func(m *types.MetricDatum) { m.Dimensions = dims(1, ":d", "v") }), cloudwatchbatch.ErrInvalidDimension},
		{"dimension value of 1025", with(ok, func(m *types.MetricDatum) { m.Dimensions = dims(1, "d", strings.Repeat("v", 1025)) }), cloudwatchbatch.ErrInvalidDimension},
		{"dimension name of 256", with(ok, func(m *types.MetricDatum) { m.Dimensions = dims(1, strings.Repeat("d", 255), "v") }), cloudwatchbatch.ErrInvalidDimension},
		{"dimension not ASCII", with(ok, func(m *types.MetricDatum) { m.Dimensions = dims(1, "d", "é") }), cloudwatchbatch.ErrInvalidDimension},
		{"dimension control character", with(ok, func(m *types.MetricDatum) { m.Dimensions = dims(1, "d", "a\nb") }), cloudwatchbatch.ErrInvalidDimension},
		{"no value", with(ok, func(m *types.MetricDatum) { m.Value = nil }), cloudwatchbatch.ErrInvalidValue},
		{"Value and Values", with(ok, func(m *types.MetricDatum) { m.Values = []float64{1} }), cloudwatchbatch.ErrInvalidValue},
		{"Value and StatisticValues", with(ok, func(m *types.MetricDatum) { m.StatisticValues = stats(1, 1, 1, 1) }), cloudwatchbatch.ErrInvalidValue},
		{"NaN", with(ok, func(m *types.MetricDatum) { m.Value = aws.Float64(math.NaN()) }), cloudwatchbatch.ErrInvalidValue},
		{"+Inf", with(ok, func(m *types.MetricDatum) { m.Value = aws.Float64(math.Inf(1)) }), cloudwatchbatch.ErrInvalidValue},
		{"over 2^360", with(ok, func(m *types.MetricDatum) { m.Value = aws.Float64(-math.Ldexp(1.5, 360)) }), cloudwatchbatch.ErrInvalidValue},
		{"-Inf in Values", with(ok, func(m *types.MetricDatum) { m.Value, m.Values = nil, []float64{1, math.Inf(-1)} }), cloudwatchbatch.ErrInvalidValue},
		{"NaN in Counts", with(ok, func(m *types.MetricDatum) { m.Value, m.Values, m.Counts = nil, []float64{1}, []float64{math.NaN()} }), cloudwatchbatch.ErrInvalidValue},
		{"151 values", with(ok, func(m *types.MetricDatum) { m.Value, m.Values = nil, make([]float64, 151) }), cloudwatchbatch.ErrInvalidValue},
		{"counts of another length", with(ok, func(m *types.MetricDatum) { m.Value, m.Values, m.Counts = nil, []float64{1, 2}, []float64{1} }), cloudwatchbatch.ErrInvalidValue},
		{"counts without values", with(ok, func(m *types.MetricDatum) { m.Counts = []float64{1} }), cloudwatchbatch.ErrInvalidValue},
		{"incomplete statistics", with(ok, func(m *types.MetricDatum) {
			m.Value, m.StatisticValues = nil, &types.StatisticSet{SampleCount: aws.Float64(1), Sum: aws.Float64(1)}
		}), cloudwatchbatch.ErrInvalidValue},
		{"NaN in statistics", with(ok, func(m *types.MetricDatum) { m.Value, m.StatisticValues = nil, stats(1, math.NaN(), 1, 1) }), cloudwatchbatch.ErrInvalidValue},
		{"unknown unit", with(ok, func(m *types.MetricDatum) { m.Unit = "Parsecs" }), cloudwatchbatch.ErrInvalidUnit},
		{"storage resolution 5", with(ok, func(m *types.MetricDatum) { m.StorageResolution = aws.Int32(5) }), cloudwatchbatch.ErrInvalidStorageResolution},
		{"15 days old", with(ok, func(m *types.MetricDatum) { m.Timestamp = aws.Time(time.Now().Add(-15 * 24 * time.Hour)) }), cloudwatchbatch.ErrInvalidTimestamp},
		{"3 hours ahead", with(ok, func(m *types.MetricDatum) { m.Timestamp = aws.Time(time.Now().Add(3 * time.Hour)) }), cloudwatchbatch.ErrInvalidTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := d.Put(t.Context(), tc.m)
			if !errors.Is(err, tc.want) || !errors.Is(err, cloudwatchbatch.ErrInvalidDatum) {
				t.Errorf("Put: %v, want %v (and ErrInvalidDatum)", err, tc.want)
			}
		})
	}
	if diff := cmp.Diff(batch.Stats{Rejected: int64(len(tests))}, d.Stats()); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
}

func stats(count, sum, lo, hi float64) *types.StatisticSet {
	return &types.StatisticSet{SampleCount: aws.Float64(count), Sum: aws.Float64(sum), Minimum: aws.Float64(lo), Maximum: aws.Float64(hi)}
}

// TestPutAccepted puts data at the edges of CloudWatch's rules: each is
// taken, as it was put, and one without a Timestamp gets the time of Put.
func TestPutAccepted(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeCloudWatch{}
	d := newDispatcher(t, fake, cloudwatchbatch.Config{})
	now := time.Now()
	ok := datum("latency", 1)
	values := make([]float64, 150)
	for i := range values {
		values[i] = math.SmallestNonzeroFloat64 * float64(i+1) // the longest in the query protocol
	}
	in := []types.MetricDatum{
		with(ok, func(m *types.MetricDatum) { m.MetricName = aws.String(strings.Repeat("é", 255)) }),
		with(ok, func(m *types.MetricDatum) {
			m.Dimensions = dims(30, strings.Repeat("d", 250), strings.Repeat("/", 1024))
		}),
		with(ok, func(m *types.MetricDatum) { m.Value, m.Values, m.Counts = nil, values, values }),
		with(ok, func(m *types.MetricDatum) { m.Value, m.StatisticValues = nil, stats(3, 6, 1, 3) }),
		with(ok, func(m *types.MetricDatum) { m.Value = aws.Float64(math.Ldexp(-1, 360)) }),
		with(ok, func(m *types.MetricDatum) { m.Unit, m.StorageResolution = types.StandardUnitBytesSecond, aws.Int32(1) }),
		with(ok, func(m *types.MetricDatum) { m.StorageResolution = aws.Int32(60) }),
		with(ok, func(m *types.MetricDatum) { m.Timestamp = aws.Time(now.Add(-14*24*time.Hour + time.Minute)) }),
		with(ok, func(m *types.MetricDatum) { m.Timestamp = aws.Time(now.Add(2*time.Hour - time.Minute)) }),
	}
	for i, m := range in {
		if err := d.Put(t.Context(), m); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	noTime := with(ok, func(m *types.MetricDatum) { m.Timestamp = nil })
	before := time.Now()
	if err := d.Put(t.Context(), noTime); err != nil {
		t.Fatalf("Put without Timestamp: %v", err)
	}
	after := time.Now()
	if err := d.Flush(t.Context()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	got := fake.Data()
	if len(got) != len(in)+1 {
		t.Fatalf("%d data taken, want %d", len(got), len(in)+1)
	}
	opts := cmpopts.IgnoreUnexported(types.MetricDatum{}, types.Dimension{}, types.StatisticSet{})
	if diff := cmp.Diff(in, got[:len(in)], opts); diff != "" {
		t.Errorf("data mismatch (-want +got):\n%.2000s", diff)
	}
	if ts := got[len(in)].Timestamp; ts == nil || ts.Before(before) || ts.After(after) {
		t.Errorf("Timestamp of a datum put without one: %v, want between %v and %v", ts, before, after)
	}
}
