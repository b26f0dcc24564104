package kinesisbatch

import (
	"bytes"
	"crypto/md5"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/google/go-cmp/cmp"
)

// The bytes here are assembled by hand, field by field, independently of
// aggBuilder: a varint is written out as its bytes, a field as its tag, its
// length and its content.

// lenField returns a length-delimited field of tag with content c (c under
// 128 bytes, so its length is one byte).
func lenField(tag byte, c []byte) []byte {
	if len(c) >= 128 {
		panic("lenField: content too long for a one-byte length")
	}
	return append([]byte{tag, byte(len(c))}, c...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// sealed returns the data of an aggregated record of body: magic, body,
// MD5.
func sealed(body []byte) []byte {
	sum := md5.Sum(body)
	return cat([]byte{0xF3, 0x89, 0x9A, 0xC2}, body, sum[:])
}

// handRecord is a Record message: partition key index pk, explicit hash key
// index hk (if >= 0), data.
func handRecord(pk, hk int, data string) []byte {
	m := []byte{0x08, byte(pk)}
	if hk >= 0 {
		m = append(m, 0x10, byte(hk))
	}
	return lenField(0x1A, append(m, lenField(0x1A, []byte(data))...))
}

// TestDeaggregate checks Deaggregate on plain records, hand-assembled
// aggregated records, and broken ones.
func TestDeaggregate(t *testing.T) {
	t.Parallel()
	twoKeys := cat(lenField(0x0A, []byte("alpha")), lenField(0x0A, []byte("beta")),
		lenField(0x12, []byte("42")),
		handRecord(0, -1, "one"), handRecord(1, 0, "two"), handRecord(0, -1, ""))
	tests := []struct {
		name    string
		data    []byte
		pk      string
		want    []Record
		wantErr bool
	}{
		{name: "plain", data: []byte("hello"), pk: "k", want: []Record{{Data: []byte("hello"), PartitionKey: "k"}}},
		{name: "plain empty", data: []byte{}, pk: "k", want: []Record{{Data: []byte{}, PartitionKey: "k"}}},
		{name: "plain with 3 of 4 magic bytes", data: []byte{0xF3, 0x89, 0x9A, 0xC3, 1}, pk: "k",
			want: []Record{{Data: []byte{0xF3, 0x89, 0x9A, 0xC3, 1}, PartitionKey: "k"}}},
		{
			name: "two keys, a hash key, empty data",
			data: sealed(twoKeys), pk: "outer",
			want: []Record{
				{Data: []byte("one"), PartitionKey: "alpha"},
				{Data: []byte("two"), PartitionKey: "beta", ExplicitHashKey: "42"},
				{Data: []byte{}, PartitionKey: "alpha"},
			},
		},
		{
			name: "tables after the records, tags and unknown fields",
			data: sealed(cat(
				lenField(0x1A, cat(lenField(0x22, lenField(0x0A, []byte("t"))), []byte{0x08, 0}, lenField(0x1A, []byte("x")))),
				[]byte{0x28, 0x96, 0x01},             // field 5, varint 150: unknown, skipped
				[]byte{0x31, 1, 2, 3, 4, 5, 6, 7, 8}, // field 6, fixed64
				lenField(0x0A, []byte("k")),
			)),
			want: []Record{{Data: []byte("x"), PartitionKey: "k"}},
		},
		{name: "no records", data: sealed(nil), want: []Record{}},
		{name: "bad digest", data: func() []byte { b := sealed(twoKeys); b[len(b)-1] ^= 1; return b }(), wantErr: true},
		{name: "body changed", data: func() []byte { b := sealed(twoKeys); b[10] ^= 1; return b }(), wantErr: true},
		{name: "too short", data: []byte{0xF3, 0x89, 0x9A, 0xC2, 1, 2, 3}, wantErr: true},
		{name: "magic only", data: []byte{0xF3, 0x89, 0x9A, 0xC2}, wantErr: true},
		{name: "key index out of range", data: sealed(cat(lenField(0x0A, []byte("k")), handRecord(1, -1, "x"))), wantErr: true},
		{name: "hash key index out of range", data: sealed(cat(lenField(0x0A, []byte("k")), handRecord(0, 0, "x"))), wantErr: true},
		{name: "no key index", data: sealed(cat(lenField(0x0A, []byte("k")), lenField(0x1A, lenField(0x1A, []byte("x"))))), wantErr: true},
		{name: "no data", data: sealed(cat(lenField(0x0A, []byte("k")), lenField(0x1A, []byte{0x08, 0}))), wantErr: true},
		{name: "truncated field", data: sealed([]byte{0x0A, 5, 'a', 'b'}), wantErr: true},
		{name: "truncated varint", data: sealed([]byte{0x1A, 3, 0x08, 0x80, 0x80}), wantErr: true},
		{name: "varint over 64 bits", data: sealed(cat(lenField(0x0A, []byte("k")),
			lenField(0x1A, []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x1A, 0}))), wantErr: true},
		{name: "field number 0", data: sealed([]byte{0x02, 0}), wantErr: true},
		{name: "group wire type", data: sealed([]byte{0x2B}), wantErr: true},
		{name: "known field, wrong wire type", data: sealed([]byte{0x08, 1}), wantErr: true},
		{name: "tag without a key", data: sealed(cat(lenField(0x0A, []byte("k")),
			lenField(0x1A, cat([]byte{0x08, 0}, lenField(0x1A, []byte("x")), lenField(0x22, lenField(0x12, []byte("v"))))))), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Deaggregate(types.Record{Data: tc.data, PartitionKey: aws.String(tc.pk)})
			if tc.wantErr {
				if !errors.Is(err, ErrMalformedAggregate) || got != nil {
					t.Fatalf("Deaggregate = %v, %v; want no records and ErrMalformedAggregate", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Deaggregate: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Deaggregate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAggBuilderBytes checks aggBuilder's bytes against the hand-assembled
// ones, and its size accounting against the bytes.
func TestAggBuilderBytes(t *testing.T) {
	t.Parallel()
	var b aggBuilder
	b.add("alpha", "", []byte("one"))
	b.add("beta", "42", []byte("two"))
	b.add("alpha", "", []byte{})
	want := sealed(cat(lenField(0x0A, []byte("alpha")), lenField(0x0A, []byte("beta")),
		lenField(0x12, []byte("42")),
		handRecord(0, -1, "one"), handRecord(1, 0, "two"), handRecord(0, -1, "")))
	got := b.encode()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("encode mismatch (-want +got):\n%s", diff)
	}
	if len(got) != aggFixed+b.size {
		t.Errorf("size %d + %d, encoded %d bytes", aggFixed, b.size, len(got))
	}
}

// randomRecords returns n records with keys from a few, data of up to
// maxData bytes (some of more than 127, whose lengths take two bytes), and
// hash keys on some.
func randomRecords(r *rand.Rand, n, maxData int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		data := make([]byte, r.IntN(maxData+1))
		for j := range data {
			data[j] = byte(i*31 + j)
		}
		recs[i] = Record{Data: data, PartitionKey: "key-" + strconv.Itoa(r.IntN(5)) + strings.Repeat("é", r.IntN(100))}
		if r.IntN(3) == 0 {
			recs[i].ExplicitHashKey = strconv.FormatUint(r.Uint64(), 10)
		}
	}
	return recs
}

// TestAggregateRoundTrip packs random records and checks that Deaggregate
// gives them back, and that the size the builder counts is the size it
// encodes, record after record.
func TestAggregateRoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n, maxData := 1+r.IntN(300), []int{0, 10, 300, 20_000}[round%4]
		if maxData > 300 {
			n = 1 + r.IntN(20)
		}
		recs := randomRecords(r, n, maxData)
		var b aggBuilder
		for _, rec := range recs {
			before := b.size
			grow := b.grow(rec.PartitionKey, rec.ExplicitHashKey, len(rec.Data))
			b.add(rec.PartitionKey, rec.ExplicitHashKey, rec.Data)
			if b.size != before+grow {
				t.Fatalf("round %d: size %d after add, want %d + %d", round, b.size, before, grow)
			}
		}
		data := b.encode()
		if len(data) != aggFixed+b.size {
			t.Fatalf("round %d: encoded %d bytes, counted %d", round, len(data), aggFixed+b.size)
		}
		got, err := Deaggregate(types.Record{Data: data, PartitionKey: aws.String("outer")})
		if err != nil {
			t.Fatalf("round %d: Deaggregate: %v", round, err)
		}
		for i := range recs {
			if recs[i].Data == nil {
				recs[i].Data = []byte{}
			}
		}
		// cmp walks a []byte element by element: compare first.
		if !slices.EqualFunc(recs, got, equalRecord) {
			t.Fatalf("round %d: round trip mismatch (-want +got):\n%s", round, cmp.Diff(recs, got))
		}
		b.reset()
		if b.size != 0 || len(b.recs) != 0 || len(b.pkIdx) != 0 {
			t.Fatalf("round %d: reset left %+v", round, b)
		}
	}
}

func equalRecord(a, b Record) bool {
	return bytes.Equal(a.Data, b.Data) && a.PartitionKey == b.PartitionKey && a.ExplicitHashKey == b.ExplicitHashKey
}

// FuzzDeaggregate feeds Deaggregate any data: it never panics; it fails
// only with ErrMalformedAggregate, and only on data that starts with the
// magic bytes; what it decodes, packed again, decodes the same. Seeds are
// in testdata/fuzz/FuzzDeaggregate.
func FuzzDeaggregate(f *testing.F) {
	var b aggBuilder
	b.add("alpha", "", []byte("one"))
	b.add("beta", "42", []byte("two"))
	f.Add(b.encode())
	f.Add([]byte("plain"))
	f.Add(sealed(nil))
	f.Add(sealed([]byte{0x0A, 5, 'a'}))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Deaggregate(types.Record{Data: data, PartitionKey: aws.String("p")})
		aggregated := bytes.HasPrefix(data, aggMagic[:])
		if err != nil {
			if !errors.Is(err, ErrMalformedAggregate) || !aggregated || got != nil {
				t.Fatalf("Deaggregate = %v, %v", got, err)
			}
			return
		}
		if !aggregated {
			if len(got) != 1 || !bytes.Equal(got[0].Data, data) || got[0].PartitionKey != "p" {
				t.Fatalf("plain record: Deaggregate = %v", got)
			}
			return
		}
		var again aggBuilder
		for _, r := range got {
			again.add(r.PartitionKey, r.ExplicitHashKey, r.Data)
		}
		got2, err := Deaggregate(types.Record{Data: again.encode()})
		if err != nil {
			t.Fatalf("packed again: %v", err)
		}
		if !slices.EqualFunc(got, got2, equalRecord) {
			t.Fatalf("packed again mismatch (-first +second):\n%s", cmp.Diff(got, got2))
		}
	})
}
