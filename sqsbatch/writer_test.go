package sqsbatch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/idbatch"
)

// answerClient answers every call with out and err.
type answerClient struct {
	out  *sqs.SendMessageBatchOutput
	err  error
	got  *sqs.SendMessageBatchInput
	opts []func(*sqs.Options)
}

func (c *answerClient) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	c.got, c.opts = in, opts
	return c.out, c.err
}

// TestWriteKeepsTheSDKFromRetryingThrottles checks that the options Write
// passes make the SDK's retryer return a throttled call at once, so that
// the dispatcher's rate control sees it.
func TestWriteKeepsTheSDKFromRetryingThrottles(t *testing.T) {
	c := &answerClient{out: &sqs.SendMessageBatchOutput{Successful: ok("0")}}
	w := &writer[Message]{client: c, queueURL: "http://127.0.0.1:1/1/q", maxBytes: MaxMessageBytes}
	if _, err := w.Write(t.Context(), msgs(t, w, "")); err != nil {
		t.Fatal(err)
	}
	o := sqs.Options{Retryer: retry.NewStandard()}
	for _, fn := range c.opts {
		fn(&o)
	}
	if o.Retryer.IsErrorRetryable(&types.RequestThrottled{}) {
		t.Error("the SDK would retry RequestThrottled itself")
	}
	if !o.Retryer.IsErrorRetryable(&smithyhttp.RequestSendError{Err: errors.New("connection reset")}) {
		t.Error("the SDK would no longer retry a failed send")
	}
}

func ok(ids ...string) []types.SendMessageBatchResultEntry {
	out := make([]types.SendMessageBatchResultEntry, len(ids))
	for i, id := range ids {
		out[i] = types.SendMessageBatchResultEntry{Id: aws.String(id), MessageId: aws.String("m" + id)}
	}
	return out
}

func fail(id string, sender bool, code string) types.BatchResultErrorEntry {
	return types.BatchResultErrorEntry{Id: aws.String(id), SenderFault: sender, Code: aws.String(code), Message: aws.String("msg " + id)}
}

// cause is the ItemError of entry i, failed by fail(i, sender, code).
func cause(i int, sender bool, code string) batch.ItemError {
	return batch.ItemError{Index: i, Err: &EntryError{Code: code, Message: fmt.Sprint("msg ", i), SenderFault: sender, Service: "SQS"}}
}

// msgs prepares one message per group name ("" on a standard queue).
func msgs(t *testing.T, w *writer[Message], groups ...string) []types.SendMessageBatchRequestEntry {
	t.Helper()
	out := make([]types.SendMessageBatchRequestEntry, len(groups))
	for i, g := range groups {
		m := Message{Body: fmt.Sprint("body ", i), GroupID: g}
		if w.fifo {
			m.DeduplicationID = fmt.Sprint("d", i)
		}
		e, err := w.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = e.Value
	}
	return out
}

