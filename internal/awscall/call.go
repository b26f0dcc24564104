package awscall

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/sdkretry"
)

// Call is one call of a service's batch API: the probe that watches its
// attempts, and the classification of its error. Make one per request with
// Service.NewCall, hook it into the request's options with Install, and pass
// the request's error to Classify. A Call is used by the goroutine that makes
// the request (and, through the request body, by net/http's): it is not for
// two requests.
type Call struct {
	svc  *Service
	gate *Gate // nil: none (Gated)
	// built says the SDK built the request's middleware stack with the
	// probe in it: a Client that is not the SDK's (a test double) never
	// does, and its errors are classified by their types alone.
	built atomic.Bool
	// reached says an attempt was handed to the HTTP client.
	reached atomic.Bool
	// unanswered says an attempt was sent whole and ended without an
	// answer that the service refused it (no answer, or one that could not
	// be read): the service may have applied it.
	unanswered atomic.Bool
	// lastUnanswered is unanswered for the latest attempt alone.
	lastUnanswered atomic.Bool
	// applied says an attempt ended without an error: the service took the
	// call and its answer was read. An error after that comes from the
	// client's own checks of the answer (such as the SQS client's MD5
	// check), which cannot undo the call.
	applied atomic.Bool
}

// NewCall returns a Call of the service's API.
func (s *Service) NewCall() *Call { return &Call{svc: s} }

// ClientDo is the HTTP client of an SDK service client (the HTTPClient field
// of its Options, an interface of this one method in every service).
type ClientDo = smithyhttp.ClientDo

// Install hooks c into the options of one request, given the addresses of
// the Retryer, HTTPClient and APIOptions fields of the service's Options: in
// a functional option of the request,
//
//	func(o *kinesis.Options) { awscall.Install(c, &o.Retryer, &o.HTTPClient, &o.APIOptions) }
//
// It sets the options the library passes to every call:
//
//   - the SDK does not retry a throttled attempt (see internal/sdkretry),
//     nor one that was sent and got no answer: the core retries it, and
//     knows that the call may have been applied;
//   - the HTTP client hands net/http the request body without its WriteTo
//     method, and records whether each attempt's body was read whole;
//   - a middleware marks each attempt, so that Classify knows how far the
//     request went;
//   - with a Gate (Gated), each attempt, built and signed, waits in the
//     HTTP client for its turn to be sent.
//
// H is the service's HTTPClient interface type.
func Install[H ClientDo](c *Call, retryer *aws.Retryer, client *H, apiOptions *[]func(*middleware.Stack) error) {
	*retryer = c.retryer(*retryer)
	next := ClientDo(*client)
	if next == nil {
		next = http.DefaultClient // Options made by hand; a client's New always sets one
	}
	*client = any(&httpClient{next: next, call: c}).(H)
	*apiOptions = append(*apiOptions, c.install)
}

