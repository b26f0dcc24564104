package ddbsize

import (
	"math/big"
	"strconv"
	"strings"
	"testing"
)

func TestCanonicalNumber(t *testing.T) {
	tests := []struct {
		name     string
		spelling []string
		want     string
	}{
		{"one million", []string{"1000000", "1e6", "1E6", "1E+6", "1e+06", "1000000.0", "01000000", "+1000000", "10e5", "0.1e7", "1000000.000e0", ".000001e12", "100000000e-2"}, "1000000"},
		{"below the old switch to exponents", []string{"999999", "9.99999e5", "999999.0"}, "999999"},
		{"zero", []string{"0", "-0", "+0", "0.0", "-0.000", "0e5", "0E-130", ".0", "0.", "000"}, "0"},
		{"negative", []string{"-1000000", "-1e6", "-1E+6", "-1000000.0", "-0.1E7"}, "-1000000"},
		{"fraction", []string{"0.5", ".5", "5e-1", "5E-1", "50e-2", "0.50", "+0.5"}, "0.5"},
		{"negative fraction", []string{"-12.5", "-1.25e1", "-125e-1", "-0012.500"}, "-12.5"},
		{"small", []string{"1e-130", "1E-130", "0.1e-129", "10e-131"}, "0." + strings.Repeat("0", 129) + "1"},
		{"big", []string{"1e125", "1E+125", "10e124", "0.1e126"}, "1" + strings.Repeat("0", 125)},
		{"38 digits", []string{"1.2345678901234567890123456789012345678e37", "12345678901234567890123456789012345678", "12345678901234567890123456789012345678.000"}, "12345678901234567890123456789012345678"},
		{"38 digits, scaled", []string{"1.2345678901234567890123456789012345678e40"}, "12345678901234567890123456789012345678000"},
		{"38 digits, fraction", []string{"-1.2345678901234567890123456789012345678e-5", "-0.000012345678901234567890123456789012345678"}, "-0.000012345678901234567890123456789012345678"},
		{"point inside", []string{"123.456", "1.23456e2", "123456e-3", "0.123456E+3"}, "123.456"},
		{"exponent with leading zeros", []string{"1e-00000000000000000000000003", "0.001"}, "0.001"},
		{"not a number: returned as it is", []string{"NaN"}, "NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range tc.spelling {
				if got := CanonicalNumber(s); got != tc.want {
					t.Errorf("CanonicalNumber(%q) = %q, want %q", s, got, tc.want)
				}
			}
		})
	}
}

func TestCanonicalNumberPlainIntegerDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { CanonicalNumber("-1234567") }); n != 0 {
		t.Errorf("CanonicalNumber of a plain integer: %v allocations, want 0", n)
	}
}

// FuzzCanonicalNumber checks CanonicalNumber against math/big: for numbers
// NumberSize accepts, the canonical form is itself valid and canonical, has
// the same value, is equal for two numbers exactly when their values are
// equal, and is the same for other spellings of the same value.
func FuzzCanonicalNumber(f *testing.F) {
	for _, s := range [][2]string{
		{"1000000", "1e6"}, {"1E+6", "1000000.0"}, {"-0", "0"}, {"1.5", "15e-1"},
		{"1e-130", "-1e-130"}, {"9.9999999999999999999999999999999999999E+125", "1e125"},
		{"12345678901234567890123456789012345678", "1.2345678901234567890123456789012345678e37"},
		{"0.000120", "1.2e-4"}, {"+007", "7"}, {"999999", "1e6"}, {"10", "1e1"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ca, va, okA := checkCanonical(t, a)
		cb, vb, okB := checkCanonical(t, b)
		if !okA || !okB {
			return
		}
		if same := va.Cmp(vb) == 0; same != (ca == cb) {
			t.Errorf("%q and %q: values equal %v, but canonical forms %q and %q", a, b, same, ca, cb)
		}
	})
}

