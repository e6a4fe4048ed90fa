package rewrite

import (
	"regexp"
	"strconv"
	"strings"
)

// Cloudinary maps a Cloudinary delivery URL (after the endpoint):
//
//	image/upload/w_300,h_200,c_fill/v123/path/to/a.jpg
//	image/upload/c_fit,w_300/e_grayscale/a.jpg      (chained: one ImageKit step each)
//	image/fetch/w_300/https://example.com/a.jpg     (the path is an absolute URL, for web_proxy)
//
// Transformation components are the leading path segments made only of
// known `<key>_<value>` parameters; a version segment (v123) ends them and
// is dropped. A segment that looks like a transformation but holds an
// unknown parameter is refused, naming it. escapedPath is the path as
// received (percent-encoded), with or without a leading slash.
func Cloudinary(escapedPath, rawQuery string) (*Result, error) {
	p := strings.TrimPrefix(escapedPath, "/")
	rest, ok := strings.CutPrefix(p, "image/upload/")
	if !ok {
		if rest, ok = strings.CutPrefix(p, "image/fetch/"); !ok {
			return nil, &Error{Reason: "not a Cloudinary image URL (want /image/upload/… or /image/fetch/…)"}
		}
	}
	var steps []string
	for {
		seg, after, found := strings.Cut(rest, "/")
		if !found {
			break
		}
		if cloudinaryVersion.MatchString(seg) {
			rest = after
			break
		}
		if !looksLikeCloudinary(seg) {
			break
		}
		step, err := cloudinaryStep(seg)
		if err != nil {
			return nil, err
		}
		if step != "" {
			steps = append(steps, step)
		}
		rest = after
	}
	if rest == "" {
		return nil, &Error{Reason: "no image path after the transformations"}
	}
	q, err := keepHandlerParams(rawQuery)
	if err != nil {
		return nil, err
	}
	return &Result{Path: rest, Chain: strings.Join(steps, ":"), Query: q}, nil
}

var (
	cloudinaryVersion = regexp.MustCompile(`^v[0-9]+$`)
	cloudinaryParam   = regexp.MustCompile(`^([a-z]{1,3})_[^,/]*$`)
)

// cloudinaryKeys are every transformation key Cloudinary documents, mapped
// or not: a segment made of them is a transformation (refused if a key is
// not mapped), any other segment is part of the path.
var cloudinaryKeys = map[string]bool{}

func init() {
	for _, k := range strings.Fields("a ac af ar b bo br c co cs d dl dn dpr du e eo f fl fn fps g h if ki l o p pg q r so sp t u vc vs w x y z") {
		cloudinaryKeys[k] = true
	}
}

// looksLikeCloudinary: every comma-separated item is key_value with a
// Cloudinary key.
func looksLikeCloudinary(seg string) bool {
	for _, item := range strings.Split(seg, ",") {
		m := cloudinaryParam.FindStringSubmatch(item)
		if m == nil || !cloudinaryKeys[m[1]] {
			return false
		}
	}
	return seg != ""
}

var cloudinaryCrops = map[string]string{
	"fill":  "", // ImageKit's default: cover the box, cut at the focus
	"lfill": "", // idem (never enlarging is not distinguished)
	"thumb": "", // idem
	"fit":   "c-at_max_enlarge",
	"limit": "c-at_max",      // fit, never enlarge
	"mfit":  "c-at_least",    // cover, no cut
	"scale": "c-force",       // both sides as given
	"pad":   "cm-pad_resize", // fit, pad with the background
	"lpad":  "cm-pad_resize",
	"crop":  "cm-extract", // cut w×h out at the gravity or x/y
}

var cloudinaryGravity = map[string]string{
	"auto": "fo-auto", "face": "fo-auto", "faces": "fo-auto", "center": "fo-center",
	"north": "fo-top", "south": "fo-bottom", "east": "fo-right", "west": "fo-left",
	"north_east": "fo-top_right", "north_west": "fo-top_left", "south_east": "fo-bottom_right", "south_west": "fo-bottom_left",
}

