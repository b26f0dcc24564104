package awscall

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// The SDK can send a call twice with no fault on the way: smithy-go's
// request body returns io.EOF from WriteTo once the SDK has closed it, which
// it does as soon as the answer's headers arrive; net/http reads a body of
// known length once more after writing it, through WriteTo, takes that
// io.EOF for a failed write and closes the connection while the answer is
// being read; the SDK meets "use of closed network connection", which it
// retries, and sends the call again. Install's HTTP client hides WriteTo.
//
// TestDoubleSend makes the race certain: the connection holds back the
// transport's write of the end of a request until the client has its answer
// and has closed the body, as a writer descheduled for a moment under load
// would. Without the wrapper every call is sent more than once; with it,
// each once. Should the first half fail after an upgrade of the SDK or of Go, the
// bug may be fixed upstream: check, and drop the wrapper if so.
//
// TestDoubleSendUnaided runs the plain race, as it happens or not on the
// machine, bounded in calls and time: it logs how often the call went twice
// without the wrapper, and checks that it never does with it.
func TestDoubleSend(t *testing.T) {
	for _, install := range []bool{false, true} {
		t.Run(fmt.Sprintf("install=%v", install), func(t *testing.T) {
			srv := newCountingServer(t)
			released, closed := make(chan struct{}, 1), make(chan struct{}, 1)
			transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := dialLoopback(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &holdingConn{Conn: c, released: released, closed: closed}, nil
			}}
			t.Cleanup(transport.CloseIdleConnections)
			client := kinesisClient(t, srv.URL, nil)
			const calls = 10
			for i := range calls {
				send(t, client, closeEarly{&http.Client{Transport: transport}, released, closed}, i, 500, 40, install)
			}
			sent, dups := srv.counts()
			t.Logf("%d calls: %d requests, %d of them duplicates", calls, sent, dups)
			if install && dups != 0 {
				t.Errorf("%d duplicates through Install's client, want 0", dups)
			}
			if !install && dups < calls {
				t.Errorf("%d duplicates without Install's client, want at least %d: the reproduction no longer reproduces", dups, calls)
			}
		})
	}
}

func TestDoubleSendUnaided(t *testing.T) {
	if testing.Short() {
		t.Skip("a loop of calls")
	}
	for _, install := range []bool{false, true} {
		t.Run(fmt.Sprintf("install=%v", install), func(t *testing.T) {
			srv := newCountingServer(t)
			transport := &http.Transport{DialContext: dialLoopback}
			t.Cleanup(transport.CloseIdleConnections)
			client := kinesisClient(t, srv.URL, nil)
			const maxCalls, maxTime = 300, 3 * time.Second
			start, calls := time.Now(), 0
			for ; calls < maxCalls && time.Since(start) < maxTime; calls++ {
				send(t, client, &http.Client{Transport: transport}, calls, 500, 40, install)
			}
			sent, dups := srv.counts()
			t.Logf("%d calls in %v: %d requests, %d of them duplicates", calls, time.Since(start).Round(time.Millisecond), sent, dups)
			if install && dups != 0 {
				t.Errorf("%d duplicates through Install's client, want 0", dups)
			}
		})
	}
}

// send makes call number i, of n records of size bytes, through hc.
func send(t *testing.T, client *kinesis.Client, hc ClientDo, i, n, size int, install bool) {
	t.Helper()
	in := &kinesis.PutRecordsInput{StreamName: aws.String("s")}
	for j := range n {
		in.Records = append(in.Records, types.PutRecordsRequestEntry{
			Data: bytes.Repeat([]byte{'x'}, size), PartitionKey: aws.String(fmt.Sprintf("call-%d-%d", i, j)),
		})
	}
	call := Kinesis.NewCall()
	_, err := client.PutRecords(t.Context(), in, func(o *kinesis.Options) {
		o.HTTPClient = hc
		if install {
			Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
		}
	})
	if install && err != nil {
		t.Fatalf("call %d: %v", i, err)
	}
}

// countingServer answers PutRecords calls and counts the requests of each
// call, by the partition key of its first record.
type countingServer struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string]int
}

func newCountingServer(t *testing.T) *countingServer {
	s := &countingServer{calls: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, rest, _ := bytes.Cut(b, []byte(`"PartitionKey":"call-`))
		id, _, _ := bytes.Cut(rest, []byte("-"))
		s.mu.Lock()
		s.calls[string(id)]++
		s.mu.Unlock()
		answer(w, bytes.Count(b, []byte(`"PartitionKey"`)))
	}))
	t.Cleanup(s.Close)
	return s
}

// counts returns the requests served and how many of them repeated a call.
func (s *countingServer) counts() (requests, duplicates int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.calls {
		requests += n
		duplicates += n - 1
	}
	return requests, duplicates
}

// closeEarly is an HTTP client that closes the request body as soon as the
// answer's headers are in, as the SDK does right after, then releases the
// connection's held write, and gives the answer to the SDK once the
// transport has closed the connection (or after a moment, if it does not):
// the SDK is slower to read the answer than the transport to close.
type closeEarly struct {
	next     ClientDo
	released chan struct{}
	closed   chan struct{}
}

func (c closeEarly) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(req)
	if req.Body != nil {
		req.Body.Close()
	}
	select {
	case c.released <- struct{}{}:
	default:
	}
	wait := time.NewTimer(100 * time.Millisecond)
	defer wait.Stop()
	select {
	case <-c.closed:
	case <-wait.C:
	}
	return resp, err
}

// holdingConn passes every write through, and returns from the write that
// ends a request only once released (or after a second): the transport's
// writer is late, as it may be on a busy machine, and the answer arrives
// before the writer is done with the body.
type holdingConn struct {
	net.Conn
	released chan struct{}
	closed   chan struct{} // told when the connection is closed
	buf      []byte        // of the request being written
}

func (c *holdingConn) Close() error {
	select {
	case c.closed <- struct{}{}:
	default:
	}
	return c.Conn.Close()
}

func (c *holdingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.buf = append(c.buf, p[:n]...)
	if err != nil || !requestComplete(c.buf) {
		return n, err
	}
	c.buf = c.buf[:0]
	select {
	case <-c.released:
	case <-time.After(time.Second):
	}
	return n, err
}

// ReadFrom writes what it reads from r with Write, as a *net.TCPConn
// writes it straight to the socket: net/http's buffered writer hands a large
// body to its connection's ReadFrom, so that no part of it waits in the
// buffer.
func (c *holdingConn) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{c}, r)
}

// requestComplete reports whether b holds a whole HTTP/1.1 request with a
// Content-Length.
func requestComplete(b []byte) bool {
	head, body, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		return false
	}
	for _, line := range bytes.Split(head, []byte("\r\n")) {
		name, value, _ := bytes.Cut(line, []byte(":"))
		if bytes.EqualFold(name, []byte("Content-Length")) {
			n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
			return err == nil && len(body) >= n
		}
	}
	return false
}
