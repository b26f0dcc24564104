package sqsbatch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/sqsbatch"
	"github.com/batchutils/batchutils/testutil"
)

var errNoCredentials = errors.New("test: no credentials in the environment")

// Errors that no retry fixes, raised in the client before any request is
// sent, fail the call's messages at once with their cause. The SDK gives a
// credentials provider's error no type of its own: the send probe, not the
// error's text, tells that nothing was sent.
func TestClientErrorsBeforeSendingFailAtOnce(t *testing.T) {
	tests := []struct {
		name  string
		opt   func(*sqs.Options)
		cause error // matched with errors.Is, if set
	}{
		{"no credentials", func(o *sqs.Options) {
			o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{}, errNoCredentials
			})
		}, errNoCredentials},
		{"no region, no endpoint", func(o *sqs.Options) { o.Region, o.BaseEndpoint = "", nil }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.WriteHeader(http.StatusInternalServerError)
			}))
			t.Cleanup(srv.Close)
			client := sqs.New(testutil.NewSQSClient(t, srv.URL, testutil.ClientOptions{}).Options(), tc.opt)
			d, err := sqsbatch.New[string](client, sqsbatch.Config{QueueURL: srv.URL + "/123456789012/q", Batch: batch.Config{BackOff: quickRetries}})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 15 {
				if err := d.Send(t.Context(), fmt.Sprint("message ", i)); err != nil {
					t.Fatal(err)
				}
			}
			var fe *batch.FailedError[string]
			if err := d.Close(t.Context()); !errors.As(err, &fe) || len(fe.Failures) != 15 {
				t.Fatalf("Close: %v, want 15 failures", err)
			}
			for _, f := range fe.Failures {
				var oe *smithy.OperationError
				var pe *batch.PermanentError
				if !errors.As(f.Err, &oe) || !errors.As(f.Err, &pe) || !pe.All {
					t.Fatalf("cause %v: want the SDK's OperationError, marked PermanentForAll", f.Err)
				}
				if tc.cause != nil && !errors.Is(f.Err, tc.cause) {
					t.Fatalf("cause %v, want %v", f.Err, tc.cause)
				}
			}
			// 15 messages: two calls (10 + 5), neither retried nor split.
			want := batch.Stats{Submitted: 15, Failed: 15, Batches: 2}
			if diff := cmp.Diff(want, d.Stats()); diff != "" {
				t.Errorf("Stats mismatch (-want +got):\n%s", diff)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("the server got %d requests, want none", n)
			}
		})
	}
}
