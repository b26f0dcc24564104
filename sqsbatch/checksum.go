package sqsbatch

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
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

// unconfirmed returns why entry e, which SQS took with the answer r, is not
// confirmed: ErrChecksum if the MD5 in r is not that of e's body. An entry
// without a body, or an answer without an MD5, is not checked, as the SDK
// does not check them.
func unconfirmed(e *types.SendMessageBatchRequestEntry, r *types.SendMessageBatchResultEntry) error {
	if e.MessageBody == nil || r.MD5OfMessageBody == nil {
		return nil
	}
	body := *e.MessageBody
	sum := md5.Sum(unsafe.Slice(unsafe.StringData(body), len(body))) // read only
	var hexSum [2 * md5.Size]byte
	hex.Encode(hexSum[:], sum[:])
	// SQS writes the sum in lower case, as hex.Encode does: compare the
	// bytes first, and fold case only when they differ.
	if got := *r.MD5OfMessageBody; string(hexSum[:]) == got || strings.EqualFold(string(hexSum[:]), got) {
		return nil
	}
	return fmt.Errorf("%w: message %s: SQS's MD5 is %s, the body sent has %s", ErrChecksum, aws.ToString(r.MessageId), *r.MD5OfMessageBody, string(hexSum[:]))
}
