package testutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// Fault is one way a FaultProxy answers a BatchWriteItem call instead of, or
// on top of, passing it through.
//
// "Applied" means that the call was forwarded and the upstream endpoint
// wrote what it accepted before the client sees the fault: retrying such a
// call writes the same items again, which is safe because puts and deletes
// are idempotent.
type Fault int

const (
	// FaultNone forwards the call and returns the upstream answer as it is.
	FaultNone Fault = iota
	// FaultProvisionedThroughputExceeded answers HTTP 400 with
	// ProvisionedThroughputExceededException; nothing is applied.
	FaultProvisionedThroughputExceeded
	// FaultThrottling answers HTTP 400 with ThrottlingException; nothing is
	// applied.
	FaultThrottling
	// FaultInternalServerError answers HTTP 500 with InternalServerError;
	// nothing is applied.
	FaultInternalServerError
	// FaultServiceUnavailable answers HTTP 503 with
	// ServiceUnavailableException; nothing is applied.
	FaultServiceUnavailable
	// FaultDropConnection closes the connection without an answer; nothing
	// is applied.
	FaultDropConnection
	// FaultDropAfterWrite forwards the call, then closes the connection
	// without an answer: applied, but the client sees a network error.
	FaultDropAfterWrite
	// FaultSlow forwards the call, then withholds the answer until the
	// client gives up (its timeout or context) or
	// FaultProxyConfig.SlowLimit passes: applied, but the client sees a
	// timeout. The write is complete before the stall starts, so it can never
	// land after a later write of the same key.
	FaultSlow
	// FaultUnprocessed forwards a random subset of the call's write requests
	// (possibly none) and returns the others, byte for byte as the client
	// sent them, in UnprocessedItems, together with any the upstream left
	// unprocessed: at least one request is withheld, none is lost.
	FaultUnprocessed
	// FaultGarbled answers HTTP 200 with a body that is not valid JSON (a
	// truncated UnprocessedItems, or an HTML page); nothing is applied.
	FaultGarbled
	// FaultGarbledAfterWrite forwards the call, then answers HTTP 200 with
	// a body that is not valid JSON: applied, but the client cannot tell.
	FaultGarbledAfterWrite

	numFaults
)

// Faults returns every Fault but FaultNone, in order.
func Faults() []Fault {
	fs := make([]Fault, 0, numFaults-1)
	for f := FaultNone + 1; f < numFaults; f++ {
		fs = append(fs, f)
	}
	return fs
}

var fltFaultNames = [numFaults]string{
	FaultNone:                          "None",
	FaultProvisionedThroughputExceeded: "ProvisionedThroughputExceeded",
	FaultThrottling:                    "Throttling",
	FaultInternalServerError:           "InternalServerError",
	FaultServiceUnavailable:            "ServiceUnavailable",
	FaultDropConnection:                "DropConnection",
	FaultDropAfterWrite:                "DropAfterWrite",
	FaultSlow:                          "Slow",
	FaultUnprocessed:                   "Unprocessed",
	FaultGarbled:                       "Garbled",
	FaultGarbledAfterWrite:             "GarbledAfterWrite",
}

