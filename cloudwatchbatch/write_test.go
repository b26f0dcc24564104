package cloudwatchbatch_test

import (
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/cloudwatchbatch"
	"github.com/batchutils/batchutils/testutil"
)

// TestBatchSizes checks that calls hold at most 1,000 data.
func TestBatchSizes(t *testing.T) {
	t.Parallel()
	fake := &testutil.FakeCloudWatch{}
	d := newDispatcher(t, fake, cloudwatchbatch.Config{})
	for i := range 2500 {
		if err := d.Put(t.Context(), datum("m", float64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var sizes []int
	for _, c := range fake.Calls() {
		sizes = append(sizes, len(c))
	}
	slices.Sort(sizes) // calls run concurrently
	if diff := cmp.Diff([]int{500, 1000, 1000}, sizes); diff != "" {
		t.Errorf("call sizes mismatch (-want +got):\n%s", diff)
	}
}

// TestRequestBytes sends large data through the real SDK client, in the
// SDK's default protocol (CBOR) and in the query protocol, to a server that
// records the size of each request's body, uncompressed (the SDK gzips large
// bodies; CloudWatch's limit is taken to hold before compression): none is
// over MaxBatchBytes, and the dispatcher fills them well (the query
// bodies, the largest, are at least half of it, but one).
func TestRequestBytes(t *testing.T) {
	t.Parallel()
	for _, query := range []bool{false, true} {
		t.Run("query="+strconv.FormatBool(query), func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var bodies []int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := r.Body
				if r.Header.Get("Content-Encoding") == "gzip" { // the SDK compresses large bodies
					zr, err := gzip.NewReader(r.Body)
					if err != nil {
						t.Errorf("gzip: %v", err)
						return
					}
					body = zr
				}
				n, _ := io.Copy(io.Discard, body)
				mu.Lock()
				bodies = append(bodies, int(n))
				mu.Unlock()
				if query {
					w.Header().Set("Content-Type", "text/xml")
					io.WriteString(w, `<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></PutMetricDataResponse>`)
					return
				}
				w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
				w.Header().Set("Content-Type", "application/cbor")
				w.Write([]byte{0xa0}) // an empty map
			}))
			defer srv.Close()
			opts := cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
				Credentials: aws.AnonymousCredentials{}, HTTPClient: srv.Client()}
			var client *cloudwatch.Client
			if query {
				client = cloudwatch.New(opts, testutil.CloudWatchQueryProtocol)
			} else {
				client = cloudwatch.New(opts)
			}
			d := newDispatcher(t, client, cloudwatchbatch.Config{Namespace: "a/b&c<d>"})
			values := make([]float64, 150)
			for i := range values {
				values[i] = 1e-300 * float64(i+1)
			}
			for i := range 60 {
				m := datum("m<&>/"+strconv.Itoa(i), 1)
				m.Dimensions = dims(30, "d:", strings.Repeat("/", 300))
				if i%2 == 0 {
					m.Value, m.Values, m.Counts = nil, values, values
				}
				if err := d.Put(t.Context(), m); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			small := 0
			for i, n := range bodies {
				if n > cloudwatchbatch.MaxBatchBytes {
					t.Errorf("request %d: %d bytes, want at most %d", i, n, cloudwatchbatch.MaxBatchBytes)
				}
				if n < cloudwatchbatch.MaxBatchBytes/2 {
					small++
				}
			}
			if query && small > 1 {
				t.Errorf("%d requests under half of %d bytes, want 1 at most (the last)", small, cloudwatchbatch.MaxBatchBytes)
			}
			t.Logf("%d requests of %v bytes", len(bodies), bodies)
		})
	}
}

// poisonFake refuses, as CloudWatch does, every call that holds a datum
// named "poison".
func poisonFake() *testutil.FakeCloudWatch {
	return &testutil.FakeCloudWatch{Err: func(_ int, data []types.MetricDatum) error {
		for _, m := range data {
			if aws.ToString(m.MetricName) == "poison" {
				return &types.InvalidParameterValueException{Message: aws.String("The value for parameter MetricData.member.1.Value is invalid."),
					ErrorCodeOverride: aws.String("InvalidParameterValue")}
			}
		}
		return nil
	}}
}

