package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

var (
	errNoCredentials = errors.New("test: no credentials in the environment")
	errSigning       = errors.New("test: the signer refuses")
)

type failingSigner struct{}

func (failingSigner) SignHTTP(context.Context, aws.Credentials, *http.Request, string, string, string, time.Time, ...func(*v4.SignerOptions)) error {
	return errSigning
}

// sdkClient returns a real SDK client for endpoint, with dummy credentials
// and one attempt per call (the dispatcher retries), adjusted by opt.
func sdkClient(t *testing.T, endpoint string, opt func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	o := dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		})),
	}
	if opt != nil {
		opt(&o)
	}
	transport := &http.Transport{DialContext: dialLoopback}
	t.Cleanup(transport.CloseIdleConnections)
	o.HTTPClient = &http.Client{Transport: transport}
	return dynamodb.New(o)
}

// dialLoopback refuses to dial anything but a loopback address: no test
// may reach real AWS, whatever the endpoint resolves to.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("test: refusing to dial %s: not a loopback address", addr)
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// countingServer serves f over HTTP on a loopback port and counts the
// requests it gets.
func countingServer(t *testing.T, f *testutil.FakeDynamoDB) (url string, requests *atomic.Int64) {
	t.Helper()
	requests = new(atomic.Int64)
	h := testutil.FakeDynamoDBHandler(f)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(srv.Client().CloseIdleConnections)
	return srv.URL, requests
}

// Errors that no retry fixes, raised in the client before any request is
// sent, fail the call's items at once with their cause.
func TestClientErrorsBeforeSendingFailAtOnce(t *testing.T) {
	tests := []struct {
		name  string
		opt   func(*dynamodb.Options)
		cause error  // matched with errors.Is, if set
		msg   string // in the cause's message
	}{
		{"no credentials", func(o *dynamodb.Options) {
			o.Credentials = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{}, errNoCredentials
			}))
		}, errNoCredentials, "no credentials"},
		{"no region, no endpoint", func(o *dynamodb.Options) { o.Region, o.BaseEndpoint = "", nil }, nil, "Missing Region"},
		{"endpoint that is not a URL", func(o *dynamodb.Options) { o.BaseEndpoint = aws.String("http://[::1") }, nil, "endpoint"},
		{"signing error", func(o *dynamodb.Options) { o.HTTPSignerV4 = failingSigner{} }, errSigning, "signer refuses"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(testutil.KeySchema{PartitionKey: "id"})
			url, requests := countingServer(t, f)
			d := newDispatcher[AV](t, sdkClient(t, url, tc.opt), dynamo.Config{PartitionKey: "id"})
			for i := range 30 {
				put(t, d, AV{"id": &S{Value: fmt.Sprint(i)}})
			}
			fs := failuresOf[AV](t, d.Close(context.Background()))
			if len(fs) != 30 {
				t.Fatalf("%d failures, want 30", len(fs))
			}
			for _, fl := range fs {
				if tc.cause != nil && !errors.Is(fl.Err, tc.cause) {
					t.Fatalf("cause %v, want %v", fl.Err, tc.cause)
				}
				var oe *smithy.OperationError
				if !errors.As(fl.Err, &oe) || !batch.IsPermanent(fl.Err) {
					t.Fatalf("cause %v: want the SDK's OperationError, marked permanent", fl.Err)
				}
				if !strings.Contains(fl.Err.Error(), tc.msg) {
					t.Fatalf("cause %q does not say %q", fl.Err, tc.msg)
				}
			}
			// 30 items: two calls (25 + 5), neither retried nor split.
			want := batch.Stats{Submitted: 30, Failed: 30, Batches: 2}
			if diff := cmp.Diff(want, d.Stats()); diff != "" {
				t.Errorf("Stats mismatch (-want +got):\n%s", diff)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("the server got %d requests, want none", n)
			}
		})
	}
}

// Errors the service returns, or met on the way to it, keep their
// classification through the real SDK client.
func TestServiceErrorsKeepTheirClassification(t *testing.T) {
	internal := &types.InternalServerError{Message: aws.String("boom")}
	tests := []struct {
		name      string
		table     string // "" for the fake's table
		fail      []error
		closed    bool // the server is gone: connections are refused
		written   int
		failed    int
		wantStats func(batch.Stats) bool
	}{
		{name: "500 is retried", fail: []error{internal, internal}, written: 3,
			wantStats: func(s batch.Stats) bool { return s.Batches == 3 && s.Retries == 6 }},
		{name: "throttling is retried, more slowly", fail: []error{apiErr("ThrottlingException")}, written: 3,
			wantStats: func(s batch.Stats) bool { return s.Batches == 2 && s.Retries == 3 && s.Throttled == 1 }},
		{name: "unknown table fails every item in one call", table: "missing", failed: 3,
			wantStats: func(s batch.Stats) bool { return s.Batches == 1 && s.Retries == 0 }},
		{name: "a refused connection is retried", closed: true, failed: 3,
			wantStats: func(s batch.Stats) bool { return s.Batches == 6 && s.Retries == 15 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(testutil.KeySchema{PartitionKey: "id"})
			f.FailNext(tc.fail...)
			url, _ := countingServer(t, f)
			if tc.closed {
				srv := httptest.NewServer(http.NotFoundHandler())
				url = srv.URL
				srv.Close()
			}
			cfg := dynamo.Config{PartitionKey: "id", Table: tc.table}
			d := newDispatcher[AV](t, sdkClient(t, url, nil), cfg)
			for i := range 3 {
				put(t, d, AV{"id": &S{Value: fmt.Sprint(i)}})
			}
			err := d.Close(context.Background())
			var failed int
			if err != nil {
				fs := failuresOf[AV](t, err)
				failed = len(fs)
				if batch.IsPermanent(fs[0].Err) != (tc.table != "") {
					t.Errorf("cause %v: permanent %v, want %v", fs[0].Err, batch.IsPermanent(fs[0].Err), tc.table != "")
				}
			}
			if failed != tc.failed || len(f.Items(table)) != tc.written {
				t.Errorf("%d failed, %d written; want %d, %d", failed, len(f.Items(table)), tc.failed, tc.written)
			}
			if st := d.Stats(); !tc.wantStats(st) {
				t.Errorf("Stats %+v", st)
			}
		})
	}
}
