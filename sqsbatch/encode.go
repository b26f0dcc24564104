package sqsbatch

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/internal/msgattr"
)

// Encode makes item's message, all but the Id that Write sets, and checks
// it. Its key is the message group on a FIFO queue.
func (w *writer[T]) Encode(item T) (batch.Entry[types.SendMessageBatchRequestEntry], error) {
	var m batch.Entry[types.SendMessageBatchRequestEntry]
	msg, err := toMessage(item)
	if err == nil {
		m.Size, err = w.check(&msg)
	}
	if err != nil {
		return m, err
	}
	m.Value = types.SendMessageBatchRequestEntry{
		MessageAttributes: msg.Attributes,
		DelaySeconds:      int32(msg.Delay / time.Second),
	}
	m.Value.MessageBody, m.Value.MessageGroupId, m.Value.MessageDeduplicationId = entryStrings(&msg)
	if w.fifo {
		m.Key = msg.GroupID
	}
	return m, nil
}

// entryStrings returns pointers to copies of msg's body and, when they are
// set, of its group and deduplication ids (nil when not), for the entry of
// msg: one allocation of the strings' headers, their bytes shared. Pointers
// into msg itself would move all of msg to the heap, once per message.
func entryStrings(msg *Message) (body, group, dedup *string) {
	if msg.GroupID == "" && msg.DeduplicationID == "" {
		b := msg.Body
		return &b, nil, nil
	}
	s := &[3]string{msg.Body, msg.GroupID, msg.DeduplicationID}
	body = &s[0]
	if msg.GroupID != "" {
		group = &s[1]
	}
	if msg.DeduplicationID != "" {
		dedup = &s[2]
	}
	return body, group, dedup
}

// toMessage converts an item to the Message it stands for: a Message as it
// is, else the body awscall.Payload makes of it (a string or []byte as it
// is, anything else as JSON; a nil pointer is refused), with the ids and
// attributes its methods give.
func toMessage[T any](item T) (Message, error) {
	// A T of Message or string is read through a pointer to item, which
	// does not escape: boxing item would copy it to the heap, once per
	// message. A string has no methods: it is the body and nothing else.
	switch x := any(&item).(type) {
	case *Message:
		return *x, nil
	case *string:
		return Message{Body: *x}, nil
	}
	v := any(item) // boxed once
	switch x := v.(type) {
	case Message: // T is an interface type
		return x, nil
	case *Message:
		if x == nil {
			return Message{}, fmt.Errorf("%w: nil *Message", ErrInvalidMessage)
		}
		return *x, nil
	}
	body, err := awscall.Payload[string](v)
	if err != nil {
		return Message{}, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	msg := Message{Body: body}
	msg.GroupID, msg.DeduplicationID = msgattr.IDsOf(v)
	if a, ok := v.(Attributer); ok {
		msg.Attributes = a.MessageAttributes()
	}
	return msg, nil
}

// check validates msg as SQS would for this queue and returns its size as
// SQS counts it: the body plus every attribute's name, data type and value.
func (w *writer[T]) check(msg *Message) (int, error) {
	if msg.Body == "" {
		return 0, fmt.Errorf("%w: the body is empty", ErrInvalidMessage)
	}
	if err := msgattr.CheckText("body", msg.Body, ErrInvalidMessage); err != nil {
		return 0, err
	}
	size := len(msg.Body)
	n, err := msgattr.Check(msg.Attributes, func(a types.MessageAttributeValue) msgattr.Value {
		return msgattr.Value{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue,
			Lists: len(a.StringListValues) > 0 || len(a.BinaryListValues) > 0}
	}, ErrInvalidAttribute)
	if err != nil {
		return 0, err
	}
	size += n
	if size > w.maxBytes {
		return 0, fmt.Errorf("%w: %d bytes by SQS's count (body and attributes), the most is %d", batch.ErrItemTooLarge, size, w.maxBytes)
	}
	if err := msgattr.CheckIDs(w.fifo, w.cbd, msg.GroupID, msg.DeduplicationID, ErrInvalidGroupID, ErrInvalidDeduplicationID); err != nil {
		return 0, err
	}
	switch {
	case w.fifo && msg.Delay != 0:
		return 0, fmt.Errorf("%w: Delay %v on a FIFO queue, where only the queue has a delay", ErrInvalidMessage, msg.Delay)
	case msg.Delay < 0 || msg.Delay > MaxDelay || msg.Delay%time.Second != 0:
		return 0, fmt.Errorf("%w: Delay %v is not a whole number of seconds from 0 to %v", ErrInvalidMessage, msg.Delay, MaxDelay)
	}
	return size, nil
}
