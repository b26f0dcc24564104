package kinesisbatch

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
)

// answerClient answers every call with out or err.
type answerClient struct {
	out *kinesis.PutRecordsOutput
	err error
}

func (c answerClient) PutRecords(context.Context, *kinesis.PutRecordsInput, ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	return c.out, c.err
}

func result(code, msg string) types.PutRecordsResultEntry {
	if code == "" {
		return types.PutRecordsResultEntry{ShardId: aws.String("shardId-000000000000"), SequenceNumber: aws.String("1")}
	}
	return types.PutRecordsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String(msg)}
}

func retried(i int, code, msg string) batch.ItemError {
	return batch.ItemError{Index: i, Err: &EntryError{Code: code, Message: msg, Service: "Kinesis"}}
}

// encodeAll returns n records of "x" as Encode makes them.
func encodeAll(t *testing.T, w *writer[string], n int) []types.PutRecordsRequestEntry {
	t.Helper()
	entries := make([]types.PutRecordsRequestEntry, n)
	for i := range entries {
		e, err := w.Encode("x")
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		entries[i] = e.Value
	}
	return entries
}

// TestWriteOutcome checks the Outcome that Write makes of per-record
// answers.
func TestWriteOutcome(t *testing.T) {
	t.Parallel()
	const pte, internal = "ProvisionedThroughputExceededException", "InternalFailure"
	tests := []struct {
		name    string
		results []types.PutRecordsResultEntry
		want    batch.Outcome
	}{
		{name: "all written", results: []types.PutRecordsResultEntry{result("", ""), result("", "")}, want: batch.Outcome{}},
		{
			name:    "throttled",
			results: []types.PutRecordsResultEntry{result("", ""), result(pte, "Rate exceeded"), result("", "")},
			want:    batch.Outcome{Retried: []batch.ItemError{retried(1, pte, "Rate exceeded")}, Throttled: true},
		},
		{
			name:    "internal failure is not a throttle",
			results: []types.PutRecordsResultEntry{result(internal, "Internal Service Failure"), result("", "")},
			want:    batch.Outcome{Retried: []batch.ItemError{retried(0, internal, "Internal Service Failure")}},
		},
		{
			name:    "both",
			results: []types.PutRecordsResultEntry{result(internal, "Internal Service Failure"), result(pte, "Rate exceeded")},
			want: batch.Outcome{
				Retried:   []batch.ItemError{retried(0, internal, "Internal Service Failure"), retried(1, pte, "Rate exceeded")},
				Throttled: true,
			},
		},
		{
			name:    "another code fails",
			results: []types.PutRecordsResultEntry{result("", ""), result("NewCode", "no")},
			want:    batch.Outcome{Failed: []batch.ItemError{{Index: 1, Err: &EntryError{Code: "NewCode", Message: "no", Service: "Kinesis"}}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWriter[string](answerClient{out: &kinesis.PutRecordsOutput{Records: tc.results}}, Config{Stream: "s", MaxRecordBytes: DefaultMaxRecordBytes})
			got, err := w.Write(t.Context(), encodeAll(t, w, len(tc.results)))
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Outcome mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteShortAnswer checks that an answer with fewer results than
// records is retried as a whole: nothing is known written.
func TestWriteShortAnswer(t *testing.T) {
	t.Parallel()
	w := newWriter[string](answerClient{out: &kinesis.PutRecordsOutput{Records: []types.PutRecordsResultEntry{result("", "")}}}, Config{Stream: "s", MaxRecordBytes: DefaultMaxRecordBytes})
	_, err := w.Write(t.Context(), encodeAll(t, w, 2))
	if err == nil || batch.IsPermanent(err) || batch.IsThrottle(err) || !batch.IsMaybeWritten(err) {
		t.Fatalf("Write: %v, want a retried error that may have been applied", err)
	}
}

// TestWriteCallErrors checks how Write marks the errors of a whole call.
func TestWriteCallErrors(t *testing.T) {
	t.Parallel()
	const (
		retry = iota
		throttle
		split
		all
	)
	msg := aws.String("m")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"ProvisionedThroughputExceeded", &types.ProvisionedThroughputExceededException{Message: msg}, throttle},
		{"KMSThrottling", &types.KMSThrottlingException{Message: msg}, throttle},
		{"Throttling", &smithy.GenericAPIError{Code: "ThrottlingException"}, throttle},
		{"LimitExceeded", &types.LimitExceededException{Message: msg}, throttle},
		{"InternalFailure", &types.InternalFailureException{Message: msg}, retry},
		{"unknown code", &smithy.GenericAPIError{Code: "ServiceUnavailable"}, retry},
		{"plain error", errors.New("EOF"), retry},
		{"canceled", context.Canceled, retry},
		{"InvalidArgument", &types.InvalidArgumentException{Message: msg}, split},
		{"Validation", &types.ValidationException{Message: msg}, split},
		{"invalid params", smithy.InvalidParamsError{Context: "PutRecordsInput"}, split},
		{"ResourceNotFound", &types.ResourceNotFoundException{Message: msg}, all},
		{"AccessDenied", &types.AccessDeniedException{Message: msg}, all},
		{"KMSDisabled", &types.KMSDisabledException{Message: msg}, all},
		{"KMSNotFound", &types.KMSNotFoundException{Message: msg}, all},
		{"KMSAccessDenied", &types.KMSAccessDeniedException{Message: msg}, all},
		{"KMSInvalidState", &types.KMSInvalidStateException{Message: msg}, all},
		{"KMSOptInRequired", &types.KMSOptInRequired{Message: msg}, all},
		{"ExpiredToken", &smithy.GenericAPIError{Code: "ExpiredTokenException"}, all},
		{"MissingAuthenticationToken", &smithy.GenericAPIError{Code: "MissingAuthenticationTokenException"}, all},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWriter[string](answerClient{err: tc.err}, Config{Stream: "s", MaxRecordBytes: DefaultMaxRecordBytes})
			_, err := w.Write(t.Context(), encodeAll(t, w, 1))
			if !errors.Is(err, tc.err) && !errors.As(err, new(smithy.InvalidParamsError)) {
				t.Fatalf("Write: %v, want it to wrap %v", err, tc.err)
			}
			got := retry
			var pe *batch.PermanentError
			switch {
			case errors.As(err, &pe) && pe.All:
				got = all
			case errors.As(err, &pe):
				got = split
			case batch.IsThrottle(err):
				got = throttle
			}
			if got != tc.want {
				t.Errorf("Write: %v marked %d, want %d (0 retry, 1 throttle, 2 split, 3 all)", err, got, tc.want)
			}
		})
	}
}
