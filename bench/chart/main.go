// Command chart draws the line charts of bench/RESULTS.md as SVG from the
// numbers bench/run.sh measured, with nothing but the standard library (no
// plotting dependency, so the benchmark builds wherever the module does).
// Not part of the module.
//
//	chart -in points.tsv -out bench/figures
//
// The input is tab-separated, one record a line:
//
//	chart <name> <title> <x label> <y label>
//	point <name> <series> <x> <y>
//
// Every chart named by a "chart" line becomes <out>/<name>.svg with one
// line per series (in the order the series first appear), a point marker
// at every measured x, axes starting at zero and a legend. A point whose y
// is not a number (n/a) is left out, so a failed measurement shows as a gap
// rather than as zero.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

type point struct{ x, y float64 }

type series struct {
	name   string
	points []point
}

type chart struct {
	name, title, xLabel, yLabel string
	series                      []*series
}

func (c *chart) seriesNamed(name string) *series {
	for _, s := range c.series {
		if s.name == name {
			return s
		}
	}
	s := &series{name: name}
	c.series = append(c.series, s)
	return s
}

func main() {
	in := flag.String("in", "", "tab-separated chart and point records")
	out := flag.String("out", ".", "directory for the SVG files")
	flag.Parse()
	charts, err := read(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
	for _, c := range charts {
		path := filepath.Join(*out, c.name+".svg")
		if err := os.WriteFile(path, []byte(c.svg()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "chart:", err)
			os.Exit(1)
		}
	}
}

func read(path string) ([]*chart, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var charts []*chart
	byName := map[string]*chart{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(sc.Text(), "\t")
		switch {
		case fields[0] == "chart" && len(fields) == 5:
			c := &chart{name: fields[1], title: fields[2], xLabel: fields[3], yLabel: fields[4]}
			if strings.ContainsAny(c.name, "/\\.") || c.name == "" {
				return nil, fmt.Errorf("%s:%d: chart name %q is not a plain file name", path, n, c.name)
			}
			charts = append(charts, c)
			byName[c.name] = c
		case fields[0] == "point" && len(fields) == 5:
			c := byName[fields[1]]
			if c == nil {
				return nil, fmt.Errorf("%s:%d: point for undeclared chart %q", path, n, fields[1])
			}
			x, errX := strconv.ParseFloat(fields[3], 64)
			y, errY := strconv.ParseFloat(fields[4], 64)
			s := c.seriesNamed(fields[2]) // declared even when y is missing: the legend stays stable
			if errX == nil && errY == nil && !math.IsInf(y, 0) && !math.IsNaN(y) {
				s.points = append(s.points, point{x, y})
			}
		case strings.TrimSpace(sc.Text()) == "":
		default:
			return nil, fmt.Errorf("%s:%d: not a chart or point record", path, n)
		}
	}
	return charts, sc.Err()
}

// niceStep is a round axis step (1, 2 or 5 × 10^k) giving about n ticks up to max.
func niceStep(max float64, n int) float64 {
	if max <= 0 {
		return 1
	}
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// maxXLabels is how many x labels fit under the plot side by side.
const maxXLabels = 12

// xTicks are the measured x values, so that every point can be read off,
// in order; or, when there are too many to label (a time series), round
// steps from zero to xMax.
func xTicks(xs map[float64]bool, xMax, xStep float64) []float64 {
	if len(xs) <= maxXLabels {
		return slices.Sorted(maps.Keys(xs))
	}
	var ticks []float64
	for x := 0.0; x <= xMax+xStep/2; x += xStep {
		ticks = append(ticks, x)
	}
	return ticks
}

func label(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}

const (
	width, height          = 760, 400
	left, right, top, base = 70, 170, 40, 60 // the legend sits in the right margin
)

func (c *chart) svg() string {
	var maxX, maxY float64
	xs := map[float64]bool{}
	for _, s := range c.series {
		for _, p := range s.points {
			maxX, maxY = math.Max(maxX, p.x), math.Max(maxY, p.y)
			xs[p.x] = true
		}
	}
	xStep, yStep := niceStep(maxX, 6), niceStep(maxY, 5)
	xMax, yMax := math.Ceil(maxX/xStep)*xStep, math.Ceil(maxY/yStep)*yStep
	if xMax == 0 {
		xMax = 1
	}
	if yMax == 0 {
		yMax = 1
	}
	plotW, plotH := float64(width-left-right), float64(height-top-base)
	px := func(x float64) float64 { return left + x/xMax*plotW }
	py := func(y float64) float64 { return top + plotH - y/yMax*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(c.title))
	// grid and y ticks
	for y := 0.0; y <= yMax+yStep/2; y += yStep {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, py(y), width-right, py(y))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, py(y)+4, label(y))
	}
	for _, x := range xTicks(xs, xMax, xStep) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#888"/>`+"\n", px(x), top+int(plotH), px(x), top+int(plotH)+5)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px(x), top+int(plotH)+18, label(x))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, top+int(plotH), width-right, top+int(plotH))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, top, left, top+int(plotH))
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", left+plotW/2, height-18, html.EscapeString(c.xLabel))
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", top+plotH/2, html.EscapeString(c.yLabel))
	for i, s := range c.series {
		colour := palette[i%len(palette)]
		var path []string
		for _, p := range s.points {
			path = append(path, fmt.Sprintf("%.1f,%.1f", px(p.x), py(p.y)))
		}
		if len(path) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", colour, strings.Join(path, " "))
		}
		for _, p := range s.points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s: %s, %s</title></circle>`+"\n",
				px(p.x), py(p.y), colour, html.EscapeString(s.name), label(p.x), label(p.y))
		}
		lx, ly := width-right+12, top+8+18*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", lx, ly, lx+20, ly, colour)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", lx+26, ly+4, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}
