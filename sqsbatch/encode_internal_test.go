package sqsbatch

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestEncodeEntry wants Encode's entry to carry the message's body, ids
// and delay, ids only when set, in one allocation per message: the
// strings' headers, not the whole Message.
func TestEncodeEntry(t *testing.T) {
	tests := []struct {
		name string
		w    *writer[Message]
		msg  Message
		want types.SendMessageBatchRequestEntry
	}{
		{"standard", &writer[Message]{maxBytes: MaxMessageBytes}, Message{Body: "b", Delay: 3 * time.Second},
			types.SendMessageBatchRequestEntry{MessageBody: aws.String("b"), DelaySeconds: 3}},
		{"fifo", &writer[Message]{maxBytes: MaxMessageBytes, fifo: true}, Message{Body: "b", GroupID: "g", DeduplicationID: "d"},
			types.SendMessageBatchRequestEntry{MessageBody: aws.String("b"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d")}},
		{"fifo content-based", &writer[Message]{maxBytes: MaxMessageBytes, fifo: true, cbd: true}, Message{Body: "b", GroupID: "g"},
			types.SendMessageBatchRequestEntry{MessageBody: aws.String("b"), MessageGroupId: aws.String("g")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.w.Encode(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, m.Value, cmpopts.IgnoreUnexported(types.SendMessageBatchRequestEntry{})); diff != "" {
				t.Errorf("entry mismatch (-want +got):\n%s", diff)
			}
			allocs := testing.AllocsPerRun(100, func() { _, _ = tc.w.Encode(tc.msg) })
			if allocs != 1 {
				t.Errorf("%v allocations per Encode, want 1", allocs)
			}
		})
	}
}
