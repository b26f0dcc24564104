package testutil

import (
	"bytes"
	"context"
	"encoding/json"
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

// SQSFault is one way an SQSFaultProxy answers a SendMessageBatch call
// instead of, or on top of, passing it through.
type SQSFault int

const (
	// SQSFaultNone forwards the call and returns the upstream answer.
	SQSFaultNone SQSFault = iota
	// SQSFaultEntrySenderFault fails a random subset of the entries with
	// SenderFault true and InvalidParameterValue, and forwards only the
	// others: the failed messages are never stored. As SQS judges a
	// message by its content, the proxy never refuses a message (body and
	// deduplication id) it has forwarded before.
	SQSFaultEntrySenderFault
	// SQSFaultEntryServerFault fails a random non-empty subset of the
	// entries with SenderFault false and InternalError, and forwards only
	// the others. On a FIFO queue, the later entries of a failed entry's
	// message group fail with it: SQS stores nothing of a group past a
	// failure in one call.
	SQSFaultEntryServerFault
	// SQSFaultEntryThrottled fails a random non-empty subset of the entries
	// with RequestThrottled (and SenderFault true, which a throttling code
	// overrides), as SQSFaultEntryServerFault does.
	SQSFaultEntryThrottled
	// SQSFaultThrottling answers HTTP 400 with a throttling error
	// (ThrottlingException or RequestThrottled); nothing is stored.
	SQSFaultThrottling
	// SQSFaultInternalError answers HTTP 500 InternalError; nothing is
	// stored.
	SQSFaultInternalError
	// SQSFaultServiceUnavailable answers HTTP 503 ServiceUnavailable;
	// nothing is stored.
	SQSFaultServiceUnavailable
	// SQSFaultDropConnection closes the connection without an answer;
	// nothing is stored.
	SQSFaultDropConnection
	// SQSFaultDropAfterWrite forwards the call, then closes the connection
	// without an answer: stored, but the client sees a network error. A
	// standard queue then holds the messages twice once they are resent
	// (SQS delivers at least once); a FIFO queue drops the repeats by
	// deduplication id.
	SQSFaultDropAfterWrite

	numSQSFaults
)

var sqsFaultNames = [numSQSFaults]string{
	SQSFaultNone:               "None",
	SQSFaultEntrySenderFault:   "EntrySenderFault",
	SQSFaultEntryServerFault:   "EntryServerFault",
	SQSFaultEntryThrottled:     "EntryThrottled",
	SQSFaultThrottling:         "Throttling",
	SQSFaultInternalError:      "InternalError",
	SQSFaultServiceUnavailable: "ServiceUnavailable",
	SQSFaultDropConnection:     "DropConnection",
	SQSFaultDropAfterWrite:     "DropAfterWrite",
}

// String returns the fault's name without its SQSFault prefix.
func (f SQSFault) String() string {
	if f >= 0 && f < numSQSFaults {
		return sqsFaultNames[f]
	}
	return "SQSFault(" + strconv.Itoa(int(f)) + ")"
}

// SQSFaults returns every SQSFault but SQSFaultNone, in order.
func SQSFaults() []SQSFault {
	fs := make([]SQSFault, 0, numSQSFaults-1)
	for f := SQSFaultNone + 1; f < numSQSFaults; f++ {
		fs = append(fs, f)
	}
	return fs
}

// SQSFaultProxy is an HTTP server on 127.0.0.1 in front of an SQS endpoint
// (a local moto_server) that speaks SQS's JSON protocol and injects faults
// into SendMessageBatch calls, chosen by script or by seeded random draw.
// Every other operation is passed through untouched. Point a client at URL,
// for example with NewSQSClient.
//
// Its methods are safe for concurrent use. It is closed when the test that
// made it ends.
type SQSFaultProxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:PORT.
	URL string

	upstream string
	srv      *httptest.Server
	client   *http.Client

	mu        sync.Mutex
	rng       *rand.Rand
	rates     [numSQSFaults]float64
	script    []SQSFault
	stats     SQSFaultStats
	forwarded map[string]bool // messages forwarded, by sqsEntry.key
}

