// Package testutil holds the test doubles and helpers of batchutils' tests:
// a recording batch.Sink, an in-memory DynamoDB that refuses what DynamoDB
// refuses, fault injection, and access to a local DynamoDB-compatible server.
//
// Its fakes enforce the rules of the real backend, so that a test cannot
// pass against a fake where the real service would refuse the request.
package testutil

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/batchutils/batchutils/batch"
)

// Item is a simple record for the tests of the batch core: a key, a size
// and a version.
type Item struct {
	Key     string
	Size    int
	Version int
}

// Sink is a recording batch.Sink for the tests of the core. It enforces its
// Limits on every Write the way a backend would (too many items, too many
// bytes, two items of one key in one call unless Lim.InOrder) and counts the
// keys written by two calls at once, which the core promises never to do. Its behaviour is
// scripted through its fields, set before use, and FailNext.
type Sink[T any] struct {
	// Lim is what Limits returns.
	Lim batch.Limits
	// MeasureFn is what Measure calls. Required.
	MeasureFn func(item T) (key string, size int, err error)
	// Refuse, if set, is asked about every item of a call: an error refuses
	// the whole call, with batch.Permanent(err), as a backend refuses a
	// request with one invalid item.
	Refuse func(item T) error
	// Fail, if set, is asked about every item of a call that goes through:
	// an error refuses that item on its own (Outcome.Failed), and the
	// others are written. It is called with the Sink's lock held.
	Fail func(item T) error
	// Unprocessed, if set, is asked about every item of a call that
	// goes through and is not refused by Fail: true leaves it unprocessed
	// (Outcome.Retry, not written). It is called with the Sink's lock held,
	// so it may keep state unguarded.
	Unprocessed func(item T) bool
	// Throttles says that the items left unprocessed were throttled
	// (Outcome.Throttled).
	Throttles bool
	// OutcomeHook, if set, may change the Outcome of each call that goes
	// through before it is returned, given the number of items of the call:
	// to test how the core takes a sink's mistakes.
	OutcomeHook func(out *batch.Outcome, n int)
	// Latency is how long each Write waits, or until its context ends.
	Latency time.Duration
	// WriteHook, if set, is called at the start of each Write, with the
	// number of the call from 1.
	WriteHook func(ctx context.Context, call int, items []T)

	mu         sync.Mutex
	calls      [][]T
	written    []T
	errs       []error
	busy       map[string]int
	overlaps   int
	violations []string
}

// FailNext makes the next Write calls fail with errs, one each, writing
// nothing.
func (s *Sink[T]) FailNext(errs ...error) {
	s.mu.Lock()
	s.errs = append(s.errs, errs...)
	s.mu.Unlock()
}

// Limits returns s.Lim.
func (s *Sink[T]) Limits() batch.Limits { return s.Lim }

// Measure returns s.MeasureFn(item).
func (s *Sink[T]) Measure(item T) (string, int, error) { return s.MeasureFn(item) }

// Write records the call, checks it against the limits, and writes what its
// script does not refuse, fail or leave unprocessed.
func (s *Sink[T]) Write(ctx context.Context, items []T) (batch.Outcome, error) {
	cp := append([]T(nil), items...)
	keys := make([]string, 0, len(items))
	bytes := 0
	s.mu.Lock()
	s.calls = append(s.calls, cp)
	call := len(s.calls)
	if s.busy == nil {
		s.busy = make(map[string]int)
	}
	seen := make(map[string]bool, len(items))
	var bad error
	for _, it := range items {
		k, n, err := s.MeasureFn(it)
		if err != nil {
			bad = fmt.Errorf("testutil: item that Measure refuses was written: %w", err)
		}
		bytes += n
		if k == "" {
			continue
		}
		if seen[k] {
			if !s.Lim.InOrder {
				bad = fmt.Errorf("testutil: key %q twice in one call", k)
			}
			continue // one call holds the key once, however many items
		}
		seen[k] = true
		if s.busy[k] > 0 {
			s.overlaps++
		}
		s.busy[k]++
		keys = append(keys, k)
	}
	switch {
	case len(items) == 0:
		bad = errors.New("testutil: empty call")
	case len(items) > s.Lim.MaxItems:
		bad = fmt.Errorf("testutil: %d items in one call, the most is %d", len(items), s.Lim.MaxItems)
	case s.Lim.MaxBatchBytes > 0 && bytes > s.Lim.MaxBatchBytes:
		bad = fmt.Errorf("testutil: %d bytes in one call, the most is %d", bytes, s.Lim.MaxBatchBytes)
	}
	if bad != nil {
		s.violations = append(s.violations, bad.Error())
	}
	var failErr error
	if len(s.errs) > 0 {
		failErr, s.errs = s.errs[0], s.errs[1:]
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		for _, k := range keys {
			s.busy[k]--
		}
		s.mu.Unlock()
	}()

	if s.WriteHook != nil {
		s.WriteHook(ctx, call, cp)
	}
	if s.Latency > 0 {
		t := time.NewTimer(s.Latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return batch.Outcome{}, ctx.Err()
		}
	}
	if bad != nil {
		return batch.Outcome{}, batch.Permanent(bad)
	}
	if failErr != nil {
		return batch.Outcome{}, failErr
	}
	if s.Refuse != nil {
		for _, it := range items {
			if err := s.Refuse(it); err != nil {
				return batch.Outcome{}, batch.Permanent(err)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out batch.Outcome
	var held map[string]bool // with Lim.InOrder: keys with an item left to retry in this call
	for i, it := range cp {
		if k := keys0(s.MeasureFn, it); held[k] {
			// A backend that applies a call in order leaves the items
			// after one it did not take for the next call.
			out.Retry = append(out.Retry, i)
			continue
		}
		if s.Fail != nil {
			if err := s.Fail(it); err != nil {
				out.Failed = append(out.Failed, batch.ItemError{Index: i, Err: err})
				continue
			}
		}
		if s.Unprocessed != nil && s.Unprocessed(it) {
			out.Retry = append(out.Retry, i)
			if k := keys0(s.MeasureFn, it); k != "" && s.Lim.InOrder {
				if held == nil {
					held = make(map[string]bool)
				}
				held[k] = true
			}
			continue
		}
		s.written = append(s.written, it)
	}
	out.Throttled = len(out.Retry) > 0 && s.Throttles
	if s.OutcomeHook != nil {
		s.OutcomeHook(&out, len(items))
	}
	return out, nil
}

// keys0 returns the key of it, "" if Measure refuses it.
func keys0[T any](measure func(T) (string, int, error), it T) string {
	k, _, _ := measure(it)
	return k
}

// Calls returns a copy of the items of every Write call, in order.
func (s *Sink[T]) Calls() [][]T {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]T, len(s.calls))
	copy(out, s.calls)
	return out
}

// Written returns the items written, in the order they were written.
func (s *Sink[T]) Written() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]T(nil), s.written...)
}

// Overlaps returns how many times a key was sent while another call holding
// it was under way: the core promises 0.
func (s *Sink[T]) Overlaps() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overlaps
}

// Violations lists the calls that broke the limits: the core promises none.
func (s *Sink[T]) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// MeasureItem is a MeasureFn for Item: its Key and Size.
func MeasureItem(it Item) (string, int, error) { return it.Key, it.Size, nil }