// String returns the fault's name without its Fault prefix.
func (f Fault) String() string {
	if f >= 0 && f < numFaults {
		return fltFaultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// DefaultSlowLimit is how long a FaultSlow answer is withheld at most when
// FaultProxyConfig.SlowLimit is 0.
const DefaultSlowLimit = 10 * time.Second

// FaultProxyConfig says where a FaultProxy forwards calls and which faults it
// injects.
type FaultProxyConfig struct {
	// Upstream is the URL of the DynamoDB endpoint that calls are forwarded
	// to, such as the one DynamoDBEndpoint returns. It must be a loopback
	// address. Exactly one of Upstream and Handler must be set.
	Upstream string
	// Handler serves the forwarded calls in process instead, such as
	// FakeDynamoDBHandler(fake).
	Handler http.Handler
	// Seed seeds the random choice of faults, of unprocessed subsets and of
	// garbled bodies. Calls that arrive concurrently draw in the order they
	// arrive, so a seed reproduces the mix of faults, not their order.
	Seed uint64
	// Rates is the probability of each fault on a BatchWriteItem call;
	// FaultNone takes what is left. The rates must be in [0, 1] and sum to
	// at most 1. nil: no random faults (only Script's).
	Rates map[Fault]float64
	// SlowLimit bounds how long FaultSlow withholds an answer from a client
	// that does not give up. 0: DefaultSlowLimit.
	SlowLimit time.Duration
}

// FaultProxy is an HTTP server on 127.0.0.1 in front of a DynamoDB endpoint
// (a local server, or an in-process handler) that injects faults into
// BatchWriteItem calls, chosen by script or by seeded random draw. In front of
// a Kinesis endpoint, it injects them into PutRecords calls in the same way
// (see faults_kinesis.go). Every other operation is passed through untouched. Point a client at URL, for
// example with NewDynamoDBClientWith.
//
// Its methods are safe for concurrent use. It is closed when the test that
// made it ends; stalled FaultSlow answers are released then.
type FaultProxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:PORT.
	URL string

	upstream  string
	handler   http.Handler
	slowLimit time.Duration
	srv       *httptest.Server
	client    *http.Client // to upstream
	done      chan struct{}

	mu       sync.Mutex
	rng      *rand.Rand
	rates    [numFaults]float64
	script   []Fault
	stats    FaultStats
	requests int
}

// FaultStats counts what a FaultProxy did.
type FaultStats struct {
	// Calls is the number of BatchWriteItem calls received.
	Calls int64
	// Injected is the number of calls answered with each fault, FaultNone
	// included (calls passed through).
	Injected map[Fault]int64
	// Withheld is the number of write requests FaultUnprocessed returned
	// unprocessed without forwarding them.
	Withheld int64
	// Requests is the number of write requests received in BatchWriteItem
	// calls.
	Requests int64
	// Other is the number of calls of other operations, passed through.
	Other int64
}

// Faults returns the number of calls answered with a fault other than
// FaultNone.
func (s FaultStats) Faults() int64 {
	var n int64
	for f, c := range s.Injected {
		if f != FaultNone {
			n += c
		}
	}
	return n
}

// String lists the counts in Fault order, for test logs.
func (s FaultStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d calls (%d write requests), %d faults:", s.Calls, s.Requests, s.Faults())
	for f := FaultNone; f < numFaults; f++ {
		if n := s.Injected[f]; n > 0 {
			fmt.Fprintf(&b, " %v=%d", f, n)
		}
	}
	fmt.Fprintf(&b, "; %d requests withheld as unprocessed", s.Withheld)
	return b.String()
}

// NewFaultProxy starts a FaultProxy as cfg says. The test fails at once on a
// bad cfg. The proxy is closed when the test ends.
func NewFaultProxy(t testing.TB, cfg FaultProxyConfig) *FaultProxy {
	t.Helper()
	if (cfg.Upstream == "") == (cfg.Handler == nil) {
		t.Fatal("testutil.NewFaultProxy: set exactly one of FaultProxyConfig.Upstream and Handler")
	}
	if cfg.Upstream != "" {
		if err := checkLoopbackEndpoint(cfg.Upstream); err != nil {
			t.Fatalf("testutil.NewFaultProxy: refusing upstream: %v", err)
		}
	}
	if cfg.SlowLimit < 0 {
		t.Fatalf("testutil.NewFaultProxy: SlowLimit %v is negative", cfg.SlowLimit)
	}
	p := &FaultProxy{
		upstream:  strings.TrimSuffix(cfg.Upstream, "/"),
		handler:   cfg.Handler,
		slowLimit: cfg.SlowLimit,
		done:      make(chan struct{}),
		rng:       rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		stats:     FaultStats{Injected: make(map[Fault]int64)},
	}
	if p.slowLimit == 0 {
		p.slowLimit = DefaultSlowLimit
	}
	if err := p.SetRates(cfg.Rates); err != nil {
		t.Fatalf("testutil.NewFaultProxy: %v", err)
	}
	if p.upstream != "" {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DisableCompression = true
		p.client = &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.Start()
	p.URL = p.srv.URL
	t.Cleanup(p.close)
	return p
}

func (p *FaultProxy) close() {
	close(p.done)
	p.srv.CloseClientConnections()
	p.srv.Close()
	if p.client != nil {
		p.client.CloseIdleConnections()
	}
}

// SetRates replaces the random fault rates (see FaultProxyConfig.Rates),
// for the calls that arrive from now on. It returns an error, and changes
// nothing, if a rate is out of [0, 1], the sum is over 1, or a key is not a
// Fault.
func (p *FaultProxy) SetRates(rates map[Fault]float64) error {
	var r [numFaults]float64
	sum := 0.0
	for f, x := range rates {
		if f <= FaultNone || f >= numFaults {
			return fmt.Errorf("rate for %v: not a fault", f)
		}
		if !(x >= 0 && x <= 1) {
			return fmt.Errorf("rate %v for %v is not in [0, 1]", x, f)
		}
		r[f] = x
		sum += x
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("fault rates sum to %v, more than 1", sum)
	}
	p.mu.Lock()
	p.rates = r
	p.mu.Unlock()
	return nil
}

// Script queues faults for the next BatchWriteItem calls, one each, in order
// of arrival, before random faults resume.
func (p *FaultProxy) Script(faults ...Fault) {
	p.mu.Lock()
	p.script = append(p.script, faults...)
	p.mu.Unlock()
}

// Stats returns the counts so far.
func (p *FaultProxy) Stats() FaultStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Injected = make(map[Fault]int64, len(p.stats.Injected))
	for f, n := range p.stats.Injected {
		s.Injected[f] = n
	}
	return s
}

// fltBatchWriteTarget is the X-Amz-Target of BatchWriteItem in JSON 1.0.
const fltBatchWriteTarget = "DynamoDB_20120810.BatchWriteItem"

// fltMaxBody bounds the request bodies the proxy and FakeDynamoDBHandler read;
// DynamoDB's own limit is 16 MB.
const fltMaxBody = 32 << 20

// fltBatchWrite is a BatchWriteItem body with its write requests kept as
// the client wrote them, and its other members kept as they are.
type fltBatchWrite struct {
	rest  map[string]json.RawMessage
	items map[string][]json.RawMessage // RequestItems
	n     int                          // write requests
}

func fltParseBatchWrite(body []byte) (*fltBatchWrite, error) {
	var rest map[string]json.RawMessage
	if err := json.Unmarshal(body, &rest); err != nil {
		return nil, err
	}
	var items map[string][]json.RawMessage
	if err := json.Unmarshal(rest["RequestItems"], &items); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, errors.New("no RequestItems")
	}
	delete(rest, "RequestItems")
	n := 0
	for _, reqs := range items {
		n += len(reqs)
	}
	return &fltBatchWrite{rest: rest, items: items, n: n}, nil
}

