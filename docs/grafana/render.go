//go:build ignore

// render draws docs/grafana/image_cdn.svg: the panels of the Grafana
// dashboard (image_cdn.json), each filled with values computed from ONE
// scrape of Caddy's metrics endpoint, not by Grafana and not over time. A
// single scrape has no rates, so counters are shown as totals since the
// process started, histogram quantiles as means (_sum / _count), ratios
// as hits / total. Each panel says which of these it shows.
//
//	IMAGE_CDN_SCRAPE_OUT=/tmp/scrape.txt CGO_ENABLED=1 go test -count=1 \
//		-run 'TestAdminPurge|TestHealth|TestMetricsEndpointAcrossReload' ./caddymodule/
//	go run docs/grafana/render.go docs/grafana/image_cdn.json /tmp/scrape.txt > docs/grafana/image_cdn.svg
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type dashboard struct {
	Title  string `json:"title"`
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr   string `json:"expr"`
			Legend string `json:"legendFormat"`
		} `json:"targets"`
	} `json:"panels"`
}

type series struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	lineRe   = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)`)
	labelRe  = regexp.MustCompile(`(\w+)="([^"]*)"`)
	familyRe = regexp.MustCompile(`caddy_image_cdn_[a-z_]+`)
	byRe     = regexp.MustCompile(`by \(([^)]*)\)`)
	filterRe = regexp.MustCompile(`\{(\w+)="(\w+)"`)
)

func readScrape(path string) []series {
	f, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var out []series
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := lineRe.FindStringSubmatch(sc.Text())
		if m == nil || strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			continue
		}
		s := series{name: m[1], labels: map[string]string{}, value: v}
		for _, l := range labelRe.FindAllStringSubmatch(m[2], -1) {
			s.labels[l[1]] = l[2]
		}
		out = append(out, s)
	}
	return out
}

// sumBy sums the series of name whose labels match filter, grouped by
// the by labels.
func sumBy(all []series, name string, by []string, filter map[string]string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range all {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range filter {
			ok = ok && s.labels[k] == v
		}
		if !ok {
			continue
		}
		var key []string
		for _, b := range by {
			key = append(key, s.labels[b])
		}
		out[strings.Join(key, " ")] += s.value
	}
	return out
}

type bar struct {
	label string
	value float64
}

// evaluate computes one target's bars and says how.
func evaluate(all []series, expr string) ([]bar, string) {
	family := familyRe.FindString(expr)
	var by []string
	if m := byRe.FindStringSubmatch(expr); m != nil {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "le" {
				by = append(by, l)
			}
		}
	}
	filter := map[string]string{}
	if m := filterRe.FindStringSubmatch(expr); m != nil && m[1] != "job" {
		filter[m[1]] = m[2]
	}
	var vals map[string]float64
	how := "total since start"
	switch {
	case strings.HasPrefix(expr, "histogram_quantile"):
		base := strings.TrimSuffix(family, "_bucket")
		sums, counts := sumBy(all, base+"_sum", by, nil), sumBy(all, base+"_count", by, nil)
		vals = map[string]float64{}
		for k, c := range counts {
			if c > 0 {
				vals[k] = sums[k] / c
			}
		}
		how = "mean (_sum/_count), not p95"
	case strings.Contains(expr, " / "):
		hits, total := sumBy(all, family, by, filter), sumBy(all, family, by, nil)
		vals = map[string]float64{}
		for k, t := range total {
			if t > 0 {
				vals[k] = hits[k] / t
			}
		}
		how = "hits / look-ups since start"
	default:
		vals = sumBy(all, family, by, filter)
		if !strings.Contains(expr, "rate(") && !strings.Contains(expr, "increase(") {
			how = "value at the scrape"
		}
	}
	var bars []bar
	for k, v := range vals {
		if k == "" {
			k = "all"
		}
		bars = append(bars, bar{k, v})
	}
	sort.Slice(bars, func(i, j int) bool { return bars[i].label < bars[j].label })
	return bars, how
}

func format(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v < 0.01:
		return fmt.Sprintf("%.2g", v)
	case v < 10 && v != float64(int(v)):
		return fmt.Sprintf("%.3f", v)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func main() {
	var d dashboard
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(data, &d); err != nil {
		panic(err)
	}
	all := readScrape(os.Args[2])

	const cols, pw, ph, gap, top = 4, 300, 190, 12, 58
	rows := (len(d.Panels) + cols - 1) / cols
	w, h := cols*pw+(cols+1)*gap, top+rows*(ph+gap)+gap
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#111217"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="24" fill="#d8d9da" font-size="16">%s dashboard: panels rendered from one metrics scrape</text>`+"\n", gap, html.EscapeString(d.Title))
	fmt.Fprintf(&b, `<text x="%d" y="44" fill="#8e8e8e">Not a Grafana screenshot: docs/grafana/render.go draws each panel of image_cdn.json from a single scrape of the test suite (totals, means, ratios instead of rates and quantiles).</text>`+"\n", gap)
	palette := []string{"#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#b877d9", "#f2495c", "#8ab8ff", "#fade2a"}
	for i, p := range d.Panels {
		x, y := gap+(i%cols)*(pw+gap), top+(i/cols)*(ph+gap)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="#181b1f" stroke="#2c3235"/>`+"\n", x, y, pw, ph)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#d8d9da" font-size="13">%s</text>`+"\n", x+10, y+20, html.EscapeString(p.Title))
		var bars []bar
		var hows []string
		for _, t := range p.Targets {
			tb, how := evaluate(all, t.Expr)
			if len(p.Targets) > 1 && t.Legend != "" {
				for j := range tb {
					tb[j].label = t.Legend
				}
			}
			bars = append(bars, tb...)
			hows = append(hows, how)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#8e8e8e" font-size="10">%s</text>`+"\n", x+10, y+36, html.EscapeString(strings.Join(dedupe(hows), "; ")))
		maxV := 0.0
		for _, br := range bars {
			maxV = max(maxV, br.value)
		}
		if len(bars) == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#8e8e8e">no series in this scrape</text>`+"\n", x+10, y+70)
		}
		for j, br := range bars {
			if j >= 7 {
				break
			}
			by := y + 50 + j*19
			bw := 0.0
			if maxV > 0 {
				bw = br.value / maxV * float64(pw-150)
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#d8d9da">%s</text>`+"\n", x+10, by+12, html.EscapeString(trim(br.label, 14)))
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="13" fill="%s"/>`+"\n", x+95, by+2, max(bw, 1), palette[j%len(palette)])
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#d8d9da" text-anchor="end">%s</text>`+"\n", x+pw-8, by+12, format(br.value))
		}
	}
	b.WriteString("</svg>\n")
	fmt.Print(b.String())
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
