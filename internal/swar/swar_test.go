package swar

import (
	"encoding/binary"
	"math/bits"
	"testing"
)

// TestFlags puts each byte value in each place of a word, between bytes
// that no test flags and bytes that every test flags, and wants each test's
// lowest flag exactly where its byte-at-a-time rule says.
func TestFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    func(uint64) uint64
		stop func(b byte) bool // the byte-at-a-time rule
	}{
		{"NonASCII", NonASCII, func(b byte) bool { return b >= 0x80 }},
		{"Below 0x20", func(w uint64) uint64 { return Below(w, 0x20) }, func(b byte) bool { return b < 0x20 }},
		{"Below 0x80", func(w uint64) uint64 { return Below(w, 0x80) }, func(b byte) bool { return b < 0x80 }},
		{"Below 1", func(w uint64) uint64 { return Below(w, 1) }, func(b byte) bool { return b == 0 }},
		{"Equal quote", func(w uint64) uint64 { return Equal(w, '"') }, func(b byte) bool { return b == '"' }},
		{"Equal DEL", func(w uint64) uint64 { return Equal(w, 0x7F) }, func(b byte) bool { return b == 0x7F }},
		{"Equal 0", func(w uint64) uint64 { return Equal(w, 0) }, func(b byte) bool { return b == 0 }},
		{"JSONPlain", JSONPlain, func(b byte) bool { return b >= 0x80 || b < 0x20 || b == '"' || b == '\\' || b == 0x7F }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A byte the rule lets through, and one it stops at.
			pass, stop := byte(0), byte(0)
			for b := range 256 {
				if tc.stop(byte(b)) {
					stop = byte(b)
				} else {
					pass = byte(b)
				}
			}
			for v := range 256 {
				for at := range 8 {
					var w [8]byte
					for i := range w {
						switch {
						case i < at:
							w[i] = pass
						case i > at:
							w[i] = stop
						default:
							w[i] = byte(v)
						}
					}
					want := 8 // no flag
					for i := range w {
						if tc.stop(w[i]) {
							want = i
							break
						}
					}
					if got := bits.TrailingZeros64(tc.f(binary.LittleEndian.Uint64(w[:]))) / 8; got != want {
						t.Errorf("%s(% x): first flag at byte %d, want %d", tc.name, w, got, want)
					}
				}
			}
		})
	}
}

func TestWord(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"\x01\x02\x03\x04\x05\x06\x07\x08", "abcdefgh and more", "\xff\x00\xff\x00\xff\x00\xff\x00"} {
		if got, want := Word(s), binary.LittleEndian.Uint64([]byte(s)); got != want {
			t.Errorf("Word(%q) = %#x, want %#x", s, got, want)
		}
	}
}

func TestSkip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		i    int
		f    uint64
		want int
		all  bool
	}{
		{i: 16, f: 0, want: 24, all: true},
		{i: 16, f: 0x80, want: 16},
		{i: 16, f: 0x8080_0000_0000, want: 20},
		{i: 0, f: 0x8000_0000_0000_0000, want: 7},
	}
	for _, tc := range tests {
		if got, all := Skip(tc.i, tc.f); got != tc.want || all != tc.all {
			t.Errorf("Skip(%d, %#x) = %d, %v; want %d, %v", tc.i, tc.f, got, all, tc.want, tc.all)
		}
	}
}
