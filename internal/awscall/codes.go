package awscall

import (
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// scope is what an error code says of a call, for retrying it.
type scope uint8

const (
	scopeRetry    scope = iota // worth another try: 5xx, a code we do not know
	scopeThrottle              // worth another try, more slowly: the service pushed back
	scopeItems                 // refused for what some item holds: no retry, but the others may pass
	scopeCall                  // refused whatever the items: no retry, no split
)

// Service is what the error codes of one AWS service mean for a call of its
// batch API. The predeclared ones are built from the shared tables below
// and the codes of each service's API reference; a Service is read-only and
// safe for concurrent use.
type Service struct {
	name  string
	codes map[string]scope
}

// Throttle reports whether code says that the service pushed back: a code
// of the SDK's throttling table or one of the service's own. It is for the
// answers of single entries of a call too (a throttled Kinesis record, an
// SQS entry that failed with RequestThrottled).
func (s *Service) Throttle(code string) bool { return s.codes[code] == scopeThrottle }

// Name returns the service's name, as the SDK's ServiceID spells it.
func (s *Service) Name() string { return s.name }

// newService builds a Service from tables of codes per scope. A code named
// in two tables takes the last: the service's own tables come after the
// shared ones.
func newService(name string, tables ...table) *Service {
	s := &Service{name: name, codes: make(map[string]scope)}
	for _, t := range tables {
		for _, c := range t.codes {
			s.codes[c] = t.scope
		}
	}
	return s
}

type table struct {
	scope scope
	codes []string
}

// throttleCodes are the codes the SDK counts as throttling
// (retry.DefaultThrottleErrorCodes), which internal/sdkretry keeps the SDK
// from retrying: every one of them reaches the core as batch.Throttle.
var throttleCodes = func() table {
	t := table{scope: scopeThrottle}
	for c := range retry.DefaultThrottleErrorCodes {
		t.codes = append(t.codes, c)
	}
	return t
}()

// authCodes are the common errors of every AWS API by which the request was
// refused whatever it held: credentials, signatures, permissions.
var authCodes = table{scope: scopeCall, codes: []string{
	"AccessDenied", "AccessDeniedException",
	"UnrecognizedClientException", "InvalidClientTokenId",
	"InvalidSignatureException", "SignatureDoesNotMatch",
	"MissingAuthenticationToken", "MissingAuthenticationTokenException",
	"IncompleteSignature", "IncompleteSignatureException",
	"ExpiredToken", "ExpiredTokenException", "RequestExpired",
	"NotAuthorized", "OptInRequired", "InvalidSecurity",
	"UnknownOperationException", "InvalidAction",
}}

// DynamoDB is what BatchWriteItem's error codes mean.
var DynamoDB = newService("DynamoDB", throttleCodes, authCodes,
	table{scopeItems, []string{
		"ValidationException", "SerializationException", "ItemCollectionSizeLimitExceededException",
	}},
	table{scopeCall, []string{"ResourceNotFoundException"}},
)

// SQS is what SendMessageBatch's error codes mean. Codes are named both as
// the JSON protocol names them (QueueDoesNotExist) and as the query protocol
// did (AWS.SimpleQueueService.NonExistentQueue), which SQS still sends in its
// query-compatible header.
//
// SQS answers a fault of one entry in that entry's result (Failed, with
// SenderFault), and the client checks every entry as SQS does before it
// sends it: a call refused as a whole with an entry's code
// (InvalidParameterValue, MissingParameter) is refused for what every entry
// has alike (a FIFO queue without the content-based deduplication that
// Config promised): the call's, not one entry's. Only the codes of the
// call's size or shape are worth a split.
var SQS = newService("SQS", throttleCodes, authCodes,
	table{scopeThrottle, []string{
		"AWS.SimpleQueueService.RequestThrottled", "KmsThrottled", "KMS.ThrottlingException",
	}},
	table{scopeItems, []string{
		"BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
		"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
		"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
		"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
		"InvalidMessageContents", "SerializationException",
	}},
	table{scopeCall, []string{
		"InvalidParameterValue", "InvalidParameterCombination", "MissingParameter",
		"ValidationError", "ValidationException", "InvalidAttributeValue", "InvalidAttributeName",
		"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
		"InvalidAddress", "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation",
		"KmsAccessDenied", "KmsDisabled", "KmsNotFound", "KmsInvalidState", "KmsInvalidKeyUsage", "KmsOptInRequired",
		"KMS.AccessDeniedException", "KMS.DisabledException", "KMS.NotFoundException",
		"KMS.KMSInvalidStateException", "KMS.InvalidKeyUsageException", "KMS.OptInRequired",
	}},
)

// Kinesis is what PutRecords' error codes mean (PutRecords' errors in the
// Kinesis API reference, and the common errors of every AWS API).
var Kinesis = newService("Kinesis", throttleCodes, authCodes,
	table{scopeThrottle, []string{"KMSThrottlingException"}},
	table{scopeItems, []string{"InvalidArgumentException", "ValidationException", "SerializationException"}},
	table{scopeCall, []string{
		"ResourceNotFoundException",
		"KMSDisabledException", "KMSNotFoundException", "KMSAccessDeniedException",
		"KMSInvalidStateException", "KMSOptInRequired",
	}},
)

// CloudWatch is what PutMetricData's error codes mean (PutMetricData's
// errors in the CloudWatch API reference), as the query protocol names them
// and as the SDK's types do. CloudWatch answers a call as a whole: a datum it
// refuses gets the call refused with a validation code, and a split isolates
// the datum.
var CloudWatch = newService("CloudWatch", throttleCodes, authCodes,
	table{scopeItems, []string{
		"InvalidParameterValue", "InvalidParameterValueException",
		"InvalidParameterCombination", "InvalidParameterCombinationException",
		"MissingParameter", "MissingRequiredParameterException",
	}},
)

// Firehose is what PutRecordBatch's error codes mean (PutRecordBatch's
// errors in the Firehose API reference). ServiceUnavailableException says the
// stream is over its throughput, for the call and for one record alike.
var Firehose = newService("Firehose", throttleCodes, authCodes,
	table{scopeThrottle, []string{"ServiceUnavailableException"}},
	table{scopeItems, []string{"InvalidArgumentException", "ValidationException", "SerializationException"}},
	table{scopeCall, []string{"ResourceNotFoundException", "InvalidKMSResourceException", "InvalidSourceException"}},
)

// EventBridge is what PutEvents' error codes mean (PutEvents' errors in the
// EventBridge API reference, and the common errors of every AWS API). An
// entry's own fault comes back in its result entry; the client checks every
// entry before it sends it, so a call refused whole for its size or shape is
// split, and one refused for its bus fails whole.
var EventBridge = newService("EventBridge", throttleCodes, authCodes,
	table{scopeItems, []string{"ValidationException", "SerializationException"}},
	table{scopeCall, []string{"ResourceNotFoundException", "OperationDisabledException"}},
)

// SNS is what PublishBatch's error codes mean (PublishBatch's errors in the
// SNS API reference, as the SDK's error types name them). As for SQS, the
// client checks every entry as SNS does before it sends it: a call refused
// whole with an entry's code (InvalidParameter, ParameterValueInvalid) is
// refused for what every entry has alike, the call's; only the codes of the
// call's size or shape are worth a split.
var SNS = newService("SNS", throttleCodes, authCodes,
	table{scopeThrottle, []string{"Throttled", "KMSThrottling"}},
	table{scopeItems, []string{
		"BatchRequestTooLong", "TooManyEntriesInBatchRequest", "BatchEntryIdsNotDistinct",
		"InvalidBatchEntryId", "EmptyBatchRequest", "ValidationException",
	}},
	table{scopeCall, []string{
		"NotFound", "AuthorizationError", "InvalidParameter", "ParameterValueInvalid", "InvalidSecurity",
		"EndpointDisabled", "PlatformApplicationDisabled",
		"KMSAccessDenied", "KMSDisabled", "KMSInvalidState", "KMSNotFound", "KMSOptInRequired",
	}},
)
