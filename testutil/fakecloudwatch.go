package testutil

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// FakeCloudWatch is an in-memory CloudWatch PutMetricData for unit tests and
// examples: it records every call, and refuses a call as CloudWatch does, as
// a whole (no namespace, no data or more than 1,000, a datum without a name
// or with a NaN or infinite value), with the service's error types. Its
// behaviour is scripted through its fields, set before use. Its methods are
// safe for concurrent use.
type FakeCloudWatch struct {
	// Err, if set, is asked at the start of every call, with its number
	// from 1 and its data: an error fails the whole call, and nothing is
	// taken. It is called with the fake's lock held.
	Err func(call int, data []types.MetricDatum) error

	mu    sync.Mutex
	calls [][]types.MetricDatum
	data  []types.MetricDatum
}

var _ interface {
	PutMetricData(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
} = (*FakeCloudWatch)(nil)

// PutMetricData takes the data of in, or refuses them all.
func (f *FakeCloudWatch) PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	data := append([]types.MetricDatum(nil), in.MetricData...)
	f.calls = append(f.calls, data)
	if f.Err != nil {
		if err := f.Err(len(f.calls), data); err != nil {
			return nil, err
		}
	}
	invalid := func(format string, args ...any) error {
		return &types.InvalidParameterValueException{Message: aws.String(fmt.Sprintf(format, args...)), ErrorCodeOverride: aws.String("InvalidParameterValue")}
	}
	if aws.ToString(in.Namespace) == "" {
		return nil, &types.MissingRequiredParameterException{Message: aws.String("Namespace is required"), ErrorCodeOverride: aws.String("MissingParameter")}
	}
	if n := len(data); n < 1 || n > 1000 {
		return nil, invalid("%d metrics: want 1 to 1000", n)
	}
	for i, m := range data {
		if aws.ToString(m.MetricName) == "" {
			return nil, invalid("MetricData.member.%d.MetricName is empty", i+1)
		}
		for _, v := range append(append([]float64{aws.ToFloat64(m.Value)}, m.Values...), m.Counts...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, invalid("The value %v for parameter MetricData.member.%d.Value is invalid.", v, i+1)
			}
		}
	}
	f.data = append(f.data, data...)
	return &cloudwatch.PutMetricDataOutput{}, nil
}

// Data returns the data taken so far, in the order they were taken.
func (f *FakeCloudWatch) Data() []types.MetricDatum {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]types.MetricDatum(nil), f.data...)
}

// Calls returns the data of every call so far, taken or not.
func (f *FakeCloudWatch) Calls() [][]types.MetricDatum {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]types.MetricDatum(nil), f.calls...)
}