var cloudinaryFormats = map[string]string{"auto": "f-auto", "jpg": "f-jpg", "jpeg": "f-jpg", "png": "f-png", "webp": "f-webp", "avif": "f-avif", "gif": "f-gif"}

// cloudinaryStep maps one transformation component to one ImageKit step.
func cloudinaryStep(seg string) (string, error) {
	var out params
	var bad []string
	for _, item := range strings.Split(seg, ",") {
		k, v, _ := strings.Cut(item, "_")
		ok := true
		switch k {
		case "w", "h", "x", "y":
			ok = number.MatchString(v)
			if ok {
				out.add("%s-%s", k, v)
			}
		case "c":
			var c string
			if c, ok = cloudinaryCrops[v]; ok && c != "" {
				out.add("%s", c)
			}
		case "g":
			var g string
			if g, ok = cloudinaryGravity[v]; ok {
				out.add("%s", g)
			}
		case "q":
			if v == "auto" || strings.HasPrefix(v, "auto:") {
				break // ImageKit's default quality
			}
			ok = integer.MatchString(v)
			if ok {
				out.add("q-%s", v)
			}
		case "f":
			var f string
			if f, ok = cloudinaryFormats[v]; ok {
				out.add("%s", f)
			}
		case "dpr":
			ok = number.MatchString(v) || v == "auto"
			if ok {
				out.add("dpr-%s", v)
			}
		case "ar":
			m := ratio.FindStringSubmatch(v)
			ok = m != nil
			if ok {
				out.add("ar-%s-%s", m[1], m[3])
			}
		case "a":
			var rt string
			if rt, ok = rotation(v); ok && rt != "" {
				out.add("%s", rt)
			}
		case "r":
			ok = v == "max" || integer.MatchString(v)
			if ok {
				out.add("r-%s", v)
			}
		case "b":
			c, isRGB := strings.CutPrefix(v, "rgb:")
			ok = isRGB && hexColour.MatchString(c)
			if ok {
				out.add("bg-%s", hex6(c))
			}
		case "e":
			var e string
			if e, ok = cloudinaryEffect(v); ok {
				out.add("%s", e)
			}
		case "d":
			// The default image: Cloudinary writes folders with ":".
			ok = v != "" && !strings.ContainsAny(v, "@")
			if ok {
				out.add("di-%s", strings.ReplaceAll(v, ":", "@@"))
			}
		case "fl":
			ok = v == "progressive"
			if ok {
				out.add("pr-true")
			}
		default:
			ok = false
		}
		if !ok {
			bad = append(bad, item)
		}
	}
	if len(bad) > 0 {
		return "", unknown(bad...)
	}
	return out.chain(), nil
}

func cloudinaryEffect(v string) (string, bool) {
	name, arg, hasArg := strings.Cut(v, ":")
	switch name {
	case "grayscale":
		return "e-grayscale", !hasArg
	case "contrast":
		return "e-contrast", !hasArg
	case "sharpen":
		if !hasArg {
			return "e-sharpen", true
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > 2000 {
			return "", false
		}
		return "e-sharpen-" + strconv.Itoa(max(1, n/20)), true // 1..2000 onto 1..100
	case "blur":
		n := 100 // Cloudinary's default strength
		if hasArg {
			var err error
			if n, err = strconv.Atoi(arg); err != nil || n < 1 || n > 2000 {
				return "", false
			}
		}
		return "bl-" + strconv.Itoa(max(1, n/20)), true // 1..2000 onto 1..100
	}
	return "", false
}

// keepHandlerParams keeps the query pieces the handler reads (ik-s, ik-t,
// ik-attachment) and refuses any other.
func keepHandlerParams(rawQuery string) (string, error) {
	if rawQuery == "" {
		return "", nil
	}
	var kept, bad []string
	for _, piece := range strings.Split(rawQuery, "&") {
		k, _, _ := strings.Cut(piece, "=")
		switch {
		case piece == "":
		case handlerParams[k]:
			kept = append(kept, piece)
		default:
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		return "", unknown(bad...)
	}
	return strings.Join(kept, "&"), nil
}
