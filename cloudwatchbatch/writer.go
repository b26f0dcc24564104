package cloudwatchbatch

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
)

// writer is the batch.Backend of a Dispatcher: it checks and measures each
// datum and writes them with PutMetricData.
type writer struct {
	client    Client
	namespace string
	limits    batch.Limits
	gate      *awscall.Gate
}

func newWriter(client Client, namespace string, maxInFlight int) *writer {
	// What a request holds besides its data: Action, Version, Namespace.
	room := MaxBatchBytes - len("Action=PutMetricData&Version=2010-08-01&Namespace=") - escapedLen(namespace)
	gate := awscall.NewGate[*cloudwatch.Client](client, maxInFlight)
	return &writer{client: client, namespace: namespace, gate: gate,
		limits: batch.Limits{MaxItems: MaxBatchItems, MaxItemBytes: room, MaxBatchBytes: room, Ahead: gate.Ahead()}}
}

// Limits returns PutMetricData's limits: 1,000 data and 1 MB a call.
func (w *writer) Limits() batch.Limits { return w.limits }

// Name names the package in the errors of Config.Batch.
func (w *writer) Name() string { return "cloudwatchbatch" }

// MetricLabels names the backend and the namespace in the metrics.
func (w *writer) MetricLabels() (backend, target string) { return "cloudwatch", w.namespace }

// Encode checks m as CloudWatch would, gives it the time of Put if it has no
// Timestamp, and measures it.
func (w *writer) Encode(m types.MetricDatum) (batch.Entry[types.MetricDatum], error) {
	now := time.Now()
	if m.Timestamp == nil {
		m.Timestamp = aws.Time(now)
	}
	if err := check(&m, now); err != nil {
		return batch.Entry[types.MetricDatum]{}, err
	}
	e := batch.Entry[types.MetricDatum]{Value: m, Size: size(&m)}
	if e.Size > w.limits.MaxItemBytes {
		return e, fmt.Errorf("%w: the datum takes %d bytes of a request, the most is %d",
			batch.ErrItemTooLarge, e.Size, w.limits.MaxItemBytes)
	}
	return e, nil
}

// Write sends one PutMetricData call. CloudWatch takes or refuses a call as
// a whole: internal/awscall classifies its error, and a refusal for what some
// datum holds (batch.Permanent) makes the core split the batch to isolate it.
func (w *writer) Write(ctx context.Context, data []types.MetricDatum) (batch.Outcome, error) {
	in := &cloudwatch.PutMetricDataInput{Namespace: aws.String(w.namespace), MetricData: data}
	call := awscall.CloudWatch.NewCall().Gated(w.gate)
	_, err := w.client.PutMetricData(ctx, in, func(o *cloudwatch.Options) {
		awscall.Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
	})
	return batch.Outcome{}, call.Classify(ctx, err)
}

