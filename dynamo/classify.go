package dynamo

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/batchutils/batchutils/batch"
)

// classify maps an error of a BatchWriteItem call to what the batching core
// does with it:
//
//   - an error raised in the client before any request was sent (no
//     credentials, an endpoint that cannot be resolved, a signing error)
//     fails every item of the call at once: batch.PermanentForAll. Nothing
//     was sent, so no item is at fault and a retry meets the same error;
//   - an error the service returned keeps its classification by errorScope:
//     throttling is batch.Throttle, a refusal of some item batch.Permanent
//     (the core splits the batch to isolate it), a refusal of the request
//     batch.PermanentForAll, anything else (5xx, a dropped connection, an
//     answer that cannot be decoded) is retried.
//
// A cancelled or expired context, and the SDK's client-side rate limit
// ("retry quota exceeded"), are never taken for a client error: they are
// returned as they are, and the core retries or gives up as its policy says.
func classify(ctx context.Context, err error, probe *sendProbe) error {
	if probe.failedBeforeSend() && !transient(ctx, err) {
		return batch.PermanentForAll(err)
	}
	switch errorScope(err) {
	case scopeItems:
		return batch.Permanent(err)
	case scopeRequest:
		return batch.PermanentForAll(err)
	case scopeThrottle:
		return batch.Throttle(err)
	}
	return err
}

// transient reports whether err, raised before anything was sent, may pass
// on another try: the call's context ended, or the SDK's client-side retry
// quota or rate limit held the request back.
func transient(ctx context.Context, err error) bool {
	var canceled *aws.RequestCanceledError
	var smithyCanceled *smithy.CanceledError
	var quota ratelimit.QuotaExceededError
	return ctx.Err() != nil ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &canceled) || errors.As(err, &smithyCanceled) || errors.As(err, &quota)
}

// sendProbe tells whether a call of the SDK's client reached its HTTP
// transport. Its option adds a middleware at the very end of the
// operation's stack, after credentials, endpoint resolution and signing, just
// before the request is sent. A Client that is not the SDK's (a test double, a
// wrapper that drops the options) never builds the stack: the probe then says
// nothing, and errors are classified by errorScope alone.
type sendProbe struct {
	built bool // the SDK built the operation's stack, with the probe in it
	sent  bool // a request reached the transport (on any attempt)
}

// option is a functional option of BatchWriteItem that installs the probe.
func (p *sendProbe) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, p.install)
}

func (p *sendProbe) install(stack *middleware.Stack) error {
	p.built = true
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("batchutils.SendProbe",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
			middleware.DeserializeOutput, middleware.Metadata, error,
		) {
			p.sent = true
			return next.HandleDeserialize(ctx, in)
		}), middleware.After)
}

// failedBeforeSend reports whether the call failed in the client, with no
// request sent.
func (p *sendProbe) failedBeforeSend() bool { return p.built && !p.sent }

// What an error says of a request, for retrying it.
const (
	scopeRetry    = iota // worth another try: 5xx, network, decoding, retry quota
	scopeThrottle        // worth another try, more slowly: the table or account is over its capacity
	scopeItems           // refused for what some item holds: no retry, but the others may pass
	scopeRequest         // refused whatever the items: no retry, no split
)

// errorScope classifies an error returned by BatchWriteItem.
func errorScope(err error) int {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return scopeRetry
	}
	switch ae.ErrorCode() {
	case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded":
		return scopeThrottle
	case "ValidationException", "SerializationException", "ItemCollectionSizeLimitExceededException":
		return scopeItems
	case "ResourceNotFoundException", "AccessDeniedException", "UnrecognizedClientException",
		"InvalidSignatureException", "MissingAuthenticationTokenException", "IncompleteSignature",
		"ExpiredTokenException", "InvalidClientTokenId":
		return scopeRequest
	}
	return scopeRetry
}
