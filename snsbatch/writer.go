package snsbatch

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/internal/idbatch"
	"github.com/batchutils/batchutils/internal/msgattr"
)

// writer is the batch.Backend of a Dispatcher: it makes messages of the
// caller's items and publishes them with PublishBatch.
type writer[T any] struct {
	client   Client
	topic    string
	fifo     bool
	cbd      bool // content-based deduplication
	maxBytes int
	gate     *awscall.Gate
}

// Limits returns PublishBatch's limits: 10 entries, each message and the
// call at most Config.MaxMessageBytes. On a FIFO topic, a call publishes its
// entries in order.
func (w *writer[T]) Limits() batch.Limits {
	return batch.Limits{MaxItems: MaxBatchItems, MaxItemBytes: w.maxBytes, MaxBatchBytes: w.maxBytes, InOrder: w.fifo, Ahead: w.gate.Ahead()}
}

// Name names the package in the errors of Config.Batch.
func (w *writer[T]) Name() string { return "snsbatch" }

// MetricLabels names the backend and the topic in the metrics.
func (w *writer[T]) MetricLabels() (backend, target string) { return "sns", w.topic }

// Encode makes item's message, all but the Id that Write sets, checks it
// and measures it as SNS does. Its key is the message group on a FIFO topic.
func (w *writer[T]) Encode(item T) (batch.Entry[types.PublishBatchRequestEntry], error) {
	var e batch.Entry[types.PublishBatchRequestEntry]
	m, err := toMessage(item)
	if err != nil {
		return e, err
	}
	if e.Size, err = w.check(&m); err != nil {
		return e, err
	}
	// The entry points into m, the one allocation of Encode's own.
	e.Value = types.PublishBatchRequestEntry{Message: &m.Body, MessageAttributes: m.Attributes,
		Subject: nonEmpty(&m.Subject), MessageGroupId: nonEmpty(&m.GroupID), MessageDeduplicationId: nonEmpty(&m.DeduplicationID)}
	if w.fifo {
		e.Key = m.GroupID
	}
	return e, nil
}

// nonEmpty returns s, or nil if *s is "". It takes a pointer, not a string:
// the address of a parameter would cost an allocation on every call.
func nonEmpty(s *string) *string {
	if *s == "" {
		return nil
	}
	return s
}

// toMessage converts an item to the Message it stands for.
func toMessage[T any](item T) (Message, error) {
	switch v := any(item).(type) {
	case Message:
		return v, nil
	case *Message:
		if v == nil {
			return Message{}, fmt.Errorf("%w: nil *Message", ErrInvalidMessage)
		}
		return *v, nil
	case string:
		return Message{Body: v}, nil
	case []byte:
		return Message{Body: string(v)}, nil
	}
	v := any(item)
	body, err := awscall.Payload[string](v)
	if err != nil {
		return Message{}, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	m := Message{Body: body}
	m.GroupID, m.DeduplicationID = msgattr.IDsOf(v)
	if a, ok := v.(Attributer); ok {
		m.Attributes = a.MessageAttributes()
	}
	return m, nil
}

// check validates m as SNS would for this topic and returns its size: the
// body plus every attribute's name, data type and value.
func (w *writer[T]) check(m *Message) (int, error) {
	switch n := utf8.RuneCountInString(m.Subject); {
	case m.Body == "" || !utf8.ValidString(m.Body):
		return 0, fmt.Errorf("%w: the body is empty or not UTF-8", ErrInvalidMessage)
	case n > MaxSubjectLength || !utf8.ValidString(m.Subject) || strings.IndexFunc(m.Subject, unicode.IsControl) >= 0:
		return 0, fmt.Errorf("%w: the subject %q is not UTF-8, holds a control character, or is over %d characters", ErrInvalidMessage, m.Subject, MaxSubjectLength)
	}
	n, err := msgattr.Check(m.Attributes, func(a types.MessageAttributeValue) msgattr.Value {
		return msgattr.Value{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
	}, ErrInvalidAttribute)
	if err != nil {
		return 0, err
	}
	if size := len(m.Body) + n; size > w.maxBytes {
		return 0, fmt.Errorf("%w: %d bytes by SNS's count (body and attributes), the most is %d", batch.ErrItemTooLarge, size, w.maxBytes)
	}
	if err := msgattr.CheckIDs(w.fifo, w.cbd, m.GroupID, m.DeduplicationID, ErrInvalidGroupID, ErrInvalidDeduplicationID); err != nil {
		return 0, err
	}
	return len(m.Body) + n, nil
}

// Write publishes one PublishBatch call and maps SNS's answer to an
// Outcome as idbatch does: an entry Failed with SenderFault is refused on
// its own, one Failed otherwise or throttled is retried, and so is one SNS
// did not mention; on a FIFO topic, a group's entries after a retried one
// are retried after it. An error of the whole call is classified.
func (w *writer[T]) Write(ctx context.Context, entries []types.PublishBatchRequestEntry) (batch.Outcome, error) {
	for i := range entries {
		entries[i].Id = &idbatch.IDs[i] // entries is the call's own copy
	}
	call := awscall.SNS.NewCall().Gated(w.gate)
	out, err := w.client.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: &w.topic, PublishBatchRequestEntries: entries}, func(o *sns.Options) {
		awscall.Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
	})
	if err != nil {
		return batch.Outcome{}, call.Classify(ctx, err)
	}
	a := idbatch.Read(len(entries), out.Successful, out.Failed, func(s types.PublishBatchResultEntry) *string { return s.Id },
		func(f types.BatchResultErrorEntry) idbatch.Failure {
			return idbatch.Failure{ID: aws.ToString(f.Id), Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault}
		})
	a.Service = awscall.SNS
	if w.fifo {
		a.Group = func(i int) string { return aws.ToString(entries[i].MessageGroupId) }
	}
	o, err := a.Outcome()
	if err != nil {
		return o, fmt.Errorf("snsbatch: %w", err)
	}
	return o, nil
}
