package caddymodule

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"

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
// the new config's registry.
type metrics struct {
	requests   *prometheus.CounterVec
	transforms *prometheus.HistogramVec
	dropped    prometheus.Counter
}

var processMetrics = &metrics{
	requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy", Subsystem: "image_cdn", Name: "requests_total",
		Help: "Requests answered, by status code and by where the body came from (origin, memory, storage, transform, none).",
	}, []string{"code", "source"}),
	transforms: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "caddy", Subsystem: "image_cdn", Name: "transform_seconds",
		Help:    "Time spent in libvips per variant, by output format and outcome.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"format", "outcome"}),
	dropped: prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "caddy", Subsystem: "image_cdn", Name: "storage_writes_dropped_total",
		Help: "Result-storage writes dropped because the write queue was full or was closed before they ran.",
	}),
}

// newMetrics registers the process-wide collectors on reg (the config's
// registry). Registering them again (a second handler in the same config)
// is not an error.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return processMetrics, nil
	}
	for _, c := range []prometheus.Collector{processMetrics.requests, processMetrics.transforms, processMetrics.dropped} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) || are.ExistingCollector != c {
				return nil, err
			}
		}
	}
	return processMetrics, nil
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

// writeDropped counts a result-storage write the queue dropped.
func (m *metrics) writeDropped() { m.dropped.Inc() }

func (m *metrics) transformed(f transform.Format, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.transforms.WithLabelValues(string(f), outcome).Observe(d.Seconds())
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
