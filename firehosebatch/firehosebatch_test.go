package firehosebatch_test

import (
	"context"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.uber.org/goleak"

	"github.com/batchutils/batchutils/firehosebatch"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quick retries a few times, 1ms apart.
func quick(n uint64) func() backoff.BackOff {
	return func() backoff.BackOff {
		return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Millisecond), n)
	}
}

// newDispatcher returns a Dispatcher, closed when the test ends, that
// retries 20 times 1ms apart unless cfg says otherwise.
func newDispatcher[T any](t *testing.T, client firehosebatch.Client, cfg firehosebatch.Config) *firehosebatch.Dispatcher[T] {
	t.Helper()
	if cfg.DeliveryStream == "" {
		cfg.DeliveryStream = "s"
	}
	if cfg.Batch.BackOff == nil {
		cfg.Batch.BackOff = quick(20)
	}
	d, err := firehosebatch.New[T](client, cfg)
	if err != nil {
		t.Fatalf("firehosebatch.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d.Close(ctx)
	})
	return d
}
