package caddymodule

import (
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Client hints (docs/delivery.md): w-auto takes the width from
// Sec-CH-Width (or the older Width, then the viewport width), rounded up
// to the next 100 px; dpr-auto takes the device pixel ratio from
// Sec-CH-DPR (or DPR), to one decimal. Both are resolved into the chain
// text before it is parsed, so the variant key, the ETag and the stored
// variant are those of the explicit w-<n>/dpr-<n> URL. A parameter
// without a hint is dropped (the source's own width, DPR 1).

// acceptCH lists the hints image_cdn reads, advertised with Accept-CH.
const acceptCH = "Sec-CH-Width, Sec-CH-DPR, Sec-CH-Viewport-Width, Width, DPR, Viewport-Width"

// Bounds of hinted values: beyond them a header is ignored as bogus.
const (
	maxHintWidth = 16384
	maxHintDPR   = 5
)

// hints is what client hints did to one request.
type hints struct {
	used       bool   // the URL had w-auto or dpr-auto
	vary       string // the headers the values came from, comma-separated
	contentDPR string // the DPR applied, for Content-DPR
}

// applyClientHints resolves w-auto and dpr-auto in the request's chains.
func applyClientHints(r *http.Request, req *request) error {
	resolve := func(p string) (string, error) {
		switch p {
		case "w-auto":
			req.hints.used = true
			w, from := hintWidth(r.Header)
			req.hints.addVary(from, "Sec-CH-Width")
			if w == 0 {
				return "", nil
			}
			return "w-" + strconv.Itoa(w), nil
		case "dpr-auto":
			req.hints.used = true
			d, from := hintDPR(r.Header)
			req.hints.addVary(from, "Sec-CH-DPR")
			if d == "" {
				return "", nil
			}
			req.hints.contentDPR = d
			return "dpr-" + d, nil
		}
		return p, nil
	}
	if err := editChains(req, "w-auto", resolve); err != nil {
		return err
	}
	return editChains(req, "dpr-auto", resolve)
}

// addVary names the header a value came from or, when no hint was sent,
// the standard one: a cache must tell a hinted request from one without.
func (h *hints) addVary(from, standard string) {
	if from == "" {
		from = standard
	}
	switch {
	case h.vary == "":
		h.vary = from
	case !strings.Contains(", "+h.vary+", ", ", "+from+", "):
		h.vary += ", " + from
	}
}

// hintWidth is the hinted width rounded up to the next 100 px, and the
// header it came from; 0 when none is usable.
func hintWidth(hdr http.Header) (int, string) {
	for _, name := range []string{"Sec-CH-Width", "Width", "Sec-CH-Viewport-Width", "Viewport-Width"} {
		v := strings.TrimSpace(hdr.Get(name))
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > maxHintWidth || math.IsNaN(f) {
			continue
		}
		return int(math.Ceil(f/100)) * 100, name
	}
	return 0, ""
}

// hintDPR is the hinted DPR to one decimal (as ImageKit's dpr- reads it),
// and the header it came from; "" when none is usable.
func hintDPR(hdr http.Header) (string, string) {
	for _, name := range []string{"Sec-CH-DPR", "DPR"} {
		v := strings.TrimSpace(hdr.Get(name))
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0.1 || f > maxHintDPR || math.IsNaN(f) {
			continue
		}
		return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64), name
	}
	return "", ""
}

// setHintHeaders writes Accept-CH, Vary and Content-DPR for a response
// whose chain asked for hints.
func setHintHeaders(hdr http.Header, req *request) {
	if !req.hints.used {
		return
	}
	hdr.Set("Accept-CH", acceptCH)
	hdr.Add("Vary", req.hints.vary)
	if req.hints.contentDPR != "" {
		hdr.Set("Content-DPR", req.hints.contentDPR)
	}
}
