package awscall

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
)

// streamProtocol is a protocol that serializes every input as a stream of
// its own kind, as the SDK's JSON protocols do with the empty input.
type streamProtocol struct {
	smithyhttp.ClientProtocol
	stream func() io.Reader
	set    **http.Request // where it records the request it set the stream of
}

func (p streamProtocol) SerializeRequest(_ context.Context, _ *smithy.OperationSchema, _ smithy.Serializable, req *smithyhttp.Request) error {
	req.Method = http.MethodPost
	req.Header.Set("X-Amz-Target", "Service.Op")
	sreq, err := req.SetStream(p.stream())
	if err != nil {
		return err
	}
	*req = *sreq
	*p.set = req.Request
	return nil
}

type bodyInput struct{ noMembers }

// TestFastBody checks that FastBody gives the request the body it writes,
// with its length, and the method and headers the protocol sets, whatever
// stream the protocol set for the empty input; and that it reuses the
// protocol's reader, without cloning the request, where it can.
func TestFastBody(t *testing.T) {
	t.Parallel()
	const body = `{"Records":[{"Data":"eA=="}]}`
	read := bytes.NewReader([]byte("{}"))
	_, _ = read.ReadByte()
	tests := []struct {
		name   string
		stream func() io.Reader
		reused bool // the protocol's *http.Request is the one sent
	}{
		{name: "bytes reader at its start", stream: func() io.Reader { return bytes.NewReader([]byte("{}")) }, reused: true},
		{name: "empty bytes reader", stream: func() io.Reader { return bytes.NewReader(nil) }, reused: true},
		{name: "bytes reader partly read", stream: func() io.Reader { return read }},
		{name: "strings reader", stream: func() io.Reader { return strings.NewReader("{}") }},
		{name: "no stream", stream: func() io.Reader { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var set *http.Request
			p := FastBody(streamProtocol{stream: tc.stream, set: &set}, func(buf []byte, in any) ([]byte, bool) {
				if _, ok := in.(bodyInput); !ok {
					return buf, false
				}
				return append(buf, body...), true
			})
			req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
			if err := p.SerializeRequest(context.Background(), nil, bodyInput{}, req); err != nil {
				t.Fatal(err)
			}
			if n, ok, err := req.StreamLength(); err != nil || !ok || n != int64(len(body)) {
				t.Errorf("StreamLength() = %d, %v, %v; want %d, true, nil", n, ok, err, len(body))
			}
			got, err := io.ReadAll(req.GetStream())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(body, string(got)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if req.ContentLength != int64(len(body)) {
				t.Errorf("ContentLength = %d, want %d", req.ContentLength, len(body))
			}
			if err := req.RewindStream(); err != nil {
				t.Errorf("RewindStream: %v", err)
			} else if again, _ := io.ReadAll(req.GetStream()); string(again) != body {
				t.Errorf("after RewindStream, body %q, want %q", again, body)
			}
			if req.Method != http.MethodPost || req.Header.Get("X-Amz-Target") != "Service.Op" {
				t.Errorf("method %q, X-Amz-Target %q: want the protocol's", req.Method, req.Header.Get("X-Amz-Target"))
			}
			if reused := req.Request == set; reused != tc.reused {
				t.Errorf("request cloned after the protocol's: %v, want %v", !reused, !tc.reused)
			}
		})
	}
}
