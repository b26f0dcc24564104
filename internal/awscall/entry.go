package awscall

import (
	"github.com/aws/smithy-go"

	"github.com/batchutils/batchutils/batch"
)

// EntryError is the error of one entry of a batch call that the service
// refused on its own, or kept refusing until the retries ran out: the
// service's error code and message for that entry. Every backend names it
// EntryError. It implements smithy.APIError, so code that handles the SDK's
// errors by their code handles it too.
type EntryError struct {
	Code    string // the service's error code, such as InvalidParameterValue
	Message string // the service's message
	// SenderFault says the service put the fault on the entry itself (SQS
	// and SNS say so of each failed entry); false where it did not.
	SenderFault bool
	Service     string // the service that answered: "SQS", "Kinesis", ...
}

// EntryError returns the error of an entry the service answered with code
// and message.
func (s *Service) EntryError(code, message string, senderFault bool) *EntryError {
	return &EntryError{Code: code, Message: message, SenderFault: senderFault, Service: s.name}
}

// Error returns the service, the code and the message.
func (e *EntryError) Error() string {
	svc := e.Service
	if svc == "" {
		svc = "AWS"
	}
	return svc + " refused the entry: " + e.Code + ": " + e.Message
}

// ErrorCode returns Code.
func (e *EntryError) ErrorCode() string { return e.Code }

// ErrorMessage returns Message.
func (e *EntryError) ErrorMessage() string { return e.Message }

// ErrorFault says whose fault the error is: the sender's when the service
// said so, the server's for an internal failure, else unknown.
func (e *EntryError) ErrorFault() smithy.ErrorFault {
	switch {
	case e.SenderFault:
		return smithy.FaultClient
	case internalCodes[e.Code]:
		return smithy.FaultServer
	}
	return smithy.FaultUnknown
}

// internalCodes are the per-entry codes by which a service says it failed
// inside: the entry is worth another try.
var internalCodes = map[string]bool{
	"InternalFailure": true, "InternalFailureException": true, "InternalError": true,
	"InternalServerError": true, "ServiceUnavailable": true, "ServiceUnavailableException": true,
}

// Internal reports whether code says the service failed inside while
// handling an entry (InternalFailure, ServiceUnavailable, ...): the entry is
// to be sent again, and it is no sign of overload.
func Internal(code string) bool { return internalCodes[code] }

var _ smithy.APIError = (*EntryError)(nil)

// Answer reads the error code of one entry's answer, for a service that
// answers each entry with a code or none (Kinesis, Firehose, EventBridge):
// the entry's error, whether it is to be sent again (a throttle, or a
// failure inside the service), and whether that is a throttle.
func (s *Service) Answer(code, message string) (e *EntryError, retry, throttled bool) {
	e = s.EntryError(code, message, false)
	switch {
	case s.Throttle(code):
		return e, true, true
	case Internal(code):
		return e, true, false
	}
	return e, false, false
}

// AddAnswer files in o what the answer of entry i says: nothing for an
// entry taken (code ""), Retried for one to send again (and Throttled for a
// throttle), Failed for one refused.
func (s *Service) AddAnswer(o *batch.Outcome, i int, code, message string) {
	if code == "" {
		return
	}
	e, retry, throttled := s.Answer(code, message)
	o.Throttled = o.Throttled || throttled
	if retry {
		o.Retried = append(o.Retried, batch.ItemError{Index: i, Err: e})
		return
	}
	o.Failed = append(o.Failed, batch.ItemError{Index: i, Err: e})
}
