package sdkretry_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/batchutils/batchutils/internal/sdkretry"
)

// TestWithoutThrottleRetries runs a real client against a server that
// answers every call with one error: the SDK retries a 500 as it always
// does, and a throttling error not at all.
func TestWithoutThrottleRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		code     string
		attempts int64
	}{
		{name: "throttling", status: 400, code: "ThrottlingException", attempts: 1},
		{name: "provisioned throughput", status: 400, code: "ProvisionedThroughputExceededException", attempts: 1},
		{name: "server error", status: 500, code: "InternalServerError", attempts: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(tc.status)
				w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#` + tc.code + `","message":"no"}`))
			}))
			defer srv.Close()
			client := dynamodb.New(dynamodb.Options{
				BaseEndpoint: aws.String(srv.URL),
				Region:       "us-east-1",
				Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
					return aws.Credentials{AccessKeyID: "k", SecretAccessKey: "s"}, nil
				}),
				Retryer: retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = retry.BackoffDelayerFunc(zeroDelay) }),
			})
			_, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("t")},
				func(o *dynamodb.Options) { o.Retryer = sdkretry.WithoutThrottleRetries(o.Retryer) })
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
				t.Fatalf("error = %v, want code %s", err, tc.code)
			}
			if got := calls.Load(); got != tc.attempts {
				t.Errorf("%d attempts, want %d", got, tc.attempts)
			}
			if got := sdkretry.IsThrottle(err); got != (tc.attempts == 1) {
				t.Errorf("IsThrottle = %v", got)
			}
		})
	}
}

func zeroDelay(int, error) (time.Duration, error) { return 0, nil }
