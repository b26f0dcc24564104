package kinesisbatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/sdkretry"
)

// writer is the batch.Backend of a Dispatcher: it makes records of the
// caller's items and writes them with PutRecords.
type writer[T any] struct {
	client  Client
	stream  string
	arn     bool
	ordered bool
	limits  batch.Limits
	agg     *aggregator // with Config.Aggregate, else nil
}

func newWriter[T any](client Client, cfg Config) *writer[T] {
	w := &writer[T]{
		client:  client,
		stream:  cfg.Stream,
		arn:     strings.HasPrefix(cfg.Stream, "arn:"),
		ordered: cfg.Ordered,
		limits: batch.Limits{
			MaxItems:      MaxBatchRecords,
			MaxItemBytes:  cfg.MaxRecordBytes,
			MaxBatchBytes: cfg.MaxRequestBytes,
			InOrder:       false, // PutRecords does not keep order within a call
		},
	}
	if cfg.Aggregate {
		w.agg, w.limits = newAggregator(client, cfg)
	}
	return w
}

// Encode makes item's record and checks it.
func (w *writer[T]) Encode(item T) (batch.Entry[types.PutRecordsRequestEntry], error) {
	var r batch.Entry[types.PutRecordsRequestEntry]
	data, pk, hk, err := encode(item)
	if err != nil {
		return r, err
	}
	random := pk == ""
	if random {
		pk = RandomPartitionKey()
	} else if err := checkPartitionKey(pk); err != nil {
		return r, err
	}
	if hk != "" {
		if err := checkExplicitHashKey(hk); err != nil {
			return r, err
		}
		r.Value.ExplicitHashKey = aws.String(hk)
	}
	r.Size = len(data) + len(pk)
	if r.Size > w.limits.MaxItemBytes {
		return r, fmt.Errorf("%w: %d bytes of data and partition key, the most is %d (Config.MaxRecordBytes)",
			batch.ErrItemTooLarge, r.Size, w.limits.MaxItemBytes)
	}
	if data == nil {
		data = []byte{} // the SDK refuses a nil Data
	}
	r.Value.Data = data
	r.Value.PartitionKey = aws.String(pk)
	if w.ordered && !random {
		r.Key = pk
	}
	return r, nil
}

// encode returns an item's data, partition key ("" for a random one) and
// explicit hash key.
func encode[T any](item T) (data []byte, pk, hk string, err error) {
	switch v := any(item).(type) {
	case Record:
		return v.Data, v.PartitionKey, v.ExplicitHashKey, nil
	case *Record:
		if v == nil {
			return nil, "", "", fmt.Errorf("%w: nil *Record", ErrInvalidRecord)
		}
		return v.Data, v.PartitionKey, v.ExplicitHashKey, nil
	case []byte:
		return v, "", "", nil
	case string:
		return []byte(v), "", "", nil
	}
	v := any(item)
	if rv := reflect.ValueOf(v); !rv.IsValid() || rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil, "", "", fmt.Errorf("%w: a nil %T", ErrInvalidRecord, v)
	}
	if k, ok := v.(PartitionKeyer); ok {
		if pk = k.KinesisPartitionKey(); pk == "" {
			return nil, "", "", fmt.Errorf("%w: %T.KinesisPartitionKey returned \"\"", ErrInvalidPartitionKey, v)
		}
	}
	if data, err = json.Marshal(v); err != nil {
		return nil, "", "", fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	return data, pk, "", nil
}

// RandomPartitionKey returns the key given to a record without one: 16
// hexadecimal digits from math/rand/v2's generator, so that such records
// spread evenly over the shards (Kinesis hashes keys with MD5). It is not a
// secret and not unique: it only picks a shard. It counts in the record's
// size (16 bytes) and stays with the record through its retries.
func RandomPartitionKey() string {
	var b [16]byte
	const hexDigits = "0123456789abcdef"
	x := rand.Uint64()
	for i := range b {
		b[i] = hexDigits[x&0xf]
		x >>= 4
	}
	return string(b[:])
}

