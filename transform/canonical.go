package transform

import (
	"strconv"
	"strings"

	"github.com/image-cdn/image_cdn/transform/grammar"
)

// Canonical returns one string per meaning: parameters in a fixed order,
// defaults and no-ops dropped, aliases folded, named transformations
// expanded, output options gathered into a final step. It is ASCII without
// '/', so it can go into object keys and ETags, and Parse(Canonical())
// yields the same chain. A chain that only re-encodes with defaults
// canonicalises to "".
func (c *Chain) Canonical() string {
	if c == nil {
		return ""
	}
	var parts []string
	for i := range c.steps {
		if p := c.steps[i].canonical(); len(p) > 0 {
			parts = append(parts, strings.Join(p, ","))
		}
	}
	if p := c.out.canonical(); len(p) > 0 {
		parts = append(parts, strings.Join(p, ","))
	}
	return strings.Join(parts, ":")
}

func (s *step) canonical() []string {
	if s.text != "" { // per-request values, if blocks and layers: as written, normalised
		return []string{s.text}
	}
	var p []string
	add := func(key, val string) {
		if val == "" {
			p = append(p, key)
		} else {
			p = append(p, key+"-"+val)
		}
	}
	if s.width > 0 {
		add("w", num(s.width))
	}
	if s.height > 0 {
		add("h", num(s.height))
	}
	// ar only matters when exactly one of w and h is given.
	if s.arW > 0 && (s.width == 0) != (s.height == 0) {
		add("ar", num(s.arW)+"-"+num(s.arH))
	}
	if s.dpr > 0 && s.dpr != 1 && (s.width > 0 || s.height > 0) {
		add("dpr", num(s.dpr))
	}
	if s.crop != "" && s.crop != cropMaintainRatio {
		add("c", s.crop)
	}
	if s.mode != "" {
		add("cm", s.mode)
	}
	if s.focus != "" && s.focus != focusCenter {
		add("fo", s.focus)
	}
	// Positions only matter to extracts, and x/y take precedence over xc/yc.
	if s.mode == modeExtract || s.mode == modePadExtract {
		type coord struct {
			key string
			v   optInt
		}
		coords := []coord{{"x", s.x}, {"y", s.y}}
		if !s.x.set && !s.y.set {
			coords = []coord{{"xc", s.xc}, {"yc", s.yc}}
		}
		for _, co := range coords {
			if co.v.set {
				add(co.key, num(float64(co.v.v)))
			}
		}
	}
	if s.rotate != 0 {
		add("rt", strconv.Itoa(s.rotate))
	}
	if s.flip != "" {
		add("fl", s.flip)
	}
	if s.blur > 0 {
		add("bl", strconv.Itoa(s.blur))
	}
	if s.grayscale {
		add("e-grayscale", "")
	}
	if s.contrast {
		add("e-contrast", "")
	}
	switch {
	case s.sharpen == defaultSharpen:
		add("e-sharpen", "")
	case s.sharpen > 0:
		add("e-sharpen", strconv.Itoa(s.sharpen))
	}
	if s.hasUSM {
		add("e-usm", num(s.usm[0])+"-"+num(s.usm[1])+"-"+num(s.usm[2])+"-"+num(s.usm[3]))
	}
	if s.radius != 0 {
		add("r", s.radiusCanonical())
	}
	if bg := s.bgCanonical(); bg != "" {
		add("bg", bg)
	}
	if s.borderWidth > 0 {
		add("b", strconv.Itoa(s.borderWidth)+"_"+s.borderColor.hex())
	}
	if s.trim > 0 {
		add("t", strconv.Itoa(s.trim))
	}
	if s.opacity.set && s.opacity.v != 100 {
		add("o", strconv.Itoa(s.opacity.v))
	}
	if s.zoom > 0 && s.zoom != 1 && s.focus == focusFace {
		add("z", num(s.zoom))
	}
	if s.replace != nil {
		add("cr", s.replace.canonical())
	}
	if s.shadow != nil {
		add("e-shadow", s.shadow.canonical())
	}
	if s.gradient != nil {
		add("e-gradient", s.gradient.canonical())
	}
	if s.distort != nil {
		add("e-distort", s.distort.canonical())
	}
	return p
}

func (o *output) canonical() []string {
	var p []string
	if o.format != "" {
		p = append(p, "f-"+o.format)
	}
	if o.quality != 0 && o.quality != defaultQuality {
		p = append(p, "q-"+strconv.Itoa(o.quality))
	}
	for _, b := range []struct {
		key string
		on  bool
	}{{"pr", o.progressive}, {"lo", o.lossless}, {"md", o.metadata}, {"cp", o.iccOnly}, {"orig", o.original}} {
		if b.on {
			p = append(p, b.key+"-true")
		}
	}
	// pg-1 stays: on an animation it means the first frame as a still.
	if o.page > 0 {
		p = append(p, "pg-"+strconv.Itoa(o.page))
	}
	return p
}

// num formats a number in the syntax Parse accepts.
var num = grammar.FormatNum
