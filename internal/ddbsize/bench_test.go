package ddbsize

import (
	"strconv"
	"strings"
	"testing"
)

// BenchmarkSizes measures Sizes on a typical small item, a nested one, and
// one 400 KB string with some characters to escape. It must not allocate.
func BenchmarkSizes(b *testing.B) {
	tags := make([]string, 20)
	for i := range tags {
		tags[i] = "tag-" + strconv.Itoa(i)
	}
	items := []struct {
		name string
		item item
	}{
		{"small", item{
			"pk":        s("USER#6d1f5a2c-8b1e-4b7a-9c55-0f1f0e6a1b22"),
			"sk":        s("PROFILE#2024-06-01T12:00:00Z"),
			"name":      s("Ada Lovelace"),
			"email":     s("ada@example.com"),
			"age":       n("36"),
			"balance":   n("-1234.56"),
			"active":    boolean(true),
			"deletedAt": null(),
			"avatar":    bin([]byte(strings.Repeat("\x89PNG", 64))),
			"tags":      ss(tags...),
		}},
		{"nested", item{
			"pk": s("ORDER#1"),
			"lines": l(
				m(item{"sku": s("A-1"), "qty": n("2"), "price": n("19.99"), "notes": s("gift \"wrap\"\nplease")}),
				m(item{"sku": s("B-2"), "qty": n("1"), "price": n("5"), "opts": l(s("red"), s("größe L"))}),
				m(item{"sku": s("C-3"), "qty": n("10"), "price": n("0.5"), "dims": ns("1.5", "2", "30")}),
			),
			"address": m(item{"street": s("1 Main St"), "city": s("Zürich"), "geo": l(n("47.3769"), n("8.5417"))}),
		}},
		{"400KB string", item{
			"pk":   s("DOC#1"),
			"body": s(strings.Repeat("Lorem ipsum dolor sit amet, \"consectetur\" adipiscing elit.\n", 400_000/60)),
		}},
	}
	for _, tc := range items {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Sizes(tc.item)
			}
		})
	}
}