// TestRefusedDatumIsolated checks that a datum that gets its call refused
// fails alone, with the service's error, and the others of its call are
// written.
func TestRefusedDatumIsolated(t *testing.T) {
	t.Parallel()
	fake := poisonFake()
	d := newDispatcher(t, fake, cloudwatchbatch.Config{})
	for i := range 100 {
		name := "ok"
		if i == 37 {
			name = "poison"
		}
		if err := d.Put(t.Context(), datum(name, float64(i))); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Close(t.Context())
	var fe *batch.FailedError[types.MetricDatum]
	if !errors.As(err, &fe) || len(fe.Failures) != 1 || aws.ToFloat64(fe.Failures[0].Item.Value) != 37 {
		t.Fatalf("Close: %v, want datum 37 alone", err)
	}
	var ive *types.InvalidParameterValueException
	if !errors.As(fe.Failures[0].Err, &ive) {
		t.Errorf("cause %v, want an *InvalidParameterValueException", fe.Failures[0].Err)
	}
	if n := len(fake.Data()); n != 99 {
		t.Errorf("%d data written, want 99", n)
	}
	// The core splits the refused call in halves: about 2 log2(100) calls.
	if st := d.Stats(); st.Written != 99 || st.Failed != 1 || st.Batches > 16 {
		t.Errorf("Stats: %+v, want 99 written, 1 failed, at most 16 calls", st)
	}
}

// TestCallErrors checks what each kind of error of a call does: a throttle or
// a server fault is retried (a throttle slows the rate), an error of
// credentials fails every datum at once.
func TestCallErrors(t *testing.T) {
	t.Parallel()
	apiErr := func(code string, fault smithy.ErrorFault) error {
		return &smithy.GenericAPIError{Code: code, Message: "injected", Fault: fault}
	}
	tests := []struct {
		name      string
		err       error
		written   int64
		throttled bool
		calls     int
	}{
		{name: "throttling", err: apiErr("Throttling", smithy.FaultClient), written: 10, throttled: true, calls: 2},
		{name: "internal service fault", err: &types.InternalServiceFault{Message: aws.String("injected")}, written: 10, calls: 2},
		{name: "network", err: errors.New("connection reset"), written: 10, calls: 2},
		{name: "access denied", err: apiErr("AccessDenied", smithy.FaultClient), calls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &testutil.FakeCloudWatch{Err: func(call int, _ []types.MetricDatum) error {
				if call == 1 {
					return tc.err
				}
				return nil
			}}
			d := newDispatcher(t, fake, cloudwatchbatch.Config{})
			for i := range 10 {
				if err := d.Put(t.Context(), datum("m", float64(i))); err != nil {
					t.Fatal(err)
				}
			}
			err := d.Close(t.Context())
			st := d.Stats()
			if st.Written != tc.written || (st.Throttled > 0) != tc.throttled || len(fake.Calls()) != tc.calls {
				t.Errorf("Stats %+v after %d calls: want %d written, throttled %v, %d calls", st, len(fake.Calls()), tc.written, tc.throttled, tc.calls)
			}
			if tc.written == 0 && !errors.Is(err, tc.err) {
				t.Errorf("Close: %v, want every datum failed with %v", err, tc.err)
			}
		})
	}
}

// TestPutWait checks that PutWait returns each datum's own outcome.
func TestPutWait(t *testing.T) {
	t.Parallel()
	d := newDispatcher(t, poisonFake(), cloudwatchbatch.Config{})
	if err := d.PutWait(t.Context(), datum("ok", 1)); err != nil {
		t.Errorf("PutWait of a good datum: %v", err)
	}
	var ive *types.InvalidParameterValueException
	if err := d.PutWait(t.Context(), datum("poison", 1)); !errors.As(err, &ive) {
		t.Errorf("PutWait of a refused datum: %v, want an *InvalidParameterValueException", err)
	}
	if err := d.PutWait(t.Context(), datum("ok", 1)); err != nil {
		t.Errorf("PutWait of a good datum: %v", err)
	}
	if err := d.Close(t.Context()); err != nil {
		t.Errorf("Close: %v, want nil (PutWait reported the failure)", err)
	}
}