// body returns the call with items as its RequestItems.
func (b *fltBatchWrite) body(items map[string][]json.RawMessage) []byte {
	m := make(map[string]any, len(b.rest)+1)
	for k, v := range b.rest {
		m[k] = v
	}
	m["RequestItems"] = items
	out, err := json.Marshal(m)
	if err != nil {
		panic("testutil: FaultProxy: re-encoding a request: " + err.Error()) // raw JSON that parsed
	}
	return out
}

// choose draws the fault for the next call.
func (p *FaultProxy) choose(requests int) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := FaultNone
	if len(p.script) > 0 {
		f, p.script = p.script[0], p.script[1:]
	} else {
		x := p.rng.Float64()
		for g := FaultNone + 1; g < numFaults; g++ {
			if x < p.rates[g] {
				f = g
				break
			}
			x -= p.rates[g]
		}
	}
	p.stats.Calls++
	p.stats.Requests += int64(requests)
	p.stats.Injected[f]++
	return f
}

// fltAnswer is an HTTP answer, from upstream or made by the proxy.
type fltAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fltMaxBody))
	if err != nil {
		http.Error(w, "testutil: FaultProxy: reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if r.Header.Get("X-Amz-Target") == kinPutRecordsTarget && p.serveKinesis(w, r, body) {
		return // Kinesis PutRecords: faults_kinesis.go
	}
	var call *fltBatchWrite
	if r.Header.Get("X-Amz-Target") == fltBatchWriteTarget {
		call, _ = fltParseBatchWrite(body) // one it cannot read is passed through
	}
	if call == nil {
		p.mu.Lock()
		p.stats.Other++
		p.mu.Unlock()
		p.reply(w, p.forward(r, body))
		return
	}

	fault := p.choose(call.n)
	switch fault {
	case FaultProvisionedThroughputExceeded:
		p.reply(w, p.apiError(http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
			"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."))
		return
	case FaultThrottling:
		p.reply(w, p.apiError(http.StatusBadRequest, "com.amazon.coral.availability#ThrottlingException",
			"Rate of requests exceeds the allowed throughput."))
		return
	case FaultInternalServerError:
		p.reply(w, p.apiError(http.StatusInternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError",
			"Internal server error"))
		return
	case FaultServiceUnavailable:
		p.reply(w, p.apiError(http.StatusServiceUnavailable, "com.amazonaws.dynamodb.v20120810#ServiceUnavailableException",
			"Service unavailable"))
		return
	case FaultDropConnection:
		p.drop(w)
		return
	case FaultGarbled:
		p.reply(w, p.made(http.StatusOK, p.garble(call)))
		return
	case FaultUnprocessed:
		p.reply(w, p.unprocessed(r, call))
		return
	}

	ans := p.forward(r, body) // applied from here on
	switch fault {
	case FaultDropAfterWrite:
		p.drop(w)
		return
	case FaultSlow:
		t := time.NewTimer(p.slowLimit)
		defer t.Stop()
		select {
		case <-r.Context().Done(): // the client gave up
			return
		case <-t.C:
		case <-p.done:
			return
		}
	case FaultGarbledAfterWrite:
		ans = p.made(http.StatusOK, p.garble(call))
	}
	p.reply(w, ans)
}

