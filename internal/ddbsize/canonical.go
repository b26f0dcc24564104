package ddbsize

import "strings"

// CanonicalNumber returns one spelling for each number value, so that two
// spellings DynamoDB takes for the same number (1000000, 1e6, 1E+6,
// 1000000.0, 01000000, +1000000) give the same string, and two different
// numbers give different strings.
//
// The form is a plain decimal without exponent: an optional '-' (never for
// zero), the integer digits without leading zeros ("0" when there are none),
// then, for a number that is not an integer, '.' and the fraction digits
// without trailing zeros. Zero, whatever its sign or exponent, is "0". An
// integer already in this form (such as 42 or -7) is returned as it is,
// without allocating.
//
// n must be a number NumberSize accepts; any other string is returned as it
// is. The result is at most 171 bytes long (a number of 38 significant
// digits below 1E-130's magnitude is refused by NumberSize).
func CanonicalNumber(n string) string {
	if plainInteger(n) {
		return n
	}
	if _, bad := parseNumber(n); bad.kind != numOK {
		return n
	}
	i := 0
	neg := false
	if n[0] == '+' || n[0] == '-' {
		neg = n[0] == '-'
		i++
	}
	// The mantissa's digits, read as one run as in parseNumber: point is
	// the number of digits before the point.
	var run strings.Builder
	point := -1
	for ; i < len(n); i++ {
		c := n[i]
		if c == '.' {
			point = run.Len()
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		run.WriteByte(c)
	}
	digits := run.String()
	if point < 0 {
		point = len(digits)
	}
	first := strings.IndexFunc(digits, func(r rune) bool { return r != '0' })
	if first < 0 {
		return "0"
	}
	last := strings.LastIndexFunc(digits, func(r rune) bool { return r != '0' })
	var exp int64
	if i < len(n) { // 'e' or 'E', then digits with an optional sign
		i++
		expNeg := false
		if n[i] == '+' || n[i] == '-' {
			expNeg = n[i] == '-'
			i++
		}
		for ; i < len(n); i++ {
			if exp < 1<<40 {
				exp = exp*10 + int64(n[i]-'0')
			}
		}
		if expNeg {
			exp = -exp
		}
	}
	sig := digits[first : last+1]
	// The digit at index k of the run stands for 10^(point-1-k+exp); NumberSize
	// has checked that high and low are within DynamoDB's range.
	high := int(int64(point-1-first) + exp)
	low := int(int64(point-1-last) + exp)

	var b strings.Builder
	b.Grow(len(sig) + max(low, 0) + max(-high, 0) + 3)
	if neg {
		b.WriteByte('-')
	}
	switch {
	case low >= 0: // an integer: the digits, then zeros
		b.WriteString(sig)
		b.WriteString(strings.Repeat("0", low))
	case high >= 0: // the point falls among the digits
		b.WriteString(sig[:high+1])
		b.WriteByte('.')
		b.WriteString(sig[high+1:])
	default: // below one
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -high-1))
		b.WriteString(sig)
	}
	return b.String()
}

// plainInteger reports whether s is an integer already in canonical form: at
// least one digit, no leading zero, no plus sign, no "-0", and not so long
// that it could hold more than 38 significant digits.
func plainInteger(s string) bool {
	d := s
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if d == "" || d[0] == '0' || len(d) > maxDigits {
		return d == "0" && len(s) == 1
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}
