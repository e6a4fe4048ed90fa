// Package caddymodule is the Caddy glue of image_cdn: module registration,
// config structs, Caddyfile parsing, provisioning, the serve flow and the
// one place where an error becomes a response. The work itself lives in
// the packages it wires together (s3origin, s3conn, fileorigin, router,
// resultstore, transform, signedurl); see docs/ARCHITECTURE.md.
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
	// ("s3", "file"). At least one is required.
	OriginsRaw []json.RawMessage `json:"origins,omitempty" caddy:"namespace=http.handlers.image_cdn.origins inline_key=source"`

	// CacheControl is sent with successful responses. Default:
	// "public, max-age=31536000, s-maxage=31536000" (DefaultCacheControl).
	CacheControl string `json:"cache_control,omitempty"`

	// NotFoundMaxAge is how long a 404 may be cached: the object may
	// appear later. Default: 1m. Negative means "no-store".
	NotFoundMaxAge caddy.Duration `json:"not_found_max_age,omitempty"`

	// SignKeys verify ImageKit signed URLs (ik-s, ik-t); any key may
	// match, for rotation. When set, unsigned or badly signed URLs get 401.
	// Placeholders are resolved at provision time.
	SignKeys []string `json:"sign_keys,omitempty"`

	// Named transformations, used as tr:n-<name>.
	Named map[string]string `json:"named,omitempty"`

	// RestrictUnnamed refuses (400) every chain that is not n-<name>.
	RestrictUnnamed bool `json:"restrict_unnamed,omitempty"`

	// AVIF lets format negotiation choose AVIF for browsers that accept
	// it. Off by default: AVIF encoding costs several times WebP's CPU.
	AVIF bool `json:"avif,omitempty"`

	// Workers is the number of transformations running at once. Default:
	// the number of CPUs.
	Workers int `json:"workers,omitempty"`

	// Queue is how many more transformations may wait for a worker before
	// requests get 503. Absent: 4 × workers; 0: none wait.
	Queue *int `json:"queue,omitempty"`

	// TransformTimeout bounds fetching and transforming one variant; past
	// it the request gets 503 (504 while still fetching). Default: 30s.
	TransformTimeout caddy.Duration `json:"transform_timeout,omitempty"`

	// MaxSourceBytes refuses (400) sources larger than this. Default:
	// 64 MiB.
	MaxSourceBytes int64 `json:"max_source_bytes,omitempty"`

	// MaxSourcePixels refuses (400) sources with more pixels (width ×
	// height, × frames when animation is kept). Default: 100 MP.
	MaxSourcePixels int64 `json:"max_source_pixels,omitempty"`

	// MaxOutputDimension bounds either side of any intermediate or final
	// image, in pixels. Default: 16384.
	MaxOutputDimension int `json:"max_output_dimension,omitempty"`

	// MaxFrames bounds the frames of an animated source kept in the
	// output. Default: 256.
	MaxFrames int `json:"max_frames,omitempty"`

	// MaxSteps bounds the steps of one request's chain, named
	// transformations expanded; checked right after parsing, before any
	// fetch (400 ELIMIT). Default: 20 (transform.DefaultMaxSteps).
	MaxSteps int `json:"max_steps,omitempty"`

	// MaxCost bounds the estimated cost of one request's chain (each step
	// weighted by its operations: a blur or sharpen costs more than a
	// crop); checked before any fetch (400 ELIMIT). Default: 80
	// (transform.DefaultMaxCost). See docs/limits.md.
	MaxCost int `json:"max_cost,omitempty"`

	// MemoryBudget is the memory, in bytes, that running transformations
	// may hold together, estimated per request from the source's header
	// before decoding. A request waits for its share (within the
	// transform timeout); one that would need more than the whole budget is
	// refused (400 ELIMIT). Shared by every handler with the same pool
	// settings. Default: 1 GiB (transform.DefaultMemoryBudget).
	MemoryBudget int64 `json:"memory_budget,omitempty"`

	// ResultStorageRaw keeps variants once made: a module in the
	// http.handlers.image_cdn.result_storage namespace ("s3", "file").
	// Writes happen after the response, through a bounded queue.
	ResultStorageRaw json.RawMessage `json:"result_storage,omitempty" caddy:"namespace=http.handlers.image_cdn.result_storage inline_key=backend"`

	// SourceStorageRaw keeps originals fetched from remote origins (the
	// web origins): a module in http.handlers.image_cdn.source_storage
	// ("s3", "file"), asked before every origin and written after the
	// response through the bounded write queue. See docs/delivery.md.
	SourceStorageRaw json.RawMessage `json:"source_storage,omitempty" caddy:"namespace=http.handlers.image_cdn.source_storage inline_key=backend"`

	// Rewrite maps another CDN's URLs onto the same pipeline:
	// "cloudinary" (/image/upload/w_300,c_fill/v1/a.jpg) or "imgix"
	// (/a.jpg?w=300&fit=crop). Unknown parameters get 400.
	Rewrite string `json:"rewrite,omitempty"`

	// CheckSource makes a stored variant valid only while its source is
	// unchanged: the source is stat'ed (HEAD) on every request and a
	// changed ETag means the variant is made again. Needs ResultStorageRaw
	// or MemoryCache.
	CheckSource bool `json:"check_source,omitempty"`

	// MemoryCache is the byte budget of an in-process LRU of hot variants,
	// charged each entry's body, metadata and bookkeeping. 0 (default)
	// disables it.
	MemoryCache int64 `json:"memory_cache,omitempty"`

	// Tenants serve their own domains with their own configuration:
	// requests are dispatched by Host (see Tenant). A Host no tenant has is
	// served by this handler's own origins, or gets 404 ENOTENANT when it
	// has none.
	Tenants []Tenant `json:"tenants,omitempty"`

	// TenantsFile is a YAML (or JSON) file holding more tenants, in the
	// same form as Tenants. It is read when the configuration loads, so a
	// config reload re-reads it. Placeholders are resolved.
	TenantsFile string `json:"tenants_file,omitempty"`

	// tenants are Tenants and those of TenantsFile; hosts maps each
	// (lower-cased) domain to its tenant's handler, nil without tenants.
	tenants []Tenant
	hosts   map[string]*Handler

	origins   []Origin
	signKeys  [][]byte
	processor *transform.Processor
	// processorKey releases processor from the shared pool in Cleanup.
	processorKey string
	storage      resultstore.Store
	// sources is source storage, also origins[0] when configured.
	sources *sourceStore
	memory  *resultstore.Memory
	group   *resultstore.Group
	// writes runs the result-storage writes after their responses; owned
	// by this handler and closed in Cleanup.
	writes  *resultstore.WriteQueue
	metrics *metrics
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

