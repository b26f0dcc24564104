package testutil

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// FakeSNS is an in-memory SNS with PublishBatch only, for unit tests and
// examples: it enforces SNS's rules on a call (1 to 10 entries with
// distinct ids, at most 256 KiB of bodies and attributes in all, a known
// topic) and on each entry (a body; on a FIFO topic a group id, and a
// deduplication id unless the topic deduplicates by content; on a standard
// topic no deduplication id), stores the messages in the order it takes
// them, drops FIFO repeats by deduplication id, and records every call. On a
// FIFO topic, an entry that fails through no fault of the sender stops its
// group for the rest of the call, as FakeSQS does. Its methods are safe for
// concurrent use.
type FakeSNS struct {
	// FailCall, if set, is called with each call's number (from 1) before
	// the fake applies it; a non-nil error is returned instead, and nothing
	// is stored.
	FailCall func(call int, in *sns.PublishBatchInput) error
	// FailEntry, if set, is called for each entry of a call the fake
	// applies, in order; a non-nil answer fails the entry (its Id is set by
	// the fake) and the message is not stored.
	FailEntry func(call int, e types.PublishBatchRequestEntry) *types.BatchResultErrorEntry

	mu     sync.Mutex
	topics map[string]*fakeTopic
	calls  int
	sizes  []int
}

type fakeTopic struct {
	fifo, cbd bool
	msgs      []FakeSNSMessage
	dedup     map[string]bool
}

// FakeSNSMessage is a message a FakeSNS stored.
type FakeSNSMessage struct {
	Body, Subject            string
	Attributes               map[string]types.MessageAttributeValue
	GroupID, DeduplicationID string
}

// NewFakeSNS returns a FakeSNS without topics.
func NewFakeSNS() *FakeSNS {
	return &FakeSNS{topics: make(map[string]*fakeTopic)}
}

// CreateTopic adds a topic named name (a FIFO topic if it ends in ".fifo")
// and returns its ARN. cbd turns on content-based deduplication.
func (f *FakeSNS) CreateTopic(name string, cbd bool) string {
	arn := "arn:aws:sns:us-east-1:123456789012:" + name
	f.mu.Lock()
	defer f.mu.Unlock()
	f.topics[arn] = &fakeTopic{fifo: strings.HasSuffix(name, ".fifo"), cbd: cbd, dedup: map[string]bool{}}
	return arn
}

// Messages returns the messages published to the topic arn, in order.
func (f *FakeSNS) Messages(arn string) []FakeSNSMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t := f.topics[arn]; t != nil {
		return append([]FakeSNSMessage(nil), t.msgs...)
	}
	return nil
}

// Calls returns the number of entries of each PublishBatch call so far.
func (f *FakeSNS) Calls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.sizes...)
}

// PublishBatch applies the call as SNS would.
func (f *FakeSNS) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.sizes = append(f.sizes, len(in.PublishBatchRequestEntries))
	f.mu.Unlock()
	if f.FailCall != nil {
		if err := f.FailCall(call, in); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.topics[aws.ToString(in.TopicArn)]
	entries := in.PublishBatchRequestEntries
	switch {
	case t == nil:
		return nil, &types.NotFoundException{Message: aws.String("Topic does not exist")}
	case len(entries) == 0:
		return nil, &types.EmptyBatchRequestException{Message: aws.String("no entries")}
	case len(entries) > 10:
		return nil, &types.TooManyEntriesInBatchRequestException{Message: aws.String(fmt.Sprint(len(entries), " entries"))}
	}
	ids := map[string]bool{}
	total := 0
	for _, e := range entries {
		if id := aws.ToString(e.Id); ids[id] || id == "" {
			return nil, &types.BatchEntryIdsNotDistinctException{Message: aws.String("Id " + id)}
		}
		ids[aws.ToString(e.Id)] = true
		total += len(aws.ToString(e.Message))
		for name, a := range e.MessageAttributes {
			total += len(name) + len(aws.ToString(a.DataType)) + len(aws.ToString(a.StringValue)) + len(a.BinaryValue)
		}
	}
	if total > 256<<10 {
		return nil, &types.BatchRequestTooLongException{Message: aws.String(fmt.Sprint(total, " bytes"))}
	}
	out := &sns.PublishBatchOutput{}
	stopped := map[string]bool{}
	for _, e := range entries {
		m := FakeSNSMessage{Body: aws.ToString(e.Message), Subject: aws.ToString(e.Subject), Attributes: e.MessageAttributes,
			GroupID: aws.ToString(e.MessageGroupId), DeduplicationID: aws.ToString(e.MessageDeduplicationId)}
		fail := func(sender bool, code, msg string) {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, SenderFault: sender, Code: aws.String(code), Message: aws.String(msg)})
			if t.fifo && !sender {
				stopped[m.GroupID] = true
			}
		}
		switch {
		case t.fifo && stopped[m.GroupID]:
			fail(false, "InternalError", "an earlier message of the group failed in this call")
			continue
		case f.FailEntry != nil:
			if fe := f.FailEntry(call, e); fe != nil {
				fail(fe.SenderFault && aws.ToString(fe.Code) != "Throttled", aws.ToString(fe.Code), aws.ToString(fe.Message))
				out.Failed[len(out.Failed)-1].SenderFault = fe.SenderFault
				continue
			}
		}
		switch {
		case m.Body == "":
			fail(true, "InvalidParameter", "Empty message")
			continue
		case t.fifo && m.GroupID == "":
			fail(true, "InvalidParameter", "The MessageGroupId parameter is required for FIFO topics")
			continue
		case t.fifo && m.DeduplicationID == "" && !t.cbd:
			fail(true, "InvalidParameter", "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			continue
		case !t.fifo && m.DeduplicationID != "":
			fail(true, "InvalidParameter", "MessageDeduplicationId is not valid for this topic type")
			continue
		}
		out.Successful = append(out.Successful, types.PublishBatchResultEntry{Id: e.Id, MessageId: aws.String(fmt.Sprintf("fake-%d-%d", call, len(t.msgs)))})
		if t.fifo {
			key := m.DeduplicationID
			if key == "" {
				key = fmt.Sprintf("%x", sha256.Sum256([]byte(m.Body)))
			}
			if t.dedup[key] {
				continue
			}
			t.dedup[key] = true
		}
		t.msgs = append(t.msgs, m)
	}
	return out, nil
}