// Classify returns err, the error of the request c watched, marked for the
// core (see the package doc): batch.Throttle, batch.Permanent,
// batch.PermanentForAll or batch.MaybeWritten, or unmarked (retried); and
// wrapping batch.ErrClosed if ctx ended before any attempt was handed to the
// HTTP client, which tells the core the call was never sent. It never reads
// err's message. ctx is the request's context: an error after it ended is
// never taken for a client error.
func (c *Call) Classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if c.applied.Load() {
		return batch.MaybeWritten(err)
	}
	if transient(ctx, err) {
		if ctx.Err() != nil && c.built.Load() && !c.reached.Load() {
			// Ended before any attempt was handed to the HTTP client
			// (waiting at the Gate, say): never sent, which the core
			// reads in batch.ErrClosed.
			return fmt.Errorf("%w: the call was not sent: %w", batch.ErrClosed, err)
		}
		return c.maybe(err) // the core gives up when its own context ends
	}
	if errors.Is(err, errTurnTimeout) {
		return c.maybe(err) // this attempt was not sent: retried
	}
	var inv smithy.InvalidParamsError
	if errors.As(err, &inv) {
		return batch.Permanent(err) // a field of some item is missing or out of range
	}
	if status := statusOf(err); status >= 300 {
		return c.maybe(c.answer(err, status))
	} else if status >= 200 {
		// An answer came, but could not be read: the service took
		// the call, with what result is unknown.
		return batch.MaybeWritten(err)
	}
	if c.built.Load() {
		switch {
		case !c.reached.Load():
			// Raised in the client before any request was sent (no
			// credentials, an endpoint that cannot be resolved, a
			// signing error): no item is at fault, and a retry meets
			// the same error.
			return batch.PermanentForAll(err)
		case c.unanswered.Load():
			return batch.MaybeWritten(err)
		}
		return err // never sent whole: certainly not applied
	}
	// A Client that ignores options: its error's types are all there is.
	var se *v4.SigningError
	if errors.As(err, &se) {
		return batch.PermanentForAll(err)
	}
	if code := codeOf(err); code != "" {
		return c.answer(err, 0)
	}
	return err
}

// answer classifies an error the service answered, with its HTTP status
// (0: unknown) and its code. The status comes first: an answer without a
// body, such as a proxy's 413, gets the SDK's code UnknownError.
func (c *Call) answer(err error, status int) error {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return batch.Permanent(err) // the body is too large: split it
	case http.StatusTooManyRequests:
		return batch.Throttle(err)
	}
	switch c.svc.codes[codeOf(err)] {
	case scopeThrottle:
		return batch.Throttle(err)
	case scopeItems:
		return batch.Permanent(err)
	case scopeCall:
		return batch.PermanentForAll(err)
	}
	return err
}

// maybe marks err, retryable, with batch.MaybeWritten if an attempt of the
// call was sent and got no answer: the call may have been applied by that
// attempt, whatever the later ones met.
func (c *Call) maybe(err error) error {
	if c.unanswered.Load() && !batch.IsPermanent(err) {
		return batch.MaybeWritten(err)
	}
	return err
}

// transient reports whether err may pass on another try although it may
// have been raised before anything was sent: the call's context ended, or
// the SDK's client-side retry quota held the request back.
func transient(ctx context.Context, err error) bool {
	var canceled *aws.RequestCanceledError
	var smithyCanceled *smithy.CanceledError
	var quota ratelimit.QuotaExceededError
	return ctx.Err() != nil ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &canceled) || errors.As(err, &smithyCanceled) || errors.As(err, &quota)
}

// statusOf returns the HTTP status of the answer err carries, or 0 if no
// answer came (the SDK wraps a transport error in a ResponseError with
// status 0 too).
func statusOf(err error) int {
	var re *smithyhttp.ResponseError // awshttp.ResponseError embeds it
	if errors.As(err, &re) && re.Response != nil {
		return re.HTTPStatusCode()
	}
	return 0
}

// codeOf returns err's API error code, or "".
func codeOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// retryer returns r as internal/sdkretry makes it (no throttle retries),
// and, further, not retrying an attempt that was sent and got no answer.
func (c *Call) retryer(r aws.Retryer) aws.Retryer {
	switch r := sdkretry.WithoutThrottleRetries(r).(type) {
	case nil:
		return nil
	case aws.RetryerV2:
		return retryerV2{r, c}
	default:
		return retryerV1{r, c}
	}
}

type retryerV1 struct {
	aws.Retryer
	c *Call
}

func (r retryerV1) IsErrorRetryable(err error) bool {
	return !r.c.lastUnanswered.Load() && r.Retryer.IsErrorRetryable(err)
}

type retryerV2 struct {
	aws.RetryerV2
	c *Call
}

func (r retryerV2) IsErrorRetryable(err error) bool {
	return !r.c.lastUnanswered.Load() && r.RetryerV2.IsErrorRetryable(err)
}
