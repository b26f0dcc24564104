package batch_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/batchutils/batchutils/batch"
)

// An item that waited longer than Config.ItemTTL fails with ErrExpired and
// is never sent again; one in time is written.
func TestItemTTL(t *testing.T) {
	tests := []struct {
		name      string
		ttl       time.Duration
		retries   int           // calls that fail before one goes through
		wait      time.Duration // the backoff between tries
		wantErr   error
		wantCalls int
	}{
		{"in time", time.Second, 0, 0, nil, 1},
		{"retried in time", time.Second, 2, 100 * time.Millisecond, nil, 3},
		{"the next try would be too late", time.Second, 2, 600 * time.Millisecond, batch.ErrExpired, 2},
		{"no limit", 0, 2, time.Hour, nil, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSink(10, 0, 0)
				busy := errors.New("busy")
				for range tc.retries {
					s.FailNext(busy)
				}
				d := mustNew(t, s, batch.Config{
					ItemTTL: tc.ttl,
					BackOff: func() backoff.BackOff { return backoff.NewConstantBackOff(tc.wait) },
				})
				err := d.SubmitWait(context.Background(), item{Key: "k", Size: 1})
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
					t.Errorf("SubmitWait = %v, want %v", err, tc.wantErr)
				}
				if tc.wantErr != nil && !errors.Is(err, busy) {
					t.Errorf("SubmitWait = %v, want the last try's cause too", err)
				}
				closeOK(t, d)
				if got := len(s.Calls()); got != tc.wantCalls {
					t.Errorf("%d calls, want %d", got, tc.wantCalls)
				}
			})
		})
	}
}

// A pending item whose turn comes after its TTL fails with ErrExpired
// without being sent.
func TestItemTTLPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSink(10, 0, 0)
		d := mustNew(t, s, batch.Config{ItemTTL: time.Second})
		ctx := context.Background()
		if err := d.Submit(ctx, item{Key: "old", Size: 1}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second) // fake time: no batch is full, nothing is sent
		if err := d.Submit(ctx, item{Key: "new", Size: 1}); err != nil {
			t.Fatal(err)
		}
		err := d.Close(ctx)
		var fe *batch.FailedError[item]
		if !errors.As(err, &fe) || len(fe.Failures) != 1 || fe.Failures[0].Item.Key != "old" || !errors.Is(fe.Failures[0].Err, batch.ErrExpired) {
			t.Fatalf("Close = %v, want the old item expired", err)
		}
		if w := s.Written(); len(w) != 1 || w[0].Key != "new" {
			t.Errorf("written %v, want only the new item", w)
		}
	})
}