// forward sends the call upstream and returns its answer. The upstream call
// is not cancelled when the client gives up: a write under way completes,
// as a server's would, before the proxy answers or stalls.
func (p *FaultProxy) forward(r *http.Request, body []byte) fltAnswer {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	path := r.URL.RequestURI()
	if p.handler != nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
		if err != nil {
			return p.made(http.StatusInternalServerError, []byte(err.Error()))
		}
		req.Header = r.Header.Clone()
		rec := httptest.NewRecorder()
		p.handler.ServeHTTP(rec, req)
		res := rec.Result()
		b, _ := io.ReadAll(res.Body)
		return fltAnswer{status: res.StatusCode, header: res.Header, body: b}
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, p.upstream+path, bytes.NewReader(body))
	if err != nil {
		return p.made(http.StatusBadGateway, []byte(err.Error()))
	}
	req.Header = r.Header.Clone()
	req.Header.Del("Connection")
	req.Header.Set("Accept-Encoding", "identity")
	res, err := p.client.Do(req)
	if err != nil {
		return p.made(http.StatusBadGateway, []byte("testutil: FaultProxy: upstream: "+err.Error()))
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return p.made(http.StatusBadGateway, []byte("testutil: FaultProxy: upstream: "+err.Error()))
	}
	return fltAnswer{status: res.StatusCode, header: res.Header, body: b}
}

// reply writes ans to the client.
func (p *FaultProxy) reply(w http.ResponseWriter, ans fltAnswer) {
	h := w.Header()
	for k, vs := range ans.header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "Connection", "Transfer-Encoding", "Keep-Alive":
			continue
		}
		h[k] = vs
	}
	h.Set("Content-Length", strconv.Itoa(len(ans.body)))
	w.WriteHeader(ans.status)
	w.Write(ans.body)
}

// made returns an answer made by the proxy, with the headers DynamoDB sends:
// a request ID and the body's CRC32, which the SDK checks.
func (p *FaultProxy) made(status int, body []byte) fltAnswer {
	p.mu.Lock()
	p.requests++
	id := fmt.Sprintf("FAULTPROXY%042d", p.requests)
	p.mu.Unlock()
	return fltAnswer{status: status, body: body, header: http.Header{
		"Content-Type":     {"application/x-amz-json-1.0"},
		"X-Amzn-Requestid": {id},
		"X-Amz-Crc32":      {strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)},
	}}
}

