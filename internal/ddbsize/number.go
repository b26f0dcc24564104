package ddbsize

import (
	"errors"
	"fmt"
)

// ErrInvalidNumber is the error [NumberSize] wraps when its argument is not a
// number DynamoDB accepts. Match it with errors.Is.
var ErrInvalidNumber = errors.New("ddbsize: invalid DynamoDB number")

// Limits of DynamoDB numbers (Developer Guide, "Constraints in Amazon
// DynamoDB", Number: "up to 38 digits of precision"; positive range 1E-130 to
// 9.9999999999999999999999999999999999999E+125, negative range likewise).
const (
	maxDigits   = 38
	minExponent = -130 // of the first significant digit: 1E-130
	maxExponent = 125  // 9.99...E+125
)

// maxNumberSize is the most bytes a valid number takes: 20 base-100 digits
// (38 significant digits, misaligned) plus the exponent byte.
const maxNumberSize = 21

// NumberSize returns the size DynamoDB counts for a number given as its decimal string (significant digits; an error for a string that is not a valid DynamoDB number: empty, NaN, Inf, over 38 significant digits, exponent out of range).
//
// The Developer Guide ("DynamoDB item sizes and formats") gives the size only
// approximately: "Leading and trailing zeroes are trimmed. The size of a
// number is approximately (1 byte per two significant digits) + (1 byte)."
// NumberSize follows the exact rule of Zac Charles's calculator
// (github.com/zaccharles/dynamodb-calculator, calculateNumberSizeInBytes),
// which stores the digits in base-100 pairs aligned on the decimal point:
//
//   - zero is 1 byte;
//   - otherwise the digits are paired around the decimal point (1.5 is the
//     pairs 01|50, 12.3 is 12|30, 0.05 is 05), pairs of zeros at either end
//     are dropped, and each remaining pair is a byte;
//   - one byte more holds the exponent;
//   - a negative number takes one byte more, up to 21 bytes in all.
//
// This is never below the guide's approximation (with the negative byte) and
// exceeds it by one byte at most, when the pairing splits the digits
// unevenly (1.5: 3 bytes against 2), so it errs on the safe side for a size
// limit.
//
// The syntax accepted is a decimal with an optional sign and exponent,
// [+-]digits[.digits][(e|E)[+-]digits], with digits on at least one side of
// the point (Java's BigDecimal syntax; the guide does not say which
// spellings DynamoDB takes). Spaces, hexadecimal, NaN and Infinity are
// rejected, and so are numbers with more than 38 significant digits or whose
// magnitude is outside 1E-130 to 9.9999999999999999999999999999999999999E+125
// (Developer Guide, "Constraints in Amazon DynamoDB"). The error wraps
// [ErrInvalidNumber].
func NumberSize(n string) (int, error) {
	size, bad := parseNumber(n)
	if bad.kind != numOK {
		return 0, fmt.Errorf("%w %q: %s", ErrInvalidNumber, n, bad.describe(n))
	}
	return size, nil
}

// numErrKind says what is wrong with a number string.
type numErrKind uint8

const (
	numOK          numErrKind = iota
	numNoDigits               // no mantissa digits, and nothing else either
	numUnexpected             // a byte that does not belong at offset
	numNoExpDigits            // an exponent marker without digits
	numTooPrecise             // more than maxDigits significant digits
	numTooLarge               // magnitude of 1E+126 or more
	numTooSmall               // nonzero magnitude below 1E-130
)

// numErr is why parseNumber rejected a string; it is formatted only when
// NumberSize reports it, so that the item walk never allocates.
type numErr struct {
	kind   numErrKind
	offset int // numUnexpected: where
	digits int // numTooPrecise: how many significant digits
}

func (e numErr) describe(n string) string {
	switch e.kind {
	case numNoDigits:
		return "no digits"
	case numUnexpected:
		return fmt.Sprintf("unexpected %q at offset %d", n[e.offset], e.offset)
	case numNoExpDigits:
		return "no digits in the exponent"
	case numTooPrecise:
		return fmt.Sprintf("%d significant digits, more than %d", e.digits, maxDigits)
	case numTooLarge:
		return "magnitude above 9.9999999999999999999999999999999999999E+125"
	case numTooSmall:
		return "magnitude below 1E-130"
	}
	return "valid"
}

// parseNumber returns the size of n, or why n is not a valid DynamoDB number.
func parseNumber(n string) (size int, bad numErr) {
	i := 0
	neg := false
	if i < len(n) && (n[i] == '+' || n[i] == '-') {
		neg = n[i] == '-'
		i++
	}

	// Mantissa: the digits before and after the point, read as one run.
	// first and last are the indexes in that run of the first and last
	// nonzero digits; point is the number of digits before the point.
	digits, point := 0, -1
	first, last := -1, -1
mantissa:
	for ; i < len(n); i++ {
		switch c := n[i]; {
		case '0' <= c && c <= '9':
			if c != '0' {
				if first < 0 {
					first = digits
				}
				last = digits
			}
			digits++
		case c == '.' && point < 0:
			point = digits
		default:
			break mantissa
		}
	}
	if digits == 0 {
		if i < len(n) {
			return 0, numErr{kind: numUnexpected, offset: i}
		}
		return 0, numErr{kind: numNoDigits}
	}
	if point < 0 {
		point = digits
	}

	// Exponent, saturated far beyond the valid range.
	var exp int64
	if i < len(n) && (n[i] == 'e' || n[i] == 'E') {
		i++
		expNeg := false
		if i < len(n) && (n[i] == '+' || n[i] == '-') {
			expNeg = n[i] == '-'
			i++
		}
		start := i
		for ; i < len(n) && '0' <= n[i] && n[i] <= '9'; i++ {
			if exp < 1<<40 {
				exp = exp*10 + int64(n[i]-'0')
			}
		}
		if i == start {
			if i < len(n) {
				return 0, numErr{kind: numUnexpected, offset: i}
			}
			return 0, numErr{kind: numNoExpDigits}
		}
		if expNeg {
			exp = -exp
		}
	}
	if i != len(n) {
		return 0, numErr{kind: numUnexpected, offset: i}
	}

	if first < 0 {
		return 1, numErr{} // zero, whatever its sign and exponent
	}
	if sig := last - first + 1; sig > maxDigits {
		return 0, numErr{kind: numTooPrecise, digits: sig}
	}
	// The digit at index k of the run stands for 10^(point-1-k+exp).
	high := int64(point-1-first) + exp
	low := int64(point-1-last) + exp
	if high > maxExponent {
		return 0, numErr{kind: numTooLarge}
	}
	if high < minExponent {
		return 0, numErr{kind: numTooSmall}
	}
	// Base-100 digits: powers 2p and 2p+1 of ten share pair p.
	size = int(floorHalf(high)-floorHalf(low)) + 1 // pairs
	size++                                         // exponent byte
	if neg {
		size++
	}
	return min(size, maxNumberSize), numErr{}
}

// floorHalf returns x/2 rounded down.
func floorHalf(x int64) int64 {
	return x >> 1
}
