package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct {
		span float64
		n    int
		want float64
	}{
		{span: 2.2, n: 10, want: 0.5},
		{span: 1.8, n: 10, want: 0.2},
		{span: 60_000, n: 8, want: 10_000},
		{span: 25_000, n: 8, want: 5_000},
		{span: 10, n: 10, want: 1},
	} {
		if got := niceStep(tc.span, tc.n); got != tc.want {
			t.Errorf("niceStep(%v, %d) = %v, want %v", tc.span, tc.n, got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {20000, "20,000"}, {1234567, "1,234,567"}} {
		if got := thousands(tc.v); got != tc.want {
			t.Errorf("thousands(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestSmooth(t *testing.T) {
	s := series{label: "x", ms: []float64{0, 50, 100, 150}, rate: []float64{3, 6, 9, 0}}
	for _, tc := range []struct {
		n    int
		want []float64
	}{
		{n: 1, want: []float64{3, 6, 9, 0}},
		{n: 3, want: []float64{4.5, 6, 5, 4.5}},
	} {
		if diff := cmp.Diff(tc.want, smooth(s, tc.n).rate); diff != "" {
			t.Errorf("smooth(%d) mismatch (-want +got):\n%s", tc.n, diff)
		}
	}
}

func TestReadSeries(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	empty := filepath.Join(dir, "empty.csv")
	for path, text := range map[string]string{
		good:  "ms,items_per_s\n0,100\n50,200\n",
		bad:   "ms,items_per_s\n0;100\n",
		empty: "ms,items_per_s\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := readSeries("ours", good)
	if err != nil {
		t.Fatalf("readSeries: %v", err)
	}
	if diff := cmp.Diff(series{label: "ours", ms: []float64{0, 50}, rate: []float64{100, 200}}, got, cmp.AllowUnexported(series{})); diff != "" {
		t.Errorf("readSeries mismatch (-want +got):\n%s", diff)
	}
	for _, path := range []string{bad, empty, filepath.Join(dir, "missing.csv")} {
		if _, err := readSeries("x", path); err == nil {
			t.Errorf("readSeries(%s): no error", filepath.Base(path))
		}
	}
	// The whole picture is drawn without panicking, at the size asked.
	if img := plot([]series{got}, "title", "subtitle", 150, false, 0); img.Bounds().Dx() != width || img.Bounds().Dy() != height {
		t.Errorf("plot is %v, want %dx%d", img.Bounds(), width, height)
	}
}
