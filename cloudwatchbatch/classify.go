package cloudwatchbatch

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/sdkretry"
)

// classify marks err, the error of a PutMetricData call, for the core, by
// the codes of PutMetricData's errors (as the query protocol names them, and
// as the SDK's types do). It stands in for the classification that the
// backends are to share.
func classify(ctx context.Context, err error) error {
	var ae smithy.APIError
	var inv smithy.InvalidParamsError
	switch {
	case err == nil || ctx.Err() != nil:
		return err // the core stops when its own context ends
	case errors.As(err, &inv):
		return batch.Permanent(err)
	case sdkretry.IsThrottle(err):
		return batch.Throttle(err)
	case !errors.As(err, &ae):
		return err // the network: retried
	}
	switch ae.ErrorCode() {
	case "InvalidParameterValue", "InvalidParameterValueException", "InvalidParameterCombination",
		"InvalidParameterCombinationException", "MissingParameter", "MissingRequiredParameterException":
		return batch.Permanent(err) // some datum is refused: split the call to find it
	case "AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId",
		"SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken", "ExpiredToken":
		return batch.PermanentForAll(err)
	}
	return err // InternalServiceFault, and any other: retried
}

// noThrottleRetries keeps the SDK from retrying a throttled call: the core
// sees it at once and slows every writer down.
func noThrottleRetries(o *cloudwatch.Options) { o.Retryer = sdkretry.WithoutThrottleRetries(o.Retryer) }
