package testutil

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is one way a FaultProxy answers a batch call (DynamoDB
// BatchWriteItem, Kinesis PutRecords, SQS SendMessageBatch, Firehose
// PutRecordBatch, EventBridge PutEvents, SNS PublishBatch, CloudWatch
// PutMetricData) instead of, or on top of, passing it through. Each
// protocol's Codec says the fault in its service's terms, and which faults
// its service can answer at all (Codec.Supports).
//
// "Applied" means that the call, or part of it, was forwarded and the
// upstream endpoint wrote what it accepted before the client sees the fault:
// a client that sends it again writes the same entries again, which is
// harmless where writes are idempotent (DynamoDB puts and deletes, SQS FIFO
// within its deduplication window) and duplicates them elsewhere (Kinesis,
// SQS standard queues, Firehose, EventBridge, SNS standard topics).
type Fault int

const (
	// FaultNone forwards the call and returns the upstream answer as it is.
	FaultNone Fault = iota
	// FaultProvisionedThroughputExceeded throttles the whole call with the
	// service's capacity error (DynamoDB's and Kinesis's
	// ProvisionedThroughputExceededException, SQS's RequestThrottled,
	// Firehose's ServiceUnavailableException); nothing is applied.
	FaultProvisionedThroughputExceeded
	// FaultThrottling throttles the whole call with the service's throttling
	// error (ThrottlingException, Throttling, Throttled), HTTP 400; nothing
	// is applied.
	FaultThrottling
	// FaultInternalServerError answers HTTP 500 with the service's internal
	// error; nothing is applied.
	FaultInternalServerError
	// FaultServiceUnavailable answers HTTP 503; nothing is applied.
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
	// timeout. The write is complete before the stall starts, so it can
	// never land after a later write of the same key.
	FaultSlow
	// FaultUnprocessed fails a random non-empty subset of the call's entries
	// for a retry, each with a per-entry throttle or a per-entry internal
	// failure as its service says them (DynamoDB: UnprocessedItems, the
	// write requests byte for byte as sent; Kinesis and Firehose: a
	// per-record error code; SQS and SNS: a Failed entry without
	// SenderFault), forwards the others, and merges the upstream's answer
	// for them in. On an SQS FIFO queue, the later entries of a failed
	// entry's message group fail with it, as SQS stores nothing of a group
	// past a failure in one call.
	FaultUnprocessed
	// FaultGarbled answers HTTP 200 with a body that is not valid in the
	// protocol (a truncated answer, or an HTML page); nothing is applied.
	FaultGarbled
	// FaultGarbledAfterWrite forwards the call, then answers HTTP 200 with a
	// garbled body: applied, but the client cannot tell.
	FaultGarbledAfterWrite
	// FaultEntryThrottled is FaultUnprocessed with per-entry throttles only
	// (ProvisionedThroughputExceededException, RequestThrottled,
	// ThrottlingException): a client should slow down as well as retry.
	FaultEntryThrottled
	// FaultEntryFailed is FaultUnprocessed with per-entry internal failures
	// only (DynamoDB: UnprocessedItems; Kinesis: InternalFailure; SQS and
	// SNS: InternalError without SenderFault): a retry, not a sign of
	// overload.
	FaultEntryFailed
	// FaultEntryRefused refuses a random non-empty subset of the call's
	// entries on their own, with the service's permanent per-entry error
	// (SQS and SNS: SenderFault with InvalidParameterValue; Kinesis:
	// KMSAccessDeniedException; EventBridge: InvalidArgument), and forwards
	// the others. As a service judges an entry by its content, an entry
	// whose content was forwarded before is never refused. DynamoDB,
	// Firehose and CloudWatch have no per-entry refusal: their codecs do
	// not support it.
	FaultEntryRefused
	// FaultChecksumMismatch forwards the call, then changes the MD5 of the
	// body of a random non-empty subset of the messages the upstream took,
	// in its answer, as if they had changed on their way: applied, but a
	// client that checks the MD5s cannot confirm those messages, and one
	// that sends them again duplicates them. Only SQS's codec supports it.
	FaultChecksumMismatch

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
	FaultEntryThrottled:                "EntryThrottled",
	FaultEntryFailed:                   "EntryFailed",
	FaultEntryRefused:                  "EntryRefused",
	FaultChecksumMismatch:              "ChecksumMismatch",
}

// String returns the fault's name without its Fault prefix.
func (f Fault) String() string {
	if f >= 0 && f < numFaults {
		return fltFaultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// Applied reports whether f forwards the whole call before the client sees
// the fault (FaultDropAfterWrite, FaultSlow, FaultGarbledAfterWrite): a
// client that sends the call again writes its entries twice unless the
// service drops repeats.
func (f Fault) Applied() bool {
	return f == FaultDropAfterWrite || f == FaultSlow || f == FaultGarbledAfterWrite
}

// DefaultSlowLimit is how long a FaultSlow answer is withheld at most when
// FaultProxyConfig.SlowLimit is 0.
const DefaultSlowLimit = 10 * time.Second

// FaultProxyConfig says where a FaultProxy forwards calls and which faults it
// injects.
type FaultProxyConfig struct {
	// Upstream is the URL of the endpoint that calls are forwarded to, such
	// as the one DynamoDBEndpoint, KinesisEndpoint or SQSEndpoint returns.
	// It must be a loopback address. Exactly one of Upstream and Handler
	// must be set.
	Upstream string
	// Handler serves the forwarded calls in process instead, such as
	// FakeDynamoDBHandler(fake).
	Handler http.Handler
	// Codec is the protocol of the batch calls that faults are injected
	// into. nil: each call is read by the codec whose operation it names
	// (its X-Amz-Target, or its Action in the Query protocol), among
	// Codecs().
	Codec *Codec
	// Seed seeds the random choice of faults, of the entries they hit and of
	// garbled bodies. Calls that arrive concurrently draw in the order they
	// arrive, so a seed reproduces the mix of faults, not their order.
	Seed uint64
	// Rates is the probability of each fault on a batch call; FaultNone
	// takes what is left. The rates must be in [0, 1] and sum to at most 1.
	// nil: no random faults (only those of Next).
	Rates map[Fault]float64
	// SlowLimit bounds how long FaultSlow withholds an answer from a client
	// that does not give up. 0: DefaultSlowLimit.
	SlowLimit time.Duration
}

// FaultProxy is an HTTP server on 127.0.0.1 in front of an AWS endpoint (a
// local server, or an in-process handler) that injects faults into the
// service's batch calls, chosen by script (Next) or by seeded random draw
// (Rates), in the service's own protocol (see Codec). Every other operation
// is passed through untouched. Point a client at URL, for example with
// NewDynamoDBClientWith, NewKinesisClient or NewSQSClient.
//
// A fault its codec does not support (Codec.Supports) is not injected: the
// call is passed through and counted in FaultStats.Unsupported.
//
// Its methods are safe for concurrent use. It is closed when the test that
// made it ends; stalled FaultSlow answers are released then.
type FaultProxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:PORT.
	URL string

	upstream  string
	handler   http.Handler
	codec     *Codec
	slowLimit time.Duration
	srv       *httptest.Server
	client    *http.Client // to upstream
	done      chan struct{}

	mu        sync.Mutex
	rng       *rand.Rand
	rates     [numFaults]float64
	script    []Fault
	stats     FaultStats
	requests  int
	forwarded map[string]bool // entries forwarded, by content
	arrivals  []arrival
}

// arrival is a channel closed once the proxy has received calls batch
// calls.
type arrival struct {
	calls int64
	ch    chan struct{}
}

// FaultStats counts what a FaultProxy did.
type FaultStats struct {
	// Calls is the number of batch calls received.
	Calls int64
	// Injected is the number of calls answered with each fault, FaultNone
	// included (calls passed through).
	Injected map[Fault]int64
	// Requests is the number of entries (write requests, records,
	// messages) received in batch calls.
	Requests int64
	// Withheld is the number of entries that FaultUnprocessed and
	// FaultEntryThrottled failed for a retry without forwarding them.
	Withheld int64
	// Refused is the number of entries that FaultEntryRefused refused:
	// those a client must report as failed, and never send again.
	Refused int64
	// Mismatched is the number of entries whose MD5 FaultChecksumMismatch
	// changed: those a client must report as of unknown outcome, and never
	// send again.
	Mismatched int64
	// Unsupported is the number of calls passed through because the fault
	// drawn for them is one their codec does not support.
	Unsupported int64
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
	fmt.Fprintf(&b, "%d calls (%d entries), %d faults:", s.Calls, s.Requests, s.Faults())
	for f := FaultNone; f < numFaults; f++ {
		if n := s.Injected[f]; n > 0 {
			fmt.Fprintf(&b, " %v=%d", f, n)
		}
	}
	fmt.Fprintf(&b, "; entries withheld %d, refused %d, mismatched %d; unsupported %d", s.Withheld, s.Refused, s.Mismatched, s.Unsupported)
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
		codec:     cfg.Codec,
		slowLimit: cfg.SlowLimit,
		done:      make(chan struct{}),
		rng:       rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		stats:     FaultStats{Injected: make(map[Fault]int64)},
		forwarded: make(map[string]bool),
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
		tr.MaxIdleConnsPerHost = 64
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

// Supports reports whether the proxy's codec can answer with f (see
// Codec.Supports). Without a FaultProxyConfig.Codec, it reports whether
// every codec can.
func (p *FaultProxy) Supports(f Fault) bool {
	if p.codec != nil {
		return p.codec.Supports(f)
	}
	for _, c := range Codecs() {
		if !c.Supports(f) {
			return false
		}
	}
	return f >= FaultNone && f < numFaults
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

// Next queues faults for the next batch calls, one each, in order of
// arrival, before random faults resume. FaultNone passes a call through.
func (p *FaultProxy) Next(faults ...Fault) {
	p.mu.Lock()
	p.script = append(p.script, faults...)
	p.mu.Unlock()
}

// Arrived returns a channel that is closed once the proxy has received n
// batch calls in all (at once, if it has): a test waits on it to act while
// a call is under way, as with a FaultSlow answer withheld.
func (p *FaultProxy) Arrived(n int64) <-chan struct{} {
	ch := make(chan struct{})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stats.Calls >= n {
		close(ch)
		return ch
	}
	p.arrivals = append(p.arrivals, arrival{n, ch})
	return ch
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

// choose draws the fault for the next call of c with n entries.
func (p *FaultProxy) choose(c *Codec, n int) Fault {
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
	if !c.Supports(f) {
		p.stats.Unsupported++
		f = FaultNone
	}
	p.stats.Calls++
	p.stats.Requests += int64(n)
	p.stats.Injected[f]++
	kept := p.arrivals[:0]
	for _, a := range p.arrivals {
		if p.stats.Calls >= a.calls {
			close(a.ch)
			continue
		}
		kept = append(kept, a)
	}
	clear(p.arrivals[len(kept):])
	p.arrivals = kept
	return f
}

// intn draws from the proxy's random source.
func (p *FaultProxy) intn(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.IntN(n)
}

// fltAnswer is an HTTP answer, from upstream or made by the proxy.
type fltAnswer struct {
	status int
	header http.Header
	body   []byte
}

// codecFor returns the codec that reads r, or nil if r is not a batch call
// the proxy injects faults into.
func (p *FaultProxy) codecFor(r *http.Request, body []byte) *Codec {
	if p.codec != nil {
		if p.codec.c.match(r, body) {
			return p.codec
		}
		return nil
	}
	for _, c := range codecs {
		if c.c.match(r, body) {
			return c
		}
	}
	return nil
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fltMaxBody))
	if err != nil {
		http.Error(w, "testutil: FaultProxy: reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	// A compressed request (CloudWatch's SDK gzips PutMetricData) is read
	// plain; it is forwarded as it came, or recompressed if cut down.
	plain := body
	if gzipped(r) {
		if plain, err = gunzip(body); err != nil {
			p.reply(w, p.forward(r, body))
			return
		}
	}
	c := p.codecFor(r, plain)
	var call batchCall
	if c != nil {
		call, _ = c.c.parse(plain) // one it cannot read is passed through
	}
	if call == nil || call.len() == 0 {
		p.mu.Lock()
		p.stats.Other++
		p.mu.Unlock()
		p.reply(w, p.forward(r, body))
		return
	}

	fault := p.choose(c, call.len())
	switch fault {
	case FaultProvisionedThroughputExceeded:
		p.reply(w, p.callError(c, errThroughput))
		return
	case FaultThrottling:
		p.reply(w, p.callError(c, errThrottling))
		return
	case FaultInternalServerError:
		p.reply(w, p.callError(c, errInternal))
		return
	case FaultServiceUnavailable:
		p.reply(w, p.callError(c, errUnavailable))
		return
	case FaultDropConnection:
		p.drop(w)
		return
	case FaultGarbled:
		p.reply(w, p.made(c, http.StatusOK, p.garble(call)))
		return
	case FaultUnprocessed, FaultEntryThrottled, FaultEntryFailed, FaultEntryRefused:
		p.reply(w, p.entryFaults(r, c, call, fault))
		return
	}

	p.forwarding(call, nil)
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
		ans = p.made(c, http.StatusOK, p.garble(call))
	case FaultChecksumMismatch:
		ans = p.mismatch(call, ans)
	}
	p.reply(w, ans)
}

// mismatch changes the MD5 of a random non-empty subset of the entries
// that ans, the upstream's answer to call, says were taken. An answer it
// cannot read, or that took nothing, goes as it is.
func (p *FaultProxy) mismatch(call batchCall, ans fltAnswer) fltAnswer {
	sc, ok := call.(*sqsCall)
	if !ok || ans.status != http.StatusOK {
		return ans
	}
	body, n, err := sc.mismatch(ans.body, func(taken int) []int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.rng.Perm(taken)[:1+p.rng.IntN(taken)]
	})
	if err != nil || n == 0 {
		return ans
	}
	p.mu.Lock()
	p.stats.Mismatched += int64(n)
	p.mu.Unlock()
	ans.body = body
	return ans
}

// forwarding records that the entries of call at keep (all if keep is nil)
// are forwarded upstream.
func (p *FaultProxy) forwarding(call batchCall, keep []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if keep == nil {
		for i := range call.len() {
			p.forwarded[call.identity(i)] = true
		}
		return
	}
	for _, i := range keep {
		p.forwarded[call.identity(i)] = true
	}
}

// entryFaults fails a random non-empty subset of call's entries as fault
// says, forwards the others, and merges the upstream's answer for them with
// the failures.
func (p *FaultProxy) entryFaults(r *http.Request, c *Codec, call batchCall, fault Fault) fltAnswer {
	n := call.len()
	fails := make([]entryFail, n)
	p.mu.Lock()
	k := 1 + p.rng.IntN(n)
	for _, i := range p.rng.Perm(n)[:k] {
		switch fault {
		case FaultEntryRefused:
			if !p.forwarded[call.identity(i)] { // it took it before: it would again
				fails[i] = failRefused
			}
		case FaultEntryThrottled:
			fails[i] = failThrottled
		case FaultEntryFailed:
			fails[i] = failInternal
		default:
			fails[i] = failThrottled
			if p.rng.IntN(2) == 0 {
				fails[i] = failInternal
			}
		}
	}
	p.mu.Unlock()
	if fault != FaultEntryRefused {
		// Nothing of an ordered group is applied past a failure.
		stopped := map[string]entryFail{}
		for i := range n {
			g := call.group(i)
			if g == "" {
				continue
			}
			if f, ok := stopped[g]; ok && fails[i] == failNone {
				fails[i] = f
			}
			if _, ok := stopped[g]; !ok && fails[i] != failNone {
				stopped[g] = fails[i]
			}
		}
	}
	var keep []int
	var withheld, refused int64
	for i, f := range fails {
		switch f {
		case failNone:
			keep = append(keep, i)
		case failRefused:
			refused++
		default:
			withheld++
		}
	}
	var up []byte
	if len(keep) > 0 {
		p.forwarding(call, keep)
		part := call.body(keep)
		if gzipped(r) {
			part = gzipBytes(part)
		}
		ans := p.forward(r, part)
		if ans.status != http.StatusOK {
			return ans // the upstream refused or failed the part it was sent
		}
		up = ans.body
	}
	body, err := call.answer(keep, up, fails, p.requestID())
	if err != nil {
		return fltAnswer{status: http.StatusOK, header: http.Header{"Content-Type": {c.c.contentType()}}, body: up} // let the client see what the upstream said
	}
	// Counted once the client is to see them.
	p.mu.Lock()
	p.stats.Withheld += withheld
	p.stats.Refused += refused
	p.mu.Unlock()
	return p.made(c, http.StatusOK, body)
}

// garble returns a body that is not valid in call's protocol: a truncated
// answer (as a connection cut off mid-answer would leave it), or an HTML
// error page.
func (p *FaultProxy) garble(call batchCall) []byte {
	whole := call.whole(p.requestID())
	p.mu.Lock()
	defer p.mu.Unlock()
	// A proper prefix of a JSON object is never valid; a prefix of an XML
	// document may be read as the answer it begins (the SDK's XML decoder
	// stops where the body does), which is not garbling but a short answer:
	// an XML protocol gets a page that is no answer at all.
	if p.rng.IntN(4) == 0 || whole[0] == '<' {
		return []byte("<html><body><h1>502 Bad Gateway</h1></body></html>\n")
	}
	return whole[:1+p.rng.IntN(len(whole)-1)]
}

// requestID returns a new request id for an answer made by the proxy.
func (p *FaultProxy) requestID() string {
	p.mu.Lock()
	p.requests++
	id := fmt.Sprintf("FAULTPROXY%042d", p.requests)
	p.mu.Unlock()
	return id
}

// made returns an answer made by the proxy, with the headers c's service
// sends.
func (p *FaultProxy) made(c *Codec, status int, body []byte) fltAnswer {
	return fltAnswer{status: status, body: body, header: c.c.headers(body, p.requestID())}
}

// callError returns the answer of c's service to a call failed as a whole.
func (p *FaultProxy) callError(c *Codec, kind callErr) fltAnswer {
	e := c.c.callError(kind, p.intn(2) == 0)
	ans := p.made(c, e.status, c.c.errorBody(e, p.requestID()))
	for k, v := range c.c.errorHeaders(e) {
		ans.header[k] = v
	}
	return ans
}

// gzipped reports whether r's body is gzip-compressed.
func gzipped(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip")
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, fltMaxBody))
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
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
			return fltAnswer{status: http.StatusInternalServerError, body: []byte(err.Error())}
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
		return fltAnswer{status: http.StatusBadGateway, body: []byte(err.Error())}
	}
	req.Header = r.Header.Clone()
	req.Header.Del("Connection")
	req.Header.Del("Content-Length")
	req.Header.Set("Accept-Encoding", "identity")
	res, err := p.client.Do(req)
	if err != nil {
		return fltAnswer{status: http.StatusBadGateway, body: []byte("testutil: FaultProxy: upstream: " + err.Error())}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return fltAnswer{status: http.StatusBadGateway, body: []byte("testutil: FaultProxy: upstream: " + err.Error())}
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

// drop closes the client's connection without an answer, at once (a reset)
// or after a clean close, by random choice.
func (p *FaultProxy) drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic("testutil: FaultProxy: cannot drop the connection: " + err.Error())
	}
	if tc, ok := conn.(*net.TCPConn); ok && p.intn(2) == 0 {
		tc.SetLinger(0)
	}
	conn.Close()
}
