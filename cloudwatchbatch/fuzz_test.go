package cloudwatchbatch

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// bodySizer is the HTTP client of a real CloudWatch client that answers
// every request itself, after noting the size of its body.
type bodySizer struct{ size int }

func (b *bodySizer) Do(r *http.Request) (*http.Response, error) {
	n, err := io.Copy(io.Discard, r.Body)
	b.size = int(n)
	h := http.Header{}
	body := []byte{0xa0} // CBOR: an empty map
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		body = []byte(`<PutMetricDataResponse><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></PutMetricDataResponse>`)
		h.Set("Content-Type", "text/xml")
	} else {
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
		h.Set("Content-Type", "application/cbor")
	}
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, err
}

// FuzzSize checks the measure of a datum against the real SDK client: the
// body of a request of one datum that Put accepts, in the query protocol and
// in the SDK's default (CBOR), uncompressed, is never larger than the
// request's fields and the datum's measure. Seeds are in
// testdata/fuzz/FuzzSize.
func FuzzSize(f *testing.F) {
	f.Add("latency", "Region", "eu-west-1", 1.5, 0.0, 1.0, "Milliseconds", "App/Orders")
	f.Add("<&>\x00é", "d", "/:?#[]@!$'()*+,;=\"", 1e-300, -4.9e-324, 1e300, "Bytes/Second", "a b<c>")
	f.Add("\u2028", " x", "~._-", math.Copysign(0, -1), 123456789.125, 2.0, "", "N")
	f.Fuzz(func(t *testing.T, name, dimName, dimValue string, v, x, y float64, unit, ns string) {
		d, err := New(nopClient{}, Config{Namespace: ns}) // checks ns
		if err != nil {
			return
		}
		d.Close(t.Context())
		m := types.MetricDatum{
			MetricName: aws.String(name),
			Dimensions: []types.Dimension{{Name: aws.String(dimName), Value: aws.String(dimValue)}},
			Values:     []float64{v, x, y},
			Counts:     []float64{x, y, v},
			Unit:       types.StandardUnit(unit),
			Timestamp:  aws.Time(time.Now().Add(-time.Hour)),
		}
		w := newWriter(nil, ns, 0)
		e, err := w.Encode(m)
		if err != nil {
			return
		}
		limit := MaxBatchBytes - w.limits.MaxBatchBytes + e.Size
		for _, query := range []bool{false, true} {
			hc := &bodySizer{}
			opts := cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
				Credentials: aws.AnonymousCredentials{}, HTTPClient: hc, DisableRequestCompression: true}
			var client *cloudwatch.Client
			if query {
				client = cloudwatch.New(opts, func(o *cloudwatch.Options) { o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801) })
			} else {
				client = cloudwatch.New(opts)
			}
			in := &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: []types.MetricDatum{e.Value}}
			if _, err := client.PutMetricData(t.Context(), in); err != nil {
				t.Fatalf("PutMetricData: %v", err)
			}
			if hc.size > limit {
				t.Errorf("query=%v: a body of %d bytes, measured %d", query, hc.size, limit)
			}
		}
	})
}

type nopClient struct{}

func (nopClient) PutMetricData(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	return &cloudwatch.PutMetricDataOutput{}, nil
}
