package testutil

import (
	"context"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// endpointFrom returns the URL in the environment variable env. When it is
// not set, the test is skipped with hint, or fails when $CI is set:
// integration tests must run in CI.
func endpointFrom(t testing.TB, env, hint string) string {
	t.Helper()
	endpoint := os.Getenv(env)
	if endpoint == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(hint)
		}
		t.Skip(hint)
	}
	return endpoint
}

// sdkParts is what every test client of an AWS service shares: fake
// credentials, an HTTP client with the timeouts of opts, and the SDK's
// standard retryer tuned by opts, with its client-side retry quota off (so
// that a test that injects many faults measures the dispatcher's retries,
// not the quota).
type sdkParts struct {
	credentials aws.CredentialsProvider
	httpClient  *http.Client
	retryer     aws.Retryer
}

// newSDKParts returns the parts of a client for endpoint, which must be a
// loopback URL: the test fails at once otherwise, since no test may touch
// real AWS. maxIdle is the idle connections kept per host (0: the
// transport's default). Idle connections are closed when the test ends.
func newSDKParts(t testing.TB, service, endpoint string, opts ClientOptions, maxIdle int) sdkParts {
	t.Helper()
	if err := checkLoopbackEndpoint(endpoint); err != nil {
		t.Fatalf("testutil: refusing %s endpoint: %v", service, err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = requestTimeout
	}
	keyID, secret := opts.AccessKeyID, opts.SecretAccessKey
	if keyID == "" {
		keyID = fakeAccessKeyID
	}
	if secret == "" {
		secret = fakeSecretAccessKey
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: min(dialTimeout, timeout), KeepAlive: 30 * time.Second}).DialContext
	transport.ResponseHeaderTimeout = timeout
	if maxIdle > 0 {
		transport.MaxIdleConnsPerHost = maxIdle
	}
	t.Cleanup(transport.CloseIdleConnections)
	return sdkParts{
		credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, Source: "testutil fake credentials"}, nil
		}),
		httpClient: &http.Client{Transport: transport, Timeout: timeout},
		retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			if opts.RetryMaxAttempts > 0 {
				o.MaxAttempts = opts.RetryMaxAttempts
			}
			if opts.RetryMaxBackoff > 0 {
				o.MaxBackoff = opts.RetryMaxBackoff
				o.BaseDelay = min(o.MaxBackoff, 50*time.Millisecond)
			}
			o.RateLimiter = ratelimit.None
		}),
	}
}
