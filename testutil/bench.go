package testutil

import "testing"

// LoopOver runs f on items in turn, one item per iteration of b.Loop, and
// reports allocations: the loop of a benchmark of one call per item (an
// Encode, a Put). len(items) must be a power of two, so that the turn costs
// a mask and not a division. An error of f fails b.
func LoopOver[T any](b *testing.B, items []T, f func(T) error) {
	b.Helper()
	if n := len(items); n == 0 || n&(n-1) != 0 {
		b.Fatalf("LoopOver: %d items, not a power of two", n)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := f(items[i&(len(items)-1)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