// checkPartitionKey checks a given partition key: valid UTF-8, and 1 to 256
// characters as Kinesis counts them (UTF-16 code units).
func checkPartitionKey(pk string) error {
	if !utf8.ValidString(pk) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidPartitionKey, pk)
	}
	n := 0
	for _, c := range pk {
		n++
		if c >= 0x10000 {
			n++ // a surrogate pair
		}
	}
	if n > MaxPartitionKeyLength {
		return fmt.Errorf("%w: %d characters (UTF-16 code units), the most is %d", ErrInvalidPartitionKey, n, MaxPartitionKeyLength)
	}
	return nil
}

// maxHashKey is 2^128-1, the largest explicit hash key.
const maxHashKey = "340282366920938463463374607431768211455"

// checkExplicitHashKey checks that hk is a decimal integer from 0 to
// 2^128-1 without leading zeros, as Kinesis wants it.
func checkExplicitHashKey(hk string) error {
	for i := 0; i < len(hk); i++ {
		if hk[i] < '0' || hk[i] > '9' {
			return fmt.Errorf("%w: %q is not a decimal integer", ErrInvalidExplicitHashKey, hk)
		}
	}
	switch {
	case len(hk) > 1 && hk[0] == '0':
		return fmt.Errorf("%w: %q has a leading zero", ErrInvalidExplicitHashKey, hk)
	case len(hk) > len(maxHashKey) || len(hk) == len(maxHashKey) && hk > maxHashKey:
		return fmt.Errorf("%w: %q is more than 2^128-1", ErrInvalidExplicitHashKey, hk)
	}
	return nil
}

// Limits returns PutRecords' limits: 500 records, each of at most
// Config.MaxRecordBytes, at most Config.MaxRequestBytes in all, and no
// order within a call.
func (w *writer[T]) Limits() batch.Limits { return w.limits }

// Per-record error codes of PutRecords.
const (
	codeThroughputExceeded = "ProvisionedThroughputExceededException"
	codeInternalFailure    = "InternalFailure"
)

// Write sends one PutRecords call and maps its answer, record by record, to
// an Outcome: a record with ProvisionedThroughputExceededException or
// InternalFailure is retried (the first is a throttle), one with another
// code fails with a *RecordError. An error of the whole call is classified
// by errorScope.
func (w *writer[T]) Write(ctx context.Context, entries []types.PutRecordsRequestEntry) (batch.Outcome, error) {
	if w.agg != nil {
		return writeAggregated(ctx, w, entries)
	}
	out, err := w.put(ctx, entries)
	if err != nil {
		return batch.Outcome{}, err
	}
	var o batch.Outcome
	for i, res := range out.Records {
		code := aws.ToString(res.ErrorCode)
		if code == "" {
			continue
		}
		e, retry, throttled := recordAnswer(code, aws.ToString(res.ErrorMessage))
		o.Throttled = o.Throttled || throttled
		if retry {
			o.Retried = append(o.Retried, batch.ItemError{Index: i, Err: e})
		} else {
			o.Failed = append(o.Failed, batch.ItemError{Index: i, Err: e})
		}
	}
	return o, nil
}

// put sends entries in one PutRecords call and returns its answer, with a
// result per entry, or the call's error classified for the core.
func (w *writer[T]) put(ctx context.Context, entries []types.PutRecordsRequestEntry) (*kinesis.PutRecordsOutput, error) {
	in := &kinesis.PutRecordsInput{Records: entries}
	if w.arn {
		in.StreamARN = aws.String(w.stream)
	} else {
		in.StreamName = aws.String(w.stream)
	}
	var probe sendProbe
	out, err := w.client.PutRecords(ctx, in, probe.option, noThrottleRetries)
	if err != nil {
		return nil, classifyCall(err, &probe)
	}
	if len(out.Records) != len(entries) {
		// Which records went in is unknown: sending all again may
		// duplicate some, losing none.
		return nil, batch.MaybeWritten(fmt.Errorf("kinesisbatch: PutRecords answered %d results for %d records", len(out.Records), len(entries)))
	}
	return out, nil
}

