package sqsbatch

import (
	"crypto/md5"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"
)

// unconfirmed refuses exactly the entries whose MD5 does not match, skips
// what it cannot check as the SDK does, and allocates nothing when the MD5
// matches. (An answer's ids are idbatch's to map to entries.)
func TestUnconfirmed(t *testing.T) {
	entries := make([]types.SendMessageBatchRequestEntry, MaxBatchItems)
	taken := make([]types.SendMessageBatchResultEntry, MaxBatchItems)
	for i := range entries {
		body := strings.Repeat("b", 100*i+1)
		entries[i].MessageBody = aws.String(body)
		taken[i] = types.SendMessageBatchResultEntry{Id: aws.String(strconv.Itoa(i)), MessageId: aws.String("m" + strconv.Itoa(i)),
			MD5OfMessageBody: aws.String(fmt.Sprintf("%x", md5.Sum([]byte(body))))}
	}
	if allocs := testing.AllocsPerRun(100, func() {
		for i := range entries {
			unconfirmed(&entries[i], &taken[i])
		}
	}); allocs != 0 {
		t.Errorf("%v allocations when every MD5 matches, want 0", allocs)
	}
	for i := range entries {
		if err := unconfirmed(&entries[i], &taken[i]); err != nil {
			t.Fatalf("entry %d: %v when every MD5 matches", i, err)
		}
	}
	taken[2].MD5OfMessageBody = aws.String(strings.ToUpper(*taken[2].MD5OfMessageBody)) // hex in either case
	taken[3].MD5OfMessageBody = taken[4].MD5OfMessageBody                               // another body's
	taken[5].MD5OfMessageBody = aws.String("not a sum")
	taken[6].MD5OfMessageBody = nil // not checked
	entries[8].MessageBody = nil    // not checked
	taken[9].MD5OfMessageBody = aws.String("")
	var bad []int
	for i := range entries {
		if err := unconfirmed(&entries[i], &taken[i]); err != nil {
			bad = append(bad, i)
			if !errors.Is(err, ErrChecksum) {
				t.Errorf("entry %d: %v, want ErrChecksum", i, err)
			}
		}
	}
	if diff := cmp.Diff([]int{3, 5, 9}, bad); diff != "" {
		t.Errorf("entries not confirmed mismatch (-want +got):\n%s", diff)
	}
}
