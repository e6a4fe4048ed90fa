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

// metrics are registered on the config's registry at every provision (as
// Caddy's own handlers do); collectors already registered by a previous
// config are reused so that counters survive reloads.
type metrics struct {
	requests   *prometheus.CounterVec
	transforms *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "caddy", Subsystem: "image_cdn", Name: "requests_total",
			Help: "Requests answered, by status code and by where the body came from (origin, memory, storage, transform, none).",
		}, []string{"code", "source"}),
		transforms: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "caddy", Subsystem: "image_cdn", Name: "transform_seconds",
			Help:    "Time spent in libvips per variant, by output format and outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"format", "outcome"}),
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.transforms, err = register(reg, m.transforms); err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *metrics) observe(rec *statusRecorder, err error) {
	code := rec.status
	var he caddyhttp.HandlerError
	if errors.As(err, &he) {
		code = he.StatusCode
	}
	if code == 0 {
		code = http.StatusOK
	}
	source := rec.source
	if source == "" {
		source = "none"
	}
	m.requests.WithLabelValues(strconv.Itoa(code), source).Inc()
}

func (m *metrics) transformed(f transform.Format, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.transforms.WithLabelValues(string(f), outcome).Observe(d.Seconds())
}

// statusRecorder notes the status written and where the body came from,
// for metrics. It adds nothing else to the writer.
type statusRecorder struct {
	http.ResponseWriter
	status int
	source string
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
