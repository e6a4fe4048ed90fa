package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/image-cdn/image_cdn/resultstore"
)

func init() {
	caddy.RegisterModule(AdminPurge{})
}

// AdminPurge adds POST /image_cdn/purge to Caddy's admin API. The body
// names sources by path, {"paths": ["/a/b.jpg"], "prefixes": ["/a/"]}; every
// variant of those sources is dropped from the memory cache, the result
// storage and the source storage of every image_cdn handler (tenants
// included) in the running configuration. Paths are object paths as the
// handler sees them: after handle_path strips the site's prefix, without
// a transformation.
type AdminPurge struct{}

// CaddyModule returns the Caddy module information.
func (AdminPurge) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.image_cdn",
		New: func() caddy.Module { return new(AdminPurge) },
	}
}

// Routes implements caddy.AdminRouter.
func (AdminPurge) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/image_cdn/purge", Handler: caddy.AdminHandlerFunc(handlePurge)}}
}

// purgeRequest is the body of POST /image_cdn/purge.
type purgeRequest struct {
	Paths    []string `json:"paths"`
	Prefixes []string `json:"prefixes"`
}

// PurgeCounts is the answer: how many entries each layer dropped, summed
// over the handlers, and the failures (a store that could not be purged).
type PurgeCounts struct {
	Handlers      int      `json:"handlers"`
	Memory        int      `json:"memory"`
	ResultStorage int      `json:"result_storage"`
	SourceStorage int      `json:"source_storage"`
	Errors        []string `json:"errors,omitempty"`
}

const (
	maxPurgeBody    = 1 << 20
	maxPurgeEntries = 1000
	purgeTimeout    = 5 * time.Minute
)

func handlePurge(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use POST")}
	}
	req, err := readPurgeRequest(r.Body)
	if err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
	}
	ctx, cancel := context.WithTimeout(r.Context(), purgeTimeout)
	defer cancel()
	counts := purge(ctx, liveHandlers(), req)
	w.Header().Set("Content-Type", "application/json")
	if len(counts.Errors) > 0 {
		w.WriteHeader(http.StatusInternalServerError)
	}
	return json.NewEncoder(w).Encode(counts)
}

// readPurgeRequest decodes and checks the body: at least one path or
// prefix, paths absolute, nothing unknown.
func readPurgeRequest(body io.Reader) (purgeRequest, error) {
	var req purgeRequest
	dec := json.NewDecoder(io.LimitReader(body, maxPurgeBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf(`want JSON {"paths": ["/a/b.jpg"], "prefixes": ["/a/"]}: %w`, err)
	}
	if dec.More() {
		return req, errors.New("want a single JSON object")
	}
	if len(req.Paths)+len(req.Prefixes) == 0 {
		return req, errors.New(`nothing to purge: give "paths" and/or "prefixes"`)
	}
	if len(req.Paths)+len(req.Prefixes) > maxPurgeEntries {
		return req, fmt.Errorf("at most %d paths and prefixes per request", maxPurgeEntries)
	}
	for _, p := range append(append([]string(nil), req.Paths...), req.Prefixes...) {
		if !strings.HasPrefix(p, "/") {
			return req, fmt.Errorf("%q: paths and prefixes start with /", p)
		}
	}
	for _, p := range req.Paths {
		if p == "/" || strings.HasSuffix(p, "/") {
			return req, fmt.Errorf("%q is not an object path: purge a folder with \"prefixes\"", p)
		}
	}
	return req, nil
}

// purge drops the sources of req from every handler.
func purge(ctx context.Context, handlers []*Handler, req purgeRequest) PurgeCounts {
	var c PurgeCounts
	fail := func(what string, err error) { c.Errors = append(c.Errors, what+": "+err.Error()) }
	var keyPrefixes []string
	for _, p := range req.Paths {
		keyPrefixes = append(keyPrefixes, resultstore.SourcePrefixes(strings.TrimPrefix(p, "/"))...)
	}
	for _, p := range req.Prefixes {
		keyPrefixes = append(keyPrefixes, resultstore.PathPrefix(strings.TrimPrefix(p, "/")))
	}
	for _, h := range handlers {
		c.Handlers++
		for _, kp := range keyPrefixes {
			if h.memory != nil {
				n, _ := h.memory.DeletePrefix(ctx, kp) // fails only on a cancelled context
				c.Memory += n
			}
			if d, ok := h.storage.(resultstore.PrefixDeleter); ok {
				n, err := d.DeletePrefix(ctx, kp)
				c.ResultStorage += n
				if err != nil {
					fail("result_storage", err)
				}
			}
		}
		// Originals in source storage sit beside variants in resultstore's key
		// scheme (sourceKey), so the same prefixes cover them.
		if h.sources != nil {
			if d, ok := h.sources.store.(resultstore.PrefixDeleter); ok {
				for _, kp := range keyPrefixes {
					n, err := d.DeletePrefix(ctx, kp)
					c.SourceStorage += n
					if err != nil {
						fail("source_storage", err)
					}
				}
			}
		}
	}
	processMetrics.purged.WithLabelValues("memory").Add(float64(c.Memory))
	processMetrics.purged.WithLabelValues("result_storage").Add(float64(c.ResultStorage))
	processMetrics.purged.WithLabelValues("source_storage").Add(float64(c.SourceStorage))
	return c
}

// Interface guard.
var _ caddy.AdminRouter = AdminPurge{}
