package kinesisbatch_test

import (
	"context"
	"errors"
	"math/big"
	"regexp"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/kinesisbatch"
)

// hashKeyForm is Kinesis's pattern for ExplicitHashKey.
var hashKeyForm = regexp.MustCompile(`^(0|[1-9][0-9]{0,38})$`)

// maxHash is 2^128-1.
var maxHash = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

// FuzzRecord checks Put's checks of a Record against an oracle written
// independently (utf16, regexp, math/big): a record is accepted if and only
// if Kinesis would take it, and a refused one gets the sentinel of its first
// fault. Seeds are in testdata/fuzz/FuzzRecord.
func FuzzRecord(f *testing.F) {
	f.Add(100, "user-1", "")
	f.Add(0, "", "0")
	f.Add(1<<20-2, "kk", "340282366920938463463374607431768211455")
	f.Add(10, "\U0001F600", "340282366920938463463374607431768211456")
	f.Fuzz(func(t *testing.T, size int, key, hashKey string) {
		if size < 0 || size > 1<<20+10 {
			return
		}
		d, err := kinesisbatch.New[kinesisbatch.Record](discardKinesis{}, kinesisbatch.Config{Stream: "s"})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close(context.Background())
		err = d.Put(context.Background(), kinesisbatch.Record{Data: make([]byte, size), PartitionKey: key, ExplicitHashKey: hashKey})

		var want error
		keyBytes := len(key)
		if key == "" {
			keyBytes = 16 // a random key
		}
		units := len(utf16.Encode([]rune(key)))
		hashOK := hashKey == ""
		if hashKeyForm.MatchString(hashKey) {
			n, _ := new(big.Int).SetString(hashKey, 10)
			hashOK = n.Cmp(maxHash) <= 0
		}
		switch {
		case key != "" && (!utf8.ValidString(key) || units > kinesisbatch.MaxPartitionKeyLength):
			want = kinesisbatch.ErrInvalidPartitionKey
		case !hashOK:
			want = kinesisbatch.ErrInvalidExplicitHashKey
		case size+keyBytes > kinesisbatch.DefaultMaxRecordBytes:
			want = batch.ErrItemTooLarge
		}
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Fatalf("Put(%d bytes, key %q, hash key %q): %v, want %v", size, key, hashKey, err, want)
		}
	})
}
