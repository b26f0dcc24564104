package sqsbatch_test

import (
	"errors"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/sqsbatch"
	"github.com/batchutils/batchutils/testutil"
)

// numberForm is the decimal grammar of a Number attribute: a sign, digits
// with an optional fraction, an optional exponent.
var numberForm = regexp.MustCompile(`^[+-]?([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?$`)

// FuzzNumberAttribute checks Send's checks of a Number attribute against an
// oracle written independently (regexp, strings, math/big): a value is
// accepted if and only if it is a number of at most 38 significant digits
// and 0 or of a magnitude from 10^-128 to 10^126, and one refused for its
// digits or magnitude is a *NumberError. Seeds are in
// testdata/fuzz/FuzzNumberAttribute.
func FuzzNumberAttribute(f *testing.F) {
	f.Add("0")
	f.Add("-1.5e3")
	f.Add("1e126")
	f.Add("1e-129")
	f.Fuzz(func(t *testing.T, v string) {
		if v == "" || len(v) > 1000 {
			return
		}
		fake := testutil.NewFakeSQS()
		d, err := sqsbatch.New[sqsbatch.Message](fake, sqsbatch.Config{QueueURL: fake.CreateQueue("q", false)})
		if err != nil {
			t.Fatal(err)
		}
		defer closeOK(t, d)
		attr := types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(v)}
		err = d.Send(t.Context(), sqsbatch.Message{Body: "x", Attributes: map[string]types.MessageAttributeValue{"n": attr}})

		number, fits := numberOracle(v)
		var ne *sqsbatch.NumberError
		switch {
		case !number:
			if !errors.Is(err, sqsbatch.ErrInvalidAttribute) || errors.As(err, &ne) {
				t.Fatalf("Send(%q): %v, want ErrInvalidAttribute for a value that is not a number", v, err)
			}
		case !fits:
			if !errors.As(err, &ne) || !errors.Is(err, sqsbatch.ErrInvalidAttribute) {
				t.Fatalf("Send(%q): %v, want a *NumberError", v, err)
			}
		case err != nil:
			t.Fatalf("Send(%q): %v, want nil", v, err)
		}
	})
}

// numberOracle reports whether v is a number, and whether it is one SQS
// takes.
func numberOracle(v string) (number, fits bool) {
	m := numberForm.FindStringSubmatch(v)
	if m == nil || m[1] == "" && m[2] == "" {
		return false, false
	}
	digits := strings.Trim(m[1]+m[2], "0")
	if digits == "" {
		return true, true // zero
	}
	if len(digits) > 38 {
		return true, false
	}
	if e, err := strconv.Atoi(m[3]); m[3] != "" && (err != nil || e > 10_000 || e < -10_000) {
		return true, false // far out of range, whatever the mantissa
	}
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		panic("math/big does not parse " + v)
	}
	r.Abs(r)
	lo := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(128), nil))
	hi := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(126), nil))
	return true, r.Cmp(lo) >= 0 && r.Cmp(hi) <= 0
}
