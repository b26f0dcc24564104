package awscall

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/aws/smithy-go/middleware"
)

// attempt is what the probe knows of one attempt of a request: made by the
// attempt middleware, found by the HTTP client in the request's context.
type attempt struct {
	// sent says the request went out whole: net/http read its body to the
	// end, or an answer came.
	sent atomic.Bool
}

type attemptKey struct{}

// install adds the attempt middleware to a request's stack. It runs once
// per attempt: in the finalize step, after the SDK's retry middleware.
func (c *Call) install(stack *middleware.Stack) error {
	c.built.Store(true)
	m := middleware.FinalizeMiddlewareFunc("batchutils.Attempt", c.handleAttempt)
	if err := stack.Finalize.Insert(m, "Retry", middleware.After); err != nil {
		return stack.Finalize.Add(m, middleware.After) // a stack without the SDK's retries
	}
	return nil
}

// handleAttempt makes the attempt's record, runs the attempt, and notes
// whether it ended sent and without an answer that the service refused it.
func (c *Call) handleAttempt(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	a := new(attempt)
	out, md, err := next.HandleFinalize(context.WithValue(ctx, attemptKey{}, a), in)
	unanswered := err != nil && a.sent.Load() && statusOf(err) < 300
	c.lastUnanswered.Store(unanswered)
	if unanswered {
		c.unanswered.Store(true)
	}
	if err == nil {
		c.applied.Store(true)
	}
	return out, md, err
}

// httpClient is the HTTP client of a request that a Call watches: it waits
// for the call's turn at its Gate, if any, marks the attempt as reached,
// hands net/http a body that has no WriteTo method and notes when that body
// has been read whole.
//
// Why no WriteTo: smithy-go's request body returns io.EOF from WriteTo once
// the SDK has closed it, which the SDK does as soon as the answer's headers
// arrive. net/http's transport, once it has written a body of known length,
// reads it once more to check that nothing is left; through WriteTo, that
// read returns io.EOF, which io.Copy passes on as an error. The transport
// then takes the write for failed and closes the connection while the answer
// is being read, the SDK meets "use of closed network connection", retries
// it, and the service gets the call twice. Read returns io.EOF at the end as
// any reader does, and io.Copy takes that for the end.
type httpClient struct {
	next ClientDo
	call *Call
}

// Do sends req through the wrapped client with its body wrapped.
func (h *httpClient) Do(req *http.Request) (*http.Response, error) {
	a, _ := req.Context().Value(attemptKey{}).(*attempt)
	if h.call != nil {
		if g := h.call.gate; g != nil {
			// Built and signed: wait for a call on the wire to end.
			if err := g.enter(req.Context()); err != nil {
				return nil, err
			}
			defer g.leave()
		}
		h.call.reached.Store(true)
	}
	if req.Body != nil && req.Body != http.NoBody {
		r := new(http.Request)
		*r = *req
		r.Body = &body{rc: req.Body, a: a, size: req.ContentLength}
		if getBody := req.GetBody; getBody != nil {
			r.GetBody = func() (io.ReadCloser, error) {
				rc, err := getBody()
				if err != nil || rc == nil || rc == http.NoBody {
					return rc, err
				}
				return &body{rc: rc, a: a, size: req.ContentLength}, nil
			}
		}
		req = r
	}
	resp, err := h.next.Do(req)
	if err == nil && a != nil {
		a.sent.Store(true) // an answer came: the request was read
	}
	return resp, err
}

// body is a request body with only Read and Close, which notes in its
// attempt when it has been read to the end.
type body struct {
	rc   io.ReadCloser
	a    *attempt // nil if the request was made without the middleware
	size int64    // the request's ContentLength: -1 or 0 if unknown
	n    int64    // bytes read
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	// The end of a body of known length is its length: read early (the
	// SDK closed the body under the transport), it is not sent whole.
	if b.a != nil && (b.size > 0 && b.n >= b.size || b.size <= 0 && err == io.EOF) {
		b.a.sent.Store(true)
	}
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }
