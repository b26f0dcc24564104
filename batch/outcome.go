package batch

import "fmt"

// What a call that went through did with one of its items.
const (
	stateWritten = iota // not named by the Outcome
	stateRetry
	stateFailed
	stateTwice // named twice: a sink bug
)

// states holds the state of each item of a call; nil means all written.
type states []uint8

func (s states) of(i int) uint8 {
	if s == nil {
		return stateWritten
	}
	return s[i]
}

// resolve reads a sink's Outcome for a call of n items: the state of each
// item, and the error of each failed one (of one to retry: the backend's
// answer for it, from Outcome.Retried). An index out of range or named
// twice is a bug in the sink: the items it concerns fail with ErrBadOutcome.
// For an index out of range, which item the sink meant is unknown, so every
// item the Outcome does not name fails: none of them is known to be written.
func resolve(n int, out Outcome) (states, []error) {
	if len(out.Retry) == 0 && len(out.Failed) == 0 && len(out.Retried) == 0 {
		return nil, nil
	}
	st := make(states, n)
	errs := make([]error, n)
	outOfRange, bad := 0, false
	name := func(i int, s uint8) bool {
		switch {
		case i < 0 || i >= n:
			outOfRange, bad = i, true
			return false
		case st[i] != stateWritten:
			st[i] = stateTwice
			return false
		}
		st[i] = s
		return true
	}
	for _, i := range out.Retry {
		name(i, stateRetry)
	}
	for _, r := range out.Retried {
		if name(r.Index, stateRetry) {
			errs[r.Index] = r.Err // the item's last answer; nil: none
		}
	}
	for _, f := range out.Failed {
		if name(f.Index, stateFailed) {
			errs[f.Index] = f.Err
			if f.Err == nil {
				errs[f.Index] = fmt.Errorf("%w: item %d failed with a nil error", ErrBadOutcome, f.Index)
			}
		}
	}
	for i, s := range st {
		switch {
		case s == stateTwice:
			st[i], errs[i] = stateFailed, fmt.Errorf("%w: item %d named twice", ErrBadOutcome, i)
		case s == stateWritten && bad:
			st[i], errs[i] = stateFailed, fmt.Errorf("%w: index %d out of range for a batch of %d", ErrBadOutcome, outOfRange, n)
		}
	}
	return st, errs
}
