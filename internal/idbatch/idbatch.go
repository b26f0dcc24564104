// Package idbatch maps the answer of a batch call whose entries carry ids
// and come back in Successful and Failed lists (SQS SendMessageBatch, SNS
// PublishBatch) to a batch.Outcome, with the rule of FIFO order that SQS
// FIFO queues and SNS FIFO topics share, so that both backends read their
// answers the same way.
package idbatch

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
)

// MaxEntries is the most entries of a call that IDs names.
const MaxEntries = 10

// IDs are the entry ids of a call: an entry's index in the call, so that
// they are unique in the call, short, and map back without a lookup.
var IDs = func() (ids [MaxEntries]string) {
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	return ids
}()

// Failure is an entry of the Failed list of an answer.
type Failure struct {
	ID            string
	Code, Message string
	SenderFault   bool
}

// Answer is what a call of N entries, whose ids are IDs[:N], got back.
type Answer struct {
	N          int
	Successful []string  // the ids of the entries taken
	Failed     []Failure // the entries not taken
	// Group returns the message group of entry i on a FIFO queue or topic;
	// nil elsewhere.
	Group func(i int) string
	// Service says which failure codes are throttles (the entry is
	// retried, and the call counts as throttled), and makes the
	// *awscall.EntryError of each failed entry.
	Service *awscall.Service
	// Unconfirmed returns why entry i, which the service took as the k-th
	// of Successful, is not confirmed as sent (SQS's MD5 of its body is
	// not that of the body sent), or nil; nil: every entry taken is
	// confirmed.
	Unconfirmed func(i, k int) error
}

// Read returns the Answer to a call of n entries from an SDK's Successful
// and Failed lists, whose entries id and failure read; the caller sets its
// Group, Throttle and Cause.
func Read[S, F any](n int, successful []S, failed []F, id func(S) *string, failure func(F) Failure) Answer {
	a := Answer{N: n, Successful: make([]string, len(successful)), Failed: make([]Failure, len(failed))}
	for i, s := range successful {
		if p := id(s); p != nil {
			a.Successful[i] = *p
		}
	}
	for i, f := range failed {
		a.Failed[i] = failure(f)
	}
	return a
}

// ErrUnmentioned is the cause of the retry of an entry that the answer did
// not mention: it may have been taken, so it is marked batch.MaybeWritten.
var ErrUnmentioned = batch.MaybeWritten(errors.New("the answer did not mention the entry"))

// What an answer said of an entry.
const (
	unseen = iota // in neither list: retried
	taken
	retried
	refused
)

// Outcome maps the answer to an Outcome: an entry Failed with SenderFault
// (and not throttled) is refused on its own, with an *awscall.EntryError; one
// Failed otherwise is retried with that cause, and so is one the answer did
// not mention. An entry taken but Unconfirmed fails with its error, made
// batch.MaybeWritten: it is in the service, maybe not as sent. On a
// FIFO queue or topic, the entries of a group that follow a retried entry in
// the call are retried after it too, even those the service took: the
// service drops the repeats by their deduplication ids, so order holds. An
// answer that names an id not sent, or one twice, is not trusted: Outcome
// returns an error, and the whole call is retried.
func (a Answer) Outcome() (batch.Outcome, error) {
	var buf [MaxEntries]uint8
	state := buf[:a.N]
	index := func(id string) (int, error) {
		i, err := strconv.Atoi(id)
		if err != nil || i < 0 || i >= a.N || IDs[i] != id {
			return 0, batch.MaybeWritten(fmt.Errorf("the answer names an entry id %q that was not sent", id))
		}
		if state[i] != unseen {
			return 0, batch.MaybeWritten(fmt.Errorf("the answer names entry id %q twice", id))
		}
		return i, nil
	}
	var takenAs [MaxEntries]int // where in Successful each entry taken is
	for k, id := range a.Successful {
		i, err := index(id)
		if err != nil {
			return batch.Outcome{}, err
		}
		state[i], takenAs[i] = taken, k
	}
	var o batch.Outcome
	for _, f := range a.Failed {
		i, err := index(f.ID)
		if err != nil {
			return batch.Outcome{}, err
		}
		e := batch.ItemError{Index: i, Err: a.Service.EntryError(f.Code, f.Message, f.SenderFault)}
		if throttled := a.Service.Throttle(f.Code); throttled || !f.SenderFault {
			state[i] = retried
			o.Throttled = o.Throttled || throttled
			o.Retried = append(o.Retried, e)
		} else {
			state[i] = refused
			o.Failed = append(o.Failed, e)
		}
	}
	var held map[string]bool // groups with an entry retried
	for i, s := range state {
		if a.Group != nil && s != refused {
			if g := a.Group(i); held[g] && s == taken {
				s = unseen
			} else if s != taken {
				if held == nil {
					held = make(map[string]bool)
				}
				held[g] = true
			}
		}
		switch {
		case state[i] == unseen:
			// Not mentioned: the service may have taken it all the same.
			o.Retried = append(o.Retried, batch.ItemError{Index: i, Err: ErrUnmentioned})
		case s == unseen:
			o.Retry = append(o.Retry, i) // taken, held behind its group
		case s == taken && a.Unconfirmed != nil:
			if err := a.Unconfirmed(i, takenAs[i]); err != nil {
				o.Failed = append(o.Failed, batch.ItemError{Index: i, Err: batch.MaybeWritten(err)})
			}
		}
	}
	return o, nil
}
