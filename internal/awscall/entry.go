package awscall

import "github.com/aws/smithy-go"

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
