package testutil

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Kinesis PutRecords through a FaultProxy.
//
// A FaultProxy whose Upstream is a Kinesis endpoint (kinesalite) injects the
// same Faults into PutRecords calls (JSON 1.1, X-Amz-Target
// Kinesis_20131202.PutRecords) as into BatchWriteItem calls, in Kinesis's
// terms:
//
//   - FaultUnprocessed forwards a random subset of the call's records
//     (possibly none) and answers the others, at least one, with a
//     per-record ProvisionedThroughputExceededException or InternalFailure
//     (half and half), merged in order with the upstream's results, as
//     Kinesis does for a hot shard. Stats.Withheld counts them.
//   - FaultProvisionedThroughputExceeded and FaultThrottling answer HTTP 400
//     with ProvisionedThroughputExceededException or ThrottlingException,
//     FaultInternalServerError HTTP 500 with InternalFailure,
//     FaultServiceUnavailable HTTP 503 with ServiceUnavailable,
//     FaultDropConnection closes the connection, and FaultGarbled answers a
//     body that is not JSON: nothing is applied.
//   - FaultDropAfterWrite, FaultSlow and FaultGarbledAfterWrite forward the
//     call first. Kinesis is not idempotent: a client that retries such a
//     call puts its records twice, as it would against Kinesis itself. Tests
//     that check for duplicates leave these out.

// kinPutRecordsTarget is the X-Amz-Target of PutRecords in JSON 1.1.
const kinPutRecordsTarget = "Kinesis_20131202.PutRecords"

// Per-record error codes and messages, as Kinesis writes them.
const (
	kinThroughputCode    = "ProvisionedThroughputExceededException"
	kinThroughputMessage = "Rate exceeded for shard shardId-000000000000 in stream faultproxy under account 000000000000."
	kinInternalCode      = "InternalFailure"
	kinInternalMessage   = "Internal service failure."
)

// kinPutRecords is a PutRecords body with its records kept as the client
// wrote them, and its other members kept as they are.
type kinPutRecords struct {
	rest    map[string]json.RawMessage
	records []json.RawMessage
}

func kinParsePutRecords(body []byte) (*kinPutRecords, error) {
	var rest map[string]json.RawMessage
	if err := json.Unmarshal(body, &rest); err != nil {
		return nil, err
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(rest["Records"], &recs); err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("no Records")
	}
	delete(rest, "Records")
	return &kinPutRecords{rest: rest, records: recs}, nil
}

// body returns the call with recs as its Records.
func (c *kinPutRecords) body(recs []json.RawMessage) []byte {
	m := make(map[string]any, len(c.rest)+1)
	for k, v := range c.rest {
		m[k] = v
	}
	m["Records"] = recs
	out, err := json.Marshal(m)
	if err != nil {
		panic("testutil: FaultProxy: re-encoding a PutRecords call: " + err.Error()) // raw JSON that parsed
	}
	return out
}

// serveKinesis answers a PutRecords call with the fault drawn for it. It
// returns false, having written nothing, for a body it cannot read, which
// the caller passes through.
func (p *FaultProxy) serveKinesis(w http.ResponseWriter, r *http.Request, body []byte) bool {
	call, err := kinParsePutRecords(body)
	if err != nil {
		return false
	}
	fault := p.choose(len(call.records))
	switch fault {
	case FaultProvisionedThroughputExceeded:
		p.reply(w, p.kinError(http.StatusBadRequest, kinThroughputCode, kinThroughputMessage))
		return true
	case FaultThrottling:
		p.reply(w, p.kinError(http.StatusBadRequest, "ThrottlingException", "Rate exceeded"))
		return true
	case FaultInternalServerError:
		p.reply(w, p.kinError(http.StatusInternalServerError, kinInternalCode, kinInternalMessage))
		return true
	case FaultServiceUnavailable:
		p.reply(w, p.kinError(http.StatusServiceUnavailable, "ServiceUnavailable", "Service unavailable"))
		return true
	case FaultDropConnection:
		p.drop(w)
		return true
	case FaultGarbled:
		p.reply(w, p.kinMade(http.StatusOK, p.kinGarble(call)))
		return true
	case FaultUnprocessed:
		p.reply(w, p.kinWithhold(r, call))
		return true
	}

	ans := p.forward(r, body) // applied from here on
	switch fault {
	case FaultDropAfterWrite:
		p.drop(w)
		return true
	case FaultSlow:
		t := time.NewTimer(p.slowLimit)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return true
		case <-t.C:
		case <-p.done:
			return true
		}
	case FaultGarbledAfterWrite:
		ans = p.kinMade(http.StatusOK, p.kinGarble(call))
	}
	p.reply(w, ans)
	return true
}

