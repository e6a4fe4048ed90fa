package transform

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// SVG is a program more than an image: librsvg renders it in one call
// that nothing can interrupt between tiles, and a document of 200 chained
// feGaussianBlur filters took 68 s. scanSVG reads the document once in Go
// (bounded: no entity expansion, a depth and element budget) and refuses
// what costs out of proportion to its size before librsvg sees it:
// too many elements, filter primitives or <use> references, too deep a
// tree, entity declarations, and references to anything outside the
// document (files, URLs, inline data images), which librsvg would load.
const (
	svgMaxBytes     = 8 << 20
	svgMaxElements  = 20_000
	svgMaxDepth     = 64
	svgMaxFilterOps = 16  // fe* primitives in the whole document
	svgMaxUses      = 256 // <use> elements; each may instance a whole subtree
	// svgMaxInstances bounds the elements librsvg would instantiate once
	// every <use> is expanded: ten levels of ten <use> each are only 100
	// elements in the file but 10¹⁰ to render.
	svgMaxInstances  = 50_000
	svgMaxAttrLength = 64 << 10
)

// svgMaxFilterWork bounds filter primitives × filtered elements × pixels.
// librsvg runs a filter over its whole region however little of it a tile
// needs: 32 blurs over a 2000×2000 canvas took 28 s, four took over 5 s.
// 4 M is one primitive over 2000×2000, or four over 1000×1000.
const svgMaxFilterWork = 4 << 20

// svgStats is what the scan found that the header check needs.
type svgStats struct {
	filters    int // fe* primitives
	filterRefs int // elements with a filter attribute or style
}

// checkFilterWork applies svgMaxFilterWork once the size is known.
func (st svgStats) checkFilterWork(width, height int) error {
	if st.filters == 0 {
		return nil
	}
	work := int64(st.filters) * int64(max(st.filterRefs, 1)) * int64(width) * int64(height)
	if work > svgMaxFilterWork {
		return limitf("svg", "the SVG's filters would cost too much to render at %dx%d", width, height)
	}
	return nil
}

func scanSVG(b []byte) (st svgStats, _ error) {
	if len(b) > svgMaxBytes {
		return st, limitf("max_source_bytes", "an SVG source may be at most %d bytes", svgMaxBytes)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return r, nil
		}
		return nil, errors.New("unsupported encoding")
	}
	var elements, depth, uses int
	refs := newSVGRefs()
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, corrupt("the source SVG is not well-formed XML", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elements++
			depth++
			switch {
			case elements > svgMaxElements:
				return st, limitf("svg", "the SVG has more than %d elements", svgMaxElements)
			case depth > svgMaxDepth:
				return st, limitf("svg", "the SVG nests elements deeper than %d", svgMaxDepth)
			}
			name := t.Name.Local
			if strings.HasPrefix(name, "fe") {
				if st.filters++; st.filters > svgMaxFilterOps {
					return st, limitf("svg", "the SVG has more than %d filter primitives", svgMaxFilterOps)
				}
			}
			if name == "use" {
				if uses++; uses > svgMaxUses {
					return st, limitf("svg", "the SVG has more than %d <use> elements", svgMaxUses)
				}
			}
			refs.open(t)
			for _, a := range t.Attr {
				if a.Name.Local == "filter" || (a.Name.Local == "style" && strings.Contains(a.Value, "filter")) {
					st.filterRefs++
				}
				if len(a.Value) > svgMaxAttrLength && a.Name.Local != "d" && a.Name.Local != "href" {
					return st, limitf("svg", "an SVG attribute is longer than %d bytes", svgMaxAttrLength)
				}
				if external(a.Name.Local, a.Value) {
					return st, unsupportedf("SVG references to other files or URLs are not allowed")
				}
			}
		case xml.EndElement:
			depth--
			refs.close()
		case xml.CharData:
			if strings.Contains(string(t), "@import") || externalURL(string(t)) {
				return st, unsupportedf("SVG references to other files or URLs are not allowed")
			}
		case xml.Directive:
			if bytes.Contains(t, []byte("ENTITY")) || bytes.Contains(t, []byte("[")) {
				return st, unsupportedf("SVG entity declarations are not allowed")
			}
		case xml.ProcInst:
			if t.Target == "xml-stylesheet" {
				return st, unsupportedf("SVG references to other files or URLs are not allowed")
			}
		}
	}
	if elements == 0 {
		return st, corrupt("the source SVG has no elements", nil)
	}
	if refs.instances() > svgMaxInstances {
		return st, limitf("svg", "the SVG's <use> references expand to more than %d elements", svgMaxInstances)
	}
	return st, nil
}

// svgRefs counts what <use> references expand to. Each element with an id
// remembers how many elements its subtree holds and which ids the <use>
// elements inside it reference; an instance of it costs its own elements
// plus an instance of each of those.
type svgRefs struct {
	stack []svgNode // the elements being read, innermost last
	byID  map[string]svgNode
	root  svgNode
}

type svgNode struct {
	id       string
	elements int
	uses     []string
}

func newSVGRefs() *svgRefs { return &svgRefs{byID: map[string]svgNode{}} }

func (r *svgRefs) open(t xml.StartElement) {
	n := svgNode{elements: 1}
	for _, a := range t.Attr {
		switch {
		case a.Name.Local == "id":
			n.id = a.Value
		case t.Name.Local == "use" && a.Name.Local == "href":
			if id, ok := strings.CutPrefix(strings.TrimSpace(a.Value), "#"); ok {
				n.uses = append(n.uses, id)
			}
		}
	}
	r.stack = append(r.stack, n)
}

func (r *svgRefs) close() {
	if len(r.stack) == 0 {
		return
	}
	n := r.stack[len(r.stack)-1]
	r.stack = r.stack[:len(r.stack)-1]
	if n.id != "" {
		r.byID[n.id] = n
	}
	parent := &r.root
	if len(r.stack) > 0 {
		parent = &r.stack[len(r.stack)-1]
	}
	parent.elements += n.elements
	parent.uses = append(parent.uses, n.uses...)
}

// instances is the number of elements the document renders with every
// <use> expanded, saturating just above svgMaxInstances; a reference cycle
// counts as too many.
func (r *svgRefs) instances() int {
	const over = svgMaxInstances + 1
	memo := map[string]int{}
	var weigh func(n svgNode, seen map[string]bool) int
	weigh = func(n svgNode, seen map[string]bool) int {
		total := n.elements
		for _, id := range n.uses {
			target, ok := r.byID[id]
			if !ok {
				continue
			}
			w, done := memo[id]
			if !done {
				if seen[id] {
					return over
				}
				seen[id] = true
				w = weigh(target, seen)
				delete(seen, id)
				memo[id] = w
			}
			if total += w; total > over {
				return over
			}
		}
		return total
	}
	return weigh(r.root, map[string]bool{})
}

// external reports an attribute that makes librsvg load something from
// outside the document: an href that is not a fragment (#id), or a url()
// that is not a fragment. Inline data: images are refused too: librsvg
// hands them to gdk-pixbuf's decoders, beyond every limit checked here.
func external(name, value string) bool {
	v := strings.TrimSpace(value)
	if name == "href" {
		return v != "" && !strings.HasPrefix(v, "#")
	}
	return externalURL(v)
}

// externalURL finds url(...) whose target is not a fragment of this
// document.
func externalURL(s string) bool {
	for {
		i := strings.Index(s, "url(")
		if i < 0 {
			return false
		}
		s = strings.TrimLeft(s[i+4:], " \t\r\n'\"")
		if !strings.HasPrefix(s, "#") {
			return true
		}
	}
}
