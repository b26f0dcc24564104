package awscall

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	stypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
)

// mark is how the core sees a classified error.
type mark string

const (
	retried  mark = "retry"
	throttle mark = "throttle"
	split    mark = "split" // batch.Permanent
	all      mark = "all"   // batch.PermanentForAll
	maybe    mark = "maybe" // batch.MaybeWritten, retried
)

func markOf(err error) mark {
	var pe *batch.PermanentError
	switch {
	case errors.As(err, &pe) && pe.All:
		return all
	case errors.As(err, &pe):
		return split
	case batch.IsThrottle(err):
		return throttle
	case batch.IsMaybeWritten(err):
		return maybe
	}
	return retried
}

// answered wraps err as the SDK does an error with an HTTP answer of
// status.
func answered(status int, err error) error {
	return &smithy.OperationError{ServiceID: "Kinesis", OperationName: "PutRecords", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err},
	}}
}

// unsent wraps err as the SDK does an error of its HTTP client.
func unsent(err error) error { return answered(0, &smithyhttp.RequestSendError{Err: err}) }

// state is how far a call went, as its probe saw it.
type state int

const (
	double     state = iota // a client that ignores options: no probe
	notReached              // built, never handed to the HTTP client
	notSent                 // handed to the HTTP client, never sent whole
	unanswered              // an attempt was sent and got no answer
)

func callIn(svc *Service, s state) *Call {
	c := svc.NewCall()
	if s >= notReached {
		c.built.Store(true)
	}
	if s >= notSent {
		c.reached.Store(true)
	}
	if s >= unanswered {
		c.unanswered.Store(true)
	}
	return c
}

func generic(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }

