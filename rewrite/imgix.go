package rewrite

import (
	"strconv"
	"strings"
)

// Imgix maps an imgix URL: the path is the object's, the query holds the
// parameters (`a.jpg?w=300&h=200&fit=crop&auto=format`). ik-s, ik-t and
// ik-attachment stay in the query for the handler; any other parameter
// the mapping does not know is refused, naming it.
func Imgix(escapedPath, rawQuery string) (*Result, error) {
	pieces, err := splitQuery(rawQuery)
	if err != nil {
		return nil, err
	}
	got := map[string]string{}
	var kept, bad []string
	for _, kv := range pieces {
		k := kv[0]
		if handlerParams[k] {
			kept = append(kept, k+"="+escapeQueryValue(kv[1]))
			continue
		}
		if _, dup := got[k]; dup {
			bad = append(bad, k+" (given twice)")
			continue
		}
		got[k] = kv[1]
	}
	var out params
	for _, name := range imgixOrder {
		v, ok := got[name]
		if !ok {
			continue
		}
		delete(got, name)
		if !imgixParams[name](&out, v, got) {
			bad = append(bad, name+"="+v)
		}
	}
	for k := range got {
		bad = append(bad, k)
	}
	if len(bad) > 0 {
		return nil, unknown(bad...)
	}
	p := strings.TrimPrefix(escapedPath, "/")
	if p == "" {
		return nil, &Error{Reason: "no image path"}
	}
	return &Result{Path: p, Chain: out.chain(), Query: strings.Join(kept, "&")}, nil
}

func escapeQueryValue(v string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", " ", "%20", "#", "%23").Replace(v)
}

// imgixOrder fixes the order of the ImageKit parameters produced.
var imgixOrder = []string{"w", "h", "ar", "dpr", "fit", "crop", "rot", "flip", "blur", "sharp", "sat", "bg", "q", "fm", "auto"}

var imgixParams = map[string]func(out *params, v string, rest map[string]string) bool{
	"w":   dimension("w"),
	"h":   dimension("h"),
	"dpr": dimension("dpr"),
	"ar": func(out *params, v string, _ map[string]string) bool {
		m := ratio.FindStringSubmatch(v)
		if m == nil {
			return false
		}
		out.add("ar-%s-%s", m[1], m[3])
		return true
	},
	"fit": func(out *params, v string, _ map[string]string) bool {
		c, ok := map[string]string{
			"crop":  "", // cover the box, cut at the focus: ImageKit's default
			"clip":  "c-at_max_enlarge",
			"max":   "c-at_max",
			"min":   "c-at_least",
			"scale": "c-force",
			"fill":  "cm-pad_resize",
		}[v]
		if ok && c != "" {
			out.add("%s", c)
		}
		return ok
	},
	"crop": func(out *params, v string, _ map[string]string) bool {
		fo, ok := imgixFocus(v)
		if ok {
			out.add("%s", fo)
		}
		return ok
	},
	"rot": func(out *params, v string, _ map[string]string) bool {
		rt, ok := rotation(v)
		if ok && rt != "" {
			out.add("%s", rt)
		}
		return ok
	},
	"flip": func(out *params, v string, _ map[string]string) bool {
		fl, ok := map[string]string{"h": "fl-h", "v": "fl-v", "hv": "fl-h_v"}[v]
		if ok {
			out.add("%s", fl)
		}
		return ok
	},
	"blur": func(out *params, v string, _ map[string]string) bool {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 2000 {
			return false
		}
		if n > 0 {
			out.add("bl-%d", max(1, n/20)) // 0..2000 onto 1..100
		}
		return true
	},
	"sharp": func(out *params, v string, _ map[string]string) bool {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100 {
			return false
		}
		if n > 0 {
			out.add("e-sharpen-%d", n)
		}
		return true
	},
	"sat": func(out *params, v string, _ map[string]string) bool {
		if v != "-100" { // only full desaturation has an ImageKit equivalent
			return false
		}
		out.add("e-grayscale")
		return true
	},
	"bg": func(out *params, v string, _ map[string]string) bool {
		v = strings.TrimPrefix(v, "#")
		if !hexColour.MatchString(v) {
			return false
		}
		if len(v) == 8 { // imgix writes alpha first (ARGB), ImageKit last
			v = v[2:] + v[:2]
		}
		out.add("bg-%s", hex6(v))
		return true
	},
	"q": func(out *params, v string, _ map[string]string) bool {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return false
		}
		out.add("q-%d", n)
		return true
	},
	"fm": func(out *params, v string, _ map[string]string) bool {
		f, ok := map[string]string{"jpg": "f-jpg", "pjpg": "f-jpg,pr-true", "png": "f-png", "webp": "f-webp", "avif": "f-avif", "gif": "f-gif"}[v]
		if ok {
			out.add("%s", f)
		}
		return ok
	},
	"auto": func(out *params, v string, rest map[string]string) bool {
		for _, a := range strings.Split(v, ",") {
			switch a {
			case "format":
				// Negotiation is ImageKit's default when no fm is given.
			case "compress":
				// ImageKit's default quality already compresses.
			default:
				return false
			}
		}
		return true
	},
}

func dimension(key string) func(out *params, v string, _ map[string]string) bool {
	return func(out *params, v string, _ map[string]string) bool {
		if !number.MatchString(v) {
			return false
		}
		out.add("%s-%s", key, v)
		return true
	}
}

// imgixFocus maps crop=: faces, entropy and edges become attention
// cropping; top, bottom, left, right and their pairs the matching corner.
func imgixFocus(v string) (string, bool) {
	var vert, horiz string
	for _, c := range strings.Split(v, ",") {
		switch c {
		case "faces", "entropy", "edges", "focalpoint":
			if vert != "" || horiz != "" {
				return "", false
			}
			return "fo-auto", !strings.Contains(v, ",") || c == v
		case "top", "bottom":
			if vert != "" {
				return "", false
			}
			vert = c
		case "left", "right":
			if horiz != "" {
				return "", false
			}
			horiz = c
		case "center", "middle":
		default:
			return "", false
		}
	}
	switch {
	case vert != "" && horiz != "":
		return "fo-" + vert + "_" + horiz, true
	case vert != "":
		return "fo-" + vert, true
	case horiz != "":
		return "fo-" + horiz, true
	}
	return "fo-center", true
}
