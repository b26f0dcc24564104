package snsbatch

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/sdkretry"
)

// callOptions are the options of every PublishBatch call: the SDK does not
// retry a throttled call, so that the core sees it at once and slows down.
func callOptions(o *sns.Options) { o.Retryer = sdkretry.WithoutThrottleRetries(o.Retryer) }

// throttleCode reports whether an error code says SNS or KMS pushed back.
func throttleCode(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok || code == "Throttled" || code == "KMSThrottling"
}

// classify marks an error of a whole PublishBatch call for the core. It
// stands until the library has one classification for every backend.
func classify(err error) error {
	var ae smithy.APIError
	var inv smithy.InvalidParamsError
	switch {
	case errors.As(err, &inv):
		return batch.Permanent(err)
	case !errors.As(err, &ae):
		return err
	case throttleCode(ae.ErrorCode()):
		return batch.Throttle(err)
	}
	switch ae.ErrorCode() {
	case "BatchRequestTooLong", "TooManyEntriesInBatchRequest", "BatchEntryIdsNotDistinct", "InvalidBatchEntryId", "ValidationException":
		return batch.Permanent(err)
	case "NotFound", "AuthorizationError", "InvalidParameter", "InvalidParameterValue", "InvalidSecurity",
		"KMSAccessDenied", "KMSDisabled", "KMSInvalidState", "KMSNotFound", "KMSOptInRequired":
		return batch.PermanentForAll(err)
	}
	return err
}
