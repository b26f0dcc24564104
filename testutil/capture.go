package testutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// CaptureHTTP is the HTTP client of an SDK service client that sends
// nothing: it keeps each request it is given, with its body read whole, and
// answers 200 with Answer. Tests compare what two ways of making the same
// request put on the wire.
type CaptureHTTP struct {
	// Answer is the body of every answer: JSON the operation's output
	// can be read from. "{}" when empty.
	Answer string

	mu       sync.Mutex
	requests []CapturedRequest
}

// CapturedRequest is a request CaptureHTTP was given.
type CapturedRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Wire returns the method, path and headers of r that do not change from
// one request to the next (not the signature, date, ids or user agent), as
// headers with "Method" and "Path" among them: what two ways of making the
// same request must agree on.
func (r CapturedRequest) Wire() http.Header {
	h := http.Header{"Method": {r.Method}, "Path": {r.Path}}
	for k, v := range r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "X-Amz-Date", "Amz-Sdk-Invocation-Id", "Amz-Sdk-Request", "X-Amz-Content-Sha256", "User-Agent", "X-Amz-User-Agent":
			continue
		}
		h[k] = v
	}
	return h
}

// Do keeps req and answers it.
func (c *CaptureHTTP) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	c.mu.Lock()
	c.requests = append(c.requests, CapturedRequest{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Body: body})
	c.mu.Unlock()
	answer := c.Answer
	if answer == "" {
		answer = "{}"
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body:          io.NopCloser(bytes.NewReader([]byte(answer))),
		ContentLength: int64(len(answer)),
		Request:       req,
	}, nil
}

// Requests returns the requests kept so far and forgets them.
func (c *CaptureHTTP) Requests() []CapturedRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.requests
	c.requests = nil
	return r
}

// CaptureCredentials are fixed fake credentials for a client on a
// CaptureHTTP.
var CaptureCredentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "capture", SecretAccessKey: "capture", Source: "testutil"}, nil
})

// SameOnTheWire makes one request twice through a client on c, the SDK's
// way (send(false)) and the library's (send(true)), and fails t unless both
// put the same body, byte for byte, and the same method, path and headers
// (Wire) on the wire.
func SameOnTheWire(t testing.TB, c *CaptureHTTP, send func(fast bool) error) {
	t.Helper()
	sdk, ours := sendTwice(t, c, send)
	if diff := cmp.Diff(string(sdk.Body), string(ours.Body)); diff != "" {
		t.Errorf("body (-sdk +ours):\n%s", diff)
	}
	sameWire(t, sdk, ours)
}

// SameOnTheWireAnyOrder is SameOnTheWire for a request whose body holds a
// Go map of more than one key, which the SDK writes in Go's iteration
// order: the two bodies must be the same JSON, and of the same length.
func SameOnTheWireAnyOrder(t testing.TB, c *CaptureHTTP, send func(fast bool) error) {
	t.Helper()
	sdk, ours := sendTwice(t, c, send)
	var sdkJSON, oursJSON any
	if err := json.Unmarshal(sdk.Body, &sdkJSON); err != nil {
		t.Fatalf("the SDK's body: %v", err)
	}
	if err := json.Unmarshal(ours.Body, &oursJSON); err != nil {
		t.Fatalf("our body: %v\n%s", err, ours.Body)
	}
	if diff := cmp.Diff(sdkJSON, oursJSON); diff != "" {
		t.Errorf("body as JSON (-sdk +ours):\n%s", diff)
	}
	if len(sdk.Body) != len(ours.Body) {
		t.Errorf("body of %d bytes, the SDK's is %d", len(ours.Body), len(sdk.Body))
	}
	sameWire(t, sdk, ours)
}

// sendTwice makes the request the SDK's way, then the library's, and
// returns what each put on the wire.
func sendTwice(t testing.TB, c *CaptureHTTP, send func(fast bool) error) (sdk, ours CapturedRequest) {
	t.Helper()
	for _, fast := range []bool{false, true} {
		if err := send(fast); err != nil {
			t.Fatal(err)
		}
	}
	reqs := c.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	return reqs[0], reqs[1]
}

// sameWire fails t unless sdk and ours have the same Wire.
func sameWire(t testing.TB, sdk, ours CapturedRequest) {
	t.Helper()
	if diff := cmp.Diff(sdk.Wire(), ours.Wire()); diff != "" {
		t.Errorf("method, path and headers (-sdk +ours):\n%s", diff)
	}
}

// SameAnswer reads answer, the body of a successful answer, twice through
// a client on a CaptureHTTP that answers it: the SDK's way (call(c,
// false)) and the library's (call(c, true)). It fails t unless both give
// the same output (compared with opts), or both fail, each with a
// *smithy.DeserializationError where the other has one.
func SameAnswer(t testing.TB, answer string, call func(c *CaptureHTTP, fast bool) (any, error), opts ...cmp.Option) {
	t.Helper()
	c := &CaptureHTTP{Answer: answer}
	sdk, sdkErr := call(c, false)
	ours, ourErr := call(c, true)
	if (sdkErr == nil) != (ourErr == nil) {
		t.Fatalf("errors: sdk %v, ours %v", sdkErr, ourErr)
	}
	if sdkErr != nil {
		var sde, ode *smithy.DeserializationError
		if errors.As(sdkErr, &sde) != errors.As(ourErr, &ode) {
			t.Errorf("errors: sdk %v, ours %v: not both DeserializationErrors", sdkErr, ourErr)
		}
		return
	}
	if diff := cmp.Diff(sdk, ours, opts...); diff != "" {
		t.Errorf("output (-sdk +ours):\n%s", diff)
	}
}
