// Command rateplot draws the items a throttled endpoint accepted per second
// over time, one line per run, into a PNG: the picture of
// docs/performance.md, which shows how each contender's rate follows the
// endpoint's capacity. It reads the CSV files that BenchmarkThrottle writes
// when BENCH_TIMELINE_DIR is set (one line per 50 ms bucket: its start in
// milliseconds and the items accepted in it per second) and uses the
// standard library only, its own 5×7 bitmap font included.
//
// Usage:
//
//	go run ./cmd/rateplot -o ../../docs/rate-capacity.png -capacity 20000 -smooth 3 \
//	    -title 'capacity 20,000 items/s, 4 in flight' ours=ours.csv raw=raw.csv
//
// -smooth n plots the mean of n buckets centred on each (the subtitle says
// so).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strconv"
	"strings"
)

// A series is one run's timeline.
type series struct {
	label string
	ms    []float64 // start of each bucket, ms
	rate  []float64 // items/s in it
}

// readSeries reads a timeline CSV file written by BenchmarkThrottle.
func readSeries(label, path string) (series, error) {
	s := series{label: label}
	f, err := os.Open(path)
	if err != nil {
		return s, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if line == 1 || text == "" {
			continue // the header
		}
		a, b, ok := strings.Cut(text, ",")
		x, err1 := strconv.ParseFloat(a, 64)
		y, err2 := strconv.ParseFloat(b, 64)
		if !ok || err1 != nil || err2 != nil {
			return s, fmt.Errorf("%s:%d: want ms,items_per_s, got %q", path, line, text)
		}
		s.ms = append(s.ms, x)
		s.rate = append(s.rate, y)
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if len(s.ms) == 0 {
		return s, fmt.Errorf("%s: no data", path)
	}
	return s, nil
}

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
	grid  = color.RGBA{225, 225, 225, 255}
	gray  = color.RGBA{120, 120, 120, 255}
	// One color per series, in order: blue, orange, green, red, purple,
	// brown, pink, gray, olive, cyan.
	palette = []color.RGBA{
		{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
		{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
	}
)

// Layout of the picture, in pixels.
const (
	width, height = 960, 540
	left, right   = 100, 30
	top, bottom   = 60, 70
	textScale     = 2
)

// niceStep returns a tick step of 1, 2 or 5 times a power of ten that cuts
// span into at most n steps.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// thousands formats v as an integer with a comma every three digits.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// smooth replaces each rate with the mean of the n buckets centred on it
// (fewer at the ends).
func smooth(s series, n int) series {
	if n <= 1 {
		return s
	}
	out := series{label: s.label, ms: s.ms, rate: make([]float64, len(s.rate))}
	for i := range s.rate {
		lo, hi := max(0, i-n/2), min(len(s.rate), i-n/2+n)
		sum := 0.0
		for _, v := range s.rate[lo:hi] {
			sum += v
		}
		out.rate[i] = sum / float64(hi-lo)
	}
	return out
}

// plot draws the series, with a dashed line at capacity if it is positive;
// subtitle goes under the title. The legend is at the top right, or with
// legendLeft at the top left. yTop, if positive, is the top of the y axis:
// higher rates are drawn at it.
func plot(all []series, title, subtitle string, capacity float64, legendLeft bool, yTop float64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	var xMax, yMax float64
	for _, s := range all {
		for i := range s.ms {
			xMax = math.Max(xMax, s.ms[i]+50)
			yMax = math.Max(yMax, s.rate[i])
		}
	}
	yMax = math.Max(yMax, capacity*1.25)
	if yTop > 0 {
		yMax = yTop
	}
	xStep := niceStep(xMax/1000, 10)
	xMax = math.Ceil(xMax/1000/xStep) * xStep // seconds
	yStep := niceStep(yMax, 8)
	yMax = math.Ceil(yMax/yStep) * yStep
	pw, ph := width-left-right, height-top-bottom
	px := func(sec float64) int { return left + int(math.Round(sec/xMax*float64(pw))) }
	py := func(v float64) int { return top + ph - int(math.Round(math.Min(v, yMax)/yMax*float64(ph))) }

	// Grid, ticks and their labels.
	for i := 0; float64(i)*yStep <= yMax+yStep/2; i++ {
		v := float64(i) * yStep
		y := py(v)
		hline(img, left, left+pw, y, grid, 1)
		label := thousands(v)
		drawText(img, left-10-textWidth(label, textScale), y-glyphH*textScale/2, label, textScale, black)
	}
	xDecimals := max(0, int(-math.Floor(math.Log10(xStep))))
	for i := 0; float64(i)*xStep <= xMax+xStep/2; i++ {
		v := float64(i) * xStep
		x := px(v)
		vline(img, x, top, top+ph, grid)
		label := strconv.FormatFloat(v, 'f', xDecimals, 64)
		drawText(img, x-textWidth(label, textScale)/2, top+ph+10, label, textScale, black)
	}
	hline(img, left, left+pw, top+ph, black, 1)
	vline(img, left, top, top+ph, black)
	xLabel := "time since the first call, s"
	drawText(img, left+pw/2-textWidth(xLabel, textScale)/2, height-bottom/2+5, xLabel, textScale, black)
	drawText(img, left, 12, title, textScale, black)
	drawText(img, left, 36, subtitle, textScale, gray)

	if capacity > 0 {
		y := py(capacity)
		for x := left; x < left+pw; x += 12 {
			hline(img, x, min(x+6, left+pw), y, gray, 2)
		}
	}
	for i, s := range all {
		c := palette[i%len(palette)]
		for j := 1; j < len(s.ms); j++ {
			line(img, px((s.ms[j-1]+25)/1000), py(s.rate[j-1]), px((s.ms[j]+25)/1000), py(s.rate[j]), c)
		}
	}

	// Legend, top right, on white.
	entries := make([]string, len(all))
	for i, s := range all {
		entries[i] = s.label
	}
	if capacity > 0 {
		entries = append(entries, "capacity")
	}
	lw := 0
	for _, e := range entries {
		lw = max(lw, textWidth(e, textScale))
	}
	lx, ly := left+pw-lw-60, top+10
	if legendLeft {
		lx = left + 16
	}
	draw.Draw(img, image.Rect(lx-10, ly-6, lx+lw+54, ly+len(entries)*24), &image.Uniform{white}, image.Point{}, draw.Src)
	for i, e := range entries {
		y := ly + i*24 + glyphH*textScale/2
		if i < len(all) {
			hline(img, lx, lx+30, y, palette[i%len(palette)], 3)
		} else {
			hline(img, lx, lx+8, y, gray, 2)
			hline(img, lx+16, lx+24, y, gray, 2)
		}
		drawText(img, lx+40, ly+i*24, e, textScale, black)
	}
	return img
}

func hline(img *image.RGBA, x0, x1, y int, c color.Color, thick int) {
	for x := x0; x <= x1; x++ {
		for t := range thick {
			img.Set(x, y+t-thick/2, c)
		}
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.Color) {
	for y := y0; y <= y1; y++ {
		img.Set(x, y, c)
	}
}

// line draws a line 2 pixels thick from (x0, y0) to (x1, y1) (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.Set(x0, y0, c)
		img.Set(x0+1, y0, c)
		img.Set(x0, y0+1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

func main() {
	out := flag.String("o", "rate.png", "the PNG file to write")
	title := flag.String("title", "", "the title written above the plot")
	capacity := flag.Float64("capacity", 0, "draw a dashed line at this rate (items/s); 0: none")
	n := flag.Int("smooth", 1, "plot the mean of this many buckets centred on each")
	legendLeft := flag.Bool("legend-left", false, "put the legend at the top left instead of the top right")
	yTop := flag.Float64("ymax", 0, "the top of the y axis (items/s); 0: from the data")
	what := flag.String("what", "items/s accepted by the endpoint", "what the lines are, for the subtitle")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: rateplot [-o file.png] [-title text] [-capacity items/s] [-smooth n] [-legend-left] [-ymax items/s] [-what text] label=timeline.csv...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var all []series
	for _, arg := range flag.Args() {
		label, path, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "rateplot: %q: want label=file.csv\n", arg)
			os.Exit(2)
		}
		s, err := readSeries(label, path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rateplot:", err)
			os.Exit(1)
		}
		all = append(all, smooth(s, *n))
	}
	subtitle := *what + ", per 50 ms"
	if *n > 1 {
		subtitle = fmt.Sprintf("%s, per 50 ms, mean of %d", *what, *n)
	}
	f, err := os.Create(*out)
	if err == nil {
		err = png.Encode(f, plot(all, *title, subtitle, *capacity, *legendLeft, *yTop))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rateplot:", err)
		os.Exit(1)
	}
}