// checkCanonical checks CanonicalNumber(n) alone and for other spellings of
// n, and returns it with n's value; ok is false when n is not a valid number.
func checkCanonical(t *testing.T, n string) (canon string, value *big.Rat, ok bool) {
	t.Helper()
	if _, err := NumberSize(n); err != nil {
		if got := CanonicalNumber(n); got != n {
			t.Errorf("CanonicalNumber(%q) of an invalid number = %q, want it unchanged", n, got)
		}
		return "", nil, false
	}
	value = refValue(t, n)
	canon = CanonicalNumber(n)
	if _, err := NumberSize(canon); err != nil {
		t.Fatalf("CanonicalNumber(%q) = %q, not a valid number: %v", n, canon, err)
	}
	if cv := refValue(t, canon); cv.Cmp(value) != 0 {
		t.Errorf("CanonicalNumber(%q) = %q: value %v, want %v", n, canon, cv, value)
	}
	if again := CanonicalNumber(canon); again != canon {
		t.Errorf("CanonicalNumber(%q) = %q, not canonical: it gives %q", n, canon, again)
	}
	for _, s := range respell(canon) {
		if v := refValue(t, s); v.Cmp(value) != 0 {
			t.Fatalf("test bug: respelling %q of %q has value %v, want %v", s, canon, v, value)
		}
		if _, err := NumberSize(s); err != nil {
			continue // more than 38 significant digits with the zeros, say
		}
		if got := CanonicalNumber(s); got != canon {
			t.Errorf("CanonicalNumber(%q) = %q, want %q as for %q (same value)", s, got, canon, n)
		}
	}
	return canon, value, true
}

// refValue returns the value of the number n (valid by NumberSize) with
// math/big: the mantissa's digits as an integer, scaled by ten to the
// exponent less the number of fraction digits.
func refValue(t *testing.T, n string) *big.Rat {
	t.Helper()
	mant, expPart, _ := strings.Cut(strings.ToLower(n), "e")
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimLeft(mant, "+-")
	intPart, frac, _ := strings.Cut(mant, ".")
	digits, ok := new(big.Int).SetString("0"+intPart+frac, 10)
	if !ok {
		t.Fatalf("refValue(%q): bad mantissa", n)
	}
	if digits.Sign() == 0 {
		return new(big.Rat)
	}
	exp := int64(0)
	if expPart != "" {
		e, ok := new(big.Int).SetString(strings.TrimPrefix(expPart, "+"), 10)
		if !ok || !e.IsInt64() {
			t.Fatalf("refValue(%q): bad exponent", n)
		}
		exp = e.Int64()
	}
	exp -= int64(len(frac))
	if neg {
		digits.Neg(digits)
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(max(exp, -exp)), nil)
	if exp >= 0 {
		return new(big.Rat).SetInt(digits.Mul(digits, scale))
	}
	return new(big.Rat).SetFrac(digits, scale)
}

// respell returns other spellings of canon, a canonical number: with an
// exponent, a plus sign, leading and trailing zeros, the point moved.
func respell(canon string) []string {
	sign, mag := "", canon
	if strings.HasPrefix(canon, "-") {
		sign, mag = "-", canon[1:]
	}
	intPart, frac, _ := strings.Cut(mag, ".")
	digits := intPart + frac // the point after len(intPart) digits
	out := []string{
		sign + "00" + mag,
		sign + mag + "e0",
		sign + mag + "E-0",
	}
	if sign == "" {
		out = append(out, "+"+mag)
	} else {
		out = append(out, "-0"+mag)
	}
	if frac == "" {
		out = append(out, sign+mag+".000", sign+mag+".")
	} else {
		out = append(out, sign+mag+"000")
	}
	for _, shift := range []int{-3, -1, 1, 2, 40} {
		// digits with the point moved by shift places to the left, and the
		// exponent raised by shift.
		p := len(intPart) - shift
		var m string
		switch {
		case p <= 0:
			m = "0." + strings.Repeat("0", -p) + digits
		case p >= len(digits):
			m = digits + strings.Repeat("0", p-len(digits))
		default:
			m = digits[:p] + "." + digits[p:]
		}
		out = append(out, sign+m+"e"+strconv.Itoa(shift), sign+m+"E+"+strconv.Itoa(shift))
	}
	return out
}
