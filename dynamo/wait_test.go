package dynamo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
	"github.com/batchutils/batchutils/testutil"
)

// TestPutWaitAndDeleteWait checks that PutWait and DeleteWait return each
// item's own outcome, and that a failure they return is not reported again
// by Close.
func TestPutWaitAndDeleteWait(t *testing.T) {
	f := newFake(testutil.KeySchema{PartitionKey: "id"})
	f.Unprocessed = func(_ string, wr types.WriteRequest) bool {
		return wr.PutRequest != nil && wr.PutRequest.Item["id"].(*S).Value == "stuck"
	}
	d := newDispatcher[AV](t, f, dynamo.Config{PartitionKey: "id"})
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		call    func() error
		wantErr error
	}{
		{name: "put", call: func() error { return d.PutWait(ctx, AV{"id": &S{Value: "a"}}) }},
		{name: "put, then delete", call: func() error {
			if err := d.PutWait(ctx, AV{"id": &S{Value: "b"}}); err != nil {
				return err
			}
			return d.DeleteWait(ctx, AV{"id": &S{Value: "b"}})
		}},
		{name: "never processed", call: func() error { return d.PutWait(ctx, AV{"id": &S{Value: "stuck"}}) }, wantErr: batch.ErrUnprocessed},
		{name: "refused at Put", call: func() error { return d.PutWait(ctx, AV{"other": &S{Value: "x"}}) }, wantErr: dynamo.ErrInvalidKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.wantErr == nil && err != nil || !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
	if n := len(f.Items(table)); n != 1 {
		t.Errorf("%d items in the table, want 1 (a)", n)
	}
	if err := d.Close(ctx); err != nil {
		t.Errorf("Close = %v, want nil: PutWait took the failure", err)
	}
}