// Provision loads the origin and storage modules and prepares the
// transformation pool and the write queue. It prepares only: no network.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if h.CacheControl == "" {
		h.CacheControl = DefaultCacheControl
	}
	if err := h.provisionModules(ctx); err != nil {
		return err
	}
	if err := h.provisionSourceStorage(ctx); err != nil {
		return err
	}
	if err := h.provisionTenants(ctx); err != nil {
		return err
	}
	h.group = new(resultstore.Group)
	if h.MemoryCache > 0 {
		h.memory = resultstore.NewMemory(h.MemoryCache)
	}
	if err := h.provisionSigning(); err != nil {
		return err
	}
	if err := transform.ValidateNamed(h.Named); err != nil {
		return fmt.Errorf("named: %w", err)
	}
	var err error
	h.processor, h.processorKey, err = sharedProcessor(h.processorConfig())
	if err != nil {
		return err
	}
	if h.metrics, err = newMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	if h.memory != nil {
		h.memory.OnEvict = h.metrics.evictions.Inc
	}
	if h.storage != nil || h.sources != nil {
		h.writes = resultstore.NewWriteQueue(resultstore.WriteQueueConfig{
			OnError: func(key string, err error) {
				h.logger.Warn("result storage write failed", zap.String("key", key), zap.Error(err))
			},
			OnDrop: h.metrics.writeDropped,
		})
	}
	join(h) // for the admin purge and the on-demand TLS permission
	return nil
}

// provisionModules loads the origins and the result storage.
func (h *Handler) provisionModules(ctx caddy.Context) error {
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
	if h.ResultStorageRaw == nil {
		return nil
	}
	mod, err := ctx.LoadModule(h, "ResultStorageRaw")
	if err != nil {
		return fmt.Errorf("loading result_storage: %w", err)
	}
	store, ok := mod.(resultstore.Store)
	if !ok {
		return fmt.Errorf("result_storage: module %T is not a store", mod)
	}
	h.storage = store
	return nil
}

// provisionSigning resolves the sign keys; keys that all resolve to
// nothing would silently serve unsigned URLs, so that is an error.
func (h *Handler) provisionSigning() error {
	repl := caddy.NewReplacer()
	for _, k := range h.SignKeys {
		if k = repl.ReplaceKnown(k, ""); k != "" {
			h.signKeys = append(h.signKeys, []byte(k))
		}
	}
	if len(h.SignKeys) > 0 && len(h.signKeys) == 0 {
		return errors.New("sign_key: every key is empty (an unset placeholder?); refusing to serve unsigned")
	}
	return nil
}

// processorConfig is the transformation pool this handler asks for.
func (h *Handler) processorConfig() transform.Config {
	queue := 0 // transform's default
	if h.Queue != nil {
		queue = *h.Queue
		if queue == 0 {
			queue = -1 // transform's "none"
		}
	}
	return transform.Config{
		Workers:      h.Workers,
		QueueLength:  queue,
		MemoryBudget: h.MemoryBudget,
		Limits: transform.Limits{
			MaxSourceBytes:     h.MaxSourceBytes,
			MaxSourcePixels:    h.MaxSourcePixels,
			MaxOutputDimension: h.MaxOutputDimension,
			MaxFrames:          h.MaxFrames,
			MaxSteps:           h.MaxSteps,
			MaxCost:            h.MaxCost,
		},
	}
}

