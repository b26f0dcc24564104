// Package swar tests the eight bytes of a word at once, for the loops that
// scan strings for the few bytes that need a closer look (escaping a JSON
// string, reading one, checking an SQS message's characters): each loop
// reads eight bytes with Word, flags the bytes it stops at, and goes on
// eight bytes further, or with Skip to the first flagged one.
//
// A flag is the high bit of a byte. The tests work by subtraction, whose
// borrow out of a flagged byte may flag the bytes above it too: the lowest
// flag of a word is exact, the others may not be. Every function here is
// small enough to be inlined in the loop that calls it.
package swar

import "math/bits"

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// Word returns the first eight bytes of s, which has at least eight, as a
// little-endian word: one load once inlined.
func Word(s string) uint64 {
	s = s[:8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// NonASCII flags the bytes of w with their high bit set: exactly those.
func NonASCII(w uint64) uint64 { return w & highBits }

// Below flags the bytes of w under c, for c at most 0x80: a borrow out of
// such a byte sets its high bit, which no byte under 0x80 had.
func Below(w uint64, c byte) uint64 { return (w - lowBits*uint64(c)) &^ w & highBits }

// Equal flags the bytes of w equal to c: the zero bytes of w XOR c.
func Equal(w uint64, c byte) uint64 { return zeroBytes(w ^ lowBits*uint64(c)) }

// zeroBytes flags the zero bytes of v, found as Below finds the bytes under 1.
func zeroBytes(v uint64) uint64 { return (v - lowBits) &^ v & highBits }

// JSONPlain flags the bytes of w that a JSON string, as aws-sdk-go-v2 writes
// it, does not hold as they are: a byte of UTF-8 beyond ASCII (valid or not,
// to be read as a character), a control byte, ", \ and DEL. It is
// NonASCII, Below 0x20 and Equal to each of the three, written out with
// their constants, so that it stays small enough to be inlined.
func JSONPlain(w uint64) uint64 {
	return w&highBits | (w-0x20*lowBits)&^w&highBits |
		zeroBytes(w^'"'*lowBits) | zeroBytes(w^'\\'*lowBits) | zeroBytes(w^0x7F*lowBits)
}

// Skip returns i, the place in a string of the word whose flags are f,
// moved to the first byte f flags, and false; or moved past the word, and
// true, when f flags none.
func Skip(i int, f uint64) (int, bool) {
	if f == 0 {
		return i + 8, true
	}
	return i + bits.TrailingZeros64(f)/8, false
}