// apiError returns a JSON 1.0 error answer, as DynamoDB writes them.
func (p *FaultProxy) apiError(status int, typ, msg string) fltAnswer {
	body, _ := json.Marshal(map[string]string{"__type": typ, "message": msg})
	return p.made(status, body)
}

// drop closes the client's connection without an answer, at once (a reset)
// or after a clean close, by random choice.
func (p *FaultProxy) drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic("testutil: FaultProxy: cannot drop the connection: " + err.Error())
	}
	p.mu.Lock()
	reset := p.rng.IntN(2) == 0
	p.mu.Unlock()
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	conn.Close()
}

// garble returns a body that is not valid JSON: a truncated
// UnprocessedItems echoing the call's requests (as a connection cut off
// mid-answer would leave it), or an HTML error page.
func (p *FaultProxy) garble(call *fltBatchWrite) []byte {
	whole, _ := json.Marshal(map[string]any{"UnprocessedItems": call.items})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rng.IntN(4) == 0 {
		return []byte("<html><body><h1>502 Bad Gateway</h1></body></html>\n")
	}
	// A proper prefix of a JSON object is never valid JSON.
	return whole[:1+p.rng.IntN(len(whole)-1)]
}

// unprocessed forwards a random subset of the call's requests and returns
// the rest as unprocessed, with those the upstream left unprocessed.
func (p *FaultProxy) unprocessed(r *http.Request, call *fltBatchWrite) fltAnswer {
	tables := make([]string, 0, len(call.items))
	for name := range call.items {
		tables = append(tables, name)
	}
	sort.Strings(tables)
	p.mu.Lock()
	k := 1 + p.rng.IntN(call.n) // withheld: at least one
	withhold := make(map[int]bool, k)
	for _, i := range p.rng.Perm(call.n)[:k] {
		withhold[i] = true
	}
	p.stats.Withheld += int64(k)
	p.mu.Unlock()

	sent := make(map[string][]json.RawMessage)
	kept := make(map[string][]json.RawMessage)
	i := 0
	for _, name := range tables {
		for _, req := range call.items[name] {
			if withhold[i] {
				kept[name] = append(kept[name], req)
			} else {
				sent[name] = append(sent[name], req)
			}
			i++
		}
	}
	out := map[string]json.RawMessage{}
	if len(sent) > 0 {
		ans := p.forward(r, call.body(sent))
		if ans.status != http.StatusOK {
			return ans // the upstream refused or failed the part it was sent
		}
		if err := json.Unmarshal(ans.body, &out); err != nil {
			return ans // let the client see what the upstream said
		}
		var left map[string][]json.RawMessage
		if raw, ok := out["UnprocessedItems"]; ok {
			if err := json.Unmarshal(raw, &left); err != nil {
				return ans
			}
		}
		for name, reqs := range left {
			kept[name] = append(kept[name], reqs...)
		}
	}
	raw, _ := json.Marshal(kept)
	out["UnprocessedItems"] = raw
	body, _ := json.Marshal(out)
	return p.made(http.StatusOK, body)
}

