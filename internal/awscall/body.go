package awscall

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// BodyFunc writes the JSON body of a request input it knows, appended to
// buf, and reports whether it knew in. A backend gives one for the input of
// its batch call (a Kinesis PutRecordsInput): the body it writes must be the
// one the SDK's serializer writes for in, member for member.
type BodyFunc func(buf []byte, in any) ([]byte, bool)

// FastBody returns p, the JSON protocol of a service client (its Options'
// Protocol), with the body of the requests body knows written by body
// instead of the SDK's generic serializer; every other request, and every
// answer, goes through p as before. Set it in the request's options, next to
// Install:
//
//	func(o *kinesis.Options) { o.Protocol = awscall.FastBody(o.Protocol, putRecordsBody) }
//
// Why: the SDK serializes a request member by member through its schema,
// then copies the body out of its buffer; for a batch of 500 Kinesis records
// that is a fifth of the client's CPU time. A body written for the one input
// type, in a buffer sized once, costs a fraction of it. The method, path
// and headers of the request are still set by p, which serializes an input
// without members for them.
func FastBody(p smithyhttp.ClientProtocol, body BodyFunc) smithyhttp.ClientProtocol {
	if p == nil {
		return nil
	}
	return &fastBody{ClientProtocol: p, body: body}
}

type fastBody struct {
	smithyhttp.ClientProtocol
	body BodyFunc
}

func (p *fastBody) SerializeRequest(ctx context.Context, schema *smithy.OperationSchema, in smithy.Serializable, req *smithyhttp.Request) error {
	b, ok := p.body(nil, in)
	if !ok {
		return p.ClientProtocol.SerializeRequest(ctx, schema, in, req)
	}
	if err := p.ClientProtocol.SerializeRequest(ctx, schema, noMembers{}, req); err != nil {
		return err
	}
	// The protocol has just set the request's stream to a reader of its
	// own, of the empty input, at its start: it reads b instead, as
	// SetStream would set it, without cloning the request once more (its
	// headers and URL included).
	if r, ok := req.GetStream().(*bytes.Reader); ok && r.Size() == int64(r.Len()) {
		r.Reset(b)
		req.ContentLength = int64(len(b))
		return nil
	}
	sreq, err := req.SetStream(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("set stream: %w", err)
	}
	*req = *sreq
	return nil
}

// noMembers is an input without members: what the protocol serializes to
// set a request's method, path and headers.
type noMembers struct{}

func (noMembers) Serialize(smithy.ShapeSerializer) {}

// AnswerFunc reads the JSON body of a successful answer into out, the
// operation's output, and reports whether it could: false when out is not
// the output it knows or body is not JSON it reads. It must fill out as the
// SDK's deserializer does, member for member.
type AnswerFunc func(body []byte, out any) bool

// FastAnswer returns p with the successful answers that answer reads read
// by it instead of the SDK's generic deserializer: every other answer, and
// every one answer cannot read, goes through p as before (and a body answer
// gave up on goes to p whole). Set it in the request's options as FastBody.
//
// Why: the SDK reads an answer member by member through its schema and
// allocates each string apart; for the 500 results of a Kinesis PutRecords
// call that is 2,000 allocations. An answer read for the one output type can
// take its strings from one copy of the body.
func FastAnswer(p smithyhttp.ClientProtocol, answer AnswerFunc) smithyhttp.ClientProtocol {
	if p == nil {
		return nil
	}
	return &fastAnswer{ClientProtocol: p, answer: answer}
}

// maxAnswerPresize bounds the buffer FastAnswer makes from an answer's
// Content-Length before reading it: a larger answer grows it as it comes.
const maxAnswerPresize = 8 << 20

type fastAnswer struct {
	smithyhttp.ClientProtocol
	answer AnswerFunc
}

func (p *fastAnswer) DeserializeResponse(ctx context.Context, schema *smithy.OperationSchema, types *smithy.TypeRegistry, resp *smithyhttp.Response, out smithy.Deserializable) error {
	if resp.StatusCode < 200 || resp.StatusCode >= 300 || resp.Body == nil {
		return p.ClientProtocol.DeserializeResponse(ctx, schema, types, resp, out)
	}
	// Read whole, in one buffer of the length the answer gives (io.ReadAll
	// would grow one from 512 bytes, copying the body a dozen times for
	// the 500 results of a Kinesis call).
	b := bytes.NewBuffer(make([]byte, 0, min(max(resp.ContentLength, 0), maxAnswerPresize)+bytes.MinRead))
	if _, err := b.ReadFrom(resp.Body); err != nil {
		return &smithy.DeserializationError{Err: err}
	}
	body := b.Bytes()
	if len(body) > 0 && p.answer(body, out) {
		return nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return p.ClientProtocol.DeserializeResponse(ctx, schema, types, resp, out)
}
