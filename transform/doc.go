// Package transform implements ImageKit's URL transformation grammar and
// runs it on libvips through govips. It knows nothing of S3 or Caddy.
//
// A request's flow through the package:
//
//	c, err := transform.Parse(pathChain, queryChain, opts)          // 400 on *Error
//	err = transform.CheckBudget(c, processor.Limits())              // 400 ELIMIT (max_steps, max_cost), before fetching
//	f, negotiated, err := c.OutputFormat(srcType, accept, avifOn)  // before fetching; ETag from source ETag + c.Canonical() + f
//	slot, err := processor.Reserve()                               // 503 when full, before downloading the source
//	res, err := slot.Process(ctx, src, c, f)                       // or processor.Process, which does both
//
// Process's errors: *Error of Kind Invalid, Limit, Unsupported (400),
// Corrupt (422, never cached), Overloaded (503); ctx.Err() when the
// deadline passed or the caller left, after libvips stopped computing
// (503 for a deadline); anything else is internal (500) and its text is
// for logs only. *Error.Error() is safe to show; its Cause is not.
// Limits and the memory budget are described in docs/limits.md.
//
// Grammar (parsed by transform/grammar into a tree, compiled by compile.go;
// see docs/grammar.md): steps separated by ':' run in order; parameters within a step by
// ','; key and value joined by '-', keys matched longest first (e-sharpen-5,
// e-usm-2-0.8-1-0.05); N marks a negative number (rt-N90). Within one step
// the parameters act in a fixed order: t, then w/h/ar/dpr/c/cm/fo/x/y/xc/yc,
// then rt, fl, e-grayscale, e-contrast, e-sharpen, e-usm, bl, r, b, o. The
// output parameters f, q, pr, lo, md, cp and orig apply to the whole chain
// (the last one given wins).
//
// Parameters:
//
//	w, h         pixels, or 0<v<1 as a fraction of the current image
//	ar-W-H       aspect ratio, with exactly one of w and h (ignored with both)
//	dpr          0.1 to 5, multiplies w and h
//	c            maintain_ratio (default: cover the box, cut at fo), force, at_max
//	             (fit, never enlarge), at_max_enlarge (fit), at_least (cover, no cut)
//	cm           pad_resize (fit, pad with bg, placed by fo), extract (cut w×h from
//	             the image at fo, x/y or xc/yc), pad_extract (extract, padding
//	             with bg where the image is smaller)
//	fo           center, top, left, bottom, right, top_left, top_right,
//	             bottom_left, bottom_right, auto (libvips attention)
//	x, y, xc, yc extract position: top-left corner or centre, in pixels
//	f            auto (negotiate; also when absent), jpg, jpeg, png, webp, avif,
//	             gif, jxl, orig (the source's format)
//	q            1 to 100, default 80
//	pr, lo       true: progressive (JPEG, PNG), lossless (WebP, AVIF, JXL)
//	md, cp       true: keep all metadata, or only the ICC profile (default strip)
//	orig         true: the caller delivers the untouched source
//	rt           auto (no-op: EXIF orientation is always applied) or a multiple of 90
//	fl           h, v, h_v
//	bl           1 to 100 (gaussian sigma = value / 2)
//	e-grayscale, e-contrast (20% linear stretch), e-sharpen[-1..100] (default 50),
//	e-usm-radius-sigma-amount-threshold (mapped onto libvips sharpen)
//	r            corner radius in pixels, or max (ellipse); transparent corners
//	bg           RRGGBB, RRGGBBAA, a colour name, or blurred (pad_resize)
//	b            <width>_<colour> border
//	t            true (threshold 10) or 1 to 99: trim the border colour of the
//	             top-left pixel
//	o            0 to 100 opacity
//	n            <name>: a named transformation, alone in its step
package transform
