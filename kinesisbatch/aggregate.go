package kinesisbatch

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// This file holds the KPL aggregated record format: the encoder the
// aggregating writer uses, and Deaggregate, its decoder for consumers.
//
// An aggregated record's data is the 4 magic bytes F3 89 9A C2, then the
// protobuf (proto2) encoding of
//
//	message AggregatedRecord {
//	  repeated string partition_key_table     = 1;
//	  repeated string explicit_hash_key_table = 2;
//	  repeated Record records                 = 3;
//	}
//	message Record {
//	  required uint64 partition_key_index     = 1;
//	  optional uint64 explicit_hash_key_index = 2;
//	  required bytes  data                    = 3;
//	  repeated Tag    tags                    = 4;
//	}
//	message Tag {
//	  required string key   = 1;
//	  optional string value = 2;
//	}
//
// then the 16-byte MD5 digest of the protobuf bytes. The encoding is written
// by hand (varints and length-delimited fields) so that the module needs no
// protobuf library.

// aggMagic opens the data of every aggregated record.
var aggMagic = [4]byte{0xF3, 0x89, 0x9A, 0xC2}

// aggFixed is the size of an aggregated record's data besides its protobuf
// body: the magic bytes and the MD5 digest.
const aggFixed = len(aggMagic) + md5.Size

// Protobuf tags (field number << 3 | wire type) of the fields we write.
const (
	tagPartitionKeyTable = 1<<3 | wireBytes // AggregatedRecord.partition_key_table
	tagHashKeyTable      = 2<<3 | wireBytes // AggregatedRecord.explicit_hash_key_table
	tagRecords           = 3<<3 | wireBytes // AggregatedRecord.records
	tagPartitionKeyIndex = 1<<3 | wireVarint
	tagHashKeyIndex      = 2<<3 | wireVarint
	tagData              = 3<<3 | wireBytes
)

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// ErrMalformedAggregate is the error, matched with errors.Is, of Deaggregate
// for a record whose data starts with the aggregated record's magic bytes
// but is not a valid aggregated record: too short, a digest that does not
// match, or a protobuf body that does not parse or names a key that its
// tables do not hold.
var ErrMalformedAggregate = errors.New("kinesisbatch: malformed aggregated record")

// Deaggregate returns the user records that r carries. A plain record (its
// data does not start with the magic bytes F3 89 9A C2) comes back as one
// Record with r's data and partition key. An aggregated record, in the
// format of the Kinesis Producer Library (which Config.Aggregate writes),
// comes back as its user records in the order they were packed, each with
// its own partition key and, if its producer set one, explicit hash key.
//
// An aggregated record that is malformed (see ErrMalformedAggregate) is an
// error and no record: never a partial result. The Kinesis Client Library
// reads such a record as a plain one instead; a consumer that wants that
// reading can fall back to r itself when errors.Is(err,
// ErrMalformedAggregate). The Data of the records returned share r.Data's
// memory.
func Deaggregate(r types.Record) ([]Record, error) {
	if !bytes.HasPrefix(r.Data, aggMagic[:]) {
		return []Record{{Data: r.Data, PartitionKey: aws.ToString(r.PartitionKey)}}, nil
	}
	return decodeAggregate(r.Data)
}

// decodeAggregate decodes the data of an aggregated record, magic included.
func decodeAggregate(data []byte) ([]Record, error) {
	if len(data) < aggFixed {
		return nil, fmt.Errorf("%w: %d bytes, fewer than the magic bytes and the digest", ErrMalformedAggregate, len(data))
	}
	body := data[len(aggMagic) : len(data)-md5.Size]
	if sum := md5.Sum(body); !bytes.Equal(sum[:], data[len(data)-md5.Size:]) {
		return nil, fmt.Errorf("%w: the MD5 digest does not match the body", ErrMalformedAggregate)
	}
	var (
		pks, hks []string
		raw      []rawRecord
	)
	p := protoReader{b: body}
	for !p.done() {
		field, wire, err := p.tag()
		if err != nil {
			return nil, err
		}
		switch {
		case field == 1 && wire == wireBytes:
			s, err := p.bytes()
			if err != nil {
				return nil, err
			}
			pks = append(pks, string(s))
		case field == 2 && wire == wireBytes:
			s, err := p.bytes()
			if err != nil {
				return nil, err
			}
			hks = append(hks, string(s))
		case field == 3 && wire == wireBytes:
			m, err := p.bytes()
			if err != nil {
				return nil, err
			}
			rr, err := decodeRecord(m, len(raw))
			if err != nil {
				return nil, err
			}
			raw = append(raw, rr)
		default:
			if err := p.skip(field, wire, 3); err != nil {
				return nil, err
			}
		}
	}
	// The tables may come after the records: resolve the indexes last.
	out := make([]Record, len(raw))
	for i, rr := range raw {
		if rr.pk >= uint64(len(pks)) {
			return nil, fmt.Errorf("%w: record %d: partition key index %d, the table has %d keys", ErrMalformedAggregate, i, rr.pk, len(pks))
		}
		out[i] = Record{Data: rr.data, PartitionKey: pks[rr.pk]}
		if rr.hasHK {
			if rr.hk >= uint64(len(hks)) {
				return nil, fmt.Errorf("%w: record %d: explicit hash key index %d, the table has %d keys", ErrMalformedAggregate, i, rr.hk, len(hks))
			}
			out[i].ExplicitHashKey = hks[rr.hk]
		}
	}
	return out, nil
}

