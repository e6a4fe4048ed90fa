package caddymodule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/image-cdn/image_cdn/origin"
	"github.com/image-cdn/image_cdn/transform"
)

func init() {
	caddy.RegisterModule(Health{})
	httpcaddyfile.RegisterHandlerDirective("image_cdn_health", parseHealth)
	httpcaddyfile.RegisterDirectiveOrder("image_cdn_health", httpcaddyfile.Before, "file_server")
}

// Health answers load balancers' health checks: it decodes, resizes and
// encodes a tiny built-in image through the real libvips pipeline and,
// when CheckOrigins is set, asks every origin of every image_cdn handler
// in the running configuration for that key (a HEAD). 200 with a short
// JSON report when every check passes, 503 when one fails; never cached.
type Health struct {
	// CheckOrigins is the object key each origin is asked about (HEAD).
	// An origin that answers, even "not found", is up; one that refuses
	// (credentials), times out or fails is down. Empty: origins are not
	// checked.
	CheckOrigins string `json:"check_origins,omitempty"`

	// Timeout bounds the whole check. Default: 2s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	processor *transform.Processor
	chain     *transform.Chain
}

// CaddyModule returns the Caddy module information.
func (Health) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.image_cdn_health",
		New: func() caddy.Module { return new(Health) },
	}
}

// healthImage is the built-in source: a 16×16 PNG gradient, made once.
var healthImage = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			img.Set(x, y, color.RGBA{R: uint8(x * 16), G: uint8(y * 16), B: 128, A: 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to memory cannot fail
	return b.Bytes()
}()

// healthChain resizes and re-encodes: decode, resize and encode all run.
const healthChain = "w-8,h-8,f-jpg"

// Provision makes a one-worker pool of its own (not shared, so that a
// health check neither waits behind traffic nor takes a place from it; a
// Processor holds no goroutine, so nothing needs releasing).
func (hc *Health) Provision(caddy.Context) error {
	chain, err := transform.Parse(healthChain, "", transform.ParseOptions{})
	if err != nil {
		return err
	}
	hc.chain = chain
	hc.processor = transform.NewProcessor(transform.Config{Workers: 1, QueueLength: 4})
	return nil
}

// healthReport is the JSON answer.
type healthReport struct {
	Status    string         `json:"status"` // "ok" or "fail"
	Transform healthCheck    `json:"transform"`
	Origins   []originHealth `json:"origins,omitempty"`
}

type healthCheck struct {
	OK    bool    `json:"ok"`
	Ms    float64 `json:"ms"`
	Error string  `json:"error,omitempty"`
}

type originHealth struct {
	Name string `json:"name"`
	healthCheck
}

// ServeHTTP runs the checks.
func (hc *Health) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	timeout := time.Duration(hc.Timeout)
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	rep := healthReport{Status: "ok", Transform: hc.checkTransform(ctx)}
	ok := rep.Transform.OK
	if hc.CheckOrigins != "" {
		rep.Origins = checkOrigins(ctx, hc.CheckOrigins)
		for _, o := range rep.Origins {
			ok = ok && o.OK
		}
	}
	status := http.StatusOK
	if !ok {
		rep.Status, status = "fail", http.StatusServiceUnavailable
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	body, _ := json.Marshal(rep) // plain structs: cannot fail
	hdr.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(body, '\n'))
	}
	return nil
}

// checkTransform runs the built-in image through the pipeline and checks
// the output is the expected JPEG.
func (hc *Health) checkTransform(ctx context.Context) healthCheck {
	start := time.Now()
	res, err := hc.processor.Process(ctx, healthImage, hc.chain, transform.JPEG)
	c := healthCheck{OK: err == nil, Ms: ms(time.Since(start))}
	switch {
	case err != nil:
		c.Error = safeHealthError(err)
	case res.Width != 8 || res.Height != 8 || !bytes.HasPrefix(res.Body, []byte{0xff, 0xd8}):
		c.OK, c.Error = false, "unexpected output"
	}
	return c
}

// checkOrigins asks every origin of the live handlers, each once.
func checkOrigins(ctx context.Context, key string) []originHealth {
	var out []originHealth
	seen := map[Origin]bool{}
	for _, h := range liveHandlers() {
		for _, o := range h.origins {
			if seen[o] {
				continue
			}
			seen[o] = true
			start := time.Now()
			_, err := o.Stat(ctx, key)
			c := originHealth{Name: h.originLabel(o), healthCheck: healthCheck{Ms: ms(time.Since(start))}}
			c.OK = err == nil || origin.IsNotFound(err)
			if !c.OK {
				c.Error = safeHealthError(err)
			}
			out = append(out, c)
		}
	}
	return out
}

// safeHealthError is a short fixed word for a failure: a health endpoint
// is often public, so nothing from the error's text goes out.
func safeHealthError(err error) string {
	var oe *origin.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case transform.IsKind(err, transform.Overloaded):
		return "overloaded"
	case errors.As(err, &oe) && oe.Kind == origin.Denied:
		return "denied"
	case errors.As(err, &oe) && oe.Kind == origin.Timeout:
		return "timeout"
	case errors.As(err, &oe):
		return "unavailable"
	}
	return "failed"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func parseHealth(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	hc := new(Health)
	err := hc.UnmarshalCaddyfile(h.Dispenser)
	return hc, err
}

// UnmarshalCaddyfile parses
//
//	image_cdn_health {
//		check_origins <key>   # HEAD this key on every origin
//		timeout <duration>    # default 2s
//	}
func (hc *Health) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next()
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "check_origins":
			if err := oneArg(d, &hc.CheckOrigins); err != nil {
				return err
			}
		case "timeout":
			dur, err := durationArg(d)
			if err != nil {
				return err
			}
			hc.Timeout = caddy.Duration(dur)
		default:
			return d.Errf("image_cdn_health: unknown subdirective %q", d.Val())
		}
	}
	return nil
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Health)(nil)
	_ caddyhttp.MiddlewareHandler = (*Health)(nil)
	_ caddyfile.Unmarshaler       = (*Health)(nil)
)
