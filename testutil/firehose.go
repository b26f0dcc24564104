package testutil

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// NewFirehoseClient returns a real Firehose client for endpoint (usually
// MotoEndpoint's, or a fault proxy's) with fake credentials, in region
// us-east-1, tuned by opts as NewSQSClient's client is. The test fails at
// once if endpoint is not a loopback URL: no test may touch real AWS. Idle
// connections are closed when the test ends.
func NewFirehoseClient(t testing.TB, endpoint string, opts ClientOptions) *firehose.Client {
	t.Helper()
	p := newSDKParts(t, "Firehose", endpoint, opts, 64)
	return firehose.New(firehose.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  p.credentials,
		HTTPClient:   p.httpClient,
		Retryer:      p.retryer,
	})
}

// NewS3Client returns a real S3 client for endpoint, as NewFirehoseClient
// does, with path-style addressing (the bucket in the path, as a local
// server needs).
func NewS3Client(t testing.TB, endpoint string, opts ClientOptions) *s3.Client {
	t.Helper()
	p := newSDKParts(t, "S3", endpoint, opts, 16)
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  p.credentials,
		HTTPClient:   p.httpClient,
		Retryer:      p.retryer,
		UsePathStyle: true,
	})
}

// CreateDeliveryStream creates an S3 bucket and a Direct PUT delivery stream
// that delivers into it, both with a unique name made from the test's name,
// and returns the stream's name and the bucket's. moto writes the records of
// each PutRecordBatch call into the bucket at once, as one object: their data
// concatenated, with nothing between them. The stream is deleted when the
// test ends; the bucket lives as long as the server.
func CreateDeliveryStream(t testing.TB, fh *firehose.Client, s3c *s3.Client) (stream, bucket string) {
	t.Helper()
	name := strings.ToLower(queueName(t, false))
	name = strings.ReplaceAll(name[max(0, len(name)-60):], "_", "-")
	name = strings.TrimLeft(name, "-")
	if _, err := s3c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("testutil.CreateDeliveryStream: bucket %s: %v", name, err)
	}
	_, err := fh.CreateDeliveryStream(t.Context(), &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(name),
		DeliveryStreamType: types.DeliveryStreamTypeDirectPut,
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::" + name),
			RoleARN:   aws.String("arn:aws:iam::123456789012:role/batchutils-firehose"),
		},
	})
	if err != nil {
		t.Fatalf("testutil.CreateDeliveryStream %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), tableDeleteTimeout)
		defer cancel()
		if _, err := fh.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String(name)}); err != nil {
			t.Errorf("testutil: deleting delivery stream %s: %v", name, err)
		}
	})
	return name, name
}

// ReadBucket returns the contents of every object of bucket, in the order
// of their keys.
func ReadBucket(t testing.TB, client *s3.Client, bucket string) [][]byte {
	t.Helper()
	var out [][]byte
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("testutil.ReadBucket %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			obj, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				t.Fatalf("testutil.ReadBucket %s/%s: %v", bucket, aws.ToString(o.Key), err)
			}
			b, err := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err != nil {
				t.Fatalf("testutil.ReadBucket %s/%s: %v", bucket, aws.ToString(o.Key), err)
			}
			out = append(out, b)
		}
	}
	return out
}