// rawRecord is a Record message with its indexes not yet resolved.
type rawRecord struct {
	pk, hk  uint64
	hasHK   bool
	data    []byte
	hasPK   bool
	hasData bool
}

// decodeRecord decodes the Record message m, the i-th of its aggregate.
func decodeRecord(m []byte, i int) (rawRecord, error) {
	var rr rawRecord
	p := protoReader{b: m}
	for !p.done() {
		field, wire, err := p.tag()
		if err != nil {
			return rr, err
		}
		switch {
		case field == 1 && wire == wireVarint:
			if rr.pk, err = p.varint(); err != nil {
				return rr, err
			}
			rr.hasPK = true
		case field == 2 && wire == wireVarint:
			if rr.hk, err = p.varint(); err != nil {
				return rr, err
			}
			rr.hasHK = true
		case field == 3 && wire == wireBytes:
			if rr.data, err = p.bytes(); err != nil {
				return rr, err
			}
			rr.hasData = true
		case field == 4 && wire == wireBytes:
			t, err := p.bytes()
			if err != nil {
				return rr, err
			}
			if err := checkTag(t); err != nil {
				return rr, fmt.Errorf("record %d: %w", i, err)
			}
		default:
			if err := p.skip(field, wire, 4); err != nil {
				return rr, err
			}
		}
	}
	switch {
	case !rr.hasPK:
		return rr, fmt.Errorf("%w: record %d has no partition key index", ErrMalformedAggregate, i)
	case !rr.hasData:
		return rr, fmt.Errorf("%w: record %d has no data", ErrMalformedAggregate, i)
	}
	if rr.data == nil {
		rr.data = []byte{}
	}
	return rr, nil
}

// checkTag checks that t is a Tag message: a key, and perhaps a value.
// Tags are checked, not returned: Record has no place for them.
func checkTag(t []byte) error {
	p := protoReader{b: t}
	hasKey := false
	for !p.done() {
		field, wire, err := p.tag()
		if err != nil {
			return err
		}
		if (field == 1 || field == 2) && wire == wireBytes {
			if _, err := p.bytes(); err != nil {
				return err
			}
			hasKey = hasKey || field == 1
			continue
		}
		if err := p.skip(field, wire, 2); err != nil {
			return err
		}
	}
	if !hasKey {
		return fmt.Errorf("%w: a tag has no key", ErrMalformedAggregate)
	}
	return nil
}

// protoReader reads protobuf fields from b.
type protoReader struct {
	b   []byte
	off int
}

func (p *protoReader) done() bool { return p.off >= len(p.b) }

func (p *protoReader) varint() (uint64, error) {
	var x uint64
	for shift := uint(0); ; shift += 7 {
		if p.off >= len(p.b) {
			return 0, fmt.Errorf("%w: a varint runs past the end", ErrMalformedAggregate)
		}
		c := p.b[p.off]
		p.off++
		if shift == 63 && c > 1 {
			return 0, fmt.Errorf("%w: a varint overflows 64 bits", ErrMalformedAggregate)
		}
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x, nil
		}
	}
}

// tag reads a field's tag: its number and wire type.
func (p *protoReader) tag() (field uint64, wire int, err error) {
	t, err := p.varint()
	if err != nil {
		return 0, 0, err
	}
	field, wire = t>>3, int(t&7)
	if field == 0 {
		return 0, 0, fmt.Errorf("%w: field number 0", ErrMalformedAggregate)
	}
	return field, wire, nil
}

// bytes reads a length-delimited field's content.
func (p *protoReader) bytes() ([]byte, error) {
	n, err := p.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(p.b)-p.off) {
		return nil, fmt.Errorf("%w: a field of %d bytes runs past the end", ErrMalformedAggregate, n)
	}
	s := p.b[p.off : p.off+int(n) : p.off+int(n)]
	p.off += int(n)
	return s, nil
}

