package caddymodule

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// request is a client's URL split into what to fetch and how to transform it.
type request struct {
	// key is the object path, decoded exactly once, without a leading slash.
	key string
	// escapedPath is the object path as the client sent it (still escaped),
	// with a leading slash and without the tr: segment: the canonical URL's
	// path.
	escapedPath string
	// pathChain and queryChain are the raw transformation texts after "tr:"
	// and in ?tr=; the has* flags distinguish absent from empty.
	pathChain, queryChain       string
	hasPathChain, hasQueryChain bool
	// Special paths and parameters (special.go): the file name the client
	// asked for (the last segment, the SEO name under ik-seo),
	// ?ik-attachment=true, the default image of di-, and whether a
	// signature was verified.
	fileName   string
	attachment bool
	defaultKey string
	signed     bool
	thumbnail  bool // <path>/ik-thumbnail.jpg (thumbnail.go)
	videoFrame bool // a thumbnail of a video, made by ffmpeg (videoframe.go)
	// hints records what client hints did (hints.go).
	hints hints
}

func (q *request) hasTransform() bool { return q.hasPathChain || q.hasQueryChain }

// parseRequest splits the URL (after Caddy's handle_path has stripped the
// endpoint prefix). It works on the escaped path so that an encoded "/"
// (%2F) inside the key cannot be taken for a segment boundary, then decodes
// the key once; the key is handed to the origin verbatim.
func parseRequest(r *http.Request) (*request, error) {
	q := &request{}
	esc := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	first, rest, _ := strings.Cut(esc, "/")
	if seg, err := url.PathUnescape(first); err == nil && strings.HasPrefix(seg, "tr:") {
		q.pathChain, q.hasPathChain = strings.TrimPrefix(seg, "tr:"), true
		esc = rest
	}
	if first, rest, _ := strings.Cut(esc, "/"); first == seoSegment && strings.HasPrefix(rest, "tr:") {
		// ik-seo/tr:…/path: the chain may follow the SEO marker.
		if seg, err := url.PathUnescape(rest[:strings.IndexByte(rest+"/", '/')]); err == nil && !q.hasPathChain {
			q.pathChain, q.hasPathChain = strings.TrimPrefix(seg, "tr:"), true
			_, rest, _ = strings.Cut(rest, "/")
			esc = seoSegment + "/" + rest
		}
	}
	esc, q.thumbnail = thumbnailPath(esc)
	var name string
	if obj, seoName, ok := seoPath(esc); ok {
		esc, name = obj, seoName
	} else {
		name = esc[strings.LastIndexByte(esc, '/')+1:]
	}
	q.fileName, _ = url.PathUnescape(name)
	key, err := url.PathUnescape(esc)
	if err != nil {
		return nil, badRequest("EPATH", errors.New("malformed percent-encoding in path"))
	}
	q.key = key
	q.escapedPath = "/" + esc

	for _, piece := range strings.Split(r.URL.RawQuery, "&") {
		name, value, _ := strings.Cut(piece, "=")
		if name == "ik-attachment" {
			q.attachment = value == "true"
			continue
		}
		if name != "tr" {
			continue
		}
		if q.hasQueryChain {
			return nil, badRequest("ETRANSFORM", errors.New("tr given more than once in the query"))
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return nil, badRequest("ETRANSFORM", errors.New("malformed percent-encoding in tr"))
		}
		q.queryChain, q.hasQueryChain = v, true
	}
	return q, nil
}