// check returns why CloudWatch would refuse m, or nil.
func check(m *types.MetricDatum, now time.Time) error {
	if n := aws.ToString(m.MetricName); n == "" || utf8.RuneCountInString(n) > 255 || !utf8.ValidString(n) {
		return fmt.Errorf("%w: %q is not 1 to 255 characters of UTF-8", ErrInvalidMetricName, n)
	}
	if len(m.Dimensions) > MaxDimensions {
		return fmt.Errorf("%w: %d dimensions, the most is %d", ErrInvalidDimension, len(m.Dimensions), MaxDimensions)
	}
	for i, d := range m.Dimensions {
		n, v := aws.ToString(d.Name), aws.ToString(d.Value)
		if !dimensionText(n, 255) || n[0] == ':' || !dimensionText(v, 1024) {
			return fmt.Errorf("%w: Dimensions[%d] %q=%q", ErrInvalidDimension, i, n, v)
		}
	}
	s := m.StatisticValues
	set := len(slices.DeleteFunc([]bool{m.Value != nil, len(m.Values) > 0, s != nil}, func(b bool) bool { return !b }))
	switch {
	case set != 1:
		return fmt.Errorf("%w: %d of Value, Values and StatisticValues are set, want 1", ErrInvalidValue, set)
	case len(m.Values) > MaxValues || len(m.Counts) > 0 && len(m.Counts) != len(m.Values):
		return fmt.Errorf("%w: %d Values and %d Counts, want at most %d and as many Counts or none",
			ErrInvalidValue, len(m.Values), len(m.Counts), MaxValues)
	case s != nil && (s.SampleCount == nil || s.Sum == nil || s.Minimum == nil || s.Maximum == nil):
		return fmt.Errorf("%w: StatisticValues needs SampleCount, Sum, Minimum and Maximum", ErrInvalidValue)
	}
	bad, badValue := false, 0.0
	numbers(m, func(v float64) {
		if !bad && (math.IsNaN(v) || math.Abs(v) > maxMagnitude) {
			bad, badValue = true, v
		}
	})
	if bad {
		return fmt.Errorf("%w: %v is not a number from -2^360 to 2^360", ErrInvalidValue, badValue)
	}
	switch t, r := *m.Timestamp, m.StorageResolution; {
	case m.Unit != "" && !slices.Contains(m.Unit.Values(), m.Unit):
		return fmt.Errorf("%w: %q", ErrInvalidUnit, m.Unit)
	case r != nil && *r != 1 && *r != 60:
		return fmt.Errorf("%w: %d, want 1 or 60", ErrInvalidStorageResolution, *r)
	case t.Before(now.Add(-MaxPast)) || t.After(now.Add(MaxFuture)):
		return fmt.Errorf("%w: %v is not from two weeks before to two hours after %v", ErrInvalidTimestamp, t, now)
	}
	return nil
}

// numbers calls fn with each number of m, without gathering them into a
// slice: its Value, Values, Counts and the four of its StatisticValues (all
// set: check has checked them).
func numbers(m *types.MetricDatum, fn func(float64)) {
	if m.Value != nil {
		fn(*m.Value)
	}
	for _, v := range m.Values {
		fn(v)
	}
	for _, v := range m.Counts {
		fn(v)
	}
	if s := m.StatisticValues; s != nil {
		fn(*s.SampleCount)
		fn(*s.Sum)
		fn(*s.Minimum)
		fn(*s.Maximum)
	}
}

// maxMagnitude is 2^360, the largest magnitude CloudWatch takes.
var maxMagnitude = math.Ldexp(1, 360)

// dimensionText reports whether s is 1 to max printable ASCII characters,
// not all blank, as a dimension's name or value must be.
func dimensionText(s string, max int) bool {
	return s != "" && len(s) <= max && printableASCII(s) && strings.TrimSpace(s) != ""
}

func printableASCII(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e })
}

// size returns the most bytes m takes in a request: its fields as the query
// protocol sends them, with the longest member indexes, each string as
// escapedLen counts it. The JSON and CBOR protocols (CBOR is the SDK's
// default) send less.
func size(m *types.MetricDatum) int {
	n := 0
	field := func(key string, value int) { n += len("&MetricData.member.1000.=") + len(key) + value }
	field("MetricName", escapedLen(*m.MetricName))
	for _, d := range m.Dimensions {
		field("Dimensions.member.30.Value", escapedLen(*d.Name)+escapedLen(*d.Value))
		field("Dimensions.member.30.Name", 0)
	}
	var buf [32]byte
	numbers(m, func(v float64) { // as the query protocol writes them: every digit
		field("StatisticValues.SampleCount", len(strconv.AppendFloat(buf[:0], v, 'f', -1, 64)))
	})
	field("Timestamp", len("2006-01-02T15%3A04%3A05.999Z"))
	field("Unit", escapedLen(string(m.Unit)))
	field("StorageResolution", len("60"))
	return n
}

// escapedLen is the most bytes s takes escaped by any protocol: 1 for an
// unreserved byte or a space, 6 for a control character or <>& (JSON's \u
// escape), 3 for any other (query's %XX).
func escapedLen(s string) int {
	n := 0
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-_.~ ", c) >= 0:
			n++
		case c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&':
			n += 6
		default:
			n += 3
		}
	}
	return n
}