func TestClassify(t *testing.T) {
	t.Parallel()
	msg := func() *string { s := "m"; return &s }()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		name  string
		svc   *Service
		state state
		err   error
		want  mark
	}{
		// Codes, with or without the SDK's wrapping.
		{"throttling", Kinesis, double, generic("ThrottlingException"), throttle},
		{"provisioned throughput", Kinesis, notSent, answered(400, &ktypes.ProvisionedThroughputExceededException{Message: msg}), throttle},
		{"KMS throttling", Kinesis, double, &ktypes.KMSThrottlingException{Message: msg}, throttle},
		{"SQS throttled, query code", SQS, double, &stypes.RequestThrottled{ErrorCodeOverride: str("AWS.SimpleQueueService.RequestThrottled")}, throttle},
		{"SQS KMS throttled", SQS, double, &stypes.KmsThrottled{}, throttle},
		{"DynamoDB request limit", DynamoDB, double, generic("RequestLimitExceeded"), throttle},
		{"HTTP 429 without a code", DynamoDB, notSent, answered(429, generic("UnknownError")), throttle},
		{"validation", DynamoDB, double, generic("ValidationException"), split},
		{"invalid argument", Kinesis, notSent, answered(400, &ktypes.InvalidArgumentException{Message: msg}), split},
		{"SQS batch too long", SQS, double, &stypes.BatchRequestTooLong{}, split},
		{"invalid params, raised in the client", Kinesis, notReached, smithy.InvalidParamsError{Context: "PutRecordsInput"}, split},
		{"HTTP 413 with an empty body", Kinesis, notSent, answered(413, generic("UnknownError")), split},
		{"HTTP 413 after an unanswered attempt", Kinesis, unanswered, answered(413, generic("UnknownError")), split},
		{"unknown stream", Kinesis, double, &ktypes.ResourceNotFoundException{Message: msg}, all},
		{"unknown table", DynamoDB, notSent, answered(400, generic("ResourceNotFoundException")), all},
		{"unknown queue, query code", SQS, double, &stypes.QueueDoesNotExist{ErrorCodeOverride: str("AWS.SimpleQueueService.NonExistentQueue")}, all},
		{"SQS entries refused alike", SQS, notSent, answered(400, generic("InvalidParameterValue")), all},
		{"SQS missing parameter", SQS, double, generic("MissingParameter"), all},
		{"access denied", SQS, double, generic("AccessDenied"), all},
		{"expired token", DynamoDB, double, generic("ExpiredTokenException"), all},
		{"Kinesis KMS disabled", Kinesis, double, &ktypes.KMSDisabledException{Message: msg}, all},
		{"SQS KMS access denied", SQS, double, &stypes.KmsAccessDenied{}, all},
		{"a KMS code of another service", DynamoDB, double, &ktypes.KMSDisabledException{Message: msg}, retried},
		{"internal failure", Kinesis, double, &ktypes.InternalFailureException{Message: msg}, retried},
		{"HTTP 500", DynamoDB, notSent, answered(500, generic("InternalServerError")), retried},
		{"HTTP 503 without a code", SQS, notSent, answered(503, generic("UnknownError")), retried},
		{"HTTP 500 after an unanswered attempt", DynamoDB, unanswered, answered(500, generic("InternalServerError")), maybe},
		{"throttled after an unanswered attempt", Kinesis, unanswered, answered(400, generic("ThrottlingException")), throttle},
		{"an unknown code", SQS, double, generic("NewCode"), retried},
		// How far the request went.
		{"signing error, no probe", SQS, double, &v4.SigningError{Err: errors.New("no credentials")}, all},
		{"no credentials, before sending", SQS, notReached, &smithy.OperationError{Err: fmt.Errorf("get identity: %w", errors.New("no role"))}, all},
		{"no credentials, no probe", SQS, double, &smithy.OperationError{Err: fmt.Errorf("get identity: %w", errors.New("no role"))}, retried},
		{"refused connection", Kinesis, notSent, unsent(refused), retried},
		{"refused connection, no probe", Kinesis, double, unsent(refused), retried},
		{"dropped after sending", Kinesis, unanswered, unsent(errors.New("EOF")), maybe},
		{"refused after an unanswered attempt", Kinesis, unanswered, unsent(refused), maybe},
		{"garbled 200", DynamoDB, notSent, answered(200, &smithy.DeserializationError{Err: errors.New("bad JSON")}), maybe},
		{"garbled 200, no probe", DynamoDB, double, answered(200, &smithy.DeserializationError{Err: errors.New("bad JSON")}), maybe},
		{"context canceled, before sending", Kinesis, notReached, &smithy.CanceledError{Err: context.Canceled}, retried},
		{"deadline, unsent", Kinesis, notSent, context.DeadlineExceeded, retried},
		{"deadline, after sending", Kinesis, unanswered, context.DeadlineExceeded, maybe},
		{"retry quota, before sending", DynamoDB, notReached, ratelimit.QuotaExceededError{}, retried},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := callIn(tc.svc, tc.state).Classify(t.Context(), tc.err)
			if !errors.Is(got, tc.err) && !errors.As(got, new(smithy.InvalidParamsError)) && !errors.As(got, new(ratelimit.QuotaExceededError)) {
				t.Errorf("Classify(%v) = %v, which does not wrap the error", tc.err, got)
			}
			if diff := cmp.Diff(tc.want, markOf(got)); diff != "" {
				t.Errorf("Classify(%T %v) mismatch (-want +got):\n%s", tc.err, tc.err, diff)
			}
		})
	}
}

func TestClassifyNil(t *testing.T) {
	t.Parallel()
	if err := Kinesis.NewCall().Classify(t.Context(), nil); err != nil {
		t.Errorf("Classify(nil) = %v", err)
	}
}

// TestClassifyEndedContext checks that an error met once the call's context
// ended is never taken for a client error, which would fail every item.
func TestClassifyEndedContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := errors.New("get identity: context canceled")
	if got := callIn(SQS, notReached).Classify(ctx, err); markOf(got) != retried {
		t.Errorf("Classify after the context ended = %v (%s), want it retried", got, markOf(got))
	}
}

func TestThrottleCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		svc  *Service
		code string
		want bool
	}{
		{Kinesis, "ProvisionedThroughputExceededException", true},
		{Kinesis, "KMSThrottlingException", true},
		{Kinesis, "InternalFailure", false},
		{SQS, "RequestThrottled", true},
		{SQS, "AWS.SimpleQueueService.RequestThrottled", true},
		{SQS, "KMS.ThrottlingException", true},
		{SQS, "InvalidParameterValue", false},
		{DynamoDB, "ThrottlingException", true},
		{DynamoDB, "KmsThrottled", false},
		{DynamoDB, "", false},
	}
	for _, tc := range tests {
		if got := tc.svc.Throttle(tc.code); got != tc.want {
			t.Errorf("%s.Throttle(%q) = %v, want %v", tc.svc.Name(), tc.code, got, tc.want)
		}
	}
}

func str(s string) *string { return &s }
