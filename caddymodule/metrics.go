package caddymodule

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/transform"
)

// source says where a response's body came from, for metrics.
type source string

const (
	sourceNone      source = "none" // an error, or nothing sent
	sourceOrigin    source = "origin"
	sourceMemory    source = "memory"
	sourceStorage   source = "storage"
	sourceTransform source = "transform"
)

// metrics are process-wide collectors, created once and registered on each
// config's registry at every provision (as mholt/caddy-ratelimit does), so
// that counters survive config reloads instead of restarting from zero in
// the new config's registry. The gauges read the live handlers (registry.go)
// when scraped.
type metrics struct {
	requests      *prometheus.CounterVec
	transforms    *prometheus.HistogramVec
	dropped       prometheus.Counter
	queueWait     prometheus.Histogram
	rejections    *prometheus.CounterVec
	originSeconds *prometheus.HistogramVec
	originBytes   *prometheus.CounterVec
	originErrors  *prometheus.CounterVec
	lookups       *prometheus.CounterVec
	evictions     prometheus.Counter
	storedBytes   prometheus.Counter
	sourceStore   *prometheus.CounterVec
	purged        *prometheus.CounterVec
	gauges        []prometheus.Collector
}

func metricName(n string) (string, string, string) { return "caddy", "image_cdn", n }

func counterVec(n, help string, labels ...string) *prometheus.CounterVec {
	ns, sub, n := metricName(n)
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: n, Help: help}, labels)
}

func counter(n, help string) prometheus.Counter {
	ns, sub, n := metricName(n)
	return prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: n, Help: help})
}

func gaugeFunc(n, help string, f func() float64) prometheus.Collector {
	ns, sub, n := metricName(n)
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: n, Help: help}, f)
}

var secondsBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

var processMetrics = &metrics{
	requests: counterVec("requests_total",
		"Requests answered, by status code and by where the body came from (origin, memory, storage, transform, none).", "code", "source"),
	transforms: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "caddy", Subsystem: "image_cdn", Name: "transform_seconds",
		Help:    "Time spent in libvips per variant (after a worker was free), by output format and outcome.",
		Buckets: secondsBuckets,
	}, []string{"format", "outcome"}),
	dropped: counter("storage_writes_dropped_total",
		"Result-storage writes dropped because the write queue was full or was closed before they ran."),
	queueWait: prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "caddy", Subsystem: "image_cdn", Name: "queue_wait_seconds",
		Help:    "Time a transformation waited for its turn: to start fetching its source (the fetch-ahead window), then for a free worker.",
		Buckets: secondsBuckets,
	}),
	rejections: counterVec("admission_rejections_total",
		"Requests refused before or instead of transforming, by reason (limits, budget, signature, timeout, overload).", "reason"),
	originSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "caddy", Subsystem: "image_cdn", Name: "origin_fetch_seconds",
		Help:    "Time an origin took to answer a GET or HEAD (until the response headers), by origin and method.",
		Buckets: secondsBuckets,
	}, []string{"origin", "method"}),
	originBytes: counterVec("origin_fetch_bytes_total", "Body bytes read from origins, by origin.", "origin"),
	originErrors: counterVec("origin_errors_total",
		"Origin requests that failed, by origin and kind (not_found, denied, timeout, unavailable, range).", "origin", "kind"),
	lookups: counterVec("cache_lookups_total",
		"Variant look-ups, by cache (memory, storage) and result (hit, miss).", "cache", "result"),
	evictions: counter("memory_cache_evictions_total", "Variants evicted from memory caches to make room."),
	storedBytes: counter("storage_written_bytes_total",
		"Bytes of variants written to result storage."),
	sourceStore: counterVec("source_storage_lookups_total",
		"Source-storage look-ups (a cache of originals), by result (hit, miss).", "result"),
	purged: counterVec("purged_total",
		"Entries removed by admin purges, by layer (memory, result_storage, source_storage).", "layer"),
	gauges: []prometheus.Collector{
		gaugeFunc("memory_cache_bytes", "Bytes held by the memory caches of the running handlers.", memoryCacheBytes),
		gaugeFunc("transforms_in_flight", "Transformations holding a worker now.",
			func() float64 { return eachProcessor((*transform.Processor).Running) }),
		gaugeFunc("queue_length", "Transformations reserved but not running: waiting for their turn to fetch, fetching their source, or waiting for a worker.",
			func() float64 { return eachProcessor((*transform.Processor).Queued) }),
		gaugeFunc("vips_tracked_memory_bytes", "Memory libvips has allocated and holds now (vips_tracked_get_mem).",
			func() float64 { return float64(transform.TrackedMemory()) }),
	},
}

// collectors are every collector of processMetrics.
func (m *metrics) collectors() []prometheus.Collector {
	return append([]prometheus.Collector{m.requests, m.transforms, m.dropped, m.queueWait, m.rejections,
		m.originSeconds, m.originBytes, m.originErrors, m.lookups, m.evictions, m.storedBytes, m.sourceStore, m.purged}, m.gauges...)
}

// newMetrics registers the process-wide collectors on reg (the config's
// registry). Registering them again (a second handler in the same config)
// is not an error.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return processMetrics, nil
	}
	for _, c := range processMetrics.collectors() {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) || are.ExistingCollector != c {
				return nil, err
			}
		}
	}
	return processMetrics, nil
}

