package caddymodule

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/image-cdn/image_cdn/origin"
)

// ImageKit's special paths and parameters (see docs/delivery.md):
//
//	/ik-seo/<path-without-ext>/<any-name>.<ext>   serves <path>.<ext>
//	?ik-attachment=true                          Content-Disposition: attachment
//	tr:di-<path with @@ for />                   a default image when the source is missing
//	x-amz-meta-isprivatefile: true               served to signed URLs only

// seoSegment starts an SEO path.
const seoSegment = "ik-seo"

// seoPath maps an escaped ImageKit SEO path ("ik-seo/a/b/red-shoes.jpg") to
// the object's escaped path ("a/b.jpg") and the name the client asked for;
// ok is false when esc is not an SEO path. An SEO path without a directory
// part names no object: the empty path, a 404.
func seoPath(esc string) (objectPath, name string, ok bool) {
	rest, ok := strings.CutPrefix(esc, seoSegment+"/")
	if !ok {
		return esc, "", false
	}
	dir, name := path.Split(rest)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" || name == "" {
		return "", name, true
	}
	return dir + path.Ext(name), name, true
}

// attachment sets Content-Disposition for ?ik-attachment=true: the name
// the client asked for, in quotes when it is plain ASCII, and as RFC 8187
// filename* (with an ASCII fallback) when it is not (RFC 6266).
func attachment(hdr http.Header, req *request) {
	if !req.attachment {
		return
	}
	name := req.fileName
	if name == "" {
		name = "download"
	}
	hdr.Set("Content-Disposition", contentDisposition(name))
}

func contentDisposition(name string) string {
	ascii := true
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			ascii = false
			break
		}
	}
	if ascii {
		return `attachment; filename="` + name + `"`
	}
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + fallback + `"; filename*=utf-8''` + rfc8187(name)
}

// rfc8187 percent-encodes a UTF-8 value for filename*: every byte but
// RFC 8187's attr-char.
func rfc8187(v string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// privateMeta is the S3 user metadata (x-amz-meta-isprivatefile) that
// marks an original as served to signed URLs only.
const privateMeta = "isprivatefile"

func isPrivate(info origin.Info) bool {
	return strings.EqualFold(info.Metadata[privateMeta], "true")
}

// checkPrivate refuses a private original to a request that carried no
// verified signature (with no sign_key configured, nothing is signed, so a
// private original is never served).
func checkPrivate(req *request, info origin.Info) error {
	if !isPrivate(info) || req.signed {
		return nil
	}
	return &clientError{status: http.StatusUnauthorized, code: "ESIGNATURE", msg: "this file is private: it is served to signed URLs only"}
}

// defaultImageKey reads di-<path>: ImageKit writes "/" as "@@". The path
// is relative to the same origins as the request's.
func defaultImageKey(v string) (string, error) {
	p := strings.ReplaceAll(v, "@@", "/")
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	p = strings.TrimPrefix(p, "/")
	if p == "" || strings.ContainsAny(p, "\x00\\") {
		return "", badRequest("ETRANSFORM", errors.New("di: want the default image's path, with @@ for /"))
	}
	return p, nil
}

// splitChainParams applies fn to every parameter of a chain text (steps
// split by ":", parameters by ","); fn returns the replacement, "" to
// drop the parameter. A step whose parameters were all dropped goes too;
// everything else is copied as it was (empty parameters included, for the
// grammar to judge).
func splitChainParams(chain string, fn func(param string) (string, error)) (string, error) {
	var steps []string
	for _, step := range strings.Split(chain, ":") {
		var params []string
		for _, p := range strings.Split(step, ",") {
			np, err := fn(p)
			if err != nil {
				return "", err
			}
			if np == "" && p != "" {
				continue
			}
			params = append(params, np)
		}
		if len(params) == 0 {
			continue
		}
		steps = append(steps, strings.Join(params, ","))
	}
	return strings.Join(steps, ":"), nil
}

// takeDefaultImage removes di- from the chains and keeps its path.
func takeDefaultImage(req *request) error {
	take := func(p string) (string, error) {
		v, ok := strings.CutPrefix(p, "di-")
		if !ok {
			return p, nil
		}
		k, err := defaultImageKey(v)
		if err != nil {
			return "", err
		}
		req.defaultKey = k
		return "", nil
	}
	return editChains(req, "di-", take)
}

// editChains applies fn to each parameter of the path and query chains
// that contain marker; a chain left empty by fn is no chain at all.
func editChains(req *request, marker string, fn func(param string) (string, error)) error {
	for _, c := range []struct {
		text *string
		has  *bool
	}{{&req.pathChain, &req.hasPathChain}, {&req.queryChain, &req.hasQueryChain}} {
		if !*c.has || !strings.Contains(*c.text, marker) {
			continue
		}
		edited, err := splitChainParams(*c.text, fn)
		if err != nil {
			return err
		}
		*c.text, *c.has = edited, edited != ""
	}
	return nil
}

// isNotFound reports whether err is the answer "in no origin".
func isNotFound(err error) bool {
	var ce *clientError
	return errors.As(err, &ce) && ce.status == http.StatusNotFound
}

// defaultImageWriter serves a default image in place of a missing source:
// cacheable only as long as a 404 (the source may appear), and marked.
type defaultImageWriter struct {
	http.ResponseWriter
	cacheControl string
}

func (w defaultImageWriter) WriteHeader(status int) {
	hdr := w.Header()
	hdr.Set("Cache-Control", w.cacheControl)
	hdr.Set("Ik-Default-Image", "true")
	hdr.Del("Link") // the default image is not the canonical resource of this URL
	w.ResponseWriter.WriteHeader(status)
}

func (w defaultImageWriter) Write(p []byte) (int, error) {
	if w.Header().Get("Ik-Default-Image") == "" {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// serveDefault answers with the default image (di-) when the source is
// missing: the same transformation, from the same origins.
func (h *Handler) serveDefault(w http.ResponseWriter, r *http.Request, req *request, serve func(http.ResponseWriter, *request) (source, error)) (source, error) {
	d := *req
	// escapedPath stays the request's: it only names the canonical Link,
	// which defaultImageWriter drops.
	d.key, d.defaultKey = req.defaultKey, ""
	return serve(defaultImageWriter{ResponseWriter: w, cacheControl: h.errorCacheControl(http.StatusNotFound)}, &d)
}
