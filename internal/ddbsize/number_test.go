package ddbsize

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestNumberSize(t *testing.T) {
	tests := []struct {
		n    string
		want int
		why  string
	}{
		{"0", 1, "zero is one byte"},
		{"-0", 1, "zero is one byte"},
		{"0.000", 1, "zero is one byte"},
		{"0E+500", 1, "zero is one byte, whatever the exponent"},
		{"0e50000000000000000000", 1, "zero is one byte, whatever the exponent"},
		{"1", 2, "one pair + exponent"},
		{"27", 2, "dyno-item-size README: number 27 counts 2"},
		{"99", 2, "one pair"},
		{"100", 2, "trailing zero pair dropped"},
		{"101", 3, "ddb-calc README: Id 101 counts 3"},
		{"500", 2, "ddb-calc README: PageCount 500 counts 2"},
		{"2099", 3, "ddbitemsizer README: expiresAt 2099 counts 3"},
		{"1000", 2, "10|00: trailing pair dropped"},
		{"12345", 4, "1|23|45"},
		{"+12345", 4, "a plus sign changes nothing"},
		{"1.5", 3, "01|50: the point splits the digits"},
		{"12.5", 3, "12|50"},
		{"12.34", 3, "12|34"},
		{"0.5", 2, "50"},
		{"0.05", 2, "05"},
		{"0.012", 3, "01|20"},
		{"0.0012", 2, "12"},
		{".5", 2, "no digits before the point"},
		{"5.", 2, "no digits after the point"},
		{"-1", 3, "negative: one byte more"},
		{"-1E-130", 3, "calculator's default favouriteNumber"},
		{"1E-130", 2, "smallest positive magnitude"},
		{"1e-130", 2, "lower-case e"},
		{"1E125", 2, "1 followed by 125 zeros"},
		{"1E+125", 2, "explicit exponent sign"},
		{"9.9999999999999999999999999999999999999E+125", 20, "largest magnitude: 99|99|...|99 is 19 pairs"},
		{"-9.9999999999999999999999999999999999999E+125", 21, "19 pairs, exponent, sign"},
		{"9.9999999999999999999999999999999999999E+124", 21, "38 digits misaligned: 09|99|...|90 is 20 pairs"},
		{"-9.9999999999999999999999999999999999999E+124", 21, "negative with 20 pairs: capped at 21"},
		{"99999999999999999999999999999999999999", 20, "38 digits aligned: 19 pairs"},
		{"-99999999999999999999999999999999999999", 21, "38 digits aligned, negative: 19 pairs + 2"},
		{"12345678901234567890123456789012345678000000", 20, "38 significant digits and trailing zeros"},
		{"0.00000000000000000000000000000000000000000001", 2, "leading zeros trimmed"},
		{"000123", 3, "leading zeros trimmed"},
		{"1.0000", 2, "trailing zeros trimmed"},
		{"100.5", 4, "01|00|50"},
		{"10.01", 3, "10|01"},
	}
	for _, tc := range tests {
		t.Run(tc.n, func(t *testing.T) {
			got, err := NumberSize(tc.n)
			if err != nil {
				t.Fatalf("NumberSize(%q) error: %v", tc.n, err)
			}
			if got != tc.want {
				t.Errorf("NumberSize(%q) = %d, want %d (%s)", tc.n, got, tc.want, tc.why)
			}
			if got != (&walker{}).numberSize(tc.n) {
				t.Errorf("numberSize(%q) = %d, NumberSize = %d", tc.n, (&walker{}).numberSize(tc.n), got)
			}
		})
	}
}

