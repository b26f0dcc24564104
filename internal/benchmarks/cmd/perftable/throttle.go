package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// throttleScenarios are the scenarios of BenchmarkThrottle, in the order of
// the tables, with their labels.
var throttleScenarios = []struct{ name, label string }{
	{"none", "no throttling"},
	{"random=10%", "10% unprocessed at random"},
	{"random=30%", "30% unprocessed at random"},
	{"capacity=unprocessed", "capacity, excess unprocessed"},
	{"capacity=refused", "capacity, call refused (PTEE)"},
	{"hotkeys=5%", "hot keys (5%, 500 ms)"},
}

// throttleRuns are the contenders' rows of BenchmarkThrottle.
var throttleRuns = []struct {
	impl string
	n    int
}{{"ours", 4}, {"raw", 4}, {"ours", 16}, {"raw", 16}, {"guregu", 1}}

func throttleName(scenario, impl string, n int) string {
	return fmt.Sprintf("BenchmarkThrottle/scenario=%s/inflight=%d/impl=%s", scenario, n, impl)
}

// throttle prints the tables of BenchmarkThrottle: every figure per
// scenario and contender, then the throttling goals against this run (and
// against before, the run of the core before the change, if it has them).
func throttle(w io.Writer, r, before results) {
	if !r.has("BenchmarkThrottle") {
		return
	}
	fmt.Fprintln(w, "\nThrottling, fake endpoint (one run per round; ours and raw with the default backoff, guregu with its own):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scenario | contender | in flight | items | calls/25 | sent/item | items/s | items/s to 99% | drain ms | capacity sustained | non-hot items/s (vs none) | CPU µs/item |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, sc := range throttleScenarios {
		for _, run := range throttleRuns {
			name := throttleName(sc.name, run.impl, run.n)
			if _, ok := r[name]; !ok {
				continue
			}
			frac, hot := "", ""
			if strings.HasPrefix(sc.name, "capacity") {
				frac = r.cell(name, "cap-frac", 1, 2)
			}
			if strings.HasPrefix(sc.name, "hotkeys") {
				hot = fmt.Sprintf("%s (%s)", r.count(name, "nonhot-items/s"),
					r.ratioUnits(name, "nonhot-items/s", throttleName("none", run.impl, run.n), "srv-items/s"))
			}
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sc.label, run.impl, run.n,
				r.count(name, "items"), r.cell(name, "calls/25", 1, 2), r.cell(name, "sent/item", 1, 3), r.count(name, "items/s"), r.count(name, "items/s-99"),
				r.count(name, "drain-ms"), frac, hot, r.cell(name, "cli-cpu-ns/item", 1000, 1))
		}
	}
	goals(w, r, before)
}

// count formats the median of name's unit as a whole number with a comma
// every three digits, or "–".
func (r results) count(name, unit string) string {
	v, ok := r.median(name, unit)
	if !ok {
		return "–"
	}
	digits := strconv.FormatFloat(v, 'f', 0, 64)
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ratioUnits formats the ratio of a's unit ua to b's unit ub with 3
// decimals, or "–".
func (r results) ratioUnits(a, ua, b, ub string) string {
	x, ok1 := r.median(a, ua)
	y, ok2 := r.median(b, ub)
	if !ok1 || !ok2 || y == 0 {
		return "–"
	}
	return strconv.FormatFloat(x/y, 'f', 3, 64)
}

// goals prints the throttling goals, each with its figure from r.
func goals(w io.Writer, r, before results) {
	fmt.Fprintln(w, "\nThrottling goals (medians of this run; \"before\" is the run of the core before the change):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| goal | in flight | figure | target | |")
	fmt.Fprintln(w, "|---|--:|--:|--:|---|")
	row := func(goal string, n int, fig string, target float64, atLeast bool) {
		v, err := strconv.ParseFloat(fig, 64)
		verdict := "–"
		if err == nil {
			verdict = "missed"
			if (atLeast && v >= target) || (!atLeast && v <= target) {
				verdict = "met"
			}
		}
		op := "≤"
		if atLeast {
			op = "≥"
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s %s | %s |\n", goal, n, fig, op, strconv.FormatFloat(target, 'f', -1, 64), verdict)
	}
	for _, p := range []struct {
		sc    string
		ideal float64
	}{{"random=10%", 1 / 0.9}, {"random=30%", 1 / 0.7}} {
		for _, n := range []int{4, 16} {
			ours, raw := throttleName(p.sc, "ours", n), throttleName(p.sc, "raw", n)
			if _, ok := r[ours]; !ok {
				continue
			}
			dev := "–"
			if v, ok := r.median(ours, "calls/25"); ok {
				dev = strconv.FormatFloat(v/p.ideal, 'f', 2, 64)
			}
			row(fmt.Sprintf("%s: calls/25 over the ideal %.2f", p.sc, p.ideal), n, dev, 1.1, false)
			if before != nil {
				x, ok1 := r.median(ours, "items/s")
				y, ok2 := before.median(ours, "items/s")
				fig := "–"
				if ok1 && ok2 && y > 0 {
					fig = strconv.FormatFloat(x/y, 'f', 2, 64)
				}
				row(p.sc+": ours items/s over ours before", n, fig, 3, true)
			}
			row(p.sc+": ours/raw items/s", n, r.ratio(ours, raw, "items/s"), 3, true)
		}
	}
	for _, sc := range []string{"capacity=unprocessed", "capacity=refused"} {
		for _, n := range []int{4, 16} {
			ours := throttleName(sc, "ours", n)
			if _, ok := r[ours]; !ok {
				continue
			}
			row(sc+": fraction of the capacity sustained", n, r.cell(ours, "cap-frac", 1, 2), 0.95, true)
			row(sc+": calls/25", n, r.cell(ours, "calls/25", 1, 2), 1.1, false)
		}
	}
	for _, n := range []int{4, 16} {
		ours := throttleName("hotkeys=5%", "ours", n)
		if _, ok := r[ours]; !ok {
			continue
		}
		row("hot keys: non-hot items/s over no throttling", n,
			r.ratioUnits(ours, "nonhot-items/s", throttleName("none", "ours", n), "srv-items/s"), 0.8, true)
	}
	for _, n := range []int{4, 16} {
		ours := fmt.Sprintf("BenchmarkFake/unprocessed=0%%/inflight=%d/impl=ours", n)
		raw := fmt.Sprintf("BenchmarkFake/unprocessed=0%%/inflight=%d/impl=raw", n)
		if _, ok := r[ours]; !ok {
			continue
		}
		row("no throttling (100,000 items): ours/raw items/s", n, r.ratio(ours, raw, "items/s"), 0.95, true)
		row("no throttling (100,000 items): ours/raw CPU per item", n, r.ratio(ours, raw, "cli-cpu-ns/item"), 1.1, false)
	}
}