// kinMade returns an answer made by the proxy, as Kinesis sends it.
func (p *FaultProxy) kinMade(status int, body []byte) fltAnswer {
	ans := p.made(status, body)
	ans.header.Set("Content-Type", "application/x-amz-json-1.1")
	ans.header.Del("X-Amz-Crc32") // DynamoDB's, not Kinesis's
	return ans
}

// kinError returns a JSON 1.1 error answer.
func (p *FaultProxy) kinError(status int, code, msg string) fltAnswer {
	body, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	return p.kinMade(status, body)
}

// kinGarble returns a body that is not valid JSON: a truncated answer, or an
// HTML error page.
func (p *FaultProxy) kinGarble(call *kinPutRecords) []byte {
	results := make([]map[string]string, len(call.records))
	for i := range results {
		results[i] = map[string]string{"SequenceNumber": fmt.Sprintf("%056d", i), "ShardId": "shardId-000000000000"}
	}
	whole, _ := json.Marshal(map[string]any{"FailedRecordCount": 0, "Records": results})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rng.IntN(4) == 0 {
		return []byte("<html><body><h1>502 Bad Gateway</h1></body></html>\n")
	}
	return whole[:1+p.rng.IntN(len(whole)-1)]
}

// kinWithhold forwards a random subset of the call's records and answers
// the others with per-record errors, merged in order with the upstream's
// results.
func (p *FaultProxy) kinWithhold(r *http.Request, call *kinPutRecords) fltAnswer {
	n := len(call.records)
	p.mu.Lock()
	k := 1 + p.rng.IntN(n) // withheld: at least one
	withheld := make(map[int]string, k)
	for _, i := range p.rng.Perm(n)[:k] {
		withheld[i] = kinInternalCode
		if p.rng.IntN(2) == 0 {
			withheld[i] = kinThroughputCode
		}
	}
	p.stats.Withheld += int64(k)
	p.mu.Unlock()

	var sent []json.RawMessage
	for i, rec := range call.records {
		if _, ok := withheld[i]; !ok {
			sent = append(sent, rec)
		}
	}
	out := map[string]json.RawMessage{}
	var upstream []map[string]any
	if len(sent) > 0 {
		ans := p.forward(r, call.body(sent))
		if ans.status != http.StatusOK {
			return ans // the upstream refused or failed the part it was sent
		}
		if err := json.Unmarshal(ans.body, &out); err != nil {
			return ans
		}
		if err := json.Unmarshal(out["Records"], &upstream); err != nil || len(upstream) != len(sent) {
			return ans // let the client see what the upstream said
		}
	}
	results := make([]map[string]any, n)
	failed := 0
	for i := range results {
		if code, ok := withheld[i]; ok {
			msg := kinInternalMessage
			if code == kinThroughputCode {
				msg = kinThroughputMessage
			}
			results[i] = map[string]any{"ErrorCode": code, "ErrorMessage": msg}
			failed++
			continue
		}
		results[i], upstream = upstream[0], upstream[1:]
		if results[i]["ErrorCode"] != nil {
			failed++
		}
	}
	out["Records"], _ = json.Marshal(results)
	out["FailedRecordCount"], _ = json.Marshal(failed)
	body, _ := json.Marshal(out)
	return p.kinMade(http.StatusOK, body)
}