func TestNumberSizeErrors(t *testing.T) {
	tests := []struct {
		n       string
		wantMsg string // a part of the error message
	}{
		{"", "no digits"},
		{"-", "no digits"},
		{"+", "no digits"},
		{".", "no digits"},
		{"NaN", `unexpected 'N' at offset 0`},
		{"Inf", `unexpected 'I' at offset 0`},
		{"-Infinity", `unexpected 'I' at offset 1`},
		{"1e", "no digits in the exponent"},
		{"1e+", "no digits in the exponent"},
		{"1ex", `unexpected 'x' at offset 2`},
		{"1.2.3", `unexpected '.' at offset 3`},
		{" 1", `unexpected ' ' at offset 0`},
		{"1 ", `unexpected ' ' at offset 1`},
		{"0x10", `unexpected 'x' at offset 1`},
		{"1_000", `unexpected '_' at offset 1`},
		{"--1", `unexpected '-' at offset 1`},
		{"e5", `unexpected 'e' at offset 0`},
		{"123456789012345678901234567890123456789", "39 significant digits, more than 38"},
		{"1.00000000000000000000000000000000000001", "39 significant digits"},
		{"1E126", "above"},
		{"10E125", "above"},
		{"99999999999999999999999999999999999999E89", "above"},
		{"1E-131", "below 1E-130"},
		{"0.1E-130", "below 1E-130"},
		{"1E99999999999999999999999999", "above"},
		{"1E-99999999999999999999999999", "below"},
	}
	for _, tc := range tests {
		t.Run(tc.n, func(t *testing.T) {
			got, err := NumberSize(tc.n)
			if err == nil {
				t.Fatalf("NumberSize(%q) = %d, want an error", tc.n, got)
			}
			if !errors.Is(err, ErrInvalidNumber) {
				t.Errorf("error %v does not wrap ErrInvalidNumber", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
			if got := (&walker{}).numberSize(tc.n); got != maxNumberSize {
				t.Errorf("numberSize(%q) = %d, want %d", tc.n, got, maxNumberSize)
			}
		})
	}
}

// TestNumberSizeMatchesCalculator compares NumberSize with a literal port of
// calculateNumberSizeInBytes from github.com/zaccharles/dynamodb-calculator
// on many random valid numbers.
func TestNumberSizeMatchesCalculator(t *testing.T) {
	for _, num := range []string{"5.", ".5", "+.5", "-.5e-3", "0.0", "-0", "+0e9", "00.10E+02", "1E-130", "-9.9999999999999999999999999999999999999E+125"} {
		got, err := NumberSize(num)
		if err != nil {
			t.Fatalf("NumberSize(%q): %v", num, err)
		}
		if want := calculatorNumberSize(num); got != want {
			t.Errorf("NumberSize(%q) = %d, calculator says %d", num, got, want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		num := randomNumber(r)
		got, err := NumberSize(num)
		if err != nil {
			t.Fatalf("NumberSize(%q): %v", num, err)
		}
		if want := calculatorNumberSize(num); got != want {
			t.Fatalf("NumberSize(%q) = %d, calculator says %d", num, got, want)
		}
	}
}

// TestNumberSizeDocumentedApproximation checks that NumberSize is never
// below the Developer Guide's "(1 byte per two significant digits) + (1 byte)"
// (plus the byte of a negative sign) and at most one byte above it.
func TestNumberSizeDocumentedApproximation(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		num := randomNumber(r)
		got, err := NumberSize(num)
		if err != nil {
			t.Fatalf("NumberSize(%q): %v", num, err)
		}
		sig := significantDigits(num)
		doc := 1
		if sig > 0 {
			doc = (sig+1)/2 + 1
			if strings.HasPrefix(num, "-") {
				doc++
			}
		}
		if got < min(doc, maxNumberSize) || got > doc+1 {
			t.Fatalf("NumberSize(%q) = %d; %d significant digits: documented approximation %d", num, got, sig, doc)
		}
	}
}

// randomNumber returns a valid DynamoDB number in one of the spellings
// NumberSize accepts.
func randomNumber(r *rand.Rand) string {
	var sb strings.Builder
	switch r.IntN(3) {
	case 0:
		sb.WriteByte('-')
	case 1:
		if r.IntN(4) == 0 {
			sb.WriteByte('+')
		}
	}
	digits := 1 + r.IntN(38)
	point := r.IntN(digits + 1)
	leading := r.IntN(3) // leading zeros
	trailing := r.IntN(3)
	for range leading {
		sb.WriteByte('0')
	}
	for i := range digits {
		if i == point && r.IntN(3) == 0 {
			sb.WriteByte('.')
		}
		d := byte('0' + r.IntN(10))
		if i == 0 || i == digits-1 {
			d = byte('1' + r.IntN(9))
		}
		sb.WriteByte(d)
	}
	for range trailing {
		sb.WriteByte('0')
	}
	if r.IntN(2) == 0 {
		// An exponent that keeps the magnitude in range: the first digit
		// stands for 10^(digits+trailing-1) before the point is placed.
		exp := -100 + r.IntN(150)
		if strings.Contains(sb.String(), ".") {
			exp = -60 + r.IntN(100)
		}
		sb.WriteString([]string{"e", "E"}[r.IntN(2)])
		if exp >= 0 && r.IntN(2) == 0 {
			sb.WriteByte('+')
		}
		sb.WriteString(big.NewInt(int64(exp)).String())
	}
	return sb.String()
}

// significantDigits counts the digits of num between its first and last
// nonzero digit.
func significantDigits(num string) int {
	mant, _, _ := strings.Cut(strings.ToLower(num), "e")
	mant = strings.NewReplacer("-", "", "+", "", ".", "").Replace(mant)
	mant = strings.Trim(mant, "0")
	return len(mant)
}

// calculatorNumberSize is calculateNumberSizeInBytes, measure and zeros from
// github.com/zaccharles/dynamodb-calculator (index.html), with decimal.js's
// toFixed replaced by big.Rat. num must be valid.
func calculatorNumberSize(num string) int {
	// The calculator's "decimal == 0" test, done before big.Rat, which
	// rejects zeros with exponents past its range.
	mant, _, _ := strings.Cut(strings.ToLower(num), "e")
	if strings.Trim(mant, "+-.0") == "" {
		return 1
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		panic("big.Rat rejects " + num)
	}
	if r.Sign() == 0 {
		return 1
	}
	fixed := r.FloatString(200) // exact: no valid number has digits below 10^-168
	fixed = strings.TrimRight(fixed, "0")
	fixed = strings.TrimSuffix(fixed, ".")
	size := calculatorMeasure(strings.Replace(fixed, "-", "", 1)) + 1
	if strings.HasPrefix(fixed, "-") {
		size++
	}
	if size > 21 {
		size = 21
	}
	return size
}

func calculatorMeasure(n string) int {
	if p0, p1, ok := strings.Cut(n, "."); ok {
		if p0 == "0" {
			p0 = ""
			p1 = calculatorZeros(p1, true, false)
		}
		if len(p0)%2 != 0 {
			p0 = "Z" + p0
		}
		if len(p1)%2 != 0 {
			p1 += "Z"
		}
		return calculatorMeasure(p0 + p1)
	}
	n = calculatorZeros(n, true, true)
	return (len(n) + 1) / 2
}

func calculatorZeros(n string, left, right bool) string {
	for left && strings.HasPrefix(n, "00") {
		n = n[2:]
	}
	for right && strings.HasSuffix(n, "00") {
		n = n[:len(n)-2]
	}
	return n
}
