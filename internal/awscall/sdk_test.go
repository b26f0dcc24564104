package awscall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"
)

// kinesisClient returns a real SDK client for endpoint, with fake
// credentials (unless creds is set) and the SDK's standard retryer, without
// waits between attempts.
func kinesisClient(t *testing.T, endpoint string, creds aws.CredentialsProvider) *kinesis.Client {
	t.Helper()
	if creds == nil {
		creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "k", SecretAccessKey: "s"}, nil
		})
	}
	transport := &http.Transport{DialContext: dialLoopback}
	t.Cleanup(transport.CloseIdleConnections)
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  creds,
		HTTPClient:   &http.Client{Transport: transport},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
	})
}

// dialLoopback refuses to dial anything but a loopback address: no test
// may reach a real service.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("test: refusing to dial %s: not a loopback address", addr)
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// putRecords makes one PutRecords call of n records through an
// awscall.Call, and returns its classified error.
func putRecords(ctx context.Context, client *kinesis.Client, n int, install bool) (*kinesis.PutRecordsOutput, error) {
	in := &kinesis.PutRecordsInput{StreamName: aws.String("s")}
	for i := range n {
		in.Records = append(in.Records, types.PutRecordsRequestEntry{
			Data: []byte(fmt.Sprintf("record %d of the call", i)), PartitionKey: aws.String(fmt.Sprint(i)),
		})
	}
	if !install {
		return client.PutRecords(ctx, in)
	}
	call := Kinesis.NewCall()
	out, err := client.PutRecords(ctx, in, func(o *kinesis.Options) {
		Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
	})
	return out, call.Classify(ctx, err)
}

// answer writes a PutRecords answer that took all n records.
func answer(w http.ResponseWriter, n int) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	var b strings.Builder
	b.WriteString(`{"FailedRecordCount":0,"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"SequenceNumber":"%d","ShardId":"shardId-000000000000"}`, i)
	}
	b.WriteString(`]}`)
	io.WriteString(w, b.String())
}

func apiError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":"%s","message":"no"}`, code)
}

// checkAnswer adds to a client's requests a check of the answer that fails
// once the call has succeeded, where the SQS client checks its MD5s: in the
// initialize step, outside the retry loop and the attempt's middleware.
func checkAnswer(o *kinesis.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("test.CheckAnswer", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error,
		) {
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil {
				err = errors.New("test: the answer does not match the request")
			}
			return out, md, err
		}), middleware.After)
	})
}

// TestClassifyThroughTheSDK checks what a real SDK client's errors are
// classified as, and that the SDK does not send again a call that was sent
// and got no answer.
func TestClassifyThroughTheSDK(t *testing.T) {
	t.Parallel()
	noCredentials := errors.New("test: no credentials")
	tests := []struct {
		name     string
		handler  http.HandlerFunc // nil: no server, connections are refused
		creds    aws.CredentialsProvider
		opt      func(*kinesis.Options) // of the client, if set
		want     mark
		requests int64 // that reached the server
	}{
		{name: "answered", want: "ok", requests: 1, handler: func(w http.ResponseWriter, r *http.Request) { answer(w, 3) }},
		{name: "no credentials", want: all, creds: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, noCredentials
		}), handler: func(w http.ResponseWriter, r *http.Request) { answer(w, 3) }},
		{name: "refused connection", want: retried},
		{name: "throttled, not retried by the SDK", want: throttle, requests: 1, handler: func(w http.ResponseWriter, r *http.Request) {
			apiError(w, 400, "ProvisionedThroughputExceededException")
		}},
		{name: "500, retried by the SDK", want: retried, requests: 3, handler: func(w http.ResponseWriter, r *http.Request) {
			apiError(w, 500, "InternalFailure")
		}},
		{name: "unknown stream", want: all, requests: 1, handler: func(w http.ResponseWriter, r *http.Request) {
			apiError(w, 400, "ResourceNotFoundException")
		}},
		{name: "bare 413", want: split, requests: 1, handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		}},
		{name: "dropped after the request was read", want: maybe, requests: 1, handler: func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
		{name: "200 cut short: not sent again by the SDK", want: maybe, requests: 1, handler: func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 1000\r\n\r\n{\"FailedRecordCount\":0,")
			buf.Flush()
			conn.Close()
		}},
		{name: "answered, then refused by a check of the answer in the client", want: maybe, requests: 1, opt: checkAnswer,
			handler: func(w http.ResponseWriter, r *http.Request) { answer(w, 3) }},
		{name: "garbled 200", want: maybe, requests: 1, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			io.WriteString(w, `{"FailedRecordCount":0,"Records":[{`)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if tc.handler != nil {
					tc.handler(w, r)
				}
			}))
			url := srv.URL
			if tc.handler == nil {
				srv.Close()
			} else {
				t.Cleanup(srv.Close)
			}
			client := kinesisClient(t, url, tc.creds)
			if tc.opt != nil {
				client = kinesis.New(client.Options(), tc.opt)
			}
			_, err := putRecords(t.Context(), client, 3, true)
			got := markOf(err)
			if err == nil {
				got = "ok"
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("PutRecords: %v: mismatch (-want +got):\n%s", err, diff)
			}
			if tc.creds != nil && !errors.Is(err, noCredentials) {
				t.Errorf("PutRecords: %v, want it to wrap %v", err, noCredentials)
			}
			if n := requests.Load(); n != tc.requests {
				t.Errorf("the server got %d requests, want %d", n, tc.requests)
			}
		})
	}
}
