package cloudwatchbatch_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/cloudwatchbatch"
	"github.com/batchutils/batchutils/testutil"
)

// printData prints the data the in-memory fake that stands in for CloudWatch
// in these examples took. With CloudWatch, pass a *cloudwatch.Client made by
// cloudwatch.NewFromConfig instead.
func printData(f *testutil.FakeCloudWatch) {
	for _, m := range f.Data() {
		v := fmt.Sprint(aws.ToFloat64(m.Value))
		if m.Values != nil {
			v = fmt.Sprint(m.Values, m.Counts)
		}
		fmt.Printf("%-8s %-6s %s\n", aws.ToString(m.MetricName), m.Unit, v)
	}
}

// Single values and a histogram, in one PutMetricData call.
func Example() {
	client := &testutil.FakeCloudWatch{}
	ctx := context.Background()
	d, err := cloudwatchbatch.New(client, cloudwatchbatch.Config{Namespace: "Shop/Checkout"})
	if err != nil {
		panic(err)
	}
	d.Put(ctx, types.MetricDatum{MetricName: aws.String("orders"), Value: aws.Float64(3), Unit: types.StandardUnitCount})
	d.Put(ctx, types.MetricDatum{
		MetricName: aws.String("latency"),
		Dimensions: []types.Dimension{{Name: aws.String("Region"), Value: aws.String("eu-west-1")}},
		Values:     []float64{12, 15, 40},
		Counts:     []float64{10, 4, 1},
		Unit:       types.StandardUnitMilliseconds,
	})
	// CloudWatch would refuse NaN: so does Put, before it can get a call
	// refused.
	err = d.Put(ctx, types.MetricDatum{MetricName: aws.String("ratio"), Value: aws.Float64(math.NaN())})
	fmt.Println(errors.Is(err, cloudwatchbatch.ErrInvalidValue))
	if err := d.Close(ctx); err != nil { // Close flushes
		panic(err)
	}
	printData(client)
	fmt.Println("calls:", len(client.Calls()))
	// Output:
	// true
	// orders   Count  3
	// latency  Milliseconds [12 15 40] [10 4 1]
	// calls: 1
}

// CloudWatch refuses a call as a whole; the dispatcher splits a refused call
// until the datum that causes it is alone, and only that datum fails.
func Example_failures() {
	client := &testutil.FakeCloudWatch{Err: func(_ int, data []types.MetricDatum) error {
		for _, m := range data {
			if m.Timestamp.Before(time.Now().Add(-24 * time.Hour)) { // a rule Put does not know
				return &types.InvalidParameterValueException{Message: aws.String("The timestamp is too old."),
					ErrorCodeOverride: aws.String("InvalidParameterValue")}
			}
		}
		return nil
	}}
	ctx := context.Background()
	d, _ := cloudwatchbatch.New(client, cloudwatchbatch.Config{Namespace: "Shop/Checkout"})
	for i := range 8 {
		m := types.MetricDatum{MetricName: aws.String(fmt.Sprint("m", i)), Value: aws.Float64(float64(i))}
		if i == 5 {
			m.Timestamp = aws.Time(time.Now().Add(-13 * 24 * time.Hour))
		}
		d.Put(ctx, m)
	}
	err := d.Close(ctx)
	var failed *batch.FailedError[types.MetricDatum]
	if errors.As(err, &failed) {
		for _, f := range failed.Failures {
			var ive *types.InvalidParameterValueException
			fmt.Println(aws.ToString(f.Item.MetricName), errors.As(f.Err, &ive))
		}
	}
	fmt.Println("written:", d.Stats().Written)
	// Output:
	// m5 true
	// written: 7
}

// PutWait returns the outcome of its own datum; concurrent callers share
// calls.
func ExampleDispatcher_PutWait() {
	client := &testutil.FakeCloudWatch{}
	ctx := context.Background()
	d, _ := cloudwatchbatch.New(client, cloudwatchbatch.Config{Namespace: "Jobs"})
	defer d.Close(ctx)
	err := d.PutWait(ctx, types.MetricDatum{MetricName: aws.String("runs"), Value: aws.Float64(1), Unit: types.StandardUnitCount})
	fmt.Println(err)
	printData(client)
	// Output:
	// <nil>
	// runs     Count  1
}
