package cloudwatchbatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/batchutils/batchutils/batch"
)

// Client is the part of *cloudwatch.Client that the dispatcher uses. Any
// wrapper or test double with this method plugs in.
type Client interface {
	PutMetricData(ctx context.Context, params *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

var _ Client = (*cloudwatch.Client)(nil)

// CloudWatch's limits on PutMetricData, as its API reference states them
// (PutMetricData, MetricDatum, Dimension). None of them can be raised.
const (
	// MaxBatchItems is the most data in one PutMetricData call.
	MaxBatchItems = 1000
	// MaxBatchBytes is the most bytes of one request (1 MB). A datum is
	// measured as the longest encoding any protocol of the SDK gives it.
	MaxBatchBytes = 1_000_000
	// MaxDimensions is the most dimensions of one datum.
	MaxDimensions = 30
	// MaxValues is the most entries of a datum's Values (and Counts).
	MaxValues = 150
	// MaxPast and MaxFuture bound a Timestamp, from the time of Put.
	MaxPast, MaxFuture = 14 * 24 * time.Hour, 2 * time.Hour
)

// Config says where and how a Dispatcher puts metric data.
type Config struct {
	// Namespace is the namespace of every datum: 1 to 255 ASCII
	// characters, no control character, not starting with ":" or "AWS/"
	// (the services' own). Required.
	Namespace string
	// Batch tunes the batching core: batch size (at most 1,000), timed
	// flush, concurrency, buffer, retries, logging, metrics.
	Batch batch.Config
}

// Errors of Put, besides batch.ErrItemTooLarge and batch.ErrClosed, that
// callers branch on with errors.Is. Each matches ErrInvalidDatum too.
var (
	// ErrInvalidDatum is matched by every error for a datum that
	// CloudWatch would refuse.
	ErrInvalidDatum = errors.New("cloudwatchbatch: invalid datum")
	// ErrInvalidMetricName: no MetricName, or one over 255 characters.
	ErrInvalidMetricName = fmt.Errorf("%w: metric name", ErrInvalidDatum)
	// ErrInvalidDimension: over MaxDimensions, or a name (1 to 255, no
	// leading ":") or value (1 to 1,024) not printable ASCII, or blank.
	ErrInvalidDimension = fmt.Errorf("%w: dimension", ErrInvalidDatum)
	// ErrInvalidValue: not exactly one of Value, Values and
	// StatisticValues; Counts not as long as Values; over MaxValues values;
	// an incomplete StatisticValues; NaN, ±Inf or beyond ±2^360.
	ErrInvalidValue = fmt.Errorf("%w: value", ErrInvalidDatum)
	// ErrInvalidUnit: a Unit not among types.StandardUnit's values.
	ErrInvalidUnit = fmt.Errorf("%w: unit", ErrInvalidDatum)
	// ErrInvalidStorageResolution: a StorageResolution other than 1 or 60.
	ErrInvalidStorageResolution = fmt.Errorf("%w: storage resolution", ErrInvalidDatum)
	// ErrInvalidTimestamp: over MaxPast before Put or MaxFuture after.
	ErrInvalidTimestamp = fmt.Errorf("%w: timestamp", ErrInvalidDatum)
)

// Dispatcher puts metric data into one namespace in PutMetricData calls.
// All its methods are safe for concurrent use. Do not modify a datum (or
// its slices) after passing it to Put. Data have no key: none is ever
// de-duplicated or held back.
type Dispatcher struct {
	// Front gives Flush, Close, Stats, and Submit and SubmitWait, which
	// are Put and PutWait.
	*batch.Front[types.MetricDatum, types.MetricDatum]
}

// New returns a Dispatcher that puts data through client as cfg says. It
// validates cfg once and returns a clear error for a bad one.
func New(client Client, cfg Config) (*Dispatcher, error) {
	switch ns := cfg.Namespace; {
	case client == nil:
		return nil, errors.New("cloudwatchbatch: New needs a Client, got nil")
	case ns == "" || len(ns) > 255 || !printableASCII(ns) || ns[0] == ':' || strings.HasPrefix(ns, "AWS/"):
		return nil, fmt.Errorf("cloudwatchbatch: Config.Namespace %q is not 1 to 255 printable ASCII characters starting with neither \":\" nor \"AWS/\"", ns)
	}
	f, err := batch.NewFront(newWriter(client, cfg.Namespace, cfg.Batch.MaxInFlight), cfg.Batch)
	if err != nil {
		return nil, err
	}
	return &Dispatcher{f}, nil
}

// Put queues m to be put into the namespace. It returns once the datum is
// buffered: Flush and Close report the outcome. A datum without a Timestamp
// gets the time of Put. Errors match ErrInvalidDatum (and a more precise
// sentinel), batch.ErrItemTooLarge or batch.ErrClosed; if the buffer is full
// and ctx ends first, ctx's error.
func (d *Dispatcher) Put(ctx context.Context, m types.MetricDatum) error {
	return d.Submit(ctx, m)
}

// PutWait queues m like Put and waits for its own outcome: nil once
// CloudWatch took it, or its cause (the AWS error of the call that refused
// it), which Flush and Close then do not report again. The datum goes as soon
// as a call can be made, with whatever other callers have pending. If ctx
// ends first, PutWait returns ctx's error, and the datum is still written (or
// reported by Flush).
func (d *Dispatcher) PutWait(ctx context.Context, m types.MetricDatum) error {
	return d.SubmitWait(ctx, m)
}
