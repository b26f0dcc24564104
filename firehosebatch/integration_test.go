package firehosebatch_test

// Integration tests: the real aws-sdk-go-v2 client, through
// firehosebatch.Dispatcher, against the moto_server that `make test` starts,
// with a delivery stream into an S3 bucket of the same server. Without
// $BATCHUTILS_MOTO_ENDPOINT they skip, or fail when $CI is set. moto writes
// each PutRecordBatch call into the bucket as one object, the records'
// data concatenated: the records here end with a newline.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/firehosebatch"
	"github.com/batchutils/batchutils/testutil"
)

// event is the item type of the integration tests: sent as JSON.
type event struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

// TestIntegrationReadBack puts a few thousand records of three kinds (JSON
// of a struct, strings, bytes) from several goroutines, and reads the bucket
// back: each record once, as it was put.
func TestIntegrationReadBack(t *testing.T) {
	t.Parallel()
	endpoint := testutil.MotoEndpoint(t)
	fh := testutil.NewFirehoseClient(t, endpoint, testutil.ClientOptions{})
	s3c := testutil.NewS3Client(t, endpoint, testutil.ClientOptions{})
	stream, bucket := testutil.CreateDeliveryStream(t, fh, s3c)

	const n, writers = 6000, 4
	// Record i's text: some plain, some with characters JSON escapes, one
	// in 500 large (near Firehose's 1,000 KiB).
	text := func(i int) string {
		switch {
		case i%500 == 7:
			return strings.Repeat("x", 1000<<10-100)
		case i%3 == 0:
			return fmt.Sprintf("q\"<é>\t%d", i)
		}
		return fmt.Sprintf("plain %d", i)
	}
	events := newDispatcher[event](t, fh, firehosebatch.Config{DeliveryStream: stream, Batch: batch.Config{MaxInFlight: 4, BackOff: quick(3)}})
	lines := newDispatcher[string](t, fh, firehosebatch.Config{DeliveryStream: stream, Batch: batch.Config{BackOff: quick(3)}})
	raw := newDispatcher[[]byte](t, fh, firehosebatch.Config{DeliveryStream: stream, Batch: batch.Config{BackOff: quick(3)}})
	want := map[string]int{}
	for i := range n {
		switch i % 4 {
		case 0:
			want[fmt.Sprintf("S %d\n", i)]++
		case 1:
			want[fmt.Sprintf("B %d\n", i)]++
		default:
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false) // as firehosebatch: no \u003c for <
			enc.Encode(event{N: i, Text: text(i)})
			want[strings.TrimSuffix(b.String(), "\n")]++
		}
	}

	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				var err error
				switch i % 4 {
				case 0:
					err = lines.Put(t.Context(), fmt.Sprintf("S %d\n", i))
				case 1:
					err = raw.Put(t.Context(), fmt.Appendf(nil, "B %d\n", i))
				default:
					err = events.Put(t.Context(), event{N: i, Text: text(i)})
				}
				if err != nil {
					t.Errorf("Put %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, d := range []interface {
		Close(ctx context.Context) error
	}{events, lines, raw} {
		if err := d.Close(t.Context()); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	var calls int64
	for _, st := range []batch.Stats{events.Stats(), lines.Stats(), raw.Stats()} {
		if st.Written != st.Submitted || st.Failed+st.Unknown+st.Retries != 0 {
			t.Errorf("Stats %+v: want every record written at once", st)
		}
		calls += st.Batches
	}
	t.Logf("%d records in %v, %d calls", n, time.Since(start).Round(time.Millisecond), calls)

	got := map[string]int{}
	objects := testutil.ReadBucket(t, s3c, bucket)
	for _, obj := range objects {
		// A JSON record has no newline of its own: it ends where the next
		// record starts ({, S or B) or at the end of the object.
		for len(obj) > 0 {
			end := bytes.IndexByte(obj, '\n') + 1
			if obj[0] == '{' {
				end = bytes.Index(obj, []byte(`"}`)) + 2
			}
			got[string(obj[:end])]++
			obj = obj[end:]
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bucket mismatch (-want +got):\n%.3000s", diff)
	}
	t.Logf("%d objects, %d distinct records", len(objects), len(got))
}

// TestIntegrationUnknownStream checks that a stream that does not exist
// fails every record at once, with the service's error.
func TestIntegrationUnknownStream(t *testing.T) {
	t.Parallel()
	fh := testutil.NewFirehoseClient(t, testutil.MotoEndpoint(t), testutil.ClientOptions{})
	d := newDispatcher[string](t, fh, firehosebatch.Config{DeliveryStream: "no-such-stream"})
	for i := range 3 {
		if err := d.Put(t.Context(), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Close(t.Context())
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) || len(fe.Failures) != 3 {
		t.Fatalf("Close: %v, want 3 failures", err)
	}
	var nf *types.ResourceNotFoundException
	if !errors.As(fe.Failures[0].Err, &nf) {
		t.Errorf("cause %v, want a *types.ResourceNotFoundException", fe.Failures[0].Err)
	}
	if st := d.Stats(); st.Batches != 1 || st.Retries != 0 {
		t.Errorf("Stats: %+v, want 1 call and no retry", st)
	}
}