// FakeDynamoDBHandler returns an HTTP handler that serves f's BatchWriteItem
// over DynamoDB's JSON 1.0 protocol, so that the real SDK client (and a
// FaultProxy) can talk to the fake. Other operations are refused with
// UnknownOperationException. Errors are written as DynamoDB writes them: the
// status of the fake's error (400, or 500 for a server fault) and a body
// with __type and message.
func FakeDynamoDBHandler(f *FakeDynamoDB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if target := r.Header.Get("X-Amz-Target"); target != fltBatchWriteTarget {
			fltWriteError(w, http.StatusBadRequest, "com.amazon.coral.service#UnknownOperationException",
				"testutil: FakeDynamoDBHandler serves BatchWriteItem only, not "+target)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fltMaxBody))
		if err != nil {
			fltWriteError(w, http.StatusRequestEntityTooLarge, "com.amazon.coral.service#SerializationException", err.Error())
			return
		}
		in, err := fltDecodeInput(body)
		if err != nil {
			fltWriteError(w, http.StatusBadRequest, "com.amazon.coral.service#SerializationException", err.Error())
			return
		}
		out, err := f.BatchWriteItem(r.Context(), in)
		if err != nil {
			status := http.StatusBadRequest
			code, msg := "ValidationException", err.Error()
			var ae smithy.APIError
			if errors.As(err, &ae) {
				code, msg = ae.ErrorCode(), ae.ErrorMessage()
				if ae.ErrorFault() == smithy.FaultServer {
					status = http.StatusInternalServerError
				}
			} else if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				status, code = http.StatusInternalServerError, "InternalServerError"
			}
			var re *awshttp.ResponseError
			if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
				status = re.HTTPStatusCode()
			}
			fltWriteError(w, status, fltErrorType(code), msg)
			return
		}
		left := make(map[string][]any, len(out.UnprocessedItems))
		for name, reqs := range out.UnprocessedItems {
			for _, req := range reqs {
				left[name] = append(left[name], fltWriteRequestJSON(req))
			}
		}
		b, err := json.Marshal(map[string]any{"UnprocessedItems": left})
		if err != nil {
			fltWriteError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
			return
		}
		fltWrite(w, http.StatusOK, b)
	})
}

// fltErrorType returns the __type DynamoDB writes for an error code.
func fltErrorType(code string) string {
	switch code {
	case "ValidationException":
		return "com.amazon.coral.validate#ValidationException"
	case "SerializationException", "UnknownOperationException":
		return "com.amazon.coral.service#" + code
	case "ThrottlingException":
		return "com.amazon.coral.availability#ThrottlingException"
	}
	return "com.amazonaws.dynamodb.v20120810#" + code
}

func fltWriteError(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(map[string]string{"__type": typ, "message": msg})
	fltWrite(w, status, b)
}