// SQSFaultStats counts what an SQSFaultProxy did.
type SQSFaultStats struct {
	Calls    int64              // SendMessageBatch calls received
	Entries  int64              // entries in them
	Injected map[SQSFault]int64 // calls answered with each fault, SQSFaultNone included
	// Refused is the number of entries failed with SenderFault true by
	// SQSFaultEntrySenderFault: the messages a client must report.
	Refused int64
	// FailedForRetry is the number of entries failed otherwise (server
	// fault, throttled): the messages a client must send again.
	FailedForRetry int64
	Other          int64 // calls of other operations, passed through
}

// String lists the counts, for test logs.
func (s SQSFaultStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d calls (%d entries):", s.Calls, s.Entries)
	for f := SQSFaultNone; f < numSQSFaults; f++ {
		if n := s.Injected[f]; n > 0 {
			fmt.Fprintf(&b, " %v=%d", f, n)
		}
	}
	fmt.Fprintf(&b, "; entries refused %d, failed for a retry %d", s.Refused, s.FailedForRetry)
	return b.String()
}

// NewSQSFaultProxy starts an SQSFaultProxy that forwards to upstream, a
// loopback URL such as the one SQSEndpoint returns. seed seeds the random
// draws; rates is the probability of each fault on a SendMessageBatch call
// (SQSFaultNone takes what is left; nil: only scripted faults). The test
// fails at once on a bad argument. The proxy is closed when the test ends.
func NewSQSFaultProxy(t testing.TB, upstream string, seed uint64, rates map[SQSFault]float64) *SQSFaultProxy {
	t.Helper()
	if err := checkLoopbackEndpoint(upstream); err != nil {
		t.Fatalf("testutil.NewSQSFaultProxy: refusing upstream: %v", err)
	}
	p := &SQSFaultProxy{
		upstream:  strings.TrimSuffix(upstream, "/"),
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		stats:     SQSFaultStats{Injected: make(map[SQSFault]int64)},
		forwarded: make(map[string]bool),
	}
	sum := 0.0
	for f, x := range rates {
		if f <= SQSFaultNone || f >= numSQSFaults || !(x >= 0 && x <= 1) {
			t.Fatalf("testutil.NewSQSFaultProxy: bad rate %v for %v", x, f)
		}
		p.rates[f] = x
		sum += x
	}
	if sum > 1+1e-9 {
		t.Fatalf("testutil.NewSQSFaultProxy: rates sum to %v, more than 1", sum)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	tr.MaxIdleConnsPerHost = 64
	p.client = &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	t.Cleanup(func() {
		p.srv.CloseClientConnections()
		p.srv.Close()
		p.client.CloseIdleConnections()
	})
	return p
}

// Script queues faults for the next SendMessageBatch calls, one each, in
// order of arrival, before random faults resume.
func (p *SQSFaultProxy) Script(faults ...SQSFault) {
	p.mu.Lock()
	p.script = append(p.script, faults...)
	p.mu.Unlock()
}

// Stats returns the counts so far.
func (p *SQSFaultProxy) Stats() SQSFaultStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Injected = make(map[SQSFault]int64, len(p.stats.Injected))
	for f, n := range p.stats.Injected {
		s.Injected[f] = n
	}
	return s
}

// sqsSendBatchTarget is the X-Amz-Target of SendMessageBatch in JSON 1.0.
const sqsSendBatchTarget = "AmazonSQS.SendMessageBatch"

// sqsEntry is the part of a SendMessageBatch entry the proxy reads; the
// entry itself is forwarded byte for byte.
type sqsEntry struct {
	ID    string `json:"Id"`
	Body  string `json:"MessageBody"`
	Group string `json:"MessageGroupId"`
	Dedup string `json:"MessageDeduplicationId"`
}

// key names the message an entry carries, whatever the call.
func (e sqsEntry) key() string { return e.Body + "\x00" + e.Dedup }

