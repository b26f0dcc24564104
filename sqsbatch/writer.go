package sqsbatch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/idbatch"
	"github.com/batchutils/batchutils/internal/sdkretry"
)

// noThrottleRetries is a functional option of SendMessageBatch: the SDK does
// not retry a throttled call, so that the dispatcher sees it at once and
// slows every writer down (see internal/sdkretry).
func noThrottleRetries(o *sqs.Options) {
	o.Retryer = sdkretry.WithoutThrottleRetries(o.Retryer)
}

// writer is the batch.Backend of a Dispatcher: it makes messages of the
// caller's items and sends them with SendMessageBatch.
type writer[T any] struct {
	client   Client
	queue    string // the queue's name
	queueURL string
	fifo     bool
	cbd      bool // content-based deduplication
	maxBytes int
	limits   batch.Limits
}

// Limits returns SendMessageBatch's limits: 10 entries, each message at
// most Config.MaxMessageBytes and the call at most MaxBatchBytes, by SQS's
// count. On a FIFO queue, a call applies its entries in order.
func (w *writer[T]) Limits() batch.Limits { return w.limits }

// Name names the package in the errors of Config.Batch.
func (w *writer[T]) Name() string { return "sqsbatch" }

// Write sends one SendMessageBatch call and maps SQS's answer to an
// Outcome: an entry Failed with SenderFault is refused on its own, one
// Failed otherwise or throttled is retried, and so is one SQS did not
// mention. On a FIFO queue, the entries of a group that follow a retried
// entry in the call are retried after it too, even those SQS took: SQS
// drops the repeats by their deduplication ids, so order holds.
func (w *writer[T]) Write(ctx context.Context, entries []types.SendMessageBatchRequestEntry) (batch.Outcome, error) {
	if len(entries) > MaxBatchEntries {
		return batch.Outcome{}, batch.Permanent(fmt.Errorf("sqsbatch: %d messages in one call, the most is %d", len(entries), MaxBatchEntries))
	}
	for i := range entries {
		entries[i].Id = &idbatch.IDs[i] // entries is the call's own copy
	}
	out, err := w.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
		QueueUrl: &w.queueURL,
		Entries:  entries,
	}, noThrottleRetries)
	if err != nil {
		switch errorScope(err) {
		case scopeItems:
			return batch.Outcome{}, batch.Permanent(err)
		case scopeRequest:
			return batch.Outcome{}, batch.PermanentForAll(err)
		case scopeThrottle:
			return batch.Outcome{}, batch.Throttle(err)
		}
		return batch.Outcome{}, err
	}
	return w.outcome(entries, out)
}

// outcome maps SQS's Successful and Failed entries to an Outcome, as
// idbatch does for every call whose entries carry ids.
func (w *writer[T]) outcome(entries []types.SendMessageBatchRequestEntry, out *sqs.SendMessageBatchOutput) (batch.Outcome, error) {
	a := idbatch.Read(len(entries), out.Successful, out.Failed, func(s types.SendMessageBatchResultEntry) *string { return s.Id },
		func(f types.BatchResultErrorEntry) idbatch.Failure {
			return idbatch.Failure{ID: aws.ToString(f.Id), Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault}
		})
	a.Throttle = throttleCode
	if w.fifo {
		a.Group = func(i int) string { return aws.ToString(entries[i].MessageGroupId) }
	}
	o, err := a.Outcome()
	if err != nil {
		return o, fmt.Errorf("sqsbatch: %w", err)
	}
	return o, nil
}

// throttleCode reports whether an error code says SQS or KMS pushed back.
func throttleCode(code string) bool {
	switch code {
	case "ThrottlingException", "Throttling", "RequestThrottled", "AWS.SimpleQueueService.RequestThrottled",
		"KmsThrottled", "KMS.ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown":
		return true
	}
	return false
}

// What an error says of a call, for retrying it.
const (
	scopeRetry    = iota // worth another try: 5xx, network, decoding
	scopeThrottle        // worth another try, more slowly: SQS or KMS pushed back
	scopeItems           // refused for what some entry holds: no retry, but the others may pass
	scopeRequest         // refused whatever the entries: no retry, no split
)

// errorScope classifies an error returned by SendMessageBatch. The codes
// are matched both as the JSON protocol names them (QueueDoesNotExist) and
// as the query protocol did (AWS.SimpleQueueService.NonExistentQueue),
// which SQS still sends in its query-compatible header.
func errorScope(err error) int {
	var se *v4.SigningError
	if errors.As(err, &se) {
		return scopeRequest // no credentials, or they cannot sign
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		if clientSideAuthError(err) {
			return scopeRequest
		}
		return scopeRetry
	}
	code := ae.ErrorCode()
	switch {
	case throttleCode(code):
		return scopeThrottle
	}
	switch code {
	case "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
		"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
		"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
		"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
		"InvalidMessageContents", "InvalidParameterValue", "InvalidParameterCombination",
		"MissingParameter", "ValidationError", "ValidationException", "InvalidAttributeValue",
		"InvalidAttributeName", "SerializationException":
		return scopeItems
	case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
		"AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "UnrecognizedClientException",
		"MissingAuthenticationToken", "MissingAuthenticationTokenException", "IncompleteSignature",
		"SignatureDoesNotMatch", "InvalidSignatureException", "ExpiredToken", "ExpiredTokenException",
		"RequestExpired", "NotAuthorized", "OptInRequired", "InvalidSecurity", "InvalidAddress",
		"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "InvalidAction",
		"KmsAccessDenied", "KmsDisabled", "KmsNotFound", "KmsInvalidState", "KmsInvalidKeyUsage", "KmsOptInRequired",
		"KMS.AccessDeniedException", "KMS.DisabledException", "KMS.NotFoundException",
		"KMS.KMSInvalidStateException", "KMS.InvalidKeyUsageException", "KMS.OptInRequired":
		return scopeRequest
	}
	return scopeRetry
}

// clientSideAuthError reports whether the client failed to get credentials
// before sending anything (none configured, an expired SSO session, an
// unreachable metadata service that gave up). The SDK wraps those in plain
// fmt errors under "get identity:", without a type to match.
func clientSideAuthError(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return false // an answer came back, or the request was sent
	}
	return strings.Contains(err.Error(), "get identity: ")
}

// MetricLabels names the backend and the queue in the metrics.
func (w *writer[T]) MetricLabels() (backend, target string) { return "sqs", w.queue }
