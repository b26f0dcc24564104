package firehosebatch

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/sdkretry"
)

// classify marks err, the error of a PutRecordBatch call, for the core. Codes
// are PutRecordBatch's errors in the Firehose API reference, and the common
// errors of every AWS API.
//
// It stands in for the shared classification of SDK errors that the backends
// are to have in common; it holds nothing that the shared one lacks.
func classify(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return err // the core stops when its own context ends
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ServiceUnavailableException", "LimitExceededException":
			return batch.Throttle(err) // the stream's throughput
		case "InvalidArgumentException", "SerializationException", "ValidationException":
			return batch.Permanent(err)
		case "ResourceNotFoundException", "InvalidKMSResourceException", "InvalidSourceException",
			"AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
			"MissingAuthenticationTokenException", "IncompleteSignature", "ExpiredTokenException":
			return batch.PermanentForAll(err) // the stream, its key or the credentials
		}
	}
	var inv smithy.InvalidParamsError
	var re *smithyhttp.ResponseError
	switch {
	case errors.As(err, &inv):
		return batch.Permanent(err)
	case errors.As(err, &re) && re.Response != nil && re.HTTPStatusCode() == 413:
		return batch.Permanent(err) // the body is too large: split it
	case sdkretry.IsThrottle(err):
		return batch.Throttle(err)
	}
	return err // InternalFailure, 5xx, the network: retried
}

// noThrottleRetries is a functional option of PutRecordBatch that keeps the
// SDK from retrying a throttled call: the core sees it at once and slows
// every writer down.
func noThrottleRetries(o *firehose.Options) {
	o.Retryer = sdkretry.WithoutThrottleRetries(o.Retryer)
}