// forwarding records that entries are forwarded upstream.
func (p *SQSFaultProxy) forwarding(entries []sqsEntry) {
	p.mu.Lock()
	for _, e := range entries {
		p.forwarded[e.key()] = true
	}
	p.mu.Unlock()
}

func (p *SQSFaultProxy) choose(entries int) SQSFault {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := SQSFaultNone
	if len(p.script) > 0 {
		f, p.script = p.script[0], p.script[1:]
	} else {
		x := p.rng.Float64()
		for g := SQSFaultNone + 1; g < numSQSFaults; g++ {
			if x < p.rates[g] {
				f = g
				break
			}
			x -= p.rates[g]
		}
	}
	p.stats.Calls++
	p.stats.Entries += int64(entries)
	p.stats.Injected[f]++
	return f
}

func (p *SQSFaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fltMaxBody))
	if err != nil {
		http.Error(w, "testutil: SQSFaultProxy: reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	var call map[string]json.RawMessage
	var raws []json.RawMessage
	var entries []sqsEntry
	ok := r.Header.Get("X-Amz-Target") == sqsSendBatchTarget &&
		json.Unmarshal(body, &call) == nil &&
		json.Unmarshal(call["Entries"], &raws) == nil && len(raws) > 0 &&
		json.Unmarshal(call["Entries"], &entries) == nil
	if !ok {
		p.mu.Lock()
		p.stats.Other++
		p.mu.Unlock()
		p.reply(w, p.forward(r, body))
		return
	}
	var queueURL string
	json.Unmarshal(call["QueueUrl"], &queueURL)
	fifo := strings.HasSuffix(queueURL, ".fifo")

	switch fault := p.choose(len(raws)); fault {
	case SQSFaultThrottling:
		code := "ThrottlingException"
		p.mu.Lock()
		if p.rng.IntN(2) == 0 {
			code = "RequestThrottled"
		}
		p.mu.Unlock()
		p.reply(w, sqsError(http.StatusBadRequest, code, "Rate exceeded", "Sender"))
	case SQSFaultInternalError:
		p.reply(w, sqsError(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", "Receiver"))
	case SQSFaultServiceUnavailable:
		p.reply(w, sqsError(http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.", "Receiver"))
	case SQSFaultDropConnection:
		p.drop(w)
	case SQSFaultDropAfterWrite:
		p.forwarding(entries)
		p.forward(r, body)
		p.drop(w)
	case SQSFaultEntrySenderFault, SQSFaultEntryServerFault, SQSFaultEntryThrottled:
		p.reply(w, p.failEntries(r, call, raws, entries, fault, fifo))
	default:
		p.forwarding(entries)
		p.reply(w, p.forward(r, body))
	}
}

// failEntries fails a random non-empty subset of the entries as fault says
// and forwards the others, merging the upstream's answer with the failures.
func (p *SQSFaultProxy) failEntries(r *http.Request, call map[string]json.RawMessage, raws []json.RawMessage, entries []sqsEntry, fault SQSFault, fifo bool) sqsAnswer {
	n := len(raws)
	p.mu.Lock()
	k := 1 + p.rng.IntN(n)
	fail := make([]bool, n)
	for _, i := range p.rng.Perm(n)[:k] {
		fail[i] = true
		if fault == SQSFaultEntrySenderFault && p.forwarded[entries[i].key()] {
			fail[i] = false // SQS took it before: it would again
		}
	}
	p.mu.Unlock()
	if fifo && fault != SQSFaultEntrySenderFault {
		stopped := map[string]bool{}
		for i, e := range entries {
			if stopped[e.Group] {
				fail[i] = true
			}
			if fail[i] {
				stopped[e.Group] = true
			}
		}
	}
	type failed struct {
		ID          string `json:"Id"`
		SenderFault bool   `json:"SenderFault"`
		Code        string `json:"Code"`
		Message     string `json:"Message"`
	}
	var fails []failed
	var sent []json.RawMessage
	var sentEntries []sqsEntry
	for i, e := range entries {
		if !fail[i] {
			sent = append(sent, raws[i])
			sentEntries = append(sentEntries, e)
			continue
		}
		switch fault {
		case SQSFaultEntrySenderFault:
			fails = append(fails, failed{e.ID, true, "InvalidParameterValue", "testutil: SQSFaultProxy refused this entry"})
		case SQSFaultEntryServerFault:
			fails = append(fails, failed{e.ID, false, "InternalError", "testutil: SQSFaultProxy failed this entry"})
		default:
			fails = append(fails, failed{e.ID, true, "RequestThrottled", "testutil: SQSFaultProxy throttled this entry"})
		}
	}
	p.mu.Lock()
	if fault == SQSFaultEntrySenderFault {
		p.stats.Refused += int64(len(fails))
	} else {
		p.stats.FailedForRetry += int64(len(fails))
	}
	p.mu.Unlock()

	out := map[string]json.RawMessage{"Successful": json.RawMessage("[]")}
	if len(sent) > 0 {
		fwd := make(map[string]json.RawMessage, len(call))
		for k, v := range call {
			fwd[k] = v
		}
		fwd["Entries"], _ = json.Marshal(sent)
		body, _ := json.Marshal(fwd)
		p.forwarding(sentEntries)
		ans := p.forward(r, body)
		if ans.status != http.StatusOK {
			return ans // the upstream refused or failed the part it was sent
		}
		var up map[string]json.RawMessage
		if err := json.Unmarshal(ans.body, &up); err != nil {
			return ans
		}
		if s, ok := up["Successful"]; ok {
			out["Successful"] = s
		}
		var upFailed []failed
		json.Unmarshal(up["Failed"], &upFailed)
		fails = append(fails, upFailed...)
	}
	out["Failed"], _ = json.Marshal(fails)
	body, _ := json.Marshal(out)
	return sqsAnswer{status: http.StatusOK, body: body, header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}}}
}

// sqsAnswer is an HTTP answer, from upstream or made by the proxy.
type sqsAnswer struct {
	status int
	header http.Header
	body   []byte
}

// sqsError returns an error answer as SQS writes them in its JSON protocol,
// with the query-compatible code header.
func sqsError(status int, code, msg, fault string) sqsAnswer {
	body, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
	return sqsAnswer{status: status, body: body, header: http.Header{
		"Content-Type":        {"application/x-amz-json-1.0"},
		"X-Amzn-Query-Error":  {code + ";" + fault},
		"X-Amzn-Requestid":    {"SQSFAULTPROXY"},
		"X-Amzn-Errortype":    {code},
		"X-Amzn-Query-Status": {strconv.Itoa(status)},
	}}
}

// forward sends the call upstream and returns its answer. The upstream call
// is not cancelled when the client gives up.
func (p *SQSFaultProxy) forward(r *http.Request, body []byte) sqsAnswer {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return sqsAnswer{status: http.StatusBadGateway, body: []byte(err.Error())}
	}
	req.Header = r.Header.Clone()
	req.Header.Del("Connection")
	req.Header.Set("Accept-Encoding", "identity")
	res, err := p.client.Do(req)
	if err != nil {
		return sqsAnswer{status: http.StatusBadGateway, body: []byte("testutil: SQSFaultProxy: upstream: " + err.Error())}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return sqsAnswer{status: http.StatusBadGateway, body: []byte("testutil: SQSFaultProxy: upstream: " + err.Error())}
	}
	return sqsAnswer{status: res.StatusCode, header: res.Header, body: b}
}

func (p *SQSFaultProxy) reply(w http.ResponseWriter, ans sqsAnswer) {
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
func (p *SQSFaultProxy) drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic("testutil: SQSFaultProxy: cannot drop the connection: " + err.Error())
	}
	p.mu.Lock()
	reset := p.rng.IntN(2) == 0
	p.mu.Unlock()
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	conn.Close()
}
