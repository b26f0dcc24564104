package testutil

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// FakeSQS is an in-memory SQS with SendMessageBatch only, for unit tests
// and examples: it enforces SQS's rules on a call (1 to 10 entries, distinct
// ids of up to 80 of a-z A-Z 0-9 - _, 1 MiB in all, a known queue) and on
// each entry (a body; on a FIFO queue a group id, a deduplication id unless
// the queue deduplicates by content, no delay; on a standard queue no
// deduplication id), stores the messages in the order it takes them, drops
// FIFO repeats by deduplication id, and records every call. On a FIFO queue,
// an entry that fails through no fault of the sender (FailEntry's answer
// without SenderFault, or RequestThrottled) stops its message group for the
// rest of the call: the group's later entries fail with InternalError and
// are not stored, so that the queue never holds a group out of order. Its methods are
// safe for concurrent use.
type FakeSQS struct {
	// FailCall, if set, is called with each call's number (from 1) before
	// the fake applies it; a non-nil error is returned instead, and nothing
	// is stored.
	FailCall func(call int, in *sqs.SendMessageBatchInput) error
	// FailEntry, if set, is called for each entry of a call the fake
	// applies, in order; a non-nil answer fails the entry (its Id is set by
	// the fake) and the message is not stored.
	FailEntry func(call int, e types.SendMessageBatchRequestEntry) *types.BatchResultErrorEntry

	mu     sync.Mutex
	queues map[string]*fakeQueue
	calls  int
	sizes  []int // entries of each call
}

type fakeQueue struct {
	fifo, cbd bool
	msgs      []FakeMessage
	dedup     map[string]bool
}

// FakeMessage is a message a FakeSQS stored.
type FakeMessage struct {
	Body            string
	Attributes      map[string]types.MessageAttributeValue
	GroupID         string
	DeduplicationID string
	DelaySeconds    int32
}

// NewFakeSQS returns a FakeSQS without queues.
func NewFakeSQS() *FakeSQS {
	return &FakeSQS{queues: make(map[string]*fakeQueue)}
}

// CreateQueue adds a queue named name (a FIFO queue if it ends in ".fifo")
// and returns its URL. cbd turns on content-based deduplication.
func (f *FakeSQS) CreateQueue(name string, cbd bool) string {
	url := "https://sqs.us-east-1.amazonaws.com/123456789012/" + name
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queues[url] = &fakeQueue{fifo: len(name) > 5 && name[len(name)-5:] == ".fifo", cbd: cbd, dedup: map[string]bool{}}
	return url
}

// Messages returns the messages stored in the queue at url, in order.
func (f *FakeSQS) Messages(url string) []FakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.queues[url]
	if q == nil {
		return nil
	}
	return append([]FakeMessage(nil), q.msgs...)
}

// Calls returns the number of entries of each SendMessageBatch call so far.
func (f *FakeSQS) Calls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.sizes...)
}

// SendMessageBatch applies the call as SQS would.
func (f *FakeSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.sizes = append(f.sizes, len(in.Entries))
	f.mu.Unlock()
	if f.FailCall != nil {
		if err := f.FailCall(call, in); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.queues[aws.ToString(in.QueueUrl)]
	switch {
	case q == nil:
		return nil, &types.QueueDoesNotExist{Message: aws.String("The specified queue does not exist.")}
	case len(in.Entries) == 0:
		return nil, &types.EmptyBatchRequest{Message: aws.String("no entries")}
	case len(in.Entries) > 10:
		return nil, &types.TooManyEntriesInBatchRequest{Message: aws.String(strconv.Itoa(len(in.Entries)) + " entries")}
	}
	ids := map[string]bool{}
	total := 0
	for _, e := range in.Entries {
		id := aws.ToString(e.Id)
		if ids[id] {
			return nil, &types.BatchEntryIdsNotDistinct{Message: aws.String("Id " + id + " twice")}
		}
		ids[id] = true
		if !validEntryID(id) {
			return nil, &types.InvalidBatchEntryId{Message: aws.String("bad Id " + id)}
		}
		total += len(aws.ToString(e.MessageBody))
		for name, a := range e.MessageAttributes {
			total += len(name) + len(aws.ToString(a.DataType)) + len(aws.ToString(a.StringValue)) + len(a.BinaryValue)
		}
	}
	if total > 1<<20 {
		return nil, &types.BatchRequestTooLong{Message: aws.String(fmt.Sprintf("%d bytes", total))}
	}
	out := &sqs.SendMessageBatchOutput{Successful: []types.SendMessageBatchResultEntry{}, Failed: []types.BatchResultErrorEntry{}}
	stopped := map[string]bool{} // FIFO groups with an entry failed for a retry in this call
	for _, e := range in.Entries {
		if q.fifo && stopped[aws.ToString(e.MessageGroupId)] {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, SenderFault: false, Code: aws.String("InternalError"),
				Message: aws.String("an earlier message of the group failed in this call")})
			continue
		}
		refuse := func(msg string) {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, SenderFault: true, Code: aws.String("InvalidParameterValue"), Message: aws.String(msg)})
		}
		if f.FailEntry != nil {
			if fe := f.FailEntry(call, e); fe != nil {
				fe.Id = e.Id
				out.Failed = append(out.Failed, *fe)
				if !fe.SenderFault || aws.ToString(fe.Code) == "RequestThrottled" {
					stopped[aws.ToString(e.MessageGroupId)] = true
				}
				continue
			}
		}
		body := aws.ToString(e.MessageBody)
		m := FakeMessage{Body: body, Attributes: e.MessageAttributes, GroupID: aws.ToString(e.MessageGroupId),
			DeduplicationID: aws.ToString(e.MessageDeduplicationId), DelaySeconds: e.DelaySeconds}
		switch {
		case body == "":
			refuse("The request must contain the parameter MessageBody.")
			continue
		case q.fifo && m.GroupID == "":
			refuse("The request must contain the parameter MessageGroupId.")
			continue
		case q.fifo && m.DeduplicationID == "" && !q.cbd:
			refuse("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			continue
		case q.fifo && e.DelaySeconds != 0:
			refuse("Value " + strconv.Itoa(int(e.DelaySeconds)) + " for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
			continue
		case !q.fifo && m.DeduplicationID != "":
			refuse("The request include parameter MessageDeduplicationId that is not valid for this queue type")
			continue
		}
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{
			Id: e.Id, MessageId: aws.String(fmt.Sprintf("fake-%d-%d", call, len(q.msgs))), MD5OfMessageBody: aws.String(fmt.Sprintf("%x", md5.Sum([]byte(body)))),
		})
		if q.fifo {
			key := m.DeduplicationID
			if key == "" {
				key = fmt.Sprintf("%x", sha256.Sum256([]byte(body)))
			}
			if q.dedup[key] {
				continue // taken, not stored again
			}
			q.dedup[key] = true
		}
		q.msgs = append(q.msgs, m)
	}
	return out, nil
}

func validEntryID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
