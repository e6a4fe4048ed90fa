// Package caddymodule is the Caddy glue of image_cdn: module registration,
// Caddyfile parsing, provisioning and the HTTP handler. The work itself lives
// in the packages it wires together (s3origin, fileorigin, router, transform).
package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/image-cdn/image_cdn/origin"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// DefaultCacheControl is sent with every successful response unless
// cache_control says otherwise: variants are immutable per URL.
const DefaultCacheControl = "public, max-age=31536000, s-maxage=31536000"

// Handler serves objects from an ordered list of origins: the first origin
// that has the object answers. Paths may carry an ImageKit transformation
// (`/tr:w-300/…` or `?tr=w-300`).
type Handler struct {
	// Origins in preference order. Each is a module in the
	// http.handlers.image_cdn.origins namespace, named by its "source" key
	// ("s3", "file").
	OriginsRaw []json.RawMessage `json:"origins,omitempty" caddy:"namespace=http.handlers.image_cdn.origins inline_key=source"`

	// CacheControl is sent with successful responses. Default:
	// "public, max-age=31536000, s-maxage=31536000".
	CacheControl string `json:"cache_control,omitempty"`

	// NotFoundMaxAge is how long a 404 may be cached: the object may appear
	// later. Default 1m; negative means "no-store".
	NotFoundMaxAge caddy.Duration `json:"not_found_max_age,omitempty"`

	origins []Origin
	logger  *zap.Logger
}

// Origin is one place objects come from. Keys are object paths relative to
// the origin (decoded, no leading slash); the origin applies its own folder
// and bucket routing.
type Origin interface {
	// Name is the operator's label for messages and metrics; may be empty.
	Name() string
	Stat(ctx context.Context, key string) (origin.Info, error)
	Get(ctx context.Context, key string, opts origin.GetOptions) (*origin.Object, error)
}

// canonicaler is implemented by origins with a `canonical` base URL.
type canonicaler interface {
	CanonicalURL(path string) string
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision loads the origin modules. It prepares only: no network.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if h.CacheControl == "" {
		h.CacheControl = DefaultCacheControl
	}
	mods, err := ctx.LoadModule(h, "OriginsRaw")
	if err != nil {
		return fmt.Errorf("loading origins: %w", err)
	}
	for i, m := range mods.([]any) {
		o, ok := m.(Origin)
		if !ok {
			return fmt.Errorf("origin %d: module %T is not an origin", i, m)
		}
		h.origins = append(h.origins, o)
	}
	return nil
}

// Validate checks the provisioned configuration.
func (h *Handler) Validate() error {
	if len(h.origins) == 0 {
		return errors.New("image_cdn: at least one origin is required")
	}
	return nil
}

// ServeHTTP answers one request: split the URL, resolve it against the
// origins, and deliver the object.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	req, err := parseRequest(r)
	if err != nil {
		return h.fail(w, err)
	}
	if req.hasTransform() {
		return h.fail(w, badRequest("ETRANSFORM", errors.New("transformations are not supported yet")))
	}
	return h.deliver(w, r, req)
}

func (h *Handler) notFoundMaxAge() time.Duration {
	if h.NotFoundMaxAge == 0 {
		return time.Minute
	}
	return time.Duration(h.NotFoundMaxAge)
}

// now is replaceable in tests.
var now = time.Now

// Interface guards.
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