func fltWrite(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// fltDecodeInput reads a BatchWriteItem body as the SDK writes it.
func fltDecodeInput(body []byte) (*dynamodb.BatchWriteItemInput, error) {
	var raw struct {
		RequestItems map[string][]struct {
			PutRequest *struct {
				Item map[string]json.RawMessage
			}
			DeleteRequest *struct {
				Key map[string]json.RawMessage
			}
		}
		ReturnConsumedCapacity      string
		ReturnItemCollectionMetrics string
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("request body: %w", err)
	}
	in := &dynamodb.BatchWriteItemInput{
		ReturnConsumedCapacity:      types.ReturnConsumedCapacity(raw.ReturnConsumedCapacity),
		ReturnItemCollectionMetrics: types.ReturnItemCollectionMetrics(raw.ReturnItemCollectionMetrics),
	}
	if raw.RequestItems != nil {
		in.RequestItems = make(map[string][]types.WriteRequest, len(raw.RequestItems))
	}
	for name, reqs := range raw.RequestItems {
		wrs := make([]types.WriteRequest, len(reqs))
		for i, req := range reqs {
			if req.PutRequest != nil {
				item, err := fltDecodeMap(req.PutRequest.Item)
				if err != nil {
					return nil, err
				}
				wrs[i].PutRequest = &types.PutRequest{Item: item}
			}
			if req.DeleteRequest != nil {
				key, err := fltDecodeMap(req.DeleteRequest.Key)
				if err != nil {
					return nil, err
				}
				wrs[i].DeleteRequest = &types.DeleteRequest{Key: key}
			}
		}
		in.RequestItems[name] = wrs
	}
	return in, nil
}

func fltDecodeMap(raw map[string]json.RawMessage) (map[string]types.AttributeValue, error) {
	if raw == nil {
		return nil, nil
	}
	m := make(map[string]types.AttributeValue, len(raw))
	for name, r := range raw {
		av, err := fltDecodeValue(r)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		m[name] = av
	}
	return m, nil
}

// fltDecodeValue reads one attribute value in DynamoDB's JSON form:
// {"S":"x"}, {"N":"1"}, {"B":"base64"}, {"L":[...]}, and so on.
func fltDecodeValue(raw json.RawMessage) (types.AttributeValue, error) {
	var one map[string]json.RawMessage
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	if len(one) != 1 {
		return nil, fmt.Errorf("an attribute value has %d data types, want 1", len(one))
	}
	var typ string
	var v json.RawMessage
	for k, r := range one {
		typ, v = k, r
	}
	switch typ {
	case "S":
		var s string
		err := json.Unmarshal(v, &s)
		return &types.AttributeValueMemberS{Value: s}, err
	case "N":
		var s string
		err := json.Unmarshal(v, &s)
		return &types.AttributeValueMemberN{Value: s}, err
	case "B":
		var b []byte
		err := json.Unmarshal(v, &b)
		if b == nil {
			b = []byte{}
		}
		return &types.AttributeValueMemberB{Value: b}, err
	case "BOOL":
		var b bool
		err := json.Unmarshal(v, &b)
		return &types.AttributeValueMemberBOOL{Value: b}, err
	case "NULL":
		var b bool
		err := json.Unmarshal(v, &b)
		return &types.AttributeValueMemberNULL{Value: b}, err
	case "SS":
		var ss []string
		err := json.Unmarshal(v, &ss)
		return &types.AttributeValueMemberSS{Value: ss}, err
	case "NS":
		var ns []string
		err := json.Unmarshal(v, &ns)
		return &types.AttributeValueMemberNS{Value: ns}, err
	case "BS":
		var bs [][]byte
		err := json.Unmarshal(v, &bs)
		return &types.AttributeValueMemberBS{Value: bs}, err
	case "L":
		var raws []json.RawMessage
		if err := json.Unmarshal(v, &raws); err != nil {
			return nil, err
		}
		l := make([]types.AttributeValue, len(raws))
		for i, r := range raws {
			av, err := fltDecodeValue(r)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case "M":
		var raws map[string]json.RawMessage
		if err := json.Unmarshal(v, &raws); err != nil {
			return nil, err
		}
		m, err := fltDecodeMap(raws)
		if m == nil {
			m = map[string]types.AttributeValue{}
		}
		return &types.AttributeValueMemberM{Value: m}, err
	}
	return nil, fmt.Errorf("unknown data type %q", typ)
}

// fltWriteRequestJSON returns req in DynamoDB's JSON form, for json.Marshal.
func fltWriteRequestJSON(req types.WriteRequest) any {
	if req.PutRequest != nil {
		return map[string]any{"PutRequest": map[string]any{"Item": PlainItem(req.PutRequest.Item)}}
	}
	return map[string]any{"DeleteRequest": map[string]any{"Key": PlainItem(req.DeleteRequest.Key)}}
}

// ClientOptions tune the client NewDynamoDBClientWith builds. The zero value
// gives NewDynamoDBClient's client.
type ClientOptions struct {
	// Timeout bounds each HTTP attempt, from dialling to the end of the
	// answer. 0: 30 seconds, as NewDynamoDBClient.
	Timeout time.Duration
	// RetryMaxAttempts is the number of attempts the SDK makes of each call
	// (1: the SDK does not retry). 0: the SDK's default, 3.
	RetryMaxAttempts int
	// RetryMaxBackoff bounds the SDK's wait between attempts. 0: the SDK's
	// default, 20 seconds.
	RetryMaxBackoff time.Duration
	// AccessKeyID and SecretAccessKey are the fake credentials the client
	// signs with. "": NewDynamoDBClient's.
	AccessKeyID, SecretAccessKey string
}

// NewDynamoDBClientWith returns a real DynamoDB client for endpoint, like
// NewDynamoDBClient, tuned by opts: short timeouts and quick retries for
// fault tests, or credentials of the test's choice. The SDK's client-side
// retry quota is off, so that a test that injects many faults measures the
// dispatcher's retries rather than the quota. endpoint must be a loopback
// URL, such as a FaultProxy's.
func NewDynamoDBClientWith(t testing.TB, endpoint string, opts ClientOptions) *dynamodb.Client {
	t.Helper()
	p := newSDKParts(t, "DynamoDB", endpoint, opts, 0)
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  p.credentials,
		HTTPClient:   p.httpClient,
		Retryer:      p.retryer,
	})
}