// skip passes over a field we do not read, as protobuf readers do with
// unknown fields; a known field (numbered up to known) of the wrong wire
// type is malformed.
func (p *protoReader) skip(field uint64, wire int, known uint64) error {
	if field <= known {
		return fmt.Errorf("%w: field %d has wire type %d", ErrMalformedAggregate, field, wire)
	}
	switch wire {
	case wireVarint:
		_, err := p.varint()
		return err
	case wireBytes:
		_, err := p.bytes()
		return err
	case wireFixed64, wireFixed32:
		n := 8
		if wire == wireFixed32 {
			n = 4
		}
		if len(p.b)-p.off < n {
			return fmt.Errorf("%w: a fixed field runs past the end", ErrMalformedAggregate)
		}
		p.off += n
		return nil
	}
	return fmt.Errorf("%w: wire type %d", ErrMalformedAggregate, wire)
}

// varintLen returns the size of x as a varint.
func varintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func appendVarint(b []byte, x uint64) []byte {
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	return append(b, byte(x))
}

// fieldLen returns the size of a length-delimited field of n bytes.
func fieldLen(n int) int { return 1 + varintLen(uint64(n)) + n }

// aggBuilder packs user records into one aggregated record. Its zero value
// is empty; reset makes it empty again, keeping its memory.
type aggBuilder struct {
	pks   []string
	pkIdx map[string]uint64
	hks   []string
	hkIdx map[string]uint64
	recs  []aggRec
	size  int // of the protobuf body
}

// aggRec is a user record in an aggBuilder.
type aggRec struct {
	pk    uint64
	hk    uint64
	hasHK bool
	data  []byte
}

func (a *aggBuilder) reset() {
	clear(a.pkIdx)
	clear(a.hkIdx)
	clear(a.recs)
	clear(a.pks)
	clear(a.hks)
	a.pks, a.hks, a.recs, a.size = a.pks[:0], a.hks[:0], a.recs[:0], 0
}

// recordLen returns the size of a Record message.
func recordLen(pk, hk uint64, hasHK bool, data int) int {
	n := 1 + varintLen(pk) + fieldLen(data)
	if hasHK {
		n += 1 + varintLen(hk)
	}
	return n
}

// grow returns how much the body grows if a record is added.
func (a *aggBuilder) grow(pk, hk string, data int) int {
	n := 0
	pi, ok := a.pkIdx[pk]
	if !ok {
		pi = uint64(len(a.pks))
		n += fieldLen(len(pk))
	}
	var hi uint64
	if hk != "" {
		if hi, ok = a.hkIdx[hk]; !ok {
			hi = uint64(len(a.hks))
			n += fieldLen(len(hk))
		}
	}
	return n + fieldLen(recordLen(pi, hi, hk != "", data))
}

// add adds a record; the builder keeps data, which must not change until
// the record is encoded.
func (a *aggBuilder) add(pk, hk string, data []byte) {
	a.size += a.grow(pk, hk, len(data))
	if a.pkIdx == nil {
		a.pkIdx, a.hkIdx = make(map[string]uint64), make(map[string]uint64)
	}
	r := aggRec{data: data}
	var ok bool
	if r.pk, ok = a.pkIdx[pk]; !ok {
		r.pk = uint64(len(a.pks))
		a.pkIdx[pk] = r.pk
		a.pks = append(a.pks, pk)
	}
	if hk != "" {
		r.hasHK = true
		if r.hk, ok = a.hkIdx[hk]; !ok {
			r.hk = uint64(len(a.hks))
			a.hkIdx[hk] = r.hk
			a.hks = append(a.hks, hk)
		}
	}
	a.recs = append(a.recs, r)
}

// encode returns the aggregated record's data: magic, body, digest.
func (a *aggBuilder) encode() []byte {
	b := make([]byte, 0, aggFixed+a.size)
	b = append(b, aggMagic[:]...)
	for _, pk := range a.pks {
		b = append(b, tagPartitionKeyTable)
		b = appendVarint(b, uint64(len(pk)))
		b = append(b, pk...)
	}
	for _, hk := range a.hks {
		b = append(b, tagHashKeyTable)
		b = appendVarint(b, uint64(len(hk)))
		b = append(b, hk...)
	}
	for _, r := range a.recs {
		b = append(b, tagRecords)
		b = appendVarint(b, uint64(recordLen(r.pk, r.hk, r.hasHK, len(r.data))))
		b = append(b, tagPartitionKeyIndex)
		b = appendVarint(b, r.pk)
		if r.hasHK {
			b = append(b, tagHashKeyIndex)
			b = appendVarint(b, r.hk)
		}
		b = append(b, tagData)
		b = appendVarint(b, uint64(len(r.data)))
		b = append(b, r.data...)
	}
	sum := md5.Sum(b[len(aggMagic):])
	return append(b, sum[:]...)
}
