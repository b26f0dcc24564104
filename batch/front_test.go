package batch_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/batchutils/batchutils/batch"
)

var errOdd = errors.New("odd length")

// wordBackend is a Backend of words: each word is sent as its length, keyed
// by its first letter; Write refuses odd lengths on their own.
type wordBackend struct {
	mu    sync.Mutex
	calls [][]int
}

func (b *wordBackend) Name() string { return "words" }

func (b *wordBackend) Limits() batch.Limits { return batch.Limits{MaxItems: 3, MaxItemBytes: 10} }

func (b *wordBackend) Encode(w string) (batch.Entry[int], error) {
	if w == "" {
		return batch.Entry[int]{}, errors.New("empty word")
	}
	return batch.Entry[int]{Value: len(w), Key: w[:1], Size: len(w)}, nil
}

func (b *wordBackend) Write(_ context.Context, lens []int) (batch.Outcome, error) {
	b.mu.Lock()
	b.calls = append(b.calls, append([]int(nil), lens...))
	b.mu.Unlock()
	var out batch.Outcome
	for i, n := range lens {
		if n%2 == 1 {
			out.Failed = append(out.Failed, batch.ItemError{Index: i, Err: errOdd})
		}
	}
	return out, nil
}

// A Front hands the caller's own items back: in Flush's failures and to
// SubmitWait, and refuses at Submit what Encode refuses.
func TestFrontHandsItemsBack(t *testing.T) {
	b := &wordBackend{}
	f, err := batch.NewFront[string, int](b, batch.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, w := range []string{"ab", "cde", "fghi", "jklmn"} {
		if err := f.Submit(ctx, w); err != nil {
			t.Fatalf("Submit(%q) = %v", w, err)
		}
	}
	if err := f.Submit(ctx, ""); err == nil || !strings.Contains(err.Error(), "empty word") {
		t.Errorf("Submit(\"\") = %v, want Encode's error", err)
	}
	if err := f.Submit(ctx, "twelve chars"); !errors.Is(err, batch.ErrItemTooLarge) {
		t.Errorf("Submit of 12 bytes = %v, want ErrItemTooLarge", err)
	}
	err = f.Flush(ctx)
	var fe *batch.FailedError[string]
	if !errors.As(err, &fe) {
		t.Fatalf("Flush = %v, want *FailedError[string]", err)
	}
	var got []string
	for _, fl := range fe.Failures {
		if !errors.Is(fl.Err, errOdd) {
			t.Errorf("failure of %q: %v, want errOdd", fl.Item, fl.Err)
		}
		got = append(got, fl.Item)
	}
	slices.Sort(got) // calls run concurrently
	if diff := cmp.Diff([]string{"cde", "jklmn"}, got); diff != "" {
		t.Errorf("failed items mismatch (-want +got):\n%s", diff)
	}
	if err := f.SubmitWait(ctx, "xyz"); !errors.Is(err, errOdd) {
		t.Errorf("SubmitWait(odd) = %v, want errOdd", err)
	}
	if err := f.SubmitWait(ctx, "xy"); err != nil {
		t.Errorf("SubmitWait(even) = %v, want nil", err)
	}
	// SubmitWith encodes another way: here, as the word doubled.
	double := func(w string) (batch.Entry[int], error) {
		return batch.Entry[int]{Value: 2 * len(w), Key: w[:1], Size: len(w)}, nil
	}
	if err := f.SubmitWaitWith(ctx, "odd", double); err != nil {
		t.Errorf("SubmitWaitWith = %v, want nil: sent as 6", err)
	}
	if err := f.SubmitWith(ctx, "q", double); err != nil {
		t.Errorf("SubmitWith = %v", err)
	}
	if err := f.Close(ctx); err != nil {
		t.Errorf("Close = %v", err)
	}
	st := f.Stats()
	want := batch.Stats{Submitted: 8, Written: 5, Failed: 3, Rejected: 2, Batches: st.Batches}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
	if err := f.Submit(ctx, "late"); !errors.Is(err, batch.ErrClosed) {
		t.Errorf("Submit after Close = %v, want ErrClosed", err)
	}
}

// A Named backend's configuration errors name the field as its user set it.
func TestFrontConfigErrorsNameTheBackend(t *testing.T) {
	_, err := batch.NewFront[string, int](&wordBackend{}, batch.Config{MaxBatchItems: 4})
	want := "words: Config.Batch.MaxBatchItems 4 is more than the sink allows (3)"
	if err == nil || err.Error() != want {
		t.Errorf("NewFront = %v, want %q", err, want)
	}
}