// classifyCall wraps the error of a call for the core, as errorScope
// classifies it.
func classifyCall(err error, probe *sendProbe) error {
	switch errorScope(err, probe) {
	case scopeItems:
		return batch.Permanent(err)
	case scopeRequest:
		return batch.PermanentForAll(err)
	case scopeThrottle:
		return batch.Throttle(err)
	}
	return err
}

// recordAnswer reads a record's error code: its error, whether it is to be
// sent again, and whether that is a throttle.
func recordAnswer(code, message string) (e *RecordError, retry, throttled bool) {
	e = &RecordError{Code: code, Message: message}
	switch code {
	case codeThroughputExceeded, "KMSThrottlingException":
		return e, true, true
	case codeInternalFailure, "InternalFailureException", "ServiceUnavailable":
		return e, true, false
	}
	return e, false, false
}

// sendProbe tells an error that the client raised before the call was
// signed (no credentials, a signing error, an endpoint it cannot resolve)
// from one on the wire or from the service. Its option adds a step after
// signing to the call's middleware stack; a Client that ignores options (a
// test double) leaves applied false, and its errors are classified by their
// own types.
type sendProbe struct {
	applied bool // the option was applied to the call
	signed  bool // an attempt got past signing
}

func (p *sendProbe) option(o *kinesis.Options) {
	p.applied = true
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		mark := middleware.FinalizeMiddlewareFunc("kinesisbatch.Signed", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			p.signed = true
			return next.HandleFinalize(ctx, in)
		})
		if err := s.Finalize.Insert(mark, "Signing", middleware.After); err != nil {
			return s.Finalize.Add(mark, middleware.After)
		}
		return nil
	})
}

// What an error says of a call, for retrying it.
const (
	scopeRetry    = iota // worth another try: 5xx, network, a garbled answer
	scopeThrottle        // worth another try, more slowly: the stream or account is over its limits
	scopeItems           // refused for what some record holds: no retry, but the others may pass
	scopeRequest         // refused whatever the records: no retry, no split
)

// errorScope classifies an error returned by PutRecords. Codes are those of
// the Kinesis API reference (PutRecords' errors, and the common errors of
// every AWS API).
func errorScope(err error, probe *sendProbe) int {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return scopeRetry // the core stops when its own context ends
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "KMSThrottlingException",
			"LimitExceededException", "RequestLimitExceeded", "TooManyRequestsException":
			return scopeThrottle
		case "InvalidArgumentException", "ValidationException", "SerializationException":
			return scopeItems
		case "ResourceNotFoundException", "AccessDeniedException",
			"KMSDisabledException", "KMSNotFoundException", "KMSAccessDeniedException",
			"KMSInvalidStateException", "KMSOptInRequired",
			"UnrecognizedClientException", "InvalidSignatureException", "MissingAuthenticationTokenException",
			"IncompleteSignature", "IncompleteSignatureException", "ExpiredTokenException",
			"InvalidClientTokenId", "UnknownOperationException":
			return scopeRequest
		}
		return scopeRetry
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		if re.HTTPStatusCode() == 413 {
			return scopeItems // the body is too large for the server
		}
		return scopeRetry
	}
	var se *smithyhttp.RequestSendError
	if errors.As(err, &se) {
		return scopeRetry // the network
	}
	var inv smithy.InvalidParamsError
	if errors.As(err, &inv) {
		return scopeItems
	}
	if probe.applied && !probe.signed {
		return scopeRequest // raised in the client before sending: credentials, signing, endpoint
	}
	return scopeRetry
}

// noThrottleRetries is a functional option of PutRecords: the SDK does not
// retry a throttled call, so that the dispatcher sees it at once and slows
// every writer down (see internal/sdkretry).
func noThrottleRetries(o *kinesis.Options) {
	o.Retryer = sdkretry.WithoutThrottleRetries(o.Retryer)
}

// Name names the package in the errors of Config.Batch.
func (w *writer[T]) Name() string { return "kinesisbatch" }

// MetricLabels names the backend and the stream in the metrics.
func (w *writer[T]) MetricLabels() (backend, target string) { return "kinesis", w.stream }
