package firehosebatch_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/firehosebatch"
	"github.com/batchutils/batchutils/testutil"
	"github.com/batchutils/batchutils/testutil/conformance"
)

// TestConformance runs the suite through the proxy against a delivery stream
// of moto into an S3 bucket: a record is the suite's id and a newline, read
// back from the bucket's objects. Firehose keeps every record it is sent: a
// retried call that was applied delivers its records twice.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness[string]{
		Item: func(id, _ string) string { return id + "\n" },
		ID:   func(s string) string { return strings.TrimSuffix(s, "\n") },
		New: func(t *testing.T, opts conformance.Options) conformance.Env[string] {
			endpoint := testutil.MotoEndpoint(t)
			s3c := testutil.NewS3Client(t, endpoint, testutil.ClientOptions{})
			stream, bucket := testutil.CreateDeliveryStream(t, testutil.NewFirehoseClient(t, endpoint, testutil.ClientOptions{}), s3c)
			opts.Proxy.Upstream, opts.Proxy.Codec = endpoint, testutil.FirehoseCodec
			p := testutil.NewFaultProxy(t, opts.Proxy)
			d, err := firehosebatch.New[string](testutil.NewFirehoseClient(t, p.URL, opts.Client),
				firehosebatch.Config{DeliveryStream: stream, Batch: opts.Batch})
			if err != nil {
				t.Fatal(err)
			}
			return conformance.Env[string]{
				Dispatcher: conformance.Dispatcher[string]{Put: d.Put, PutWait: d.PutWait, Flush: d.Flush, Close: d.Close, Stats: d.Stats},
				Proxy:      p,
				Landed: func(t *testing.T, _ int) []string {
					var ids []string
					for _, obj := range testutil.ReadBucket(t, s3c, bucket) {
						for line := range bytes.Lines(obj) {
							ids = append(ids, string(bytes.TrimSuffix(line, []byte("\n"))))
						}
					}
					return ids
				},
			}
		},
		Bad: []conformance.Bad[string]{
			{Name: "too large", Item: strings.Repeat("x", firehosebatch.MaxRecordBytes+1), Err: batch.ErrItemTooLarge},
		},
	})
}
