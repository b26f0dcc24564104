package sqsbatch

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// This file checks SQS's answer against what was sent, as the SDK does by
// default but message by message: SQS answers each message it took with
// the MD5 of the body it received.

// checksumsDisabled reports whether client is an SQS client whose options
// turn the MD5 checks off (sqs.Options.DisableMessageChecksumValidation):
// sqsbatch then does not check either.
func checksumsDisabled(client Client) bool {
	c, ok := client.(interface{ Options() sqs.Options })
	return ok && c.Options().DisableMessageChecksumValidation
}

// unconfirmed returns, for idbatch.Answer.Unconfirmed, the error of each
// entry taken whose MD5 in the answer is not that of its body, or nil if
// every MD5 matches. An entry without a body or an MD5 in the answer is not
// checked, as the SDK does not; an id not sent is idbatch's to refuse.
func unconfirmed(entries []types.SendMessageBatchRequestEntry, taken []types.SendMessageBatchResultEntry) func(int) error {
	var errs []error // by index into entries, made at the first mismatch
	for _, r := range taken {
		if r.Id == nil || r.MD5OfMessageBody == nil {
			continue
		}
		i, err := strconv.Atoi(*r.Id)
		if err != nil || i < 0 || i >= len(entries) || entries[i].MessageBody == nil {
			continue
		}
		body := *entries[i].MessageBody
		sum := md5.Sum(unsafe.Slice(unsafe.StringData(body), len(body))) // read only
		var hexSum [2 * md5.Size]byte
		hex.Encode(hexSum[:], sum[:])
		if strings.EqualFold(string(hexSum[:]), *r.MD5OfMessageBody) {
			continue
		}
		if errs == nil {
			errs = make([]error, len(entries))
		}
		errs[i] = fmt.Errorf("%w: message %s: SQS's MD5 is %s, the body sent has %s", ErrChecksum, aws.ToString(r.MessageId), *r.MD5OfMessageBody, string(hexSum[:]))
	}
	if errs == nil {
		return nil
	}
	return func(i int) error { return errs[i] }
}
