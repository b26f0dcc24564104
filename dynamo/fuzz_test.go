package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cenkalti/backoff/v4"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

// The fuzz tests check Put against testutil.FakeDynamoDB, which refuses what
// DynamoDB refuses: Put never panics, refuses only with a documented error,
// and whatever it accepts the fake accepts too. internal/ddbsize's
// FuzzSizes checks the size rules themselves.

// fuzzBytes reads a fuzz input as a little program that builds attribute
// values. Reading past the end gives zeros, so every input means something.
type fuzzBytes struct{ b []byte }

func (r *fuzzBytes) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// bytes returns up to 63 bytes, or a long run of one byte when the length
// byte says so, to reach the key and item limits.
func (r *fuzzBytes) bytes() []byte {
	n := int(r.byte())
	if n >= 0xf0 {
		// 0xf0..0xff: a run of 2040 + 4*(n-0xf0) bytes, around the key
		// limits of 1024 and 2048 bytes.
		return []byte(strings.Repeat(string(rune('a'+n%8)), 1016+4*(n-0xf0)+1024*int(r.byte()%2)))
	}
	n %= 64
	if n > len(r.b) {
		n = len(r.b)
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

// fuzzNumbers are spellings of numbers at and past DynamoDB's limits.
var fuzzNumbers = []string{
	"0", "-0", "1", "01", "1.0", "1e0", "-1", "+1", ".5", "5.", "1e", "e1", "", " 1", "NaN", "Infinity", "-Inf",
	"9.9999999999999999999999999999999999999E+125", "1E+126", "1E-130", "1E-131", "0.00000000000000000000000000000000000001",
	"12345678901234567890123456789012345678", "123456789012345678901234567890123456789", "1000000000000000000000000000000000000000",
	"0x10", "1_000", "١", "1e+0999999999999", "0e-99999", "-0.0e5",
}

func (r *fuzzBytes) number() string {
	c := r.byte()
	if c < 0x80 {
		return fuzzNumbers[int(c)%len(fuzzNumbers)]
	}
	return string(r.bytes())
}

// value builds one attribute value; depth bounds the nesting the input can
// ask for (past DynamoDB's 32 levels).
func (r *fuzzBytes) value(depth int) types.AttributeValue {
	switch c := r.byte(); c % 14 {
	case 0:
		return &types.AttributeValueMemberS{Value: string(r.bytes())}
	case 1:
		return &types.AttributeValueMemberN{Value: r.number()}
	case 2:
		return &types.AttributeValueMemberB{Value: r.bytes()}
	case 3:
		return &types.AttributeValueMemberBOOL{Value: c&0x80 != 0}
	case 4:
		return &types.AttributeValueMemberNULL{Value: c&0x80 == 0}
	case 5, 6:
		n := int(r.byte() % 5)
		if c&0x80 != 0 && depth < 40 {
			n = 1 // deep and narrow
		}
		if depth >= 40 {
			n = 0
		}
		if c%14 == 5 {
			l := make([]types.AttributeValue, n)
			for i := range l {
				l[i] = r.value(depth + 1)
			}
			return &types.AttributeValueMemberL{Value: l}
		}
		m := make(map[string]types.AttributeValue, n)
		for range n {
			m[r.name()] = r.value(depth + 1)
		}
		return &types.AttributeValueMemberM{Value: m}
	case 7:
		ss := make([]string, r.byte()%4)
		for i := range ss {
			ss[i] = string(r.bytes())
		}
		return &types.AttributeValueMemberSS{Value: ss}
	case 8:
		ns := make([]string, r.byte()%4)
		for i := range ns {
			ns[i] = r.number()
		}
		return &types.AttributeValueMemberNS{Value: ns}
	case 9:
		bs := make([][]byte, r.byte()%4)
		for i := range bs {
			bs[i] = r.bytes()
		}
		return &types.AttributeValueMemberBS{Value: bs}
	case 10:
		return nil
	case 11:
		return (*types.AttributeValueMemberS)(nil)
	case 12:
		return &types.AttributeValueMemberS{Value: strings.Repeat("v", 100_000*int(r.byte()%5))} // toward 400 KB
	default:
		return &types.AttributeValueMemberN{Value: fmt.Sprint(r.byte())}
	}
}

// name returns an attribute name: often a key attribute's, so that items
// with valid keys are common.
func (r *fuzzBytes) name() string {
	switch c := r.byte(); c % 8 {
	case 0, 1, 2:
		return "pk"
	case 3, 4:
		return "sk"
	case 5:
		return "src"
	default:
		return string(r.bytes())
	}
}

// fuzzKeyTypes maps a byte to a key type, S most often.
func fuzzKeyType(c byte) dynamo.KeyType { return dynamo.KeyType(c % 4 % 3) }

func fuzzSchemaType(k dynamo.KeyType) types.ScalarAttributeType {
	return types.ScalarAttributeType(k.String())
}

// fuzzDocumented reports whether err is one of the errors Put documents.
func fuzzDocumented(err error) bool {
	return errors.Is(err, dynamo.ErrInvalidKey) || errors.Is(err, dynamo.ErrInvalidItem) ||
		errors.Is(err, batch.ErrItemTooLarge) || errors.Is(err, batch.ErrDuplicate)
}

// fuzzClass returns the documented error that err matches. (The message
// may name another of several bad attributes on another call.)
func fuzzClass(err error) error {
	for _, e := range []error{dynamo.ErrInvalidKey, dynamo.ErrInvalidItem, batch.ErrItemTooLarge, batch.ErrDuplicate} {
		if errors.Is(err, e) {
			return e
		}
	}
	return err
}

var fuzzNoRetry = func() backoff.BackOff { return &backoff.StopBackOff{} }

// fuzzCheck puts item (then again, to see the duplicate refused) and deletes
// it with dispatchers configured by cfg, against a fake with the matching
// schema, and checks the outcome. It returns the fake and whether Put
// accepted the item.
func fuzzCheck[T any](t *testing.T, cfg dynamo.Config, item T, describe func() string) (*testutil.FakeDynamoDB, bool) {
	t.Helper()
	f := testutil.NewFakeDynamoDB()
	schema := testutil.KeySchema{PartitionKey: cfg.PartitionKey, PartitionKeyType: fuzzSchemaType(cfg.PartitionKeyType)}
	if cfg.SortKey != "" {
		schema.SortKey, schema.SortKeyType = cfg.SortKey, fuzzSchemaType(cfg.SortKeyType)
	}
	f.CreateTable(table, schema)
	cfg.Table = table
	cfg.Batch.BackOff = fuzzNoRetry
	ctx := context.Background()

	d, err := dynamo.New[T](f, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	putErr := d.Put(ctx, item)
	t.Logf("Put: %v", putErr)
	if putErr != nil && !fuzzDocumented(putErr) {
		t.Errorf("Put = %v, not one of the documented errors; item %s", putErr, describe())
	}
	again := d.Put(ctx, item)
	switch {
	case putErr == nil && !errors.Is(again, batch.ErrDuplicate):
		t.Errorf("Put of the same item twice = %v, want batch.ErrDuplicate; item %s", again, describe())
	case putErr != nil && fuzzClass(again) != fuzzClass(putErr):
		t.Errorf("Put refused an item with %v, then with %v", putErr, again)
	}
	closeErr := d.Close(ctx)
	if putErr == nil && closeErr != nil {
		t.Errorf("Put accepted an item that DynamoDB (the fake) refuses: %v; item %s", closeErr, describe())
	}
	if putErr != nil && closeErr != nil {
		t.Errorf("Close = %v after Put refused the only item", closeErr)
	}
	accepted := putErr == nil && closeErr == nil

	// A delete needs only a valid key, and whatever Delete accepts the
	// fake must accept too. (Another fake: f keeps what the put stored.)
	f2 := testutil.NewFakeDynamoDB()
	f2.CreateTable(table, schema)
	dd, err := dynamo.New[T](f2, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	delErr := dd.Delete(ctx, item)
	if delErr != nil && !errors.Is(delErr, dynamo.ErrInvalidKey) && !errors.Is(delErr, dynamo.ErrInvalidItem) {
		t.Errorf("Delete = %v, want nil, ErrInvalidKey or ErrInvalidItem", delErr)
	}
	if putErr == nil && delErr != nil {
		t.Errorf("Put accepted the item but Delete refuses it: %v; item %s", delErr, describe())
	}
	if err := dd.Close(ctx); delErr == nil && err != nil {
		t.Errorf("Delete accepted a key that DynamoDB (the fake) refuses: %v; item %s", err, describe())
	}
	return f, accepted
}

func fuzzDescribe(item map[string]types.AttributeValue) func() string {
	return func() string {
		s := fmt.Sprintf("%#v", item)
		if len(s) > 2000 {
			s = s[:2000] + "..."
		}
		for k, v := range item {
			if v != nil {
				s += fmt.Sprintf("\n  %q: %s", k, fuzzShow(v))
			}
		}
		return s
	}
}

func fuzzShow(av types.AttributeValue) string {
	var s string
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		if v != nil {
			s = fmt.Sprintf("S %q", v.Value)
		}
	case *types.AttributeValueMemberN:
		s = fmt.Sprintf("N %q", v.Value)
	case *types.AttributeValueMemberB:
		s = fmt.Sprintf("B %q", v.Value)
	case *types.AttributeValueMemberL:
		parts := make([]string, len(v.Value))
		for i, e := range v.Value {
			parts[i] = fuzzShow(e)
		}
		s = "L [" + strings.Join(parts, ", ") + "]"
	case *types.AttributeValueMemberM:
		parts := make([]string, 0, len(v.Value))
		for k, e := range v.Value {
			parts = append(parts, fmt.Sprintf("%q: %s", k, fuzzShow(e)))
		}
		s = "M {" + strings.Join(parts, ", ") + "}"
	default:
		s = fmt.Sprintf("%#v", av)
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// FuzzPut puts arbitrary attribute value maps, under arbitrary key schemas.
func FuzzPut(f *testing.F) {
	f.Add([]byte{0, 0, 3, 0, 0, 3, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzBytes{b: data}
		cfg := dynamo.Config{PartitionKey: "pk", PartitionKeyType: fuzzKeyType(r.byte())}
		if c := r.byte(); c%2 == 1 {
			cfg.SortKey, cfg.SortKeyType = "sk", fuzzKeyType(c/2)
		}
		item := make(map[string]types.AttributeValue)
		for range int(r.byte() % 8) {
			item[r.name()] = r.value(1)
		}
		fuzzCheck(t, cfg, item, fuzzDescribe(item))
	})
}

// FuzzPartitionKeyLocation puts items whose partition key is read from
// another attribute and converted to the key's type: whatever Put accepts,
// the fake stores under the converted key.
func FuzzPartitionKeyLocation(f *testing.F) {
	f.Add([]byte{1, 0, 0, 2, '4', '2'})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzBytes{b: data}
		cfg := dynamo.Config{PartitionKey: "pk", PartitionKeyType: fuzzKeyType(r.byte()), PartitionKeyLocation: "src"}
		src := r.value(1)
		item := map[string]types.AttributeValue{"src": src}
		if c := r.byte(); c%3 == 0 {
			item["pk"] = r.value(1) // overridden by the value at src
		}
		for range int(r.byte() % 3) {
			item[r.name()] = r.value(1)
		}
		src = item["src"] // the loop above may have replaced it
		fake, accepted := fuzzCheck(t, cfg, item, fuzzDescribe(item))
		if !accepted {
			return
		}
		var key types.AttributeValue
		switch v := src.(type) {
		case *types.AttributeValueMemberS:
			switch cfg.PartitionKeyType {
			case dynamo.String:
				key = v
			case dynamo.Number:
				key = &types.AttributeValueMemberN{Value: v.Value}
			case dynamo.Binary:
				key = &types.AttributeValueMemberB{Value: []byte(v.Value)}
			}
		case *types.AttributeValueMemberN:
			switch cfg.PartitionKeyType {
			case dynamo.String:
				key = &types.AttributeValueMemberS{Value: v.Value}
			case dynamo.Number:
				key = v
			}
		case *types.AttributeValueMemberB:
			if cfg.PartitionKeyType == dynamo.Binary {
				key = v
			}
		}
		if key == nil {
			t.Fatalf("Put accepted a %s at the location for a %v key; item %s", fuzzShow(src), cfg.PartitionKeyType, fuzzDescribe(item)())
		}
		if _, ok := fake.Item(table, map[string]types.AttributeValue{"pk": key}); !ok {
			t.Errorf("no item stored under the converted key %s; table %v", fuzzShow(key), fake.Items(table))
		}
	})
}

// FuzzPutAny puts arbitrary JSON documents decoded as map[string]any, the
// form most programs have at hand, through attributevalue.
func FuzzPutAny(f *testing.F) {
	f.Add([]byte(`{"pk":"a","n":1.5,"l":[1,"x",null,true],"m":{"k":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var item map[string]any
		if err := json.Unmarshal(data, &item); err != nil {
			return
		}
		fuzzCheck(t, dynamo.Config{PartitionKey: "pk"}, item, func() string { return string(data) })
	})
}