// Validate checks the provisioned configuration.
func (h *Handler) Validate() error {
	if len(h.origins) == 0 && len(h.tenants) == 0 {
		return errors.New("image_cdn: at least one origin is required (or a tenant)")
	}
	if h.CheckSource && h.storage == nil && h.memory == nil {
		return errors.New("image_cdn: check_source needs result_storage or memory_cache")
	}
	if err := validRewrite(h.Rewrite); err != nil {
		return fmt.Errorf("image_cdn: %w", err)
	}
	if h.Queue != nil && *h.Queue < 0 {
		return fmt.Errorf("image_cdn: queue must be 0 or more, got %d", *h.Queue)
	}
	if h.Workers < 0 {
		return fmt.Errorf("image_cdn: workers must be 1 or more, got %d", h.Workers)
	}
	return nil
}

// writeDrainTimeout is how long Cleanup lets queued result-storage writes
// finish; what is left is abandoned (and made again on a later miss).
const writeDrainTimeout = 5 * time.Second

// Cleanup drains the write queue (for at most writeDrainTimeout) and
// releases the shared transformation pool.
func (h *Handler) Cleanup() error {
	leave(h)
	for i := range h.tenants {
		_ = h.tenants[i].Handler.Cleanup()
	}
	if h.writes != nil {
		h.writes.Close(writeDrainTimeout)
	}
	if h.processor != nil {
		_, err := processors.Delete(h.processorKey)
		return err
	}
	return nil
}

// ServeHTTP answers one request: serve does the work and returns an
// error, which becomes a response in exactly one place (respondError).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	rec := &statusRecorder{ResponseWriter: w}
	src := sourceNone
	h, err := h.forHost(r) // a tenant's handler when the Host is one of its domains
	if err == nil {
		src, err = h.serve(rec, r)
	}
	h.metrics.rejected(err) // by reason, before it becomes a response
	err = h.respondError(rec, r, err)
	h.metrics.observe(rec.status, src, err)
	return err
}

// serve is the request flow, one named step per line. It writes only
// successful answers (200, 206, 304, HEAD); every failure is returned.
// The source it returns says where the body came from, for metrics.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (source, error) {
	pr, err := h.rewriteURL(r) // a Cloudinary or imgix URL as its tr: equivalent
	if err != nil {
		return sourceNone, err
	}
	req, err := parseRequest(pr) // split the URL into object key and chain
	if err != nil {
		return sourceNone, err
	}
	if err := h.checkSignature(r); err != nil { // ik-s / ik-t
		return sourceNone, err
	}
	req.signed = len(h.signKeys) > 0
	if err := takeDefaultImage(req); err != nil { // di-: the image for a missing source
		return sourceNone, err
	}
	if err := applyClientHints(r, req); err != nil { // w-auto, dpr-auto
		return sourceNone, err
	}
	if err := prepareThumbnail(req); err != nil { // ik-thumbnail.jpg: a JPEG still
		return sourceNone, err
	}
	chain, err := h.parseChain(req) // the tr chain, checked before any fetch
	if err != nil {
		return sourceNone, err
	}
	if err := allowMethod(r); err != nil { // GET and HEAD only
		return sourceNone, err
	}
	serve := func(w http.ResponseWriter, req *request) (source, error) { return h.serveObject(w, r, req, chain) }
	src, err := serve(w, req)
	if req.defaultKey != "" && isNotFound(err) {
		return h.serveDefault(w, r, req, serve)
	}
	return src, err
}

// serveObject answers for one object key: as stored, or transformed.
func (h *Handler) serveObject(w http.ResponseWriter, r *http.Request, req *request, chain *transform.Chain) (source, error) {
	if chain == nil || chain.Original() { // no transformation: stream as stored
		return sourceOrigin, h.deliver(w, r, req)
	}
	v, err := h.resolveVariant(r, req, chain) // output format and storage key
	if err != nil {
		return sourceNone, err
	}
	if e, from := h.lookup(r, v); e != nil { // memory cache, then result storage
		h.writeVariant(w, r, v, e, "hit; detail="+string(from))
		return from, nil
	}
	answered, err := h.notModifiedAtSource(w, r, v) // a 304 from the source's metadata alone
	if err != nil {
		return sourceNone, err
	}
	if answered {
		return sourceOrigin, nil
	}
	e, _, err := h.group.Do(r.Context(), v.storeKey, func(ctx context.Context) (*resultstore.Entry, error) {
		return h.render(ctx, v) // fetch and transform, once for all who ask
	})
	if err != nil {
		return sourceNone, err
	}
	h.writeVariant(w, r, v, e, h.missStatus())
	return sourceTransform, nil
}

// allowMethod refuses everything but GET and HEAD.
func allowMethod(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	return &clientError{status: http.StatusMethodNotAllowed, code: "EMETHOD", msg: "only GET and HEAD are allowed",
		header: http.Header{"Allow": {"GET, HEAD"}}}
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
