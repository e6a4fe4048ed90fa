// Package transform implements ImageKit's URL transformation grammar and
// runs it on libvips through govips. It knows nothing of S3 or Caddy.
//
// A request's flow through the package:
//
//	c, err := transform.Parse(pathChain, queryChain, opts)          // 400 on *Error
//	err = transform.CheckBudget(c, processor.Limits())              // 400 ELIMIT (max_steps, max_cost), before fetching
//	f, negotiated, err := c.OutputFormat(srcType, accept, avifOn)  // before fetching; ETag from source ETag + c.Canonical() + f
//	slot, err := processor.Reserve()                               // 503 when full, before downloading the source
//	err = slot.Fetch(ctx, download)                                // waits for the fetch-ahead window, then downloads
//	res, err := slot.Process(ctx, src, c, f)                       // processor.Process is Reserve, then Process
//
// src may be Go memory or the Bytes of a SourceBuffer (C memory, counted
// references); libvips reads either in place, for as long as it needs.
//
// Process's errors: *Error of Kind Invalid, Limit, Unsupported (400),
// Corrupt (422, never cached), Overloaded (503); ctx.Err() when the
// deadline passed or the caller left, after libvips stopped computing
// (503 for a deadline); anything else is internal (500) and its text is
// for logs only. *Error.Error() is safe to show; its Cause is not.
// Limits and the memory budget are described in docs/limits.md.
//
// Grammar (parsed by transform/grammar into a tree, compiled by compile.go;
// see docs/grammar.md): steps separated by ':' run in order; parameters
// within a step by ','; key and value joined by '-', keys matched longest
// first (e-sharpen-5, e-usm-2-0.8-1-0.05); N marks a negative number
// (rt-N90). Within one step the parameters act in a fixed order (stepOps in
// steps_chain.go), then the step's layers go on in the order written.
// Values using the image's sizes, if blocks and layers are compiled per
// request (dynamic.go). The output parameters f, q, pr, lo, md, cp and orig
// apply to the whole chain (the last one given wins).
//
// Every parameter, its values and an example URL: docs/transformations.md.
// Layers read images and fonts from the caller's origins through Sources
// (sources.go), passed to ProcessWith.
package transform
