package awscall

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
)

func TestNewGate(t *testing.T) {
	tests := []struct {
		name        string
		client      any
		maxInFlight int
		wantTurns   int // 0: no gate
		wantAhead   int
	}{
		{name: "not the SDK's client", client: struct{}{}, maxInFlight: 4},
		{name: "the SDK's client", client: &kinesis.Client{}, maxInFlight: 3, wantTurns: 3, wantAhead: 1},
		{name: "the default MaxInFlight", client: &kinesis.Client{}, maxInFlight: 0, wantTurns: batch.DefaultMaxInFlight, wantAhead: 1},
		{name: "a negative MaxInFlight, refused later by the core", client: &kinesis.Client{}, maxInFlight: -2, wantTurns: 1, wantAhead: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGate[*kinesis.Client](tc.client, tc.maxInFlight)
			turns := 0
			if g != nil {
				turns = cap(g.turns)
			}
			if diff := cmp.Diff([2]int{tc.wantTurns, tc.wantAhead}, [2]int{turns, g.Ahead()}); diff != "" {
				t.Errorf("NewGate(%T, %d): [turns, Ahead] mismatch (-want +got):\n%s", tc.client, tc.maxInFlight, diff)
			}
		})
	}
}

// gatedPut makes one PutRecords call of one record through a Call gated by
// g, and returns its classified error. It counts the SDK's attempts in
// attempts, if set.
func gatedPut(ctx context.Context, client *kinesis.Client, g *Gate, attempts *atomic.Int64) error {
	in := &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{
		{Data: []byte("record"), PartitionKey: aws.String("k")},
	}}
	call := Kinesis.NewCall().Gated(g)
	_, err := client.PutRecords(ctx, in, func(o *kinesis.Options) {
		Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
		if attempts != nil {
			o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
				return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("test.Attempts", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
					middleware.FinalizeOutput, middleware.Metadata, error,
				) {
					attempts.Add(1)
					return next.HandleFinalize(ctx, in)
				}), "Retry", middleware.After)
			})
		}
	})
	return call.Classify(ctx, err)
}

// TestGateHoldsTheCallsOnTheWire runs more gated calls at once than the
// gate has turns, through a real SDK client, against a server that holds
// every request until the test lets it go: the server never has more
// requests at once than the gate's turns, and every call ends answered.
func TestGateHoldsTheCallsOnTheWire(t *testing.T) {
	for _, turns := range []int{1, 2} {
		t.Run(fmt.Sprintf("turns=%d", turns), func(t *testing.T) {
			var (
				now, most atomic.Int64
				arrived   = make(chan struct{}, 16)
				release   = make(chan struct{})
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := now.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				arrived <- struct{}{}
				<-release
				now.Add(-1)
				answer(w, 1)
			}))
			t.Cleanup(srv.Close)
			client := kinesisClient(t, srv.URL, nil)
			g := NewGate[*kinesis.Client](client, turns)
			const calls = 5
			errs := make([]error, calls)
			var wg sync.WaitGroup
			for i := range calls {
				wg.Go(func() { errs[i] = gatedPut(t.Context(), client, g, nil) })
			}
			for range calls {
				select {
				case <-arrived:
				case <-time.After(10 * time.Second):
					t.Fatalf("a request did not reach the server; at most %d at once so far", most.Load())
				}
				// The requests at the gate have had time to pass it, if
				// they could.
				time.Sleep(5 * time.Millisecond)
				release <- struct{}{}
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("call %d: %v", i, err)
				}
			}
			if got := most.Load(); got != int64(turns) {
				t.Errorf("the server had at most %d requests at once, want %d (the gate's turns)", got, turns)
			}
		})
	}
}

// TestGateUnsent checks what becomes of a request that waits at the gate
// too long: when its context ends first, its error says the call was not
// sent (batch.ErrClosed) and is retried, never taken as possibly applied,
// and the server never sees it; when its turn comes after maxGateWait, the
// attempt goes back unsent and the SDK's next attempt, signed again, is the
// one sent.
func TestGateUnsent(t *testing.T) {
	old := maxGateWait
	maxGateWait = 20 * time.Millisecond
	t.Cleanup(func() { maxGateWait = old })
	tests := []struct {
		name         string
		cancel       bool // the context ends while the request waits; else the turn comes after maxGateWait
		wantErr      bool
		wantRequests int64
		wantAttempts int64
	}{
		{name: "context ended", cancel: true, wantErr: true, wantRequests: 0, wantAttempts: 1},
		{name: "turn after maxGateWait", cancel: false, wantErr: false, wantRequests: 1, wantAttempts: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				answer(w, 1)
			}))
			t.Cleanup(srv.Close)
			client := kinesisClient(t, srv.URL, nil)
			g := NewGate[*kinesis.Client](client, 1)
			g.turns <- struct{}{} // a call on the wire
			ctx := t.Context()
			if tc.cancel {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				time.AfterFunc(10*time.Millisecond, cancel)
			} else {
				time.AfterFunc(3*maxGateWait, g.leave) // it ends late
			}
			var attempts atomic.Int64
			err := gatedPut(ctx, client, g, &attempts)
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("PutRecords: %v, want an error: %v", err, tc.wantErr)
			}
			if tc.wantErr {
				if got := markOf(err); got != retried {
					t.Errorf("PutRecords: %v: classified %q, want %q", err, got, retried)
				}
				if !errors.Is(err, batch.ErrClosed) {
					t.Errorf("PutRecords: %v, want it to wrap batch.ErrClosed", err)
				}
			}
			got := [2]int64{requests.Load(), attempts.Load()}
			if diff := cmp.Diff([2]int64{tc.wantRequests, tc.wantAttempts}, got); diff != "" {
				t.Errorf("[requests at the server, the SDK's attempts] mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
