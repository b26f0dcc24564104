package awscall

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batchutils/batchutils/batch"
)

// Gate holds the calls of one dispatcher that are on the wire to
// Config.MaxInFlight at a time, while the dispatcher runs one Write more
// (batch.Limits.Ahead): that Write builds, serializes and signs its request
// while the calls before it are under way, and waits at the gate, in the
// HTTP client, for one of them to end. With one call in flight, the next
// request is ready to go when the answer of the last one comes, where a
// loop that builds each request after the last answer leaves the
// connection idle meanwhile.
//
// The gate works through the SDK's own clients only, which run the options
// that Install puts in a request; a Client that is not the SDK's (a test
// double, or a wrapper) may ignore them, and its calls are held by the
// dispatcher alone (NewGate).
type Gate struct {
	turns chan struct{}
}

// maxGateWait bounds the wait of a signed request for its turn. A SigV4
// signature expires five minutes after it was made; a request that waited
// longer than this, once its turn comes, goes back to the dispatcher
// unsent, to be retried (and signed again), rather than be refused by the
// service.
var maxGateWait = time.Minute // a variable for the tests

// errTurnTimeout is the error of a request that waited maxGateWait at the
// gate: it was not sent, and is retried.
var errTurnTimeout = errors.New("awscall: the request was not sent: no call in flight ended in time")

// NewGate returns the gate of a backend whose client is client and whose
// dispatcher runs maxInFlight calls at once (0: batch.DefaultMaxInFlight):
// nil unless client is the SDK's own client, of type SDK
// (*dynamodb.Client, ...).
func NewGate[SDK any](client any, maxInFlight int) *Gate {
	if _, sdk := client.(SDK); !sdk {
		return nil
	}
	if maxInFlight == 0 {
		maxInFlight = batch.DefaultMaxInFlight
	}
	// A negative MaxInFlight is refused by batch.NewFront; the gate must
	// not panic before that.
	return &Gate{turns: make(chan struct{}, max(maxInFlight, 1))}
}

// Ahead is the batch.Limits.Ahead of a backend that sends through g: 1, or
// 0 for a nil g.
func (g *Gate) Ahead() int {
	if g == nil {
		return 0
	}
	return 1
}

// enter waits for a turn to send, until ctx ends. A request refused at the
// gate was not sent (Classify says so): one whose context ended, and one
// that waited longer than maxGateWait, whose turn goes to the next.
func (g *Gate) enter(ctx context.Context) error {
	select {
	case g.turns <- struct{}{}:
		return nil
	default:
	}
	start := time.Now()
	select {
	case g.turns <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("awscall: the request was not sent: %w", context.Cause(ctx))
	}
	if time.Since(start) > maxGateWait {
		g.leave()
		return errTurnTimeout
	}
	return nil
}

// leave ends a turn.
func (g *Gate) leave() { <-g.turns }

// Gated makes the requests of c wait for their turn at g (nil: no gate),
// and returns c.
func (c *Call) Gated(g *Gate) *Call {
	c.gate = g
	return c
}
