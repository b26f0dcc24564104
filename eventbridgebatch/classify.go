package eventbridgebatch

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/smithy-go"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/sdkretry"
)

// callOptions are the options of every PutEvents call: the SDK does not
// retry a throttled call, so that the core sees it at once and slows down.
func callOptions(o *eventbridge.Options) {
	o.Retryer = sdkretry.WithoutThrottleRetries(o.Retryer)
}

// classify marks an error of a whole PutEvents call for the core: a
// throttle, a refusal of what some entry holds (the batch is split), a
// refusal of the call whatever it holds (every entry fails), or else a
// retry. It stands until the library has one classification for every
// backend.
func classify(err error) error {
	var inv smithy.InvalidParamsError
	if errors.As(err, &inv) {
		return batch.Permanent(err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err
	}
	_, throttle := retry.DefaultThrottleErrorCodes[ae.ErrorCode()]
	switch code := ae.ErrorCode(); {
	case throttle:
		return batch.Throttle(err)
	case code == "ValidationException" || code == "InvalidArgument" || code == "SerializationException":
		return batch.Permanent(err)
	case code == "ResourceNotFoundException" || code == "AccessDeniedException" ||
		code == "UnrecognizedClientException" || code == "InvalidSignatureException":
		return batch.PermanentForAll(err)
	}
	return err
}
