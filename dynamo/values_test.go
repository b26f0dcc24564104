package dynamo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

// useJSONTags makes attributevalue read the json tags of a struct.
func useJSONTags(o *attributevalue.EncoderOptions) { o.TagKey = "json" }

// jsonTagged is tagged for a TagKey of "json", with dynamodbav tags that
// say otherwise: under that TagKey, the json tags are the ones that count.
type jsonTagged struct {
	ID   string `json:"id"`
	Skip any    `json:"-" dynamodbav:"skip"`
	X    any    `json:"x" dynamodbav:"-"`
}

// The walk of items that hold interfaces reads the struct tags the encoder
// reads: what it leaves out is not looked at, what it marshals is.
func TestWalkHonoursTagKey(t *testing.T) {
	tests := []struct {
		name string
		item jsonTagged
		want error  // from Put
		msg  string // in Put's error
		kept AV     // the item in the table, if Put took it
	}{
		{"func in a field the TagKey leaves out", jsonTagged{ID: "1", Skip: func() {}}, nil, "",
			AV{"id": &S{Value: "1"}, "x": &types.AttributeValueMemberNULL{Value: true}}},
		{"func in a field the TagKey names", jsonTagged{ID: "1", X: func() {}}, dynamo.ErrInvalidItem, "attribute x is a func", nil},
		{"chan in a map in a field the TagKey names", jsonTagged{ID: "1", X: map[string]any{"c": make(chan int)}}, dynamo.ErrInvalidItem, "attribute x.c is a chan", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(testutil.KeySchema{PartitionKey: "id"})
			d := newDispatcher[jsonTagged](t, f, dynamo.Config{PartitionKey: "id", EncoderOptions: useJSONTags})
			err := d.Put(context.Background(), tc.item)
			closeOK(t, d)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Put = %v, want %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Put = %q, want it to say %q", err, tc.msg)
			}
			want := []AV{}
			if tc.kept != nil {
				want = append(want, tc.kept)
			}
			if diff := diffItems(want, f.Items(table)); diff != "" {
				t.Errorf("table mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// jsonChan holds a channel that a TagKey of "json" marshals and the
// dynamodbav tags leave out.
type jsonChan struct {
	ID string   `json:"id"`
	C  chan int `json:"c" dynamodbav:"-"`
}

// jsonSkippedChan holds a channel that a TagKey of "json" leaves out.
type jsonSkippedChan struct {
	ID string   `json:"id"`
	C  chan int `json:"-"`
}

// New refuses an item type with a channel in a field the encoder would
// marshal, by the tags of its TagKey, and only then.
func TestNewHonoursTagKey(t *testing.T) {
	f := newFake(testutil.KeySchema{PartitionKey: "id"})
	tests := []struct {
		name string
		mk   func(dynamo.Config) error
		opts func(*attributevalue.EncoderOptions)
		want string // in New's error; "" for none
	}{
		{"chan named by json tags, default TagKey", newOf[jsonChan](f), nil, ""},
		{"chan named by json tags, TagKey json", newOf[jsonChan](f), useJSONTags, "field c is a chan"},
		{"chan left out by json tags, default TagKey", newOf[jsonSkippedChan](f), nil, "field C is a chan"},
		{"chan left out by json tags, TagKey json", newOf[jsonSkippedChan](f), useJSONTags, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.mk(dynamo.Config{Table: table, PartitionKey: "id", EncoderOptions: tc.opts})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("New = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("New = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// newOf returns a function that makes a Dispatcher[T] over f, closes it and
// returns New's error.
func newOf[T any](f *testutil.FakeDynamoDB) func(dynamo.Config) error {
	return func(cfg dynamo.Config) error {
		d, err := dynamo.New[T](f, cfg)
		if err == nil {
			return d.Close(context.Background())
		}
		return err
	}
}
