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
			want:    batch.Outcome{Retry: []int{1}, Throttled: true},
		},
		{
			name:    "internal failure is not a throttle",
			results: []types.PutRecordsResultEntry{result(internal, "Internal Service Failure"), result("", "")},
			want:    batch.Outcome{Retry: []int{0}},
		},
		{
			name:    "both",
			results: []types.PutRecordsResultEntry{result(internal, "Internal Service Failure"), result(pte, "Rate exceeded")},
			want:    batch.Outcome{Retry: []int{0, 1}, Throttled: true},
		},
		{
			name:    "another code fails",
			results: []types.PutRecordsResultEntry{result("", ""), result("NewCode", "no")},
			want:    batch.Outcome{Failed: []batch.ItemError{{Index: 1, Err: &RecordError{Code: "NewCode", Message: "no"}}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWriter[string](answerClient{out: &kinesis.PutRecordsOutput{Records: tc.results}}, Config{Stream: "s", MaxRecordBytes: DefaultMaxRecordBytes})
			recs := make([]*record[string], len(tc.results))
			for i := range recs {
				recs[i] = w.prepare("x")
			}
			got, err := w.Write(t.Context(), recs)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Outcome mismatch (-want +got):\n%s", diff)
			}
			for _, i := range got.Retry {
				want := &RecordError{Code: *tc.results[i].ErrorCode, Message: *tc.results[i].ErrorMessage}
				if diff := cmp.Diff(want, recs[i].last); diff != "" {
					t.Errorf("record %d: last answer mismatch (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestWriteShortAnswer checks that an answer with fewer results than
// records is retried as a whole: nothing is known written.
func TestWriteShortAnswer(t *testing.T) {
	t.Parallel()
	w := newWriter[string](answerClient{out: &kinesis.PutRecordsOutput{Records: []types.PutRecordsResultEntry{result("", "")}}}, Config{Stream: "s", MaxRecordBytes: DefaultMaxRecordBytes})
	_, err := w.Write(t.Context(), []*record[string]{w.prepare("a"), w.prepare("b")})
	if err == nil || batch.IsPermanent(err) || batch.IsThrottle(err) {
		t.Fatalf("Write: %v, want a plain (retried) error", err)
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
			_, err := w.Write(t.Context(), []*record[string]{w.prepare("a")})
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
