package caddymodule

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/transform"
)

// requestsCounted reads caddy_image_cdn_requests_total{code="200",
// source="transform"} from reg; -1 when reg does not expose it.
func requestsCounted(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "caddy_image_cdn_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["code"] == "200" && labels["source"] == "transform" {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// TestMetricsSurviveReloads: each config gets a fresh registry; the
// counters registered on the next one carry on from where they were, and
// two handlers in one config register without error.
func TestMetricsSurviveReloads(t *testing.T) {
	first := prometheus.NewRegistry()
	m, err := newMetrics(first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newMetrics(first); err != nil {
		t.Fatalf("a second handler in the same config: %v", err)
	}
	m.observe(200, sourceTransform, nil)
	before := requestsCounted(t, first)

	reloaded := prometheus.NewRegistry()
	m2, err := newMetrics(reloaded)
	if err != nil {
		t.Fatal(err)
	}
	m2.observe(200, sourceTransform, nil)
	if got := requestsCounted(t, reloaded); before < 1 || got != before+1 {
		t.Errorf("after a reload the counter is %v, want %v + 1", got, before)
	}
}

func TestRejectionReason(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("boom"), ""},
		{&clientError{status: 401, code: "ESIGNATURE"}, "signature"},
		{fromTransform(transform.ErrOverloaded), "overload"},
		{fromTransform(context.DeadlineExceeded), "timeout"},
		{fromOrigin("o", &origin.Error{Kind: origin.Timeout}), ""}, // 504: the origin, not admission
		{fromTransform(&transform.Error{Kind: transform.Limit, Param: "max_source_pixels", Msg: "too big"}), "limits"},
		{fromTransform(&transform.Error{Kind: transform.Limit, Param: "max_steps", Msg: "too many"}), "budget"},
		{fromTransform(&transform.Error{Kind: transform.Limit, Param: "memory_budget", Msg: "too much"}), "budget"},
		{fromTransform(&transform.Error{Kind: transform.Invalid, Param: "w", Msg: "bad"}), ""},
	} {
		if got := rejectionReason(c.err); got != c.want {
			t.Errorf("rejectionReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
