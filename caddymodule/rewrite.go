package caddymodule

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/image-cdn/image_cdn/rewrite"
)

// rewriters map another CDN's URLs onto ImageKit's (package rewrite).
var rewriters = map[string]func(escapedPath, rawQuery string) (*rewrite.Result, error){
	"cloudinary": rewrite.Cloudinary,
	"imgix":      rewrite.Imgix,
}

// rewriteURL turns a Cloudinary or imgix URL into the equivalent
// `/tr:<chain>/<path>` request, for parseRequest only: the signature is
// still checked over the URL as received.
func (h *Handler) rewriteURL(r *http.Request) (*http.Request, error) {
	if h.Rewrite == "" {
		return r, nil
	}
	res, err := rewriters[h.Rewrite](r.URL.EscapedPath(), r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("ETRANSFORM", fmt.Errorf("%s URL: %w", h.Rewrite, err))
	}
	esc := "/" + res.Path
	if res.Chain != "" {
		esc = "/tr:" + res.Chain + esc
	}
	p, err := url.PathUnescape(esc)
	if err != nil {
		return nil, badRequest("EPATH", fmt.Errorf("malformed percent-encoding in path"))
	}
	u := *r.URL
	u.Path, u.RawPath, u.RawQuery = p, esc, res.Query
	r2 := *r
	r2.URL = &u
	return &r2, nil
}

// validRewrite checks the rewrite option.
func validRewrite(name string) error {
	if _, ok := rewriters[name]; name != "" && !ok {
		return fmt.Errorf("rewrite: unknown %q (want cloudinary or imgix)", name)
	}
	return nil
}
