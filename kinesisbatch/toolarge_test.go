package kinesisbatch_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
	"github.com/batchutils/batchutils/testutil"
)

// bodyLimitServer is a PutRecords endpoint behind a body limit, as a
// server or proxy with a limit of its own is: a call with a body over limit
// bytes is answered with a bare HTTP 413 (no body, no error code); the
// others are stored.
type bodyLimitServer struct {
	*httptest.Server
	limit int
	mu    sync.Mutex
	data  map[string]int // times each record's data was stored
	n413  int
}

func newBodyLimitServer(t *testing.T, limit int) *bodyLimitServer {
	s := &bodyLimitServer{limit: limit, data: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if len(body) > s.limit {
			s.mu.Lock()
			s.n413++
			s.mu.Unlock()
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		var in struct{ Records []struct{ Data []byte } }
		if err := json.Unmarshal(body, &in); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var out strings.Builder
		out.WriteString(`{"FailedRecordCount":0,"Records":[`)
		s.mu.Lock()
		for i, rec := range in.Records {
			s.data[string(rec.Data)]++
			if i > 0 {
				out.WriteByte(',')
			}
			fmt.Fprintf(&out, `{"SequenceNumber":"%d","ShardId":"shardId-000000000000"}`, i)
		}
		s.mu.Unlock()
		out.WriteString(`]}`)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, out.String())
	}))
	t.Cleanup(s.Close)
	return s
}

// TestBareRequestEntityTooLarge puts 500 records, one full call, through a
// server that answers a bare 413 to any body over 64 KiB, under a backoff
// without jitter: the SDK's code for such an answer is UnknownError, and the
// HTTP status decides: the dispatcher splits the call until each part
// passes, and every record is written once.
func TestBareRequestEntityTooLarge(t *testing.T) {
	srv := newBodyLimitServer(t, 64<<10)
	client := testutil.NewKinesisClient(t, srv.URL, testutil.ClientOptions{})
	noJitter := func() backoff.BackOff {
		return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Millisecond), 3)
	}
	d, err := kinesisbatch.New[[]byte](client, kinesisbatch.Config{Stream: "s", Batch: batch.Config{BackOff: noJitter}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	want := map[string]int{}
	for i := range n {
		data := fmt.Sprintf("%04d %s", i, strings.Repeat("x", 300))
		want[data] = 1
		if err := d.Put(t.Context(), []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if diff := cmp.Diff(want, srv.data); diff != "" {
		t.Errorf("stored records mismatch (-want +got):\n%s", diff)
	}
	if srv.n413 == 0 {
		t.Error("no call was answered 413: the test tests nothing")
	}
	st := d.Stats()
	t.Logf("%d calls, %d answered 413", st.Batches, srv.n413)
	if st.Written != n || st.Failed != 0 {
		t.Errorf("Stats: %d written, %d failed; want %d, 0", st.Written, st.Failed, n)
	}
}
