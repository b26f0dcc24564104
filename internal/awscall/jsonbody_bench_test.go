package awscall

import (
	"strings"
	"testing"
)

// BenchmarkAppendString writes strings as a body holds them: a JSON
// message (a quote every few bytes), plain text, and text with a few
// characters beyond ASCII.
func BenchmarkAppendString(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"json", strings.Repeat(`{"id":"order-1234","qty":3,"note":"ok"},`, 6)},
		{"plain", strings.Repeat("plain ascii text of a message body, ", 7)},
		{"utf8", strings.Repeat("grüße aus köln, ", 15)},
	} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 2*len(c.s)+2)
			b.SetBytes(int64(len(c.s)))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendString(buf[:0], c.s)
			}
		})
	}
}