// memoryCacheBytes sums the memory caches of the live handlers.
func memoryCacheBytes() float64 {
	var n int64
	for _, h := range liveHandlers() {
		if h.memory != nil {
			n += h.memory.Size()
		}
	}
	return float64(n)
}

// eachProcessor sums f over the live handlers' pools, each pool once.
func eachProcessor(f func(*transform.Processor) int) float64 {
	seen := map[*transform.Processor]bool{}
	n := 0
	for _, h := range liveHandlers() {
		if p := h.processor; p != nil && !seen[p] {
			seen[p] = true
			n += f(p)
		}
	}
	return float64(n)
}

// observe counts one answered request. The status is the one written, or
// the error's when the error is left for Caddy to write.
func (m *metrics) observe(written int, src source, err error) {
	code := written
	var he caddyhttp.HandlerError
	if errors.As(err, &he) {
		code = he.StatusCode
	}
	if code == 0 {
		code = http.StatusOK
	}
	m.requests.WithLabelValues(strconv.Itoa(code), string(src)).Inc()
}

// rejected counts a refusal by reason; err is serve's error, before it
// becomes a response. Other failures are not admission decisions.
func (m *metrics) rejected(err error) {
	if r := rejectionReason(err); r != "" {
		m.rejections.WithLabelValues(r).Inc()
	}
}

func rejectionReason(err error) string {
	var ce *clientError
	if err == nil || !errors.As(err, &ce) {
		return ""
	}
	switch {
	case ce.status == http.StatusUnauthorized:
		return "signature"
	case ce.code == "EOVERLOADED":
		return "overload"
	case ce.code == "ETIMEOUT" && ce.status == http.StatusServiceUnavailable:
		return "timeout"
	case ce.code == "ELIMIT":
		var te *transform.Error
		if errors.As(err, &te) && (te.Param == "max_steps" || te.Param == "max_cost" || te.Param == "memory_budget") {
			return "budget"
		}
		return "limits"
	}
	return ""
}

// writeDropped counts a result-storage write the queue dropped.
func (m *metrics) writeDropped() { m.dropped.Inc() }

// transformed counts one transformation: d in libvips, after waiting for
// a worker.
func (m *metrics) transformed(f transform.Format, d, waited time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.transforms.WithLabelValues(string(f), outcome).Observe(d.Seconds())
	m.queueWait.Observe(waited.Seconds())
}

// stored counts the bytes of a successful result-storage write; err
// passes through.
func (m *metrics) stored(n int, err error) error {
	if err == nil {
		m.storedBytes.Add(float64(n))
	}
	return err
}

// lookedUp counts a memory or storage look-up.
func (m *metrics) lookedUp(cache source, hit bool) {
	result := "miss"
	if hit {
		result = "hit"
	}
	m.lookups.WithLabelValues(string(cache), result).Inc()
}

// SourceStorageLookup is the hook for source storage (a cache of
// originals): call it with whether the original was found there.
func (m *metrics) SourceStorageLookup(hit bool) {
	result := "miss"
	if hit {
		result = "hit"
	}
	m.sourceStore.WithLabelValues(result).Inc()
}

// originLabel names an origin in metrics: its name, or its place in the
// preference list.
func (h *Handler) originLabel(o Origin) string {
	if n := o.Name(); n != "" {
		return n
	}
	for i, x := range h.origins {
		if x == o {
			return "#" + strconv.Itoa(i+1)
		}
	}
	return "?"
}

// originAnswered counts one origin request that got its headers (or
// failed) after d.
func (m *metrics) originAnswered(name, method string, d time.Duration, err error) {
	m.originSeconds.WithLabelValues(name, method).Observe(d.Seconds())
	if err == nil {
		return
	}
	kind := "unavailable"
	var oe *origin.Error
	if errors.As(err, &oe) && originErrorKinds[oe.Kind] != "" {
		kind = originErrorKinds[oe.Kind]
	}
	m.originErrors.WithLabelValues(name, kind).Inc()
}

// originErrorKinds label origin failures; any other kind is "unavailable".
var originErrorKinds = map[origin.Kind]string{origin.NotFound: "not_found", origin.Denied: "denied",
	origin.Timeout: "timeout", origin.RangeNotSatisfiable: "range"}

// countingBody counts the body bytes read from an origin.
type countingBody struct {
	io.ReadCloser
	bytes prometheus.Counter
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.bytes.Add(float64(n))
	return n, err
}

// timedGet is o.Get measured for metrics.
func (m *metrics) timedGet(ctx context.Context, o Origin, name, key string, opts origin.GetOptions) (*origin.Object, error) {
	start := time.Now()
	obj, err := o.Get(ctx, key, opts)
	m.originAnswered(name, http.MethodGet, time.Since(start), err)
	if err == nil {
		obj.Body = &countingBody{ReadCloser: obj.Body, bytes: m.originBytes.WithLabelValues(name)}
	}
	return obj, err
}

// timedStat is o.Stat measured for metrics.
func (m *metrics) timedStat(ctx context.Context, o Origin, name, key string) (origin.Info, error) {
	start := time.Now()
	info, err := o.Stat(ctx, key)
	m.originAnswered(name, http.MethodHead, time.Since(start), err)
	return info, err
}

// statusRecorder notes the status written, for metrics. It adds nothing
// else to the writer.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
