package testutil

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// CloudWatchQueryProtocol is an option of cloudwatch.New that makes the
// client speak the query protocol instead of the SDK's default, CBOR, which
// moto 5.2.1 cannot read (it answers HTTP 404). It must be passed to
// cloudwatch.New as an option: set in the Options value, the protocol is
// overwritten by New.
func CloudWatchQueryProtocol(o *cloudwatch.Options) {
	o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
}

// NewCloudWatchClient returns a real CloudWatch client for endpoint (usually
// MotoEndpoint's, or a fault proxy's) that speaks the query protocol (see
// CloudWatchQueryProtocol), with fake credentials, in region us-east-1,
// tuned by opts as NewSQSClient's client is. The test fails at once if
// endpoint is not a loopback URL: no test may touch real AWS. Idle
// connections are closed when the test ends.
func NewCloudWatchClient(t testing.TB, endpoint string, opts ClientOptions) *cloudwatch.Client {
	t.Helper()
	p := newSDKParts(t, "CloudWatch", endpoint, opts, 64)
	return cloudwatch.New(cloudwatch.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  p.credentials,
		HTTPClient:   p.httpClient,
		Retryer:      p.retryer,
	}, CloudWatchQueryProtocol)
}

// MetricNamespace returns a CloudWatch namespace unique to this call, made
// from the end of the test's name. Namespaces need no creation and moto keeps
// their data until it stops: a unique one keeps tests apart.
func MetricNamespace(t testing.TB) string {
	t.Helper()
	return "batchutils/" + queueName(t, false)
}

// ListMetrics returns every metric of namespace, through all the pages of
// ListMetrics.
func ListMetrics(t testing.TB, client *cloudwatch.Client, namespace string) []types.Metric {
	t.Helper()
	var out []types.Metric
	p := cloudwatch.NewListMetricsPaginator(client, &cloudwatch.ListMetricsInput{Namespace: aws.String(namespace)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("testutil.ListMetrics %s: %v", namespace, err)
		}
		out = append(out, page.Metrics...)
	}
	return out
}

// MetricStatistics returns the SampleCount, Sum, Minimum and Maximum of
// metric in namespace over [start, end), as one datapoint per period
// (in seconds) that holds data, from GetMetricStatistics.
func MetricStatistics(t testing.TB, client *cloudwatch.Client, namespace string, metric types.Metric, start, end time.Time, period int32) []types.Datapoint {
	t.Helper()
	out, err := client.GetMetricStatistics(t.Context(), &cloudwatch.GetMetricStatisticsInput{
		Namespace:  aws.String(namespace),
		MetricName: metric.MetricName,
		Dimensions: metric.Dimensions,
		StartTime:  aws.Time(start),
		EndTime:    aws.Time(end),
		Period:     aws.Int32(period),
		Statistics: []types.Statistic{types.StatisticSampleCount, types.StatisticSum, types.StatisticMinimum, types.StatisticMaximum},
	})
	if err != nil {
		t.Fatalf("testutil.MetricStatistics %s %s: %v", namespace, aws.ToString(metric.MetricName), err)
	}
	return out.Datapoints
}
