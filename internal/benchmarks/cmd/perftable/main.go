// Command perftable turns the output of make bench (bench.txt) into the
// Markdown tables of docs/performance.md: the median of each figure over the
// runs, and the ratios between the contenders.
//
// Usage:
//
//	go run ./cmd/perftable [-before before.txt] < ../../bench.txt
//
// -before names the output of an earlier run (the core before a change), to
// which the throttling goals compare ours' throughput under throttling.
//
// benchstat gives the confidence intervals; this gives the ratios.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results maps a benchmark's name (without its -GOMAXPROCS suffix) and a
// unit to the values of its runs.
type results map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

func parse(r io.Reader) (results, error) {
	res := results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		if res[name] == nil {
			res[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a number", name, f[i])
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	return res, sc.Err()
}

// median returns the median of name's unit, and whether there is one.
func (r results) median(name, unit string) (float64, bool) {
	vs := slices.Clone(r[name][unit])
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

// cell formats the median of name's unit, divided by div, or "–".
func (r results) cell(name, unit string, div float64, prec int) string {
	v, ok := r.median(name, unit)
	if !ok {
		return "–"
	}
	return strconv.FormatFloat(v/div, 'f', prec, 64)
}

// ratio formats the ratio of two medians, or "–".
func (r results) ratio(a, b, unit string) string {
	x, ok1 := r.median(a, unit)
	y, ok2 := r.median(b, unit)
	if !ok1 || !ok2 || y == 0 {
		return "–"
	}
	return strconv.FormatFloat(x/y, 'f', 2, 64)
}

func (r results) has(prefix string) bool {
	for name := range r {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// endToEnd prints the table of one end-to-end benchmark: cpuUnit is the CPU
// figure that is the client's alone.
func endToEnd(w io.Writer, r results, title, bench string, scenarios []string, cpuUnit string) {
	if !r.has(bench) {
		return
	}
	fmt.Fprintf(w, "\n%s\n\n", title)
	fmt.Fprintln(w, "| run | in flight | ours items/s | raw items/s | guregu items/s | **ours/raw** items/s | **ours/guregu** items/s | ours CPU µs/item | raw CPU µs/item | guregu CPU µs/item | **ours/raw** CPU | ours allocs/item | raw allocs/item |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, sc := range scenarios {
		prefix := bench
		if sc != "" {
			prefix += "/" + sc
		}
		guregu := prefix + "/inflight=1/impl=guregu"
		for _, n := range []int{1, 4, 16} {
			base := fmt.Sprintf("%s/inflight=%d/impl=", prefix, n)
			ours, raw := base+"ours", base+"raw"
			if _, ok := r[ours]; !ok {
				continue
			}
			g, gcpu := "–", "–"
			if n == 1 {
				g, gcpu = r.cell(guregu, "items/s", 1, 0), r.cell(guregu, cpuUnit, 1000, 2)
			}
			label := sc
			if label == "" {
				label = "all processed"
			}
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				label, n,
				r.cell(ours, "items/s", 1, 0), r.cell(raw, "items/s", 1, 0), g,
				r.ratio(ours, raw, "items/s"), r.ratio(ours, guregu, "items/s"),
				r.cell(ours, cpuUnit, 1000, 2), r.cell(raw, cpuUnit, 1000, 2), gcpu, r.ratio(ours, raw, cpuUnit),
				r.cell(ours, "allocs/item", 1, 1), r.cell(raw, "allocs/item", 1, 1))
		}
	}
	for _, sc := range scenarios {
		defaults := fmt.Sprintf("%s/%s/inflight=4/impl=ours-defaults", bench, sc)
		if _, ok := r[defaults]; !ok {
			continue
		}
		guregu := fmt.Sprintf("%s/%s/inflight=1/impl=guregu", bench, sc)
		fmt.Fprintf(w, "\nAt the defaults of each, backoff included (%s): ours %s items/s (CPU %s µs/item), guregu %s items/s: **ours/guregu %s**.\n",
			sc, r.cell(defaults, "items/s", 1, 0), r.cell(defaults, cpuUnit, 1000, 2),
			r.cell(guregu, "items/s", 1, 0), r.ratio(defaults, guregu, "items/s"))
	}
}

func core(w io.Writer, r results) {
	if !r.has("BenchmarkCore") {
		return
	}
	fmt.Fprintln(w, "\nCore alone (one op = one item; batches of 25, a handler that does nothing):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| submit | ours ns/item | ours allocs/item | ours-keyed ns/item | ours-keyed allocs/item | bundler ns/item | bundler allocs/item | **ours/bundler** ns | **ours-keyed/bundler** ns |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, mode := range []string{"serial", "parallel"} {
		p := "BenchmarkCore/submit=" + mode + "/impl="
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mode,
			r.cell(p+"ours", "ns/item", 1, 1), r.cell(p+"ours", "allocs/item", 1, 2),
			r.cell(p+"ours-keyed", "ns/item", 1, 1), r.cell(p+"ours-keyed", "allocs/item", 1, 2),
			r.cell(p+"bundler", "ns/item", 1, 1), r.cell(p+"bundler", "allocs/item", 1, 2),
			r.ratio(p+"ours", p+"bundler", "ns/item"), r.ratio(p+"ours-keyed", p+"bundler", "ns/item"))
	}
}

func heap(w io.Writer, r results) {
	if !r.has("BenchmarkStreamHeap") {
		return
	}
	fmt.Fprintln(w, "\nHeap while streaming (fake endpoint answering in 1 ms, 4 in flight):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| impl | MaxBuffered | items | peak heap MB | peak live heap MB | heap before MB | peak items buffered | items/s |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|")
	var names []string
	for name := range r {
		if strings.HasPrefix(name, "BenchmarkStreamHeap/") {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		return strings.Compare(sortKey(a), sortKey(b))
	})
	for _, name := range names {
		var mb, items, impl string
		for _, part := range strings.Split(name, "/")[1:] {
			k, v, _ := strings.Cut(part, "=")
			switch k {
			case "maxbuffered":
				mb = v
			case "items":
				items = v
			case "impl":
				impl = v
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", impl, mb, items,
			r.cell(name, "peak-heap-MB", 1, 1), r.cell(name, "peak-live-MB", 1, 1), r.cell(name, "base-heap-MB", 1, 1),
			r.cell(name, "peak-buffered", 1, 0), r.cell(name, "items/s", 1, 0))
	}
}

// sortKey orders heap rows by buffer size, largest first, then by count.
func sortKey(name string) string {
	var mb, items int
	for _, part := range strings.Split(name, "/")[1:] {
		k, v, _ := strings.Cut(part, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "maxbuffered":
			mb = n
		case "items":
			items = n
		}
	}
	return fmt.Sprintf("%012d/%012d", 1<<40-mb, items)
}

func main() {
	beforePath := flag.String("before", "", "output of an earlier run, for the goals that compare with it")
	flag.Parse()
	r, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "perftable:", err)
		os.Exit(1)
	}
	var before results
	if *beforePath != "" {
		f, err := os.Open(*beforePath)
		if err == nil {
			before, err = parse(f)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "perftable:", err)
			os.Exit(1)
		}
	}
	w := bufio.NewWriter(os.Stdout)
	endToEnd(w, r, "End to end, fake endpoint (100,000 items per op; guregu with unprocessed items: 100; CPU is the client's, the fake server's handlers taken out):",
		"BenchmarkFake", []string{"unprocessed=0%", "unprocessed=10%"}, "cli-cpu-ns/item")
	endToEnd(w, r, "End to end, local dynalite (20,000 items per op; CPU is the client's, dynalite being another process):",
		"BenchmarkDynalite", []string{""}, "cpu-ns/item")
	streams(w, r)
	paired(w, r)
	throttle(w, r, before)
	core(w, r)
	heap(w, r)
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "perftable:", err)
		os.Exit(1)
	}
}
