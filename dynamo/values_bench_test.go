package dynamo_test

import (
	"testing"
)

// BenchmarkPutDynamic is BenchmarkPut for items whose type holds interfaces,
// which Put walks for functions, channels and cycles before marshalling.
func BenchmarkPutDynamic(b *testing.B) {
	es := events(1 << 14)
	maps := make([]map[string]any, len(es))
	withAnys := make([]withAny, len(es))
	for i, e := range es {
		maps[i] = map[string]any{"id": e.ID, "kind": e.Kind, "count": e.Count, "amount": e.Amount, "enabled": e.Enabled}
		withAnys[i] = withAny{ID: e.ID, X: map[string]any{"kind": e.Kind, "count": e.Count, "tags": []any{"a", "b"}}}
	}
	b.Run("map", func(b *testing.B) { benchPut(b, maps) })
	b.Run("struct-with-any", func(b *testing.B) { benchPut(b, withAnys) })
}
