package sqsbatch_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/sqsbatch"
	"github.com/batchutils/batchutils/testutil"
)

// md5Server answers SendMessageBatch calls with every entry taken and the
// MD5 of its body, but a wrong MD5 for the bodies in corrupt, as if the
// message had changed on its way. It keeps how often each body was sent.
type md5Server struct {
	corrupt map[string]bool
	mu      sync.Mutex
	sent    map[string]int
}

func (s *md5Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Entries []struct{ Id, MessageBody string }
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	type result struct{ Id, MessageId, MD5OfMessageBody string }
	out := struct{ Successful []result }{Successful: []result{}}
	s.mu.Lock()
	for _, e := range in.Entries {
		s.sent[e.MessageBody]++
		sum := md5.Sum([]byte(e.MessageBody))
		if s.corrupt[e.MessageBody] {
			sum[0] ^= 0xff
		}
		out.Successful = append(out.Successful, result{e.Id, "id-" + e.MessageBody, hex.EncodeToString(sum[:])})
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

// A message whose MD5 in the answer is not that of the body sent was taken
// by SQS, but maybe not as it was sent: it fails with ErrOutcomeUnknown and
// ErrChecksum, and is never sent again; the other messages of its call are
// written, once each. A client whose options turn the checks off gets none.
func TestChecksumMismatch(t *testing.T) {
	tests := []struct {
		name       string
		disable    bool // the client's DisableMessageChecksumValidation
		wantFailed []string
	}{
		{"checked", false, []string{"b"}},
		{"client turns the checks off", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := &md5Server{corrupt: map[string]bool{"b": true}, sent: map[string]int{}}
			ts := httptest.NewServer(srv)
			t.Cleanup(ts.Close)
			client := sqs.New(testutil.NewSQSClient(t, ts.URL, testutil.ClientOptions{}).Options(), func(o *sqs.Options) {
				o.DisableMessageChecksumValidation = tc.disable
			})
			d, fe := sendAndClose(t, client, ts.URL+"/123456789012/q", "a", "b", "c")
			var failed []string
			if fe != nil {
				for _, f := range fe.Failures {
					failed = append(failed, f.Item)
					if !errors.Is(f.Err, batch.ErrOutcomeUnknown) || !errors.Is(f.Err, sqsbatch.ErrChecksum) {
						t.Errorf("failure of %q: %v, want ErrOutcomeUnknown and ErrChecksum", f.Item, f.Err)
					}
				}
			}
			if diff := cmp.Diff(tc.wantFailed, failed); diff != "" {
				t.Errorf("failed messages mismatch (-want +got):\n%s", diff)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if diff := cmp.Diff(map[string]int{"a": 1, "b": 1, "c": 1}, srv.sent); diff != "" {
				t.Errorf("times each message was sent mismatch (-want +got):\n%s", diff)
			}
			st := d.Stats()
			want := []int64{3 - int64(len(tc.wantFailed)), int64(len(tc.wantFailed)), 0}
			if diff := cmp.Diff(want, []int64{st.Written, st.Unknown, st.Failed}); diff != "" {
				t.Errorf("Stats written, unknown, failed mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