func TestWriteOutcome(t *testing.T) {
	tests := []struct {
		name   string
		fifo   bool
		groups []string
		out    *sqs.SendMessageBatchOutput
		want   batch.Outcome
	}{
		{
			name: "all through", groups: []string{"", "", ""},
			out:  &sqs.SendMessageBatchOutput{Successful: ok("0", "1", "2")},
			want: batch.Outcome{},
		},
		{
			name: "sender fault refused, server fault retried", groups: []string{"", "", "", ""},
			out: &sqs.SendMessageBatchOutput{Successful: ok("0", "3"),
				Failed: []types.BatchResultErrorEntry{fail("1", true, "InvalidParameterValue"), fail("2", false, "InternalError")}},
			want: batch.Outcome{Retried: []batch.ItemError{cause(2, false, "InternalError")}, Failed: []batch.ItemError{cause(1, true, "InvalidParameterValue")}},
		},
		{
			name: "throttled entry retried even with SenderFault", groups: []string{"", ""},
			out:  &sqs.SendMessageBatchOutput{Successful: ok("1"), Failed: []types.BatchResultErrorEntry{fail("0", true, "RequestThrottled")}},
			want: batch.Outcome{Retried: []batch.ItemError{cause(0, true, "RequestThrottled")}, Throttled: true},
		},
		{
			name: "entry not mentioned is retried", groups: []string{"", "", ""},
			out:  &sqs.SendMessageBatchOutput{Successful: ok("0", "2")},
			want: batch.Outcome{Retried: []batch.ItemError{{Index: 1, Err: idbatch.ErrUnmentioned}}},
		},
		{
			name: "standard: others never resent", groups: []string{"g", "g", "g"},
			out:  &sqs.SendMessageBatchOutput{Successful: ok("0", "2"), Failed: []types.BatchResultErrorEntry{fail("1", false, "InternalError")}},
			want: batch.Outcome{Retried: []batch.ItemError{cause(1, false, "InternalError")}},
		},
		{
			name: "FIFO: later entries of the group go again", fifo: true, groups: []string{"a", "b", "a", "b", "a"},
			out:  &sqs.SendMessageBatchOutput{Successful: ok("0", "1", "3", "4"), Failed: []types.BatchResultErrorEntry{fail("2", false, "InternalError")}},
			want: batch.Outcome{Retry: []int{4}, Retried: []batch.ItemError{cause(2, false, "InternalError")}},
		},
		{
			name: "FIFO: earlier entries of the group stay written", fifo: true, groups: []string{"a", "a", "a"},
			out:  &sqs.SendMessageBatchOutput{Successful: ok("0", "2"), Failed: []types.BatchResultErrorEntry{fail("1", true, "ThrottlingException")}},
			want: batch.Outcome{Retry: []int{2}, Retried: []batch.ItemError{cause(1, true, "ThrottlingException")}, Throttled: true},
		},
		{
			name: "FIFO: a refused entry does not hold its group", fifo: true, groups: []string{"a", "a", "a"},
			out:  &sqs.SendMessageBatchOutput{Successful: ok("0", "2"), Failed: []types.BatchResultErrorEntry{fail("1", true, "InvalidParameterValue")}},
			want: batch.Outcome{Failed: []batch.ItemError{{Index: 1, Err: &EntryError{Code: "InvalidParameterValue", Message: "msg 1", SenderFault: true, Service: "SQS"}}}},
		},
		{
			name: "FIFO: a refused entry after a retried one is still refused", fifo: true, groups: []string{"a", "a", "a"},
			out: &sqs.SendMessageBatchOutput{Successful: ok("2"),
				Failed: []types.BatchResultErrorEntry{fail("0", false, "InternalError"), fail("1", true, "InvalidParameterValue")}},
			want: batch.Outcome{Retry: []int{2}, Retried: []batch.ItemError{cause(0, false, "InternalError")}, Failed: []batch.ItemError{cause(1, true, "InvalidParameterValue")}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &answerClient{out: tc.out}
			url := "http://127.0.0.1:1/1/q"
			if tc.fifo {
				url += ".fifo"
			}
			w := &writer[Message]{client: c, queueURL: url, fifo: tc.fifo, maxBytes: MaxMessageBytes}
			got, err := w.Write(t.Context(), msgs(t, w, tc.groups...))
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, sameMessage); diff != "" {
				t.Errorf("Outcome mismatch (-want +got):\n%s", diff)
			}
			var ids []string
			for _, e := range c.got.Entries {
				ids = append(ids, aws.ToString(e.Id))
			}
			want := []string{"0", "1", "2", "3", "4"}[:len(tc.groups)]
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("entry ids mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteDistrustsAnswers(t *testing.T) {
	for _, out := range []*sqs.SendMessageBatchOutput{
		{Successful: ok("0", "7")},
		{Successful: ok("0", "0")},
		{Successful: ok("0"), Failed: []types.BatchResultErrorEntry{fail("01", false, "InternalError")}},
	} {
		w := &writer[Message]{client: &answerClient{out: out}, queueURL: "http://127.0.0.1:1/1/q", maxBytes: MaxMessageBytes}
		_, err := w.Write(t.Context(), msgs(t, w, "", ""))
		if err == nil || batch.IsPermanent(err) {
			t.Errorf("Write with an answer naming entries wrongly: %v, want a retryable error", err)
		}
	}
}

// apiError is a smithy.APIError with a code, as the SDK returns.
type apiError struct{ code string }

func (e apiError) Error() string                 { return "api error " + e.code }
func (e apiError) ErrorCode() string             { return e.code }
func (e apiError) ErrorMessage() string          { return e.code }
func (e apiError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// TestWriteWrapsCallErrors checks how Write marks the errors of a whole
// call (internal/awscall classifies them; here, as a Client that is not the
// SDK's returns them, by their types and codes alone).
func TestWriteWrapsCallErrors(t *testing.T) {
	const (
		retried  = "retry"
		throttle = "throttle"
		split    = "split"
		all      = "all"
	)
	tests := []struct {
		err  error
		want string
	}{
		{&types.RequestThrottled{}, throttle},
		{apiError{"ThrottlingException"}, throttle},
		{&types.KmsThrottled{}, throttle},
		{&types.QueueDoesNotExist{}, all},
		{&types.QueueDoesNotExist{ErrorCodeOverride: aws.String("AWS.SimpleQueueService.NonExistentQueue")}, all},
		{apiError{"AccessDenied"}, all},
		{apiError{"InvalidClientTokenId"}, all},
		{&types.KmsAccessDenied{}, all},
		{&v4.SigningError{Err: errors.New("failed to retrieve credentials")}, all},
		// SQS refuses one entry in its result; a refusal of the whole
		// call with an entry's code is every entry's alike.
		{apiError{"InvalidParameterValue"}, all},
		{apiError{"MissingParameter"}, all},
		{&types.BatchRequestTooLong{}, split},
		{&types.InvalidMessageContents{}, split},
		{&types.TooManyEntriesInBatchRequest{}, split},
		{apiError{"InternalError"}, retried},
		{apiError{"ServiceUnavailable"}, retried},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, retried},
		{context.DeadlineExceeded, retried},
	}
	for _, tc := range tests {
		w := &writer[Message]{client: &answerClient{err: tc.err}, queueURL: "http://127.0.0.1:1/1/q", maxBytes: MaxMessageBytes}
		_, err := w.Write(t.Context(), msgs(t, w, "", ""))
		got := retried
		var pe *batch.PermanentError
		switch {
		case errors.As(err, &pe) && pe.All:
			got = all
		case errors.As(err, &pe):
			got = split
		case batch.IsThrottle(err):
			got = throttle
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Write(%T %v) mismatch (-want +got):\n%s", tc.err, tc.err, diff)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("Write(%T): %v does not wrap the call's error", tc.err, err)
		}
	}
}

// sameMessage compares errors by their messages: an Outcome's causes are
// made anew by each call.
var sameMessage = cmp.Comparer(func(x, y error) bool {
	if x == nil || y == nil {
		return x == y
	}
	return x.Error() == y.Error()
})
