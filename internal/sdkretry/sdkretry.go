// Package sdkretry keeps the SDK's retryer out of the dispatcher's way when a
// service throttles: a throttled call is returned at once, so that the
// dispatcher's rate control sees it and every writer slows down, instead of
// one writer sleeping inside the SDK between attempts that the service will
// throttle too. Every other error the SDK retries as it always does.
package sdkretry

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// WithoutThrottleRetries returns r, except that it does not retry the errors
// the SDK counts as throttling (retry.DefaultThrottles: throttling error
// codes, and HTTP 429). nil stays nil.
func WithoutThrottleRetries(r aws.Retryer) aws.Retryer {
	switch r := r.(type) {
	case nil:
		return nil
	case aws.RetryerV2:
		return retryerV2{r}
	default:
		return retryer{r}
	}
}

// IsThrottle reports whether the SDK counts err as throttling.
func IsThrottle(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

type retryer struct{ aws.Retryer }

func (r retryer) IsErrorRetryable(err error) bool {
	return !IsThrottle(err) && r.Retryer.IsErrorRetryable(err)
}

type retryerV2 struct{ aws.RetryerV2 }

func (r retryerV2) IsErrorRetryable(err error) bool {
	return !IsThrottle(err) && r.RetryerV2.IsErrorRetryable(err)
}
