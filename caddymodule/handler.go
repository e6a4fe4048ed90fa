// Package caddymodule is the Caddy glue of image_cdn: module registration,
// Caddyfile parsing, provisioning and the HTTP handler. The work itself lives
// in the packages it wires together (s3origin, fileorigin, router,
// transform, signedurl, resultstore).
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
	"github.com/image-cdn/image_cdn/resultstore"
	"github.com/image-cdn/image_cdn/transform"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// DefaultCacheControl is sent with every successful response unless
// cache_control says otherwise: variants are immutable per URL.
const DefaultCacheControl = "public, max-age=31536000, s-maxage=31536000"

// Handler serves objects from an ordered list of origins: the first origin
// that has the object answers. Paths may carry an ImageKit transformation
// (`/tr:w-300/…` or `?tr=w-300`), applied inline with libvips.
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

	// SignKeys verify ImageKit signed URLs (ik-s, ik-t); any key may match,
	// for rotation. When set, unsigned or badly signed URLs get 401.
	SignKeys []string `json:"sign_keys,omitempty"`

	// Named transformations, used as tr:n-<name>.
	Named map[string]string `json:"named,omitempty"`
	// RestrictUnnamed refuses (400) every chain that is not n-<name>.
	RestrictUnnamed bool `json:"restrict_unnamed,omitempty"`
	// AVIF lets format negotiation choose AVIF for browsers that accept it.
	// Off by default: AVIF encoding costs several times WebP's CPU.
	AVIF bool `json:"avif,omitempty"`

	// Workers is the number of transformations running at once; default
	// the number of CPUs.
	Workers int `json:"workers,omitempty"`
	// Queue is how many more may wait for a worker before requests get 503;
	// default 4 × workers.
	Queue int `json:"queue,omitempty"`
	// TransformTimeout bounds fetching and transforming one variant;
	// default 30s.
	TransformTimeout caddy.Duration `json:"transform_timeout,omitempty"`
	// Limits; zero means the default.
	MaxSourceBytes     int64 `json:"max_source_bytes,omitempty"`     // default 64 MiB
	MaxSourcePixels    int64 `json:"max_source_pixels,omitempty"`    // default 100 MP
	MaxOutputDimension int   `json:"max_output_dimension,omitempty"` // default 16384
	MaxFrames          int   `json:"max_frames,omitempty"`           // default 256

	// ResultStorageRaw keeps variants once made: a module in the
	// http.handlers.image_cdn.result_storage namespace ("s3", "file").
	ResultStorageRaw json.RawMessage `json:"result_storage,omitempty" caddy:"namespace=http.handlers.image_cdn.result_storage inline_key=backend"`
	// CheckSource makes a stored variant valid only while its source is
	// unchanged: the source is stat'ed (HEAD) on every request and a
	// changed ETag means the variant is made again.
	CheckSource bool `json:"check_source,omitempty"`
	// MemoryCache is the byte budget of an in-process LRU of hot variants;
	// 0 (default) disables it.
	MemoryCache int64 `json:"memory_cache,omitempty"`

	origins   []Origin
	signKeys  [][]byte
	processor *transform.Processor
	// processorKey releases processor from the shared pool in Cleanup.
	processorKey string
	storage      resultstore.Store
	memory       *resultstore.Memory
	group        *resultstore.Group
	metrics      *metrics
	logger       *zap.Logger
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

// Provision loads the origin and storage modules and prepares the
// transformation pool. It prepares only: no network.
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
	if h.ResultStorageRaw != nil {
		mod, err := ctx.LoadModule(h, "ResultStorageRaw")
		if err != nil {
			return fmt.Errorf("loading result_storage: %w", err)
		}
		store, ok := mod.(resultstore.Store)
		if !ok {
			return fmt.Errorf("result_storage: module %T is not a store", mod)
		}
		h.storage = store
	}
	h.group = new(resultstore.Group)
	if h.MemoryCache > 0 {
		h.memory = resultstore.NewMemory(h.MemoryCache)
	}

	repl := caddy.NewReplacer()
	for _, k := range h.SignKeys {
		if k = repl.ReplaceKnown(k, ""); k != "" {
			h.signKeys = append(h.signKeys, []byte(k))
		}
	}
	if len(h.SignKeys) > 0 && len(h.signKeys) == 0 {
		return errors.New("sign_key: every key is empty (an unset placeholder?); refusing to serve unsigned")
	}
	if err := transform.ValidateNamed(h.Named); err != nil {
		return fmt.Errorf("named: %w", err)
	}

	h.processor, h.processorKey, err = sharedProcessor(transform.Config{
		Workers:     h.Workers,
		QueueLength: h.Queue,
		Limits: transform.Limits{
			MaxSourceBytes:     h.MaxSourceBytes,
			MaxSourcePixels:    h.MaxSourcePixels,
			MaxOutputDimension: h.MaxOutputDimension,
			MaxFrames:          h.MaxFrames,
		},
	})
	if err != nil {
		return err
	}
	h.metrics, err = newMetrics(ctx.GetMetricsRegistry())
	return err
}

// Validate checks the provisioned configuration.
func (h *Handler) Validate() error {
	if len(h.origins) == 0 {
		return errors.New("image_cdn: at least one origin is required")
	}
	if h.CheckSource && h.storage == nil && h.memory == nil {
		return errors.New("image_cdn: check_source needs result_storage or memory_cache")
	}
	return nil
}

// Cleanup releases the shared transformation pool.
func (h *Handler) Cleanup() error {
	if h.processor != nil {
		_, err := processors.Delete(h.processorKey)
		return err
	}
	return nil
}

// ServeHTTP answers one request as a short list of named steps: split the
// URL, check the signature, parse the transformation, then either deliver
// the object as stored or serve the variant (caches, then fetch and
// transform).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	rec := &statusRecorder{ResponseWriter: w}
	err := h.serve(rec, r)
	if err == errClientGone {
		// As reverse_proxy does: 499 (client closed request) in the access
		// log, no error log.
		rec.WriteHeader(499)
		err = nil
	}
	h.metrics.observe(rec, err)
	return err
}

func (h *Handler) serve(w *statusRecorder, r *http.Request) error {
	req, err := parseRequest(r)
	if err != nil {
		return h.fail(w, err)
	}
	if err := h.checkSignature(r); err != nil {
		return h.fail(w, err)
	}
	chain, err := h.parseChain(req)
	if err != nil {
		return h.fail(w, err)
	}
	if chain == nil || chain.Original() {
		w.source = "origin"
		return h.deliver(w, r, req)
	}
	return h.serveVariant(w, r, req, chain)
}

func (h *Handler) notFoundMaxAge() time.Duration {
	if h.NotFoundMaxAge == 0 {
		return time.Minute
	}
	return time.Duration(h.NotFoundMaxAge)
}

func (h *Handler) transformTimeout() time.Duration {
	if h.TransformTimeout <= 0 {
		return 30 * time.Second
	}
	return time.Duration(h.TransformTimeout)
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
