package benchmarks

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonEndpoint is what FakeSQS and FakeKinesis share: the checks of an AWS
// JSON protocol call before its operation is read, the counters, the CPU
// clock of the handlers, and the answers. Its zero value needs protocol set.
type jsonEndpoint struct {
	// protocol is the version of the AWS JSON protocol: "1.0" or "1.1".
	protocol string
	// errorPrefix prefixes the error codes in the __type of an error.
	errorPrefix string
	// queryErrors, for a service that once spoke the query protocol, maps
	// an error code to the header X-Amzn-Query-Error that it sends with it.
	queryErrors map[string]string

	calls    atomic.Int64 // calls of the batch operation
	requests atomic.Int64 // entries received, retries included
	accepted atomic.Int64 // entries accepted
	failed   atomic.Int64 // entries answered as failed, to be retried
	errors   atomic.Int64 // calls answered with an error
	cpu      atomic.Int64 // nanoseconds of CPU time spent in handlers

	mu       sync.Mutex
	firstErr string
}

// stats returns the counters as they are now.
func (e *jsonEndpoint) stats() FakeStats {
	e.mu.Lock()
	first := e.firstErr
	e.mu.Unlock()
	return FakeStats{
		Calls:       e.calls.Load(),
		Requests:    e.requests.Load(),
		Accepted:    e.accepted.Load(),
		Unprocessed: e.failed.Load(),
		Errors:      e.errors.Load(),
		FirstError:  first,
		CPU:         time.Duration(e.cpu.Load()),
	}
}

// serve checks a call of the service whose X-Amz-Target operations begin
// with prefix, reads its body (at most maxBody bytes, and one more to tell
// a longer one), and runs handle with the operation's name, measuring the
// CPU time handle uses.
func (e *jsonEndpoint) serve(w http.ResponseWriter, r *http.Request, prefix string, maxBody int, handle func(op string, body []byte)) {
	if r.Method != http.MethodPost {
		e.fail(w, http.StatusMethodNotAllowed, "UnknownOperationException", "method "+r.Method)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, prefix)
	if !ok || op == "" {
		e.fail(w, http.StatusBadRequest, "UnknownOperationException", "X-Amz-Target "+strconv.Quote(target))
		return
	}
	if r.Header.Get("Authorization") == "" {
		e.fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Request is missing Authentication Token")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(maxBody)+1))
	if err != nil {
		e.fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	// As in FakeDynamoDB: the handler does not block, so the thread's CPU
	// clock measures it alone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	defer func() { e.cpu.Add(int64(threadCPU() - t0)) }()
	handle(op, body)
}

// reply writes an answer of the JSON protocol.
func (e *jsonEndpoint) reply(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-"+e.protocol)
	h.Set("X-Amzn-Requestid", "fake")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail answers with an error of the service: the SDK turns it into an
// error whose ErrorCode is code (or, for a service with query errors, the
// query protocol's code).
func (e *jsonEndpoint) fail(w http.ResponseWriter, status int, code, msg string) {
	e.errors.Add(1)
	e.mu.Lock()
	if e.firstErr == "" {
		e.firstErr = code + ": " + msg
	}
	e.mu.Unlock()
	body, _ := json.Marshal(map[string]string{
		"__type":  e.errorPrefix + code,
		"message": msg,
	})
	if q, ok := e.queryErrors[code]; ok {
		w.Header().Set("X-Amzn-Query-Error", q)
	}
	e.reply(w, status, body)
}

// unquote returns the value of a JSON string that the scanner returned
// raw: raw itself when it has no escape, else a copy without them.
func unquote(raw []byte) ([]byte, bool) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, true
	}
	return appendUnquoted(nil, raw)
}

// appendUnquoted appends to dst the value of a JSON string that the scanner
// returned raw (and so checked), as encoding/json decodes it: a lone
// surrogate becomes U+FFFD.
func appendUnquoted(dst, raw []byte) ([]byte, bool) {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\\')
		if j < 0 {
			return append(dst, raw[i:]...), true
		}
		dst = append(dst, raw[i:i+j]...)
		i += j
		if i+1 >= len(raw) {
			return nil, false
		}
		switch c := raw[i+1]; c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(raw[i+2:])
			if !ok {
				return nil, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2, ok = hex4(raw[i+2:])
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return nil, false
		}
		i += 2
	}
	return dst, true
}

// hex4 reads the four hexadecimal digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// atomicCounter numbers the ids a fake hands out.
type atomicCounter struct{ n atomic.Uint64 }

// appendUUID appends the next id in the form of a UUID, as SQS's message
// ids are.
func (c *atomicCounter) appendUUID(b []byte) []byte {
	b = append(b, "00000000-0000-4000-8000-"...)
	var d [20]byte
	return appendPadded(b, strconv.AppendUint(d[:0], c.n.Add(1), 16), 12)
}

// appendSequence appends the next id as a sequence number: 56 decimal
// digits, as Kinesis's are.
func (c *atomicCounter) appendSequence(b []byte) []byte {
	b = append(b, "49"...)
	var d [20]byte
	return appendPadded(b, strconv.AppendUint(d[:0], c.n.Add(1), 10), 54)
}

// appendPadded appends s to b, with zeros before it to make width digits.
func appendPadded(b, s []byte, width int) []byte {
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
